"""Outboxes: where Consentry's own messages go (keyword replies, confirmations).

``DbOutbox`` writes the ``outbox`` table that the sending service reads (``Ledger.list_outbox``)
and acknowledges (``Ledger.mark_sent``). It can also queue a message *inside* the caller's
transaction (``enqueue``), so a keyword reply commits together with the opt-out it confirms:
a crash can neither lose the reply nor, on the provider's retry, send it twice.

``RoutingOutbox`` picks an outbox per channel (email → SMTP, everything else → the table).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from consentry.adapters.clock import SystemClock
from consentry.core.channels import Channel
from consentry.core.ids import new_id
from consentry.core.messaging import OutboundMessage, OutboxItem
from consentry.ledger.ports import Clock, Outbox, Store, TransactionalOutbox, Tx


class DbOutbox:
    """The outbox table: one row per message, until the sending service marks it sent."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or SystemClock()

    def send(self, message: OutboundMessage) -> None:
        """Queue one message in a transaction of its own."""
        with self.store.transaction() as tx:
            self.enqueue(tx, message, self.clock.now())
            tx.commit()

    def enqueue(self, tx: Tx, message: OutboundMessage, now: datetime) -> str | None:
        """Queue one message in the caller's transaction; its outbox id."""
        item = OutboxItem(new_id("ob", now), message, now)
        tx.add_outbox(item)
        return item.id


class RoutingOutbox:
    """Sends each message through the outbox for its channel, or the default one."""

    def __init__(self, routes: Mapping[Channel, Outbox], default: Outbox) -> None:
        self.routes = dict(routes)
        self.default = default

    def route(self, message: OutboundMessage) -> Outbox:
        """The outbox for the message's channel."""
        return self.routes.get(message.channel, self.default)

    def send(self, message: OutboundMessage) -> None:
        """Hand the message to its channel's outbox."""
        self.route(message).send(message)

    def enqueue(self, tx: Tx, message: OutboundMessage, now: datetime) -> str | None:
        """Queue in ``tx`` when the channel's outbox can; ``None`` means send after commit."""
        target = self.route(message)
        if isinstance(target, TransactionalOutbox):
            return target.enqueue(tx, message, now)
        return None
