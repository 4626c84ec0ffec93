"""Imports: rows of a CSV or NDJSON file, what each column means, and what became of each row.

A customer moving from another platform arrives with a file of contacts and their consent
(SPEC §7). A **column mapping** says what each column (a CSV header, an NDJSON key) holds::

    {"Email": "email", "Phone": "mobile", "CRM id": "external_id", "Name": "name",
     "SMS": "consent:sms", "SMS since": "consent_at:sms", "Plan": "attribute:plan",
     "Signed": "evidence:reference", "Lists": "lists"}

A ``consent:<channel>`` cell says what the contact wants on that channel (``opted_in`` /
``subscribed`` / ``yes``, or ``opted_out`` / ``unsubscribed`` / ``no``; empty: nothing), and
``consent_at:<channel>`` when that happened (an ISO time with its offset, or a date: a historic
event keeps its original time as ``occurred_at``). ``evidence:<key>`` cells are merged over
the whole file's evidence document, so an opt-in carries a complete record of written
permission (``core/evidence.py``). ``lists`` holds list names separated by ``;``.

Each row becomes one ``ImportRow``; the use case (``ledger/imports.py``) decides what it does
to the ledger, and reports one ``RowOutcome`` per row. A row is all or nothing: if one of its
changes is refused, none of it is written (docs/decisions/070).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from consentry.core import limits
from consentry.core.channels import Channel, parse_channel
from consentry.core.contacts import ContactDetails
from consentry.core.errors import Invalid, InvalidMapping
from consentry.core.events import Action

MAX_COLUMNS = 200  #: columns one mapping names
MAX_BATCH = 10_000  #: rows one transaction commits at most
LIST_SEPARATOR = ";"


class Target(StrEnum):
    """What a column holds. Add, never rename or remove."""

    EMAIL = "email"
    MOBILE = "mobile"
    EXTERNAL_ID = "external_id"
    NAME = "name"
    LOCALE = "locale"
    POSTAL_ADDRESS = "postal_address"
    LISTS = "lists"
    ATTRIBUTE = "attribute"  #: ``attribute:<name>``
    CONSENT = "consent"  #: ``consent:<channel>``
    CONSENT_AT = "consent_at"  #: ``consent_at:<channel>``
    EVIDENCE = "evidence"  #: ``evidence:<key>``
    IGNORE = "ignore"


#: Targets that name something after a colon.
_KEYED = frozenset({Target.ATTRIBUTE, Target.CONSENT, Target.CONSENT_AT, Target.EVIDENCE})
_DETAILS = (
    Target.EMAIL, Target.MOBILE, Target.EXTERNAL_ID, Target.NAME, Target.LOCALE,
    Target.POSTAL_ADDRESS,
)  # fmt: skip

#: What a consent cell may say, and the command it asks for.
CONSENT_WORDS: dict[str, Action] = {
    "opted_in": Action.OPTED_IN,
    "subscribed": Action.OPTED_IN,
    "yes": Action.OPTED_IN,
    "opted_out": Action.OPTED_OUT,
    "unsubscribed": Action.OPTED_OUT,
    "no": Action.OPTED_OUT,
}


@dataclass(frozen=True, slots=True)
class Column:
    """What one column holds: a target, and for a keyed target its key."""

    target: Target
    key: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Column name → what it holds. ``parse_mapping`` builds one from text."""

    columns: Mapping[str, Column]

    def spec(self) -> dict[str, str]:
        """The mapping as text again (what is saved and shown)."""
        return {
            name: f"{c.target.value}:{c.key}" if c.key is not None else c.target.value
            for name, c in self.columns.items()
        }


def parse_mapping(spec: Mapping[str, str]) -> ColumnMapping:
    """A mapping from ``{"column": "target[:key]"}``; ``invalid_mapping`` names a bad entry."""
    if not isinstance(spec, Mapping) or not spec:
        raise InvalidMapping("a column mapping names at least one column", field="mapping")
    limits.items(list(spec), field="mapping", max_items=MAX_COLUMNS)
    columns: dict[str, Column] = {}
    for name, value in spec.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidMapping("a column mapping maps column names to text", field="mapping")
        limits.text(name, field="mapping", max_length=limits.NAME)
        columns[name] = _column(name, limits.text(value, field=name, max_length=limits.NAME))
    _check_targets(columns)
    return ColumnMapping(columns)


def _column(name: str, value: str) -> Column:
    head, _, key = value.strip().partition(":")
    try:
        target = Target(head.strip())
    except ValueError:
        known = ", ".join(t.value for t in Target)
        raise InvalidMapping(
            f"column {name!r}: {head!r} is not one of {known}", field=name
        ) from None
    if (target in _KEYED) != bool(key.strip()):
        form = f"{target.value}:<name>" if target in _KEYED else target.value
        raise InvalidMapping(f"column {name!r}: write it as {form}", field=name)
    if target in (Target.CONSENT, Target.CONSENT_AT):
        return Column(target, parse_channel(key.strip()).value)
    return Column(target, key.strip() or None)


def _check_targets(columns: Mapping[str, Column]) -> None:
    seen: dict[tuple[Target, str | None], str] = {}
    for name, column in columns.items():
        if column.target is Target.IGNORE:
            continue
        where = (column.target, column.key)
        if where in seen:
            raise InvalidMapping(
                f"columns {seen[where]!r} and {name!r} hold the same thing", field=name
            )
        seen[where] = name
    identifying = {Target.EMAIL, Target.MOBILE, Target.EXTERNAL_ID}
    if not identifying & {c.target for c in columns.values()}:
        raise InvalidMapping(
            "a mapping names an email, mobile or external_id column to find each contact by",
            field="mapping",
        )
    consents = {c.key for c in columns.values() if c.target is Target.CONSENT}
    for name, column in columns.items():
        if column.target is Target.CONSENT_AT and column.key not in consents:
            raise InvalidMapping(
                f"column {name!r}: no consent:{column.key} column to date", field=name
            )


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a row asks for on one channel."""

    channel: Channel
    action: Action
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row, read: the contact's details, what it asks for, and its evidence parts."""

    line: int
    details: ContactDetails
    wanted: tuple[Wanted, ...] = ()
    evidence: Mapping[str, str] = field(default_factory=dict)


def read_row(line: int, cells: Mapping[str, Any], mapping: ColumnMapping) -> ImportRow:
    """A row as the mapping reads it; ``Invalid`` (with its code) names the bad cell."""
    details: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    consents: dict[str, Action] = {}
    dates: dict[str, datetime] = {}
    evidence: dict[str, str] = {}
    for name, column in mapping.columns.items():
        cell = _cell(cells.get(name), name)
        if cell is None or column.target is Target.IGNORE:
            continue
        target, key = column.target, column.key or ""
        if target in _DETAILS:
            details[target.value] = cell
        elif target is Target.LISTS:
            details["lists"] = [n for n in (p.strip() for p in cell.split(LIST_SEPARATOR)) if n]
        elif target is Target.ATTRIBUTE:
            attributes[key] = cell
        elif target is Target.CONSENT:
            consents[key] = _consent(cell, name)
        elif target is Target.CONSENT_AT:
            dates[key] = _moment(cell, name)
        else:
            evidence[key] = cell
    if attributes:
        details["attributes"] = attributes
    wanted = tuple(
        Wanted(Channel(channel), action, dates.get(channel))
        for channel, action in sorted(consents.items())
    )
    return ImportRow(line, ContactDetails(**details), wanted, evidence)


def _cell(value: Any, name: str) -> str | None:
    """A cell as text (None when empty); NDJSON numbers and booleans read as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        value = json.dumps(value)  # the readers refuse NaN and infinities (not JSON)
    if not isinstance(value, str):
        raise Invalid(f"column {name!r} holds a {type(value).__name__}, not text", field=name)
    text = value.strip()
    if not text:
        return None
    return limits.text(text, field=name, max_length=limits.POSTAL_ADDRESS, multiline=True)


def _consent(cell: str, name: str) -> Action:
    action = CONSENT_WORDS.get(cell.lower().replace(" ", "_").replace("-", "_"))
    if action is None:
        words = ", ".join(CONSENT_WORDS)
        raise Invalid(f"column {name!r}: {cell!r} is not one of {words}", field=name)
    return action


def _moment(cell: str, name: str) -> datetime:
    """An ISO time with its offset, or a date (midnight UTC), in the range the ledger keeps."""
    try:
        if len(cell) == 10:
            moment = datetime.combine(date.fromisoformat(cell), datetime.min.time(), UTC)
        else:
            moment = datetime.fromisoformat(cell.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"column {name!r}: {cell!r} is not an ISO 8601 time", field=name) from None
    if moment.utcoffset() is None:
        raise Invalid(f"column {name!r}: {cell!r} has no UTC offset", field=name)
    return limits.instant(moment, field=name)


class Outcome(StrEnum):
    """What became of one row. Add, never rename or remove."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """One row's result: the contact, what it recorded (``opted_in:sms`` …), or why not."""

    line: int
    outcome: Outcome
    contact_id: str | None = None
    changes: tuple[str, ...] = ()
    code: str | None = None
    message: str | None = None


@dataclass(slots=True)
class ImportReport:
    """The whole file's result, counted; the rows themselves go to the caller's sink."""

    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    opted_in: int = 0
    opted_out: int = 0
    events: int = 0
    batches: int = 0
    refusals: dict[str, int] = field(default_factory=dict)

    def add(self, outcomes: Sequence[RowOutcome]) -> None:
        """Count a batch's outcomes."""
        for row in outcomes:
            self.rows += 1
            setattr(self, row.outcome.value, getattr(self, row.outcome.value) + 1)
            if row.code is not None:
                self.refusals[row.code] = self.refusals.get(row.code, 0) + 1
            for change in row.changes:
                if change.startswith("opted_in:"):
                    self.opted_in += 1
                elif change.startswith("opted_out:"):
                    self.opted_out += 1
