"""The statements behind exports: a group's contacts with their projection rows, a batch at a
time, and its events, streamed (SQLAlchemy Core; docs/decisions/068).

All of it is read inside the one snapshot of ``SqlStore.export`` (``dialect.begin_snapshot``),
so a file shows one moment however long it takes to write, and memory stays flat at any size:

- **Contacts** are keyset-paginated on their id (``ix_contacts_group_id_id``), never OFFSET. The
  lists, consents and suppressions of a batch are read by the batch's id range, first to last
  (their primary keys lead with ``contact_id``): four statements a batch, whatever its size.
  Each consents and suppressions row comes with the recorded time of the event that set it.
- **Events** are one SELECT in primary-key order, ``(contact_id, seq)``, read with
  ``stream_results``: a server-side cursor on PostgreSQL, the driver's lazy cursor on SQLite,
  ``EVENT_BATCH`` rows at a time.

"Seen from a scope" is ``permissions.can_read_scope`` as SQL: the scope, every scope below it
(``LIKE 's/%'``, its wildcards escaped) and the scopes on its path above it (an IN list). A
group sees its whole group, so no condition is added for one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from consentry.adapters.store import schema as t
from consentry.adapters.store.failures import translated, translated_rows
from consentry.adapters.store.rows import consent_from_values, contact_from_row, event_from_row
from consentry.core.channels import Channel
from consentry.core.events import ConsentEvent, from_micros, to_micros
from consentry.core.exports import ConsentFact, ContactState, SuppressionFact
from consentry.core.scopes import ScopeKind, path_to_root, scope_kind
from consentry.core.status import Suppression

EVENT_BATCH = 1000  #: events fetched from the cursor at a time

_C, _CL, _CS, _S, _E = (t.contacts.c, t.contact_lists.c, t.consents.c, t.suppressions.c, t.events.c)


class ExportSnapshot:
    """A group's contacts and ledger in one snapshot, seen from a scope (``ports.ExportReader``)."""

    def __init__(self, conn: Connection, group_id: str, scope_id: str) -> None:
        self.conn = conn
        self.group_id = group_id
        self.scope_id = scope_id

    @translated
    def contacts(self, after: str | None, limit: int) -> list[ContactState]:
        """A batch of contacts after ``after`` in id order, with their lists and rows."""
        return contact_states(self.conn, self.group_id, self.scope_id, after, limit)

    def events(self, since: datetime | None) -> Iterator[ConsentEvent]:
        """Every event seen from the scope, recorded at or after ``since``, in chain order."""
        return translated_rows(stream_events(self.conn, self.group_id, self.scope_id, since))


def seen_from(column: Any, scope_id: str) -> ColumnElement[bool] | None:
    """The condition on a scope column for facts seen from ``scope_id`` (None: all of them)."""
    if scope_kind(scope_id) is ScopeKind.GROUP:
        return None
    return or_(
        column.in_(path_to_root(scope_id)), column.startswith(scope_id + "/", autoescape=True)
    )


def _where_seen(query: Select[Any], column: Any, scope_id: str) -> Select[Any]:
    condition = seen_from(column, scope_id)
    return query if condition is None else query.where(condition)


def contact_states(
    conn: Connection, group_id: str, scope_id: str, after: str | None, limit: int
) -> list[ContactState]:
    """Up to ``limit`` of the group's contacts after ``after``, each with what it may show."""
    query = select(t.contacts).where(_C.group_id == group_id).order_by(_C.id).limit(limit)
    if after is not None:
        query = query.where(_C.id > after)
    rows: list[Any] = list(conn.execute(query))
    if not rows:
        return []
    first, last = rows[0].id, rows[-1].id
    lists = _lists(conn, group_id, first, last)
    consents = _consents(conn, group_id, scope_id, first, last)
    suppressions = _suppressions(conn, group_id, first, last)
    return [
        ContactState(
            contact_from_row(row._mapping, frozenset(lists.get(row.id, ()))),
            tuple(consents.get(row.id, ())),
            tuple(suppressions.get(row.id, ())),
        )
        for row in rows
    ]


def _lists(conn: Connection, group_id: str, first: str, last: str) -> dict[str, list[str]]:
    query = select(_CL.contact_id, _CL.list_name).where(
        _CL.group_id == group_id, _CL.contact_id >= first, _CL.contact_id <= last
    )
    found: dict[str, list[str]] = defaultdict(list)
    for contact_id, name in conn.execute(query):
        found[contact_id].append(name)
    return found


def _consents(
    conn: Connection, group_id: str, scope_id: str, first: str, last: str
) -> dict[str, list[ConsentFact]]:
    """The batch's consents rows seen from the scope, with their event's recorded time."""
    setter = and_(_E.contact_id == _CS.contact_id, _E.id == _CS.event_id)
    columns = (_CS.contact_id, _CS.channel, _CS.scope_id, _CS.status, _CS.event_id)
    query = (
        select(*columns, _CS.confirm_until, _E.recorded_at)
        .select_from(t.consents.outerjoin(t.events, setter))
        .where(_CS.group_id == group_id, _CS.contact_id >= first, _CS.contact_id <= last)
        .order_by(_CS.contact_id, _CS.channel, _CS.scope_id)
    )
    found: dict[str, list[ConsentFact]] = defaultdict(list)
    for row in conn.execute(_where_seen(query, _CS.scope_id, scope_id)):
        consent = consent_from_values(row.status, row.event_id, row.confirm_until)
        fact = ConsentFact(
            Channel(row.channel), row.scope_id, consent, from_micros(row.recorded_at)
        )
        found[row.contact_id].append(fact)
    return found


def _suppressions(
    conn: Connection, group_id: str, first: str, last: str
) -> dict[str, list[SuppressionFact]]:
    """The batch's suppressions (about an address: seen from every scope)."""
    setter = and_(_E.contact_id == _S.contact_id, _E.id == _S.event_id)
    joined = t.suppressions.join(t.contacts, _C.id == _S.contact_id).outerjoin(t.events, setter)
    query = (
        select(_S.contact_id, _S.channel, _S.suppression, _S.event_id, _E.recorded_at)
        .select_from(joined)
        .where(_C.group_id == group_id, _S.contact_id >= first, _S.contact_id <= last)
        .order_by(_S.contact_id, _S.channel)
    )
    found: dict[str, list[SuppressionFact]] = defaultdict(list)
    for row in conn.execute(query):
        fact = SuppressionFact(
            Channel(row.channel),
            Suppression(row.suppression),
            row.event_id,
            from_micros(row.recorded_at),
        )
        found[row.contact_id].append(fact)
    return found


def stream_events(
    conn: Connection, group_id: str, scope_id: str, since: datetime | None
) -> Iterator[ConsentEvent]:
    """The group's events seen from the scope, from ``since`` on, in (contact_id, seq) order."""
    query = select(t.events).where(_E.group_id == group_id).order_by(_E.contact_id, _E.seq)
    if since is not None:
        query = query.where(_E.recorded_at >= to_micros(since))
    query = _where_seen(query, _E.scope_id, scope_id)
    result = conn.execution_options(stream_results=True, yield_per=EVENT_BATCH).execute(query)
    try:
        for row in result:
            yield event_from_row(row)
    finally:
        result.close()
