"""What one batch of an import writes, in one transaction: a value the store writes in bulk.

A batch is planned in memory, row by row, by the same rules and the same chaining as single
commands (``ledger/import_batch.py``); the store then writes it with the database's bulk path
(``executemany`` on SQLite, ``COPY`` on PostgreSQL) — no round trip per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from consentry.core.chain import ChainHead
from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact
from consentry.core.events import ConsentEvent
from consentry.core.status import Consent
from consentry.core.trends import TrendDelta

#: (group, scope, channel, day number) → what the batch adds to that day's counts.
TrendKey = tuple[str, str, Channel, int]


@dataclass(frozen=True, slots=True)
class ContactWrite:
    """A contact to insert or update, and the address keys to add for it."""

    contact: Contact
    keys: Mapping[AddressKind, str]
    new: bool


@dataclass(slots=True)
class BatchWrite:
    """Everything a batch changes, in the order the store writes it, recorded at one time."""

    recorded_at: datetime
    contacts: list[ContactWrite] = field(default_factory=list)
    events: list[ConsentEvent] = field(default_factory=list)
    #: contact id → its chain's new head, and whether the contact is new in this batch
    heads: dict[str, tuple[ChainHead, bool]] = field(default_factory=dict)
    #: (contact id, channel, scope id) → the projection row's new value, with its group
    consents: dict[tuple[str, Channel, str], tuple[str, Consent]] = field(default_factory=dict)
    trends: dict[TrendKey, TrendDelta] = field(default_factory=dict)

    def add_trend(self, key: TrendKey, counts: TrendDelta) -> None:
        """Add one event's counts to its day's."""
        was = self.trends.get(key, TrendDelta())
        self.trends[key] = TrendDelta(
            subscribed=was.subscribed + counts.subscribed,
            unsubscribed=was.unsubscribed + counts.unsubscribed,
            opt_outs=was.opt_outs + counts.opt_outs,
        )
