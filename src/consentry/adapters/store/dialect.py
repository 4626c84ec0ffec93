"""Where SQLite and PostgreSQL differ (the one place), and which SQL idiom is used for what.

Two idioms, one per purpose:

- **Prebuilt driver SQL** for the hot paths: the eligibility read (``reader.py`` with
  ``eligibility_sql.py``, ``scopes_sql.py``), the consent write (scope, contact, chain lock,
  consents, append: ``contacts_sql.py``, ``ledger_sql.py``) and the inbound STOP (claim,
  number, keywords, outbox, finish: ``inbound_sql.py``, ``outbox_sql.py``). Each statement is
  a module-level ``str`` constant written once with ``:name`` parameters (a path-length IN
  list is a ``{scopes}`` template, see ``driver.on_path``). ``Dialect.driver_sql`` turns it
  into this database's text once (cached), and it runs on the transaction's driver cursor
  (``driver.Db``) inside the same SQLAlchemy transaction. Decision 040 says why, and what a
  statement must satisfy to go there; ``tests/store/test_statements.py`` runs every such
  constant on both databases.
- **SQLAlchemy Core expressions** for everything else: adding and listing scopes, contact
  listings and edits, whole histories, API and idempotency keys, numbers and keyword sets, rate
  limits, outbox listings, and the read streams (``audience_sql.py``, ``reads.py``: the audience
  and verification's streams are Core ``select``s, compiled once, then read from a driver
  cursor in batches). Their upserts are built here (``Dialect.upsert``,
  ``Dialect.insert_ignore``).

No other store module asks which database it is on; it asks ``of(conn)`` a question named for
the difference:

=========================  ==============================  =================================
difference                 SQLite                          PostgreSQL
=========================  ==============================  =================================
driver SQL parameters      ``:name`` (sqlite3)             ``%(name)s`` (psycopg)
the chain head's row lock  none: ``BEGIN IMMEDIATE``       ``… FOR UPDATE`` kept
                           (engine.py) already excludes
                           every other writer, so a
                           trailing ``FOR UPDATE`` is cut
several writes at once     one statement each              one statement, all but the last
                           (microseconds, no round trip)   as data-modifying ``WITH`` parts
Core upserts               ``sqlite.insert``               ``postgresql.insert``
one consistent snapshot    ``BEGIN`` and a first read      ``REPEATABLE READ READ ONLY``
streamed reads             a plain cursor                  a named (server-side) cursor
eligibility reads          already autocommit              driver switched to autocommit
migrations                 batch mode (ALTER emulated)     an advisory lock: one migrator
an import's bulk inserts   ``executemany`` (sqlite3)       ``COPY … FROM STDIN`` (psycopg)
=========================  ==============================  =================================

The write lock taken at ``BEGIN`` on SQLite is set up with the engine (``engine.py``), which
picks the driver from the URL before any dialect exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

PARAM = re.compile(r"(?<![:\w]):(\w+)")  # a ``:name`` parameter (not a ``::type`` cast)
ROW_LOCK = " FOR UPDATE"

Write = tuple[str, Mapping[str, Any]]


@lru_cache(maxsize=512)
def _sqlite_text(sql: str) -> str:
    assert ROW_LOCK not in sql.removesuffix(ROW_LOCK), "FOR UPDATE goes at the end only"
    return sql.removesuffix(ROW_LOCK)


@lru_cache(maxsize=512)
def _psycopg_text(sql: str) -> str:
    assert "%" not in sql, "driver SQL holds no literal %"
    return PARAM.sub(r"%(\1)s", sql)


@lru_cache(maxsize=64)
def _with_parts(statements: tuple[str, ...]) -> str:
    """``WITH p0 AS (first), p1 AS (second) … last``, parameters renamed ``:pN_name``."""
    renamed = [PARAM.sub(rf":p{n}_\1", sql) for n, sql in enumerate(statements)]
    parts = ", ".join(f"p{n} AS ({sql})" for n, sql in enumerate(renamed[:-1]))
    return f"WITH {parts} {renamed[-1]}"


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashed by identity (lru_cache keys)
class Dialect:
    """What differs on one database; the two instances are ``SQLITE`` and ``POSTGRESQL``."""

    name: str
    driver_sql: Callable[[str], str]  # ``:name`` driver SQL → this driver's text (cached)
    merges_writes: bool  # several writes go as one statement (data-modifying WITH)
    named_cursors: bool  # streamed reads use a server-side cursor
    autocommit_reads: bool  # eligibility reads switch the driver to autocommit
    batch_migrations: bool  # Alembic emulates ALTER TABLE by copying the table
    snapshot_sql: str  # run first in a snapshot unit of work
    migration_lock: str | None  # run first in a migration: one migrator at a time
    copies: bool  # an import's inserts go through ``COPY … FROM STDIN``
    _insert: Callable[[Table], Any]

    def execute(self, cursor: Any, text: str, params: Mapping[str, Any], *, planned: bool) -> None:
        """Run one driver statement; ``planned=False`` plans it for these very values.

        psycopg prepares a statement run five times and PostgreSQL may then keep one generic
        plan for it. For a long ``IN`` list of parameters that plan can filter every row by the
        list, one comparison per value, where a plan for the values themselves hashes the list
        or searches the index with it; the import's reads by address key ask for the latter.
        """
        if planned or self.name != "postgresql":
            cursor.execute(text, params)
        else:
            cursor.execute(text, params, prepare=False)

    def writes(self, statements: Sequence[Write]) -> list[Write]:
        """The driver statements that make several writes, in order (one on PostgreSQL).

        PostgreSQL runs them as one statement, all but the last as data-modifying ``WITH``
        parts (same snapshot, all or nothing, as separate statements in this transaction
        would be); each part's parameters are renamed ``:pN_name`` so equal names never clash.
        """
        if not self.merges_writes or len(statements) == 1:
            return list(statements)
        merged: dict[str, Any] = {}
        for n, (_, params) in enumerate(statements):
            merged.update({f"p{n}_{k}": v for k, v in params.items()})
        return [(_with_parts(tuple(sql for sql, _ in statements)), merged)]

    def upsert(
        self,
        table: Table,
        values: Mapping[str, Any],
        keys: Sequence[str],
        changes: Mapping[str, Any] | None = None,
    ) -> Any:
        """A Core ``INSERT … ON CONFLICT (keys) DO UPDATE`` (by default: every other value)."""
        if changes is None:
            changes = {k: v for k, v in values.items() if k not in keys}
        stmt = self._insert(table).values(**values)
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=dict(changes))

    def insert_ignore(self, table: Table, values: Mapping[str, Any]) -> Any:
        """A Core ``INSERT … ON CONFLICT DO NOTHING``."""
        return self._insert(table).values(**values).on_conflict_do_nothing()

    def stream_cursor(self, driver: Any) -> Any:
        """A driver cursor for reading many rows in batches."""
        return driver.cursor(name="consentry_stream") if self.named_cursors else driver.cursor()

    def insert_rows(
        self, cursor: Any, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows of plain values (text, integers, None) into ``table`` on a driver
        cursor: ``COPY`` on PostgreSQL, ``executemany`` on SQLite (an import's bulk path)."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.copies:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def begin_snapshot(self, conn: Connection) -> None:
        """Fix the snapshot of a ``snapshot`` unit of work (SQLite fixes it at its first read)."""
        result = conn.exec_driver_sql(self.snapshot_sql)
        if result.returns_rows:
            result.all()


SQLITE = Dialect(
    name="sqlite",
    driver_sql=_sqlite_text,
    merges_writes=False,
    named_cursors=False,
    autocommit_reads=False,
    batch_migrations=True,
    snapshot_sql="SELECT 1 FROM meta LIMIT 1",
    migration_lock=None,
    copies=False,
    _insert=sqlite.insert,
)
POSTGRESQL = Dialect(
    name="postgresql",
    driver_sql=_psycopg_text,
    merges_writes=True,
    named_cursors=True,
    autocommit_reads=True,
    batch_migrations=False,
    snapshot_sql="SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
    migration_lock="SELECT pg_advisory_xact_lock(748213)",
    copies=True,
    _insert=postgresql.insert,
)
DIALECTS = {d.name: d for d in (SQLITE, POSTGRESQL)}


def of(bind: Connection | Engine) -> Dialect:
    """The dialect of a connection or engine (``engine.engine_url`` admits only these two)."""
    return DIALECTS[bind.dialect.name]
