"""The audience read: who of a segment may be sent to, and why, in one statement.

The audience query computes, per contact, the same answer as ``eligibility.decide`` in one
SQL statement: the contact row, its suppression and its consent rows on the scope path are
joined by primary key (one LEFT JOIN per level of the path), and a CASE picks the reason.

An audience is read as verification's chain is (``reads.driver_stream``): the Core ``select``
is compiled once and run on the driver's cursor, its rows fetched ``batch_size`` at a time (a
server-side cursor on PostgreSQL, so memory stays flat at any size) and each made an
``AudienceRow`` (a named tuple) — no SQLAlchemy result processing per row, no keyset pages
(each of which PostgreSQL planned and started again: the per-level index scans restarted
from the first contact on every page). One statement is one consistent snapshot; the
caller's snapshot transaction (``SqlStore.audience``) holds the server-side cursor. Named
contacts are read ``ID_CHUNK`` ids per statement, in id order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, and_, bindparam, case, exists, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from consentry.adapters.store import schema as t
from consentry.adapters.store.reads import ID_CHUNK, driver_stream
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
        stmt = stmt.where(c.attributes[_json_key(key)].as_string() == value)
    return stmt


def _json_key(key: str) -> Any:
    """An attribute's name as a JSON key rendered into the statement's text (quoted for the
    dialect), since ``driver_stream`` passes the parameters as they are: a bound key would
    reach SQLite unformatted (its JSON path is ``$."name"``)."""
    return bindparam(None, key, type_=JSON.JSONStrIndexType, literal_execute=True)


def stream_audience(
    conn: Connection, query: AudienceQuery, batch_size: int
) -> Iterator[AudienceRow]:
    """Every contact of the segment with its reason, in id order, ``batch_size`` rows a fetch
    (a driver error raised as SQLAlchemy's, ``reads.driver_stream``)."""
    stmt = audience_select(query)
    new, reasons = tuple.__new__, _REASONS  # ``AudienceRow._make`` without its length check
    for each in _statements(stmt, query.segment.contact_ids):
        for contact_id, reason, address in driver_stream(conn, each, batch_size):
            yield new(AudienceRow, (contact_id, reasons[reason], address))


def _statements(stmt: Any, ids: Sequence[str] | None) -> Iterator[Any]:
    """The one statement of a segment, or one per ``ID_CHUNK`` of its named contacts."""
    if ids is None:
        yield stmt
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), ID_CHUNK):
        yield stmt.where(t.contacts.c.id.in_(ordered[start : start + ID_CHUNK]))


_REASONS = {reason.value: reason for reason in Reason}
