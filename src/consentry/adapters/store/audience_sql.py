"""The audience read: who of a segment may be sent to, and why, in one statement per batch.

The audience query computes, per contact, the same answer as ``eligibility.decide`` in one
SQL statement per batch: the contact row, its suppression and its consent rows on the scope
path are joined by primary key (one LEFT JOIN per level of the path), and a CASE picks the
reason. Batches are keyset-paginated on the contact id (never OFFSET), inside one read
transaction so the counts are of one consistent snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, and_, case, exists, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from consentry.adapters.store import schema as t
from consentry.adapters.store.reads import ID_CHUNK
from consentry.core.audience import AudienceQuery, AudienceRow
from consentry.core.eligibility import Reason
from consentry.core.events import to_micros
from consentry.core.status import Status


def _reason_case(query: AudienceQuery, levels: list[Any], address: Any) -> ColumnElement[str]:
    now = to_micros(query.now)
    s = t.suppressions.c

    def any_status(status: Status) -> ColumnElement[bool]:
        return or_(*[lv.c.status == status.value for lv in levels])

    whens: list[tuple[ColumnElement[bool], Any]] = [
        (
            or_(address.is_(None), address == "", t.contacts.c.erased_at.isnot(None)),
            literal(Reason.NO_ADDRESS.value),
        ),
        (s.suppression.isnot(None), s.suppression),
    ]
    if query.transactional_bypass:
        return case(*whens, else_=literal(Reason.TRANSACTIONAL.value))
    if query.confirmation_only:
        awaiting = or_(*[lv.c.confirm_until > now for lv in levels])
        whens.append((awaiting, literal(Reason.OPT_IN_CONFIRMATION.value)))
        return case(*whens, else_=literal(Reason.NO_CONFIRMATION_REQUEST.value))
    pending = or_(*[and_(lv.c.status == "pending", lv.c.confirm_until > now) for lv in levels])
    whens += [
        (any_status(Status.HARD_OPT_OUT), literal(Reason.HARD_OPT_OUT.value)),
        (any_status(Status.SOFT_OPT_OUT), literal(Reason.SOFT_OPT_OUT.value)),
        (any_status(Status.OPTED_IN), literal(Reason.OPTED_IN.value)),
        (pending, literal(Reason.PENDING.value)),
    ]
    return case(*whens, else_=literal(Reason.NO_CONSENT.value))


def audience_select(query: AudienceQuery) -> Any:
    """The SELECT of (contact id, reason, address) for a segment, before paging."""
    c, s = t.contacts.c, t.suppressions.c
    channel = query.channel.value
    address = getattr(c, query.channel.address_field)
    levels = [t.consents.alias(f"cs{n}") for n in range(len(query.path))]
    joined: Any = t.contacts.outerjoin(
        t.suppressions, and_(s.contact_id == c.id, s.channel == channel)
    )
    for level, scope_id in zip(levels, query.path, strict=True):
        on = and_(
            level.c.contact_id == c.id, level.c.channel == channel, level.c.scope_id == scope_id
        )
        joined = joined.outerjoin(level, on)
    reason = _reason_case(query, levels, address).label("reason")
    stmt = select(c.id, reason, address.label("address")).select_from(joined)
    stmt = stmt.where(c.group_id == query.group_id).order_by(c.id)
    segment = query.segment
    if segment.list_name is not None:
        cl = t.contact_lists.c
        stmt = stmt.where(exists().where(cl.contact_id == c.id, cl.list_name == segment.list_name))
    for key, value in segment.pairs:  # every pair must hold (AND)
        stmt = stmt.where(c.attributes[key].as_string() == value)
    return stmt


def stream_audience(
    conn: Connection, query: AudienceQuery, batch_size: int
) -> Iterator[AudienceRow]:
    """Every contact of the segment with its reason, in id order, batch by batch."""
    stmt = audience_select(query)
    ids = query.segment.contact_ids
    if ids is not None:
        ordered = sorted(set(ids))
        for start in range(0, len(ordered), ID_CHUNK):
            chunk = ordered[start : start + ID_CHUNK]
            yield from _rows(conn, stmt.where(t.contacts.c.id.in_(chunk)))
        return
    after: str | None = None
    while True:
        page = stmt.limit(batch_size)
        if after is not None:
            page = page.where(t.contacts.c.id > after)
        rows = list(_rows(conn, page))
        yield from rows
        if len(rows) < batch_size:
            return
        after = rows[-1].contact_id


_REASONS = {reason.value: reason for reason in Reason}


def _rows(conn: Connection, stmt: Any) -> Iterator[AudienceRow]:
    reasons = _REASONS
    for contact_id, reason, address in conn.execute(stmt):
        yield AudienceRow(contact_id, reasons[reason], address)
