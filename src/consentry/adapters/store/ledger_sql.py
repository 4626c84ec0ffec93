"""The statements behind the ledger: chain heads, events and the projections they update.

The write hot path (lock the chain head, read the consents on the path, append the event, move
the head, update the projection and add to the day's trend counts) is driver SQL; on PostgreSQL
the append's three or four writes go as one statement (``Dialect.writes``). Reading a
contact's whole history is Core, and so are the projection streams verification reads beside
the events (``stream_consents`` and the rest, in contact order, one group or all; decision 059).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, select

from consentry.adapters.store import schema as t
from consentry.adapters.store import webhooks_sql
from consentry.adapters.store.dialect import Write, of
from consentry.adapters.store.driver import Db, on_path, path_params
from consentry.adapters.store.reads import driver_stream, within
from consentry.adapters.store.rows import consent_from_values, event_from_row, event_values
from consentry.core.chain import Between, ChainHead
from consentry.core.channels import Channel
from consentry.core.errors import ContactNotFound
from consentry.core.events import ConsentEvent, to_micros
from consentry.core.projection import ConsentRow, SuppressionRow
from consentry.core.status import Consent, ConsentUpdate, ProjectionUpdate, Suppression
from consentry.core.trends import TrendDelta, day_number

# the chain head, locked until the end of the transaction (``FOR UPDATE`` is cut on SQLite,
# whose write transaction's ``BEGIN IMMEDIATE`` already excludes other writers; see dialect.py)
LOCK_CHAIN = "SELECT seq, hash FROM chain_heads WHERE contact_id = :cid FOR UPDATE"
CONSENTS = (  # one contact and channel at the scopes of a path (``on_path``)
    "SELECT scope_id, status, event_id, confirm_until FROM consents "
    "WHERE contact_id = :cid AND channel = :ch AND scope_id IN ({scopes})"
)
GET_SUPPRESSION = "SELECT suppression FROM suppressions WHERE contact_id = :cid AND channel = :ch"
EVENT_COLUMNS = (
    "id", "contact_id", "group_id", "seq", "channel", "scope_id", "action", "strength",
    "actor_kind", "actor_id", "recorded_by", "source", "reason", "evidence", "evidence_salt",
    "evidence_commitment", "occurred_at", "recorded_at", "expires_at", "prev_hash", "hash",
)  # fmt: skip
INSERT_EVENT = (
    f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in EVENT_COLUMNS)})"
)
MOVE_HEAD = "UPDATE chain_heads SET seq = :seq, hash = :hash WHERE contact_id = :contact_id"
UPSERT_CONSENT = (
    "INSERT INTO consents (contact_id, channel, scope_id, group_id, status, event_id, "
    "confirm_until, updated_at) VALUES (:contact_id, :channel, :scope_id, :group_id, :status, "
    ":event_id, :confirm_until, :updated_at) ON CONFLICT (contact_id, channel, scope_id) "
    "DO UPDATE SET group_id = excluded.group_id, status = excluded.status, "
    "event_id = excluded.event_id, confirm_until = excluded.confirm_until, "
    "updated_at = excluded.updated_at"
)
UPSERT_SUPPRESSION = (
    "INSERT INTO suppressions (contact_id, channel, suppression, event_id, updated_at) "
    "VALUES (:contact_id, :channel, :suppression, :event_id, :updated_at) "
    "ON CONFLICT (contact_id, channel) DO UPDATE SET suppression = excluded.suppression, "
    "event_id = excluded.event_id, updated_at = excluded.updated_at"
)
DELETE_SUPPRESSION = (
    "DELETE FROM suppressions WHERE contact_id = :contact_id AND channel = :channel"
)
UPSERT_TREND = (  # a consent event's counts, added to its day's (decision 066)
    "INSERT INTO trend_days (group_id, scope_id, channel, day, subscribed_delta, "
    "unsubscribed_delta, opt_outs) VALUES (:group_id, :scope_id, :channel, :day, "
    ":subscribed_delta, :unsubscribed_delta, :opt_outs) "
    "ON CONFLICT (group_id, scope_id, channel, day) DO UPDATE SET "
    "subscribed_delta = trend_days.subscribed_delta + excluded.subscribed_delta, "
    "unsubscribed_delta = trend_days.unsubscribed_delta + excluded.unsubscribed_delta, "
    "opt_outs = trend_days.opt_outs + excluded.opt_outs"
)


def lock_chain(db: Db, contact_id: str) -> ChainHead:
    """The contact's chain head, locked until the end of the transaction."""
    rows = db.all(LOCK_CHAIN, {"cid": contact_id})
    if len(rows) != 1:
        raise ContactNotFound(f"no chain head for contact {contact_id!r}", contact_id=contact_id)
    [(seq, head)] = rows
    return ChainHead(seq, head)


def consents(
    db: Db, contact_id: str, channel: Channel, scope_ids: Sequence[str]
) -> dict[str, Consent]:
    """The consents of one contact and channel at these scopes (absent: none recorded)."""
    if not scope_ids:
        return {}
    params: dict[str, Any] = {"cid": contact_id, "ch": channel.value, **path_params(scope_ids)}
    rows = db.all(on_path(CONSENTS, len(scope_ids)), params)
    return {
        scope_id: consent_from_values(status, event_id, confirm_until)
        for scope_id, status, event_id, confirm_until in rows
    }


def suppression(db: Db, contact_id: str, channel: Channel) -> Suppression | None:
    """The contact's suppression on the channel, or None."""
    found = db.scalar(GET_SUPPRESSION, {"cid": contact_id, "ch": channel.value})
    return Suppression(found) if found else None


def append(db: Db, event: ConsentEvent, update: ProjectionUpdate) -> None:
    """The event, the moved chain head, the projection, the day's trend counts and a webhook
    delivery per matching subscription, in this transaction (on PostgreSQL as one statement)."""
    head = {"seq": event.seq, "hash": event.hash, "contact_id": event.contact_id}
    now = to_micros(event.recorded_at)
    writes: list[Write] = [(INSERT_EVENT, event_values(event)), (MOVE_HEAD, head)]
    if isinstance(update, ConsentUpdate):
        writes.append(_consent_write(event, update.consent, now))
        if update.counts:
            writes.append(_trend_write(event, update.counts))
    else:
        writes.append(_suppression_write(event, update.suppression, now))
    writes.append(webhooks_sql.enqueue_write(event))  # its webhook deliveries, if any (076)
    db.writes(writes)


def _consent_write(event: ConsentEvent, consent: Consent, now: int | None) -> Write:
    values = {
        "contact_id": event.contact_id,
        "channel": event.channel.value,
        "scope_id": event.scope_id,
        "group_id": event.group_id,
        "status": consent.status.value,
        "event_id": consent.event_id,
        "confirm_until": to_micros(consent.confirm_until),
        "updated_at": now,
    }
    return UPSERT_CONSENT, values


def _trend_write(event: ConsentEvent, counts: TrendDelta) -> Write:
    """The statement that adds an event's counts to its (group, scope, channel, UTC day)."""
    values = {
        "group_id": event.group_id,
        "scope_id": event.scope_id,
        "channel": event.channel.value,
        "day": day_number(event.occurred_at),  # the day it happened (decision 070)
        "subscribed_delta": counts.subscribed,
        "unsubscribed_delta": counts.unsubscribed,
        "opt_outs": counts.opt_outs,
    }
    return UPSERT_TREND, values


def _suppression_write(event: ConsentEvent, value: Suppression | None, now: int | None) -> Write:
    """The statement that sets (or, for ``None``, clears) a contact's suppression."""
    if value is None:
        return DELETE_SUPPRESSION, {"contact_id": event.contact_id, "channel": event.channel.value}
    values = {
        "contact_id": event.contact_id,
        "channel": event.channel.value,
        "suppression": value.value,
        "event_id": event.id,
        "updated_at": now,
    }
    return UPSERT_SUPPRESSION, values


def events(
    db: Db,
    contact_id: str,
    channel: Channel | None = None,
    scope_ids: Sequence[str] | None = None,
    recorded_until: datetime | None = None,
) -> list[ConsentEvent]:
    """The contact's events in chain order, optionally of one channel, scopes, or up to a time."""
    e = t.events.c
    query = select(t.events).where(e.contact_id == contact_id).order_by(e.seq)
    if channel is not None:
        query = query.where(e.channel == channel.value)
    if scope_ids is not None:
        query = query.where(e.scope_id.in_(scope_ids))
    if recorded_until is not None:
        query = query.where(e.recorded_at <= to_micros(recorded_until))
    return [event_from_row(r) for r in db.conn.execute(query)]


def consent_rows(db: Db, contact_id: str) -> list[tuple[Channel, str, Consent]]:
    """Every consent projection row of the contact, by channel and scope."""
    cs = t.consents.c
    query = select(cs.channel, cs.scope_id, cs.status, cs.event_id, cs.confirm_until)
    query = query.where(cs.contact_id == contact_id).order_by(cs.channel, cs.scope_id)
    return [
        (Channel(r.channel), r.scope_id, consent_from_values(r.status, r.event_id, r.confirm_until))
        for r in db.conn.execute(query)
    ]


def suppression_rows(db: Db, contact_id: str) -> list[tuple[Channel, Suppression]]:
    """Every suppression of the contact, by channel."""
    s = t.suppressions.c
    query = select(s.channel, s.suppression).where(s.contact_id == contact_id)
    return [
        (Channel(r.channel), Suppression(r.suppression))
        for r in db.conn.execute(query.order_by(s.channel))
    ]


# ── verification's projection streams (one snapshot, contact order; decision 059) ──
STREAM_BATCH = 20_000


def _in_group(query: Select[Any], contact_id: Any, group_id: str | None) -> Select[Any]:
    """Only the rows of one group's contacts (the contacts row decides, as for chain heads)."""
    if group_id is None:
        return query
    c = t.contacts.c
    return query.join(t.contacts, c.id == contact_id).where(c.group_id == group_id)


def _streamed(conn: Connection, query: Select[Any]) -> Iterator[Any]:
    """The rows of a SELECT, in batches, beside the other streams open in the same snapshot.

    A plain driver cursor each where streams need no name (``reads.driver_stream``); else a
    server-side cursor that SQLAlchemy names for this stream (the events' holds the one name
    the dialect gives its own streamed reads).
    """
    if not of(conn).named_cursors:
        yield from driver_stream(conn, query, STREAM_BATCH)
        return
    options = conn.execution_options(stream_results=True, yield_per=STREAM_BATCH)
    yield from options.execute(query)


def stream_contacts(
    conn: Connection,
    group_id: str | None,
    *,
    contact: str | None = None,
    between: Between | None = None,
) -> Iterator[tuple[str, str]]:
    """Every contact (id, group), in id order (one group, or all; or one contact)."""
    c = t.contacts.c
    query = select(c.id, c.group_id).order_by(c.id)
    if contact is not None:
        query = query.where(c.id == contact)
    if group_id is not None:
        query = query.where(c.group_id == group_id)
    for row in _streamed(conn, within(query, c.id, between)):
        yield row[0], row[1]


def stream_consents(
    conn: Connection,
    group_id: str | None,
    *,
    contact: str | None = None,
    between: Between | None = None,
) -> Iterator[ConsentRow]:
    """Every consents row as stored, in (contact, channel, scope) order."""
    cs = t.consents.c
    query = select(
        cs.contact_id, cs.channel, cs.scope_id, cs.group_id, cs.status, cs.event_id,
        cs.confirm_until,
    ).order_by(cs.contact_id, cs.channel, cs.scope_id)  # fmt: skip
    if contact is not None:
        query = query.where(cs.contact_id == contact)
    query = within(query, cs.contact_id, between)
    for row in _streamed(conn, _in_group(query, cs.contact_id, group_id)):
        yield ConsentRow._make(row)


def stream_suppressions(
    conn: Connection,
    group_id: str | None,
    *,
    contact: str | None = None,
    between: Between | None = None,
) -> Iterator[SuppressionRow]:
    """Every suppressions row as stored, in (contact, channel) order."""
    s = t.suppressions.c
    query = select(s.contact_id, s.channel, s.suppression, s.event_id)
    if contact is not None:
        query = query.where(s.contact_id == contact)
    query = within(query, s.contact_id, between).order_by(s.contact_id, s.channel)
    for row in _streamed(conn, _in_group(query, s.contact_id, group_id)):
        yield SuppressionRow._make(row)
