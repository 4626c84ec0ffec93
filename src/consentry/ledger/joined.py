"""A context whose store joins a transaction already open: a command in ONE unit of work.

The API runs each command (use cases, the response it builds, its idempotency record) in one
transaction that it commits once (``idempotency.run_once``, decision 020). The use cases do not
change: they open their units of work on ``ctx.store`` as always, and ``joined_context`` gives
them a store and an outbox that join the open transaction ``tx``:

- ``store.transaction()`` is a savepoint of ``tx`` (``Tx.nested``). A use case's unit of work
  keeps its meaning, rolled back unless committed, but its ``commit()`` only keeps the writes
  in ``tx``: they become permanent when the caller commits ``tx``, or never. No second
  connection is opened, so SQLite's single writer cannot wait on itself, and a statement that
  fails on PostgreSQL rolls back its savepoint, not the whole command.
- ``store.reader()`` reads through ``tx``, so a check sees what the command wrote so far.
- ``outbox.send`` queues the message in ``tx`` when the outbox can (``TransactionalOutbox``):
  it is kept with the command or not at all. A message an outbox cannot queue (SMTP) waits in
  ``Later`` and is handed over once ``tx`` committed, never after a rollback.

The set-based reads that need a snapshot of their own (``audience``, ``chain``, ``export``) go
to the store itself and do not see ``tx``'s writes; no command run this way uses them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime

from consentry.core.audience import AudienceQuery, AudienceRow
from consentry.core.messaging import OutboundMessage
from consentry.ledger.context import Context
from consentry.ledger.ports import (
    BulkTx,
    ChainReader,
    Clock,
    ExportReader,
    Outbox,
    Reader,
    Store,
    TransactionalOutbox,
    Tx,
)

log = logging.getLogger(__name__)


def joined_context(ctx: Context, tx: Tx, later: Later) -> Context:
    """``ctx`` with its store and outbox joining ``tx`` (the memo and the rest are shared)."""
    outbox = JoinedOutbox(ctx.outbox, tx, ctx.clock, later) if ctx.outbox is not None else None
    return replace(ctx, store=JoinedStore(ctx.store, tx), outbox=outbox)


class JoinedStore:
    """The ``Store`` port over a transaction someone else opened and will commit."""

    def __init__(self, store: Store, tx: Tx) -> None:
        self.store = store
        self.tx = tx

    def transaction(self, write: bool = True) -> AbstractContextManager[Tx]:
        """A savepoint of the open transaction; its ``commit()`` keeps its writes in it."""
        del write  # the open transaction is a write transaction
        return self.tx.nested()

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        """Reads through the open transaction (they see its writes)."""
        yield self.tx

    def audience(self, query: AudienceQuery, batch_size: int = 5000) -> Iterator[AudienceRow]:
        """The store's own snapshot (it does not see the open transaction's writes)."""
        return self.store.audience(query, batch_size)

    def chain(
        self, group_id: str | None, contact_id: str | None = None
    ) -> AbstractContextManager[ChainReader]:
        """The store's own snapshot (it does not see the open transaction's writes)."""
        return self.store.chain(group_id, contact_id)

    def export(self, group_id: str, scope_id: str) -> AbstractContextManager[ExportReader]:
        """The store's own snapshot (it does not see the open transaction's writes)."""
        return self.store.export(group_id, scope_id)

    def bulk(self) -> AbstractContextManager[BulkTx]:
        """An import batch's own transaction (no command run this way imports)."""
        return self.store.bulk()

    def close(self) -> None:
        """Nothing: the store belongs to whoever opened the transaction."""


class Later:
    """Messages to hand over once the transaction committed (an outbox that cannot queue)."""

    def __init__(self) -> None:
        self.messages: list[tuple[Outbox, OutboundMessage]] = []

    def keep(self, outbox: Outbox, message: OutboundMessage) -> None:
        """Send ``message`` through ``outbox`` after the commit."""
        self.messages.append((outbox, message))

    def forget(self) -> None:
        """The command was rolled back: its messages go nowhere."""
        self.messages.clear()

    def send(self) -> None:
        """Hand every message over; a failure is logged, never raised (the command stands)."""
        messages, self.messages = self.messages, []
        for outbox, message in messages:
            try:
                outbox.send(message)
            except Exception:  # an outbox must not raise; the command committed regardless
                log.exception(
                    "could not hand over the %s message to contact %s",
                    message.category,
                    message.contact_id,
                )


class JoinedOutbox:
    """The context's outbox, queueing into the open transaction (``TransactionalOutbox``)."""

    def __init__(self, outbox: Outbox, tx: Tx, clock: Clock, later: Later) -> None:
        self.outbox = outbox
        self.tx = tx
        self.clock = clock
        self.later = later

    def send(self, message: OutboundMessage) -> None:
        """Queue in the open transaction, or hand over after it committed."""
        if self.enqueue(self.tx, message, self.clock.now()) is None:
            self.later.keep(self.outbox, message)

    def enqueue(self, tx: Tx, message: OutboundMessage, now: datetime) -> str | None:
        """Queue in ``tx`` when the outbox can; ``None``: the caller sends it later."""
        if isinstance(self.outbox, TransactionalOutbox):
            return self.outbox.enqueue(tx, message, now)
        return None
