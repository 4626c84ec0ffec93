"""Set-based read paths of ledger verification: the chain, the heads, the contact-id ranges.

Each is a stream in contact order inside the caller's one snapshot (``SqlStore.chain``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any, cast

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError, StatementError

from consentry.adapters.store import schema as t
from consentry.adapters.store.dialect import of
from consentry.core.chain import Between, ChainRow
from consentry.core.events import CHAIN_COLUMNS

ID_CHUNK = 900  # ids per IN list; below SQLite's default variable limit


_E = t.events.c
CHAIN_READ = (*CHAIN_COLUMNS, "prev_hash", "hash", "evidence", "evidence_salt")
_CHAIN_SELECT = select(*[getattr(_E, name) for name in CHAIN_READ]).order_by(_E.contact_id, _E.seq)


def stream_chain(
    conn: Connection,
    group_id: str | None,
    batch: int = 20_000,
    *,
    contact: str | None = None,
    between: Between | None = None,
) -> Iterator[ChainRow]:
    """Every event's chained fields in (contact, seq) order, streamed (one group, or all; or
    one contact's; or the contacts of an id range).

    Verification reads every event, so the rows come straight from the driver's cursor in
    batches (a server-side cursor on PostgreSQL: memory stays flat at any ledger size), each
    made a ``ChainRow`` (a named tuple) from the positions of its columns in ``CHAIN_READ``.
    """
    at = {name: n for n, name in enumerate(CHAIN_READ)}
    chained = len(CHAIN_COLUMNS)  # the chained fields come first, in CHAIN_COLUMNS order
    event_id, contact_id, group, seq = at["id"], at["contact_id"], at["group_id"], at["seq"]
    prev_hash, hash_, evidence = at["prev_hash"], at["hash"], at["evidence"]
    salt, commitment = at["evidence_salt"], at["evidence_commitment"]
    query = _CHAIN_SELECT if group_id is None else _CHAIN_SELECT.where(_E.group_id == group_id)
    if contact is not None:
        query = query.where(_E.contact_id == contact)
    make = ChainRow._make
    for row in driver_stream(conn, within(query, _E.contact_id, between), batch):
        yield make((
            row[event_id], row[contact_id], row[group], row[seq], row[prev_hash], row[hash_],
            row[:chained], row[evidence], row[salt], row[commitment],
        ))  # fmt: skip


def within(query: Any, contact_id: Any, between: Between | None) -> Any:
    """Only the rows of the contacts whose id is in ``between`` (``[first, end)``)."""
    if between is not None:
        first, end = between
        if first is not None:
            query = query.where(contact_id >= first)
        if end is not None:
            query = query.where(contact_id < end)
    return query


def contact_bounds(
    conn: Connection, group_id: str | None, parts: int, smallest: int = 1
) -> list[str]:
    """Up to ``parts - 1`` contact ids that split the contacts into ``parts`` runs of about
    the same length and at least ``smallest`` contacts, in order (parallel verification)."""
    c = t.contacts.c
    ids = select(c.id)
    if group_id is not None:
        ids = ids.where(c.group_id == group_id)
    total = conn.execute(select(func.count()).select_from(ids.subquery())).scalar() or 0
    parts = min(parts, max(1, total // max(1, smallest)))
    bounds: list[str] = []
    for n in range(1, parts):
        found = conn.execute(ids.order_by(c.id).limit(1).offset(total * n // parts)).scalar()
        if found is not None and (not bounds or found > bounds[-1]):
            bounds.append(found)
    return bounds


def driver_stream(
    conn: Connection, stmt: Any, batch: int, *, name: str | None = None
) -> Iterator[tuple[Any, ...]]:
    """Run a SELECT whose parameters are plain strings and numbers on the driver's cursor.

    Must be called inside a transaction (the snapshot) so PostgreSQL can hold a named cursor;
    ``name`` names it, for a stream read beside the one ``stream_cursor`` names. A driver error
    is raised as the SQLAlchemy exception the Core path would have raised, a lost connection
    marked so, for the store's one error map (``failures.py``, via the unit of work).
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args: Any = (
        tuple(params[key] for key in compiled.positiontup or ()) if compiled.positional else params
    )
    dialect, driver = of(conn), cast(Any, conn.connection.driver_connection)
    named = name is not None and dialect.named_cursors
    cursor = driver.cursor(name=name) if named else dialect.stream_cursor(driver)
    errors = conn.dialect.loaded_dbapi.Error
    try:
        try:
            cursor.execute(str(compiled), args)
            while rows := cursor.fetchmany(batch):
                yield from rows
        finally:
            with suppress(errors):  # a cursor of a lost connection: closing it fails too
                cursor.close()
    except errors as exc:  # the driver's: raised as SQLAlchemy's
        raise _as_sqlalchemy(conn, exc) from exc


def _as_sqlalchemy(conn: Connection, exc: Any) -> StatementError:
    dialect = conn.dialect
    lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
    if lost:
        conn.invalidate(exc)
    error = dialect.loaded_dbapi.Error
    made: StatementError = DBAPIError.instance(
        "a read stream", None, exc, error, connection_invalidated=lost, dialect=dialect
    )
    return made


def stream_heads(
    conn: Connection,
    group_id: str | None,
    *,
    contact: str | None = None,
    between: Between | None = None,
) -> Iterator[tuple[str, int, str]]:
    """Every stored chain head, in contact order (one group, or all; or one contact's)."""
    h, c = t.chain_heads.c, t.contacts.c
    query = select(h.contact_id, h.seq, h.hash).order_by(h.contact_id)
    if contact is not None:
        query = query.where(h.contact_id == contact)
    if group_id is not None:
        query = query.join(t.contacts, c.id == h.contact_id).where(c.group_id == group_id)
    query = within(query, h.contact_id, between)
    yield from driver_stream(conn, query, 20_000, name="consentry_heads")  # beside the events'


def event_hash(conn: Connection, group_id: str | None, contact_id: str, seq: int) -> str | None:
    """The stored hash of one event (of the group, when one is given)."""
    query = select(_E.hash).where(_E.contact_id == contact_id, _E.seq == seq)
    if group_id is not None:
        query = query.where(_E.group_id == group_id)
    value: str | None = conn.execute(query).scalar()
    return value
