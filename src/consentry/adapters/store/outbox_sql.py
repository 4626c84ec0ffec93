"""The statements behind the outbox: messages Consentry sends, until the sender marks them sent.

``ADD_OUTBOX`` is driver SQL (a STOP's reply is queued in the STOP's transaction); listing and
acknowledging are Core.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from consentry.adapters.store import schema as t
from consentry.adapters.store.driver import Db
from consentry.core.channels import Channel
from consentry.core.events import from_micros, to_micros
from consentry.core.messaging import OutboundMessage, OutboxItem

OUTBOX_COLUMNS = (
    "id", "group_id", "contact_id", "channel", "to", "sender", "category", "subject", "body",
    "created_at", "sent_at",
)  # fmt: skip
ADD_OUTBOX = (  # "to" is a keyword in both dialects: quoted
    "INSERT INTO outbox (" + ", ".join(f'"{c}"' for c in OUTBOX_COLUMNS) + ") "
    f"VALUES ({', '.join(':' + c for c in OUTBOX_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_O = t.outbox.c


def add_outbox(db: Db, item: OutboxItem) -> None:
    """Queue a message (an id queued before stays as it was)."""
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
    db.run(ADD_OUTBOX, values, write=True)


def list_outbox(
    db: Db, group_id: str, pending_only: bool, limit: int, after: str | None = None
) -> list[OutboxItem]:
    """The group's messages in (created, id) order, after the cursor's message."""
    query = select(t.outbox).where(_O.group_id == group_id)
    if pending_only:
        query = query.where(_O.sent_at.is_(None))
    if after is not None:  # keyset on (created_at, id): the rows after the cursor's row
        mark = select(_O.created_at).where(_O.group_id == group_id, _O.id == after)
        at = mark.scalar_subquery()
        query = query.where(or_(_O.created_at > at, and_(_O.created_at == at, _O.id > after)))
    query = query.order_by(_O.created_at, _O.id).limit(limit)
    return [_outbox_from_row(r) for r in db.conn.execute(query)]


def mark_sent(db: Db, group_id: str, outbox_id: str, sent_at: datetime) -> bool:
    """Acknowledge a message; False when it was not pending."""
    result = db.conn.execute(
        update(t.outbox)
        .where(_O.group_id == group_id, _O.id == outbox_id, _O.sent_at.is_(None))
        .values(sent_at=to_micros(sent_at))
    )
    return bool(result.rowcount)


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
