"""Running the hot statements on the driver's cursor, with SQL text built once per dialect.

The write paths of a consent change and of an inbound STOP run a dozen small statements per
transaction. Built as SQLAlchemy Core expressions each costs ~60-90 µs of Python (statement
construction, cache-key generation, result wrapping) against ~3 µs for SQLite to run it, so
these statements are plain SQL constants written once with ``:name`` parameters (rewritten to
``%(name)s`` for psycopg and cached) and run on the connection's driver cursor.

They run inside the same SQLAlchemy transaction as everything else: in a write (or snapshot)
unit of work ``_run`` begins it first when nothing has (on SQLite the ``begin`` hook issues
``BEGIN IMMEDIATE``), so a transaction holding only driver statements still commits and still
rolls back. A plain read (``begins`` false) runs them as ``situation()`` does: on SQLite each in
its own implicit transaction, on PostgreSQL in the driver's, rolled back when the connection
goes back to the pool. A driver error is raised as the SQLAlchemy exception the Core path
would have raised (``IntegrityError``, ``OperationalError`` …), and a lost connection is
invalidated, so the unit of work's handling (``Unavailable``, retries) is the same whichever
way a statement ran.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=256)
def pg_sql(text: str) -> str:
    """``:name`` parameters as psycopg's ``%(name)s`` (the statements hold no literal ``%``)."""
    assert "%" not in text
    return _PARAM.sub(r"%(\1)s", text)


@lru_cache(maxsize=64)
def _with_parts(statements: tuple[str, ...]) -> str:
    """``WITH p0 AS (first), p1 AS (second) … last``, parameters renamed ``:pN_name``."""
    renamed = [_PARAM.sub(rf":p{n}_\1", sql) for n, sql in enumerate(statements)]
    parts = ", ".join(f"p{n} AS ({sql})" for n, sql in enumerate(renamed[:-1]))
    return f"WITH {parts} {renamed[-1]}"


class DriverSql:
    """A mixin of ``SqlTx``: one driver cursor per transaction and the statements run on it."""

    conn: Connection
    begins: bool = True  # False in a plain read: no BEGIN for driver statements
    _cursor: Any = None
    _pg: bool | None = None

    @property
    def postgres(self) -> bool:
        """True on PostgreSQL (the statements differ slightly: ``FOR UPDATE``, parameters)."""
        if self._pg is None:
            self._pg = self.conn.dialect.name == "postgresql"
        return self._pg

    def _run(self, sql: str, params: Mapping[str, Any], write: bool = False) -> Any:
        """Run one statement on the transaction's driver cursor; the cursor, to fetch from.

        ``write``: the statement changes data, so the transaction is begun even in a plain read
        unit of work (as SQLAlchemy's autobegin would), and ``commit()`` keeps it.
        """
        if (self.begins or write) and not self.conn.in_transaction():
            self.conn.begin()  # SQLite: BEGIN IMMEDIATE in a write unit of work
        cursor = self._cursor
        if cursor is None:
            driver = self.conn.connection.driver_connection
            assert driver is not None
            cursor = self._cursor = driver.cursor()
        text = pg_sql(sql) if self.postgres else sql
        try:
            cursor.execute(text, params)
        except self.conn.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(exc, text, params) from exc
        return cursor

    def _run_writes(self, statements: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Run several writes to different tables, in order; on PostgreSQL in ONE round trip.

        PostgreSQL runs them as one statement, all but the last as data-modifying ``WITH``
        parts (same snapshot, all or nothing, as separate statements in this transaction would
        be); each part's parameters are renamed ``:pN_name`` so equal names never clash.
        SQLite runs them one by one (each costs microseconds there, not a round trip).
        """
        if not self.postgres or len(statements) == 1:
            for sql, params in statements:
                self._run(sql, params, write=True)
            return
        merged: dict[str, Any] = {}
        for n, (_, params) in enumerate(statements):
            merged.update({f"p{n}_{k}": v for k, v in params.items()})
        self._run(_with_parts(tuple(sql for sql, _ in statements)), merged, write=True)

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

    def _one(self, sql: str, params: Mapping[str, Any]) -> Any:
        """The first row of a statement's result (a driver tuple), or None."""
        return self._run(sql, params).fetchone()

    def _all(self, sql: str, params: Mapping[str, Any]) -> list[Any]:
        """Every row of a statement's result (driver tuples)."""
        rows: list[Any] = self._run(sql, params).fetchall()
        return rows

    def close(self) -> None:
        """Close the driver cursor (the unit of work calls this before releasing the connection)."""
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception:  # a dead connection's cursor: nothing to release
                pass
