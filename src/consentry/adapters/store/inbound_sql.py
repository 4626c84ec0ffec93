"""The statements behind inbound messages, receiving numbers and keyword sets.

``claim_inbound`` is one ``INSERT … ON CONFLICT DO NOTHING`` on (provider, message id):
PostgreSQL makes a concurrent claimer of the same id wait until the first commits and then sees
its row; SQLite writers are serialised by ``BEGIN IMMEDIATE``. Whoever inserted the row owns the
message; everyone else gets the stored record back.

The statements of an inbound message's transaction (claim, number, keywords, finish; the reply
goes to ``outbox_sql``) are driver SQL: the STOP webhook's hot path. Configuring numbers and
keyword sets is Core.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
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

INBOUND_COLUMNS = (
    "provider", "message_id", "group_id", "number", "channel", "contact_id", "received_at",
    "recorded_at", "outcome", "rule", "event_ids", "reply_id",
)  # fmt: skip
CLAIM_INBOUND = (
    f"INSERT INTO inbound_messages ({', '.join(INBOUND_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in INBOUND_COLUMNS)}) "
    "ON CONFLICT DO NOTHING RETURNING provider"
)
GET_INBOUND = (
    f"SELECT {', '.join(INBOUND_COLUMNS)} FROM inbound_messages "
    "WHERE provider = :provider AND message_id = :message_id"
)
FINISHED = ("provider", "message_id", "received_at")  # the claim's key and time stay
FINISH_INBOUND = (
    "UPDATE inbound_messages SET "
    + ", ".join(f"{c} = :{c}" for c in INBOUND_COLUMNS if c not in FINISHED)
    + " WHERE provider = :provider AND message_id = :message_id"
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
    key = {"provider": record.provider, "message_id": record.message_id}
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
    )


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
