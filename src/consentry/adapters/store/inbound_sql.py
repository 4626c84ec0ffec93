"""The statements behind inbound messages, receiving numbers, keyword sets and the outbox.

A mixin of ``SqlTx``. ``claim_inbound`` is one ``INSERT … ON CONFLICT DO NOTHING`` on
(provider, message id): PostgreSQL makes a concurrent claimer of the same id wait until the
first commits and then sees its row; SQLite writers are serialised by ``BEGIN IMMEDIATE``.
Whoever inserted the row owns the message; everyone else gets the stored record back.

The statements of an inbound message's transaction (claim, number, keywords, outbox, finish)
are SQL constants run on the driver cursor (``store/driver.py``): the STOP webhook's hot path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import DriverSql
from consentry.core.channels import Channel
from consentry.core.events import from_micros, to_micros
from consentry.core.keywords import KeywordKind
from consentry.core.messaging import (
    InboundOutcome,
    InboundRecord,
    KeywordChange,
    KeywordOp,
    NumberConfig,
    OutboundMessage,
    OutboxItem,
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
FINISHED = ("provider", "message_id", "received_at")  # the claim's key and time stay
FINISH_INBOUND = (
    "UPDATE inbound_messages SET "
    + ", ".join(f"{c} = :{c}" for c in INBOUND_COLUMNS if c not in FINISHED)
    + " WHERE provider = :provider AND message_id = :message_id"
)
NUMBER_COLUMNS = (
    "number, group_id, scope_id, channels, keyword_set, languages, free_text, help_text, "
    "opt_out_text, opt_in_text, unsubscribe_digit"
)  # table order, as ``_number_from_row`` reads them
GET_NUMBER = f"SELECT {NUMBER_COLUMNS} FROM numbers WHERE number = :number"
KEYWORD_CHANGES = (
    "SELECT name, kind, language, word, op FROM keyword_sets "
    "WHERE group_id = :gid AND name = :name ORDER BY kind, language, word"
)
OUTBOX_COLUMNS = (
    "id", "group_id", "contact_id", "channel", "to", "sender", "category", "subject", "body",
    "created_at", "sent_at",
)  # fmt: skip
ADD_OUTBOX = (  # "to" is a keyword in both dialects: quoted
    "INSERT INTO outbox (" + ", ".join(f'"{c}"' for c in OUTBOX_COLUMNS) + ") "
    f"VALUES ({', '.join(':' + c for c in OUTBOX_COLUMNS)}) ON CONFLICT DO NOTHING"
)


def _join(values: tuple[str, ...]) -> str:
    return ",".join(values)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(v for v in (text or "").split(",") if v)


class InboundSql(DriverSql):
    """Inbound message records, number configuration, keyword changes and the outbox."""

    conn: Connection

    def _insert_ignore(self, table: Any, values: dict[str, Any]) -> bool:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).values(**values).on_conflict_do_nothing()
        first_key = next(iter(table.primary_key.columns))
        return self.conn.execute(stmt.returning(first_key)).first() is not None

    # ── inbound messages ────────────────────────────────────────────────────
    def claim_inbound(self, record: InboundRecord) -> InboundRecord | None:
        """Record a new message; the stored record instead when the id was seen before."""
        claimed = self._run(CLAIM_INBOUND, _inbound_values(record), write=True).fetchone()
        if claimed is not None:
            return None
        i = t.inbound_messages.c
        query = select(t.inbound_messages).where(
            i.provider == record.provider, i.message_id == record.message_id
        )
        return _inbound_from_row(self.conn.execute(query).one())

    def finish_inbound(self, record: InboundRecord) -> None:
        """Store what the message did (outcome, contact, events, reply)."""
        values = _inbound_values(record)
        del values["received_at"]
        self._run(FINISH_INBOUND, values, write=True)

    # ── numbers ─────────────────────────────────────────────────────────────
    def get_number(self, number: str) -> NumberConfig | None:
        row = self._one(GET_NUMBER, {"number": number})
        return _number_from_row(row) if row is not None else None

    def put_number(self, config: NumberConfig, updated_at: Any) -> None:
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
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(t.numbers).values(**values)
        changes = {k: v for k, v in values.items() if k != "number"}
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["number"], set_=changes))

    def list_numbers(self, group_id: str) -> list[NumberConfig]:
        n = t.numbers.c
        query = select(t.numbers).where(n.group_id == group_id).order_by(n.number)
        return [_number_from_row(r) for r in self.conn.execute(query)]

    # ── keyword sets ────────────────────────────────────────────────────────
    def keyword_changes(self, group_id: str, name: str) -> list[KeywordChange]:
        rows = self._all(KEYWORD_CHANGES, {"gid": group_id, "name": name})
        return [
            KeywordChange(name, KeywordKind(kind), language, word, KeywordOp(op))
            for name, kind, language, word, op in rows
        ]

    def put_keyword_change(self, group_id: str, change: KeywordChange, at: Any) -> None:
        values = {
            "group_id": group_id,
            "name": change.name,
            "kind": change.kind.value,
            "language": change.language,
            "word": change.word,
            "op": change.op.value,
            "updated_at": to_micros(at),
        }
        keys = ["group_id", "name", "kind", "language", "word"]
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(t.keyword_sets).values(**values)
        changes = {"op": change.op.value, "updated_at": values["updated_at"]}
        self.conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))

    # ── outbox ──────────────────────────────────────────────────────────────
    def add_outbox(self, item: OutboxItem) -> None:
        m = item.message
        values = {
            "id": item.id,
            "group_id": m.group_id,
            "contact_id": m.contact_id or None,
            "channel": m.channel.value,
            "to": m.to,
            "sender": m.sender,
            "category": m.category,
            "subject": m.subject,
            "body": m.body,
            "created_at": to_micros(item.created_at),
            "sent_at": to_micros(item.sent_at),
        }
        self._run(ADD_OUTBOX, values, write=True)

    def list_outbox(
        self, group_id: str, pending_only: bool, limit: int, after: str | None = None
    ) -> list[OutboxItem]:
        o = t.outbox.c
        query = select(t.outbox).where(o.group_id == group_id)
        if pending_only:
            query = query.where(o.sent_at.is_(None))
        if after is not None:  # keyset on (created_at, id): the rows after the cursor's row
            mark = select(o.created_at).where(o.group_id == group_id, o.id == after)
            at = mark.scalar_subquery()
            query = query.where(or_(o.created_at > at, and_(o.created_at == at, o.id > after)))
        query = query.order_by(o.created_at, o.id).limit(limit)
        return [_outbox_from_row(r) for r in self.conn.execute(query)]

    def mark_sent(self, group_id: str, outbox_id: str, sent_at: Any) -> bool:
        o = t.outbox.c
        result = self.conn.execute(
            update(t.outbox)
            .where(o.group_id == group_id, o.id == outbox_id, o.sent_at.is_(None))
            .values(sent_at=to_micros(sent_at))
        )
        return bool(result.rowcount)


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


def _inbound_from_row(row: Any) -> InboundRecord:
    return InboundRecord(
        provider=row.provider,
        message_id=row.message_id,
        group_id=row.group_id,
        number=row.number,
        channel=Channel(row.channel),
        received_at=from_micros(row.received_at),  # type: ignore[arg-type]
        recorded_at=from_micros(row.recorded_at),  # type: ignore[arg-type]
        outcome=InboundOutcome(row.outcome),
        contact_id=row.contact_id,
        rule=row.rule,
        event_ids=_split(row.event_ids),
        reply_id=row.reply_id,
    )


def _number_from_row(row: Any) -> NumberConfig:
    """A number from a row of the numbers table's columns in table order (Core or driver)."""
    return NumberConfig(
        number=row[0],
        group_id=row[1],
        scope_id=row[2],
        channels=tuple(Channel(c) for c in _split(row[3])),
        keyword_set=row[4],
        languages=_split(row[5]),
        free_text=bool(row[6]),
        help_text=row[7],
        opt_out_text=row[8],
        opt_in_text=row[9],
        unsubscribe_digit=row[10],
    )


def _outbox_from_row(row: Any) -> OutboxItem:
    message = OutboundMessage(
        group_id=row.group_id,
        contact_id=row.contact_id or "",
        channel=Channel(row.channel),
        to=row.to,
        body=row.body,
        category=row.category,
        subject=row.subject,
        sender=row.sender,
    )
    return OutboxItem(
        row.id,
        message,
        from_micros(row.created_at),  # type: ignore[arg-type]
        from_micros(row.sent_at),
    )
