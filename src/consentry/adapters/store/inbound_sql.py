"""The statements behind inbound messages, receiving numbers and keyword sets.

``claim_inbound`` is one ``INSERT … ON CONFLICT DO NOTHING`` on (receiving number, provider,
message id, sender): the dedupe key is scoped to the number (so to its group), and a provider's
retry repeats all four, so a message id another gateway, number or sender already used is a new
message (decision 023). PostgreSQL makes a concurrent claimer of the same key wait until the
first commits and then sees its row; SQLite writers are serialised by ``BEGIN IMMEDIATE``.
Whoever inserted the row owns the message; everyone else gets the stored record back. A row kept
from before migration 0006 has no sender (``""``) and still answers a retry to its number: the
claim inserts nothing while one exists (``NOT EXISTS``, one index probe; no new such row is
ever written).

The statements of an inbound message's transaction (configuration version, claim, number,
keywords, the channel's consents, finish; the reply goes to ``outbox_sql``) are driver SQL: the
STOP webhook's hot path. Configuring numbers and keyword sets is Core, and every such change
also writes a new ``inbound_config`` version token to ``meta`` in the same transaction, so a
process that keeps numbers and keyword sets in memory (``ledger/numbers.py``) sees any
process's change at its next message (decision 084).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.adapters.store.rows import consent_from_values
from consentry.core.channels import Channel
from consentry.core.events import from_micros, to_micros
from consentry.core.keywords import KeywordKind
from consentry.core.messaging import (
    InboundOutcome,
    InboundRecord,
    KeywordChange,
    KeywordOp,
    NumberConfig,
)
from consentry.core.status import Consent

CONFIG_VERSION_KEY = "inbound_config"  # the meta row every number or keyword change rewrites
CONFIG_VERSION = "SELECT value FROM meta WHERE key = 'inbound_config'"
CHANNEL_CONSENTS = (  # every scope of one contact and channel (a STOP's state and requests)
    "SELECT scope_id, status, event_id, confirm_until FROM consents "
    "WHERE contact_id = :cid AND channel = :ch"
)

INBOUND_COLUMNS = (
    "number", "provider", "message_id", "sender", "group_id", "channel", "contact_id",
    "received_at", "recorded_at", "outcome", "rule", "event_ids", "reply_id",
)  # fmt: skip
INBOUND_KEY = ("number", "provider", "message_id", "sender")  # the primary key (migration 0006)
_THE_MESSAGE = "number = :number AND provider = :provider AND message_id = :message_id"
# The CASTs give PostgreSQL one type for a parameter used twice (the SELECT list's is the
# column's); the sender-less row of before 0006 answers a retry to its number (see above).
CLAIM_INBOUND = (
    f"INSERT INTO inbound_messages ({', '.join(INBOUND_COLUMNS)}) "
    f"SELECT {', '.join(':' + c for c in INBOUND_COLUMNS)} "
    "WHERE NOT EXISTS (SELECT 1 FROM inbound_messages WHERE number = CAST(:number AS VARCHAR) "
    "AND provider = CAST(:provider AS VARCHAR) AND message_id = CAST(:message_id AS VARCHAR) "
    "AND sender = '') ON CONFLICT DO NOTHING RETURNING provider"
)
GET_INBOUND = (  # the claimed row: this sender's, or the sender-less one of before 0006
    f"SELECT {', '.join(INBOUND_COLUMNS)} FROM inbound_messages "
    f"WHERE {_THE_MESSAGE} AND sender IN (:sender, '') ORDER BY sender DESC"
)
FINISHED = (*INBOUND_KEY, "received_at")  # the claim's key and time stay
FINISH_INBOUND = (
    "UPDATE inbound_messages SET "
    + ", ".join(f"{c} = :{c}" for c in INBOUND_COLUMNS if c not in FINISHED)
    + f" WHERE {_THE_MESSAGE} AND sender = :sender"
)
NUMBER_COLUMNS = (
    "number", "group_id", "scope_id", "channels", "keyword_set", "languages", "free_text",
    "help_text", "opt_out_text", "opt_in_text", "unsubscribe_digit",
)  # fmt: skip
GET_NUMBER = f"SELECT {', '.join(NUMBER_COLUMNS)} FROM numbers WHERE number = :number"
KEYWORD_CHANGES = (
    "SELECT name, kind, language, word, op FROM keyword_sets "
    "WHERE group_id = :gid AND name = :name ORDER BY kind, language, word"
)


def _join(values: tuple[str, ...]) -> str:
    return ",".join(values)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(",") if v)


# ── inbound messages ────────────────────────────────────────────────────────
def claim_inbound(db: Db, record: InboundRecord) -> InboundRecord | None:
    """Record a new message (None); the stored record instead when the id was seen before."""
    if db.one(CLAIM_INBOUND, _inbound_values(record), write=True) is not None:
        return None
    key = {c: getattr(record, c) for c in INBOUND_KEY}
    stored = db.one(GET_INBOUND, key)
    assert stored is not None  # the conflicting row: it is never deleted
    return _inbound_from_row(dict(zip(INBOUND_COLUMNS, stored, strict=True)))


def finish_inbound(db: Db, record: InboundRecord) -> None:
    """Store what the message did (outcome, contact, events, reply)."""
    values = _inbound_values(record)
    del values["received_at"]
    db.run(FINISH_INBOUND, values, write=True)


def _inbound_values(record: InboundRecord) -> dict[str, Any]:
    return {
        "provider": record.provider,
        "message_id": record.message_id,
        "sender": record.sender,
        "group_id": record.group_id,
        "number": record.number,
        "channel": record.channel.value,
        "contact_id": record.contact_id,
        "received_at": to_micros(record.received_at),
        "recorded_at": to_micros(record.recorded_at),
        "outcome": record.outcome.value,
        "rule": record.rule,
        "event_ids": _join(record.event_ids) or None,
        "reply_id": record.reply_id,
    }


def _inbound_from_row(row: Mapping[str, Any]) -> InboundRecord:
    return InboundRecord(
        provider=row["provider"],
        message_id=row["message_id"],
        group_id=row["group_id"],
        number=row["number"],
        channel=Channel(row["channel"]),
        received_at=from_micros(row["received_at"]),  # type: ignore[arg-type]
        recorded_at=from_micros(row["recorded_at"]),  # type: ignore[arg-type]
        outcome=InboundOutcome(row["outcome"]),
        contact_id=row["contact_id"],
        rule=row["rule"],
        event_ids=_split(row["event_ids"]),
        reply_id=row["reply_id"],
        sender=row["sender"],
    )


def config_version(db: Db) -> str | None:
    """The token of the current numbers-and-keyword-sets configuration (None: never changed)."""
    value: str | None = db.scalar(CONFIG_VERSION, {})
    return value


def _new_config_version(db: Db) -> None:
    """Mark the inbound configuration changed (in the changing transaction)."""
    values = {"key": CONFIG_VERSION_KEY, "value": uuid4().hex}
    db.conn.execute(db.dialect.upsert(t.meta, values, ("key",)))


def channel_consents(db: Db, contact_id: str, channel: Channel) -> dict[str, Consent]:
    """The consents of one contact and channel at every scope, by scope."""
    rows = db.all(CHANNEL_CONSENTS, {"cid": contact_id, "ch": channel.value})
    return {
        scope_id: consent_from_values(status, event_id, confirm_until)
        for scope_id, status, event_id, confirm_until in rows
    }


# ── numbers ─────────────────────────────────────────────────────────────────
def get_number(db: Db, number: str) -> NumberConfig | None:
    """A receiving number's configuration, or None."""
    row = db.one(GET_NUMBER, {"number": number})
    return None if row is None else _number_from_row(dict(zip(NUMBER_COLUMNS, row, strict=True)))


def put_number(db: Db, config: NumberConfig, updated_at: datetime) -> None:
    """Configure a receiving number (replacing its configuration)."""
    values = {
        "number": config.number,
        "group_id": config.group_id,
        "scope_id": config.scope_id,
        "channels": _join(tuple(c.value for c in config.channels)),
        "keyword_set": config.keyword_set,
        "languages": _join(config.languages),
        "free_text": config.free_text,
        "help_text": config.help_text,
        "opt_out_text": config.opt_out_text,
        "opt_in_text": config.opt_in_text,
        "unsubscribe_digit": config.unsubscribe_digit,
        "updated_at": to_micros(updated_at),
    }
    db.conn.execute(db.dialect.upsert(t.numbers, values, ("number",)))
    _new_config_version(db)


def list_numbers(db: Db, group_id: str) -> list[NumberConfig]:
    """The group's numbers in order."""
    n = t.numbers.c
    query = select(t.numbers).where(n.group_id == group_id).order_by(n.number)
    return [_number_from_row(r._mapping) for r in db.conn.execute(query)]


def _number_from_row(row: Mapping[Any, Any]) -> NumberConfig:
    return NumberConfig(
        number=row["number"],
        group_id=row["group_id"],
        scope_id=row["scope_id"],
        channels=tuple(Channel(c) for c in _split(row["channels"])),
        keyword_set=row["keyword_set"],
        languages=_split(row["languages"]),
        free_text=bool(row["free_text"]),
        help_text=row["help_text"],
        opt_out_text=row["opt_out_text"],
        opt_in_text=row["opt_in_text"],
        unsubscribe_digit=row["unsubscribe_digit"],
    )


# ── keyword sets ────────────────────────────────────────────────────────────
def keyword_changes(db: Db, group_id: str, name: str) -> list[KeywordChange]:
    """The words added to and removed from a named keyword set."""
    rows = db.all(KEYWORD_CHANGES, {"gid": group_id, "name": name})
    return [
        KeywordChange(set_name, KeywordKind(kind), language, word, KeywordOp(op))
        for set_name, kind, language, word, op in rows
    ]


def put_keyword_change(db: Db, group_id: str, change: KeywordChange, at: datetime) -> None:
    """Add or remove a word (the latest change of a word wins)."""
    values = {
        "group_id": group_id,
        "name": change.name,
        "kind": change.kind.value,
        "language": change.language,
        "word": change.word,
        "op": change.op.value,
        "updated_at": to_micros(at),
    }
    keys = ("group_id", "name", "kind", "language", "word")
    changes = {"op": values["op"], "updated_at": values["updated_at"]}
    db.conn.execute(db.dialect.upsert(t.keyword_sets, values, keys, changes))
    _new_config_version(db)
