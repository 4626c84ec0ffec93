"""Exports: a group's contacts, their consents and the ledger itself, as CSV or NDJSON (068).

Three files, each one record per line, the same fields in both formats (a CSV column is an
NDJSON key, in the same order):

==========  ===================================================  ==========================
export      one record per                                       ordered by
==========  ===================================================  ==========================
contacts    contact: its details, and per enabled channel the    contact id
            answer a marketing send from the exporter's scope
            would get (``<channel>_status``, as decision 065)
consents    consents row (channel, scope, status, since) and     contact id, then channel
            suppression (no scope) the exporter may see          and scope; suppressions
                                                                 after the consents
ledger      event, with every stored field: evidence text, its   (contact_id, seq)
            salt and commitment, prev_hash and hash
==========  ===================================================  ==========================

A record is a ``dict`` of JSON values (text, whole numbers, null, a list, an object); times are
ISO 8601 in UTC with microseconds, exact, so a ledger row's chained fields can be hashed again
(``chain.link``; ``events.to_micros`` of each time). In CSV a null is an empty cell (no field
that may be null ever holds empty text), a list or object is its JSON text, and every cell goes
through ``csvsafe.neutral``. The store reads these records in batches (``ports.ExportReader``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.contacts import Contact
from consentry.core.csvsafe import csv_text
from consentry.core.eligibility import Category, Situation, decide
from consentry.core.errors import Invalid
from consentry.core.events import ConsentEvent
from consentry.core.status import Consent, Suppression

#: One field of a record; ``Record``: one line of an export.
Value = str | int | None | list[str] | dict[str, Any]
Record = dict[str, Value]


class ExportFormat(StrEnum):
    """How an export is written. Add, never rename or remove."""

    CSV = "csv"
    NDJSON = "ndjson"


def parse_format(value: str | ExportFormat) -> ExportFormat:
    """Read an export format, refusing unknown ones with ``invalid``."""
    try:
        return ExportFormat(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(f.value for f in ExportFormat)
        raise Invalid(f"unknown format {value!r}; use one of {allowed}", field="format") from None


@dataclass(frozen=True, slots=True)
class ConsentFact:
    """A consents row: the consent of a (contact, channel, scope), and when the event that set it
    was recorded (``since``)."""

    channel: Channel
    scope_id: str
    consent: Consent
    since: datetime | None


@dataclass(frozen=True, slots=True)
class SuppressionFact:
    """A suppressions row: a channel's address bounced or complained, by which event and when."""

    channel: Channel
    suppression: Suppression
    event_id: str
    since: datetime | None


@dataclass(frozen=True, slots=True)
class ContactState:
    """One contact and the projection rows of it that an export may show."""

    contact: Contact
    consents: tuple[ConsentFact, ...] = ()
    suppressions: tuple[SuppressionFact, ...] = ()

    def situation(self, channel: Channel, path: Sequence[str]) -> Situation:
        """What eligibility looks at for a send on ``channel`` from ``path[0]``."""
        suppression = next((s.suppression for s in self.suppressions if s.channel is channel), None)
        consents = {
            f.scope_id: f.consent
            for f in self.consents
            if f.channel is channel and f.scope_id in path
        }
        has_address = self.contact.address(channel) is not None
        return Situation(channel, has_address, suppression, consents)


# ── contacts ──
CONTACT_FIELDS = (
    "id", "external_id", "email", "mobile", "name", "locale", "postal_address", "push_token",
    "lists", "attributes", "created_at", "erased_at",
)  # fmt: skip


def status_column(channel: Channel) -> str:
    """The contacts export's column of a channel's answer: ``sms_status``."""
    return f"{channel.value}_status"


def contact_columns(channels: Iterable[Channel]) -> tuple[str, ...]:
    """The contacts export's columns: the details, then one status per channel."""
    return (*CONTACT_FIELDS, *(status_column(c) for c in channels))


def contact_record(
    state: ContactState,
    channels: Iterable[Channel],
    path: tuple[str, ...],
    now: datetime,
    policy: ChannelPolicy,
) -> Record:
    """One contact's line: its details, then per channel the reason a marketing send from
    ``path[0]`` would get now (``eligibility.decide``, the check's own rule)."""
    c = state.contact
    record: Record = {
        "id": c.id,
        "external_id": c.external_id,
        "email": c.email,
        "mobile": c.mobile,
        "name": c.name,
        "locale": c.locale,
        "postal_address": c.postal_address,
        "push_token": c.push_token,
        "lists": sorted(c.lists),
        "attributes": dict(c.attributes),
        "created_at": instant(c.created_at),
        "erased_at": instant(c.erased_at),
    }
    for channel in channels:
        decision = decide(state.situation(channel, path), path, Category.MARKETING, now, policy)
        record[status_column(channel)] = decision.reason.value
    return record


# ── consents ──
CONSENT_COLUMNS = (
    "contact_id", "channel", "scope_id", "status", "since", "event_id", "confirm_until",
)  # fmt: skip


def consent_records(state: ContactState, now: datetime) -> list[Record]:
    """A contact's consents rows as they stand ``now``, then its suppressions (no scope).

    A confirmation request that lapsed unanswered counts as none from its deadline on, as
    eligibility counts it (``Consent.current``); ``confirm_until`` is the deadline of a request
    still open.
    """
    rows = [_consent(state.contact.id, fact, now) for fact in state.consents]
    rows += [
        {
            "contact_id": state.contact.id,
            "channel": s.channel.value,
            "scope_id": None,
            "status": s.suppression.value,
            "since": instant(s.since),
            "event_id": s.event_id,
            "confirm_until": None,
        }
        for s in state.suppressions
    ]
    return rows


def _consent(contact_id: str, fact: ConsentFact, now: datetime) -> Record:
    consent = fact.consent
    status = consent.current(now)
    lapsed = status is not consent.status  # an unanswered request, past its deadline
    return {
        "contact_id": contact_id,
        "channel": fact.channel.value,
        "scope_id": fact.scope_id,
        "status": status.value,
        "since": instant(consent.confirm_until if lapsed else fact.since),
        "event_id": consent.event_id,
        "confirm_until": instant(consent.confirm_until)
        if consent.awaiting_confirmation(now)
        else None,
    }


# ── the ledger ──
LEDGER_COLUMNS = (
    "id", "contact_id", "group_id", "seq", "channel", "scope_id", "action", "strength",
    "actor_kind", "actor_id", "recorded_by", "source", "reason", "evidence", "evidence_salt",
    "evidence_commitment", "occurred_at", "recorded_at", "expires_at", "prev_hash", "hash",
)  # fmt: skip


def event_record(event: ConsentEvent) -> Record:
    """One event's line: every stored field, the evidence as its stored (canonical JSON) text."""
    return {
        "id": event.id,
        "contact_id": event.contact_id,
        "group_id": event.group_id,
        "seq": event.seq,
        "channel": event.channel.value,
        "scope_id": event.scope_id,
        "action": event.action.value,
        "strength": event.strength.value,
        "actor_kind": event.actor.kind.value,
        "actor_id": event.actor.id,
        "recorded_by": event.recorded_by,
        "source": event.source.value,
        "reason": event.reason,
        "evidence": event.evidence,
        "evidence_salt": event.evidence_salt,
        "evidence_commitment": event.evidence_commitment,
        "occurred_at": instant(event.occurred_at),
        "recorded_at": instant(event.recorded_at),
        "expires_at": instant(event.expires_at),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


# ── writing ──
def instant(moment: datetime | None) -> str | None:
    """A time as an export writes it: ISO 8601 (UTC, microseconds when there are any)."""
    return None if moment is None else moment.isoformat()


def header(fmt: ExportFormat, columns: Sequence[str]) -> str:
    """What a file starts with: the CSV header line (NDJSON has none)."""
    return csv_text([columns]) if fmt is ExportFormat.CSV else ""


def encode(
    fmt: ExportFormat, columns: Sequence[str], records: Iterable[Mapping[str, Value]]
) -> str:
    """Records as lines of the format, their fields in ``columns`` order."""
    if fmt is ExportFormat.CSV:
        return csv_text([[cell(r[name]) for name in columns] for r in records])
    return "".join(_JSON({n: r[n] for n in columns}) + "\n" for r in records)


_JSON = json.JSONEncoder(separators=(",", ":")).encode  # ASCII: a line never holds a U+2028
_CELL_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def cell(value: Value) -> str:
    """A field as CSV text: empty for null, JSON for a list or an object."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return _CELL_JSON(value)
