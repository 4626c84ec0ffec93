"""Running prebuilt driver SQL on the transaction's own driver cursor (decision 040).

The write paths of a consent change and of an inbound STOP run a dozen small statements per
transaction. Built as SQLAlchemy Core expressions each costs ~60-90 µs of Python (statement
construction, cache-key generation, result wrapping) against ~3 µs for SQLite to run it, so
these statements are plain SQL constants written once with ``:name`` parameters, turned into
the driver's text once per dialect (``dialect.Dialect.driver_sql``, cached) and run on the
connection's driver cursor.

They run inside the same SQLAlchemy transaction as everything else: in a write (or snapshot)
unit of work ``Db.run`` begins it first when nothing has (on SQLite the ``begin`` hook issues
``BEGIN IMMEDIATE``), so a transaction holding only driver statements still commits and still
rolls back. A plain read (``begins`` false) runs them on SQLite each in its own implicit
transaction and on PostgreSQL in the driver's, rolled back when the connection goes back to the
pool. A driver error is raised as the SQLAlchemy exception the Core path would have raised
(``IntegrityError``, ``OperationalError`` …), and a lost connection is invalidated, so the store's
one error map (``failures.py``) treats both paths alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from consentry.adapters.store.dialect import Write, of


@lru_cache(maxsize=128)
def on_path(template: str, levels: int, address: str = "") -> str:
    """A template's ``{scopes}`` as ``:s0, :s1 …`` (one per level of a scope path) and its
    ``{address}`` as a contacts column (``Channel.address_field``, never input)."""
    scopes = ", ".join(f":s{n}" for n in range(levels))
    return template.format(scopes=scopes, address=address)


def path_params(scope_ids: Sequence[str]) -> dict[str, str]:
    """The ``:s0, :s1 …`` parameters of ``on_path``."""
    return {f"s{n}": scope_id for n, scope_id in enumerate(scope_ids)}


class Db:
    """One transaction's connection as the statement modules use it.

    ``conn`` runs SQLAlchemy Core; ``run`` and the methods after it run driver SQL on one driver
    cursor of the same connection; ``dialect`` answers what differs on this database.
    """

    def __init__(self, conn: Connection, begins: bool = True) -> None:
        self.conn = conn
        self.dialect = of(conn)
        self.begins = begins  # False in a plain read: no BEGIN for driver statements
        self._errors: Any = conn.dialect.loaded_dbapi.Error
        self._cursor: Any = None

    def run(
        self, sql: str, params: Mapping[str, Any], write: bool = False, *, planned: bool = True
    ) -> Any:
        """Run one statement on the transaction's driver cursor; the cursor, to fetch from.

        ``write``: the statement changes data, so the transaction is begun even in a plain read
        unit of work (as SQLAlchemy's autobegin would), and ``commit()`` keeps it.
        ``planned=False``: planned for these values each time (``Dialect.execute``).
        """
        cursor = self._begun(write)
        text = self.dialect.driver_sql(sql)
        try:
            self.dialect.execute(cursor, text, params, planned=planned)
        except self._errors as exc:
            raise self._wrapped(exc, text, params) from exc
        return cursor

    def one(self, sql: str, params: Mapping[str, Any], write: bool = False) -> Any:
        """The first row of a statement's result (a driver tuple), or None."""
        cursor = self.run(sql, params, write)
        try:
            return cursor.fetchone()
        except self._errors as exc:
            raise self._wrapped(exc, sql, params) from exc

    def all(self, sql: str, params: Mapping[str, Any], *, planned: bool = True) -> list[Any]:
        """Every row of a statement's result (driver tuples)."""
        cursor = self.run(sql, params, planned=planned)
        try:
            rows: list[Any] = cursor.fetchall()
        except self._errors as exc:
            raise self._wrapped(exc, sql, params) from exc
        return rows

    def scalar(self, sql: str, params: Mapping[str, Any]) -> Any:
        """The only column of the first row, or None when there is no row."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    def run_many(self, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
        """Run one write for each parameter set (``executemany``; an import's bulk path)."""
        if params:
            self._bulk(lambda cursor: cursor.executemany(self.dialect.driver_sql(sql), params))

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows of plain values (``Dialect.insert_rows``: COPY or executemany)."""
        if rows:
            self._bulk(lambda cursor: self.dialect.insert_rows(cursor, table, columns, rows))

    def _begun(self, write: bool) -> Any:
        """The transaction's driver cursor, the transaction begun first where it must be."""
        if (self.begins or write) and not self.conn.in_transaction():
            self.conn.begin()  # SQLite: BEGIN IMMEDIATE in a write unit of work
        cursor = self._cursor
        if cursor is None:
            driver = self.conn.connection.driver_connection
            assert driver is not None
            cursor = self._cursor = driver.cursor()
        return cursor

    def _bulk(self, work: Any) -> None:
        cursor = self._begun(write=True)
        try:
            work(cursor)
        except self._errors as exc:
            raise self._wrapped(exc, "bulk write", {}) from exc

    def writes(self, statements: Sequence[Write]) -> None:
        """Run several writes to different tables, in order (on PostgreSQL in one round trip)."""
        for sql, params in self.dialect.writes(statements):
            self.run(sql, params, write=True)

    def _wrapped(self, exc: Exception, text: str, params: Mapping[str, Any]) -> BaseException:
        dialect = self.conn.dialect
        lost = dialect.is_disconnect(exc, self.conn.connection.dbapi_connection, self._cursor)  # type: ignore[arg-type]
        if lost:
            self.conn.invalidate(exc)
        return DBAPIError.instance(
            text,
            dict(params),
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        )

    def close(self) -> None:
        """Close the driver cursor (the unit of work calls this before releasing the connection)."""
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception:  # a dead connection's cursor: nothing to release
                pass
