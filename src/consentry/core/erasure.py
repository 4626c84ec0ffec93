"""Erasing a contact (GDPR Art. 17; SPEC §7; docs/decisions/072).

Erasure removes the person and keeps the proof. Gone: every detail of the contact (addresses,
external id, name, locale, postal address, push token, attributes, lists), the text and salt of
every event's evidence, the kept evidence files, the copies of the person's addresses and
messages in the outbox, the per-row messages of import reports and the stored API responses
that named the contact. Kept: the contact's id and group, its consent events (their hashes and
evidence commitments, so every chain still verifies), the consent projection, and the keyed
hash of each email address and mobile number, so the person, imported or created again, stays
suppressed (``contact_erased``).

The erasure is itself an event of the contact's chain (``Action.ERASED``), one per channel the
contact's chain speaks of, which is how ``verify`` tells erasure from tampering. Erasing an
erased contact changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from consentry.core.contacts import Contact
from consentry.core.events import ConsentEvent

#: The reason every erasure event records.
ERASURE_REASON = "gdpr_art_17"


@dataclass(frozen=True, slots=True)
class RemovedCopies:
    """How many copies of the person's data one erasure removed, per place."""

    evidence: int = 0  #: events whose evidence text and salt were removed
    files: int = 0  #: kept evidence files deleted
    outbox: int = 0  #: outbox messages to or about the contact deleted
    import_rows: int = 0  #: per-row import report lines of the contact cleared
    replays: int = 0  #: stored API responses (idempotency replays) naming the contact deleted


@dataclass(frozen=True, slots=True)
class Erasure:
    """What erasing a contact did: the contact as it is now, the erasure events, the copies.

    ``removed`` is None when the contact had been erased before: nothing was done again.
    """

    contact: Contact
    events: tuple[ConsentEvent, ...]
    removed: RemovedCopies | None

    @property
    def already_erased(self) -> bool:
        """True when an earlier erasure had done it all (this one recorded nothing)."""
        return self.removed is None
