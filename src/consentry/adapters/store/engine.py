"""Connecting: SQLite by default, PostgreSQL by URL, and the unit of work over either.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (durable across a process kill; a power
loss may lose the last commits, never corrupt). A write transaction starts with
``BEGIN IMMEDIATE`` so two writers never both read a chain head and then collide.
On PostgreSQL the chain head row is locked with ``SELECT … FOR UPDATE``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import StaticPool

from consentry.adapters.store.failures import translate
from consentry.adapters.store.sql import SqlTx
from consentry.core.errors import Invalid


def engine_url(url: str) -> str:
    """Pick the driver: ``postgresql://`` → psycopg 3; ``sqlite:///path`` as is."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite:", "postgresql+psycopg:")):
        return url
    raise Invalid(f"unsupported database URL {url!r}: use sqlite:///path.db or postgresql://…")


def make_engine(url: str) -> Engine:
    """An engine for the URL, configured for Consentry's transactions."""
    real = engine_url(url)
    if real.startswith("sqlite"):
        return _sqlite_engine(real)
    # No pre-ping: it costs a round trip per transaction on the hottest paths. A connection that
    # died (server restart) fails its first statement, which invalidates the pool, so one request
    # gets ``unavailable`` and the next gets a fresh connection (decision 011).
    return create_engine(
        real, pool_pre_ping=False, pool_recycle=1800, pool_size=10, max_overflow=20
    )


def _sqlite_engine(url: str) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("consentry_mode", "read")
        if mode == "write":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif mode == "snapshot":
            conn.exec_driver_sql("BEGIN")
        # a plain read runs each statement in its own implicit transaction

    return engine


@contextmanager
def unit_of_work(engine: Engine, mode: str) -> Iterator[SqlTx]:
    """A transaction that rolls back unless committed; driver errors become ours (``failures``).

    ``mode`` is ``write`` (takes SQLite's write lock at once), ``snapshot`` (one consistent read
    of several statements) or ``read`` (single-statement reads; no BEGIN on SQLite).
    """
    try:
        with engine.connect() as conn:  # closing an uncommitted connection rolls back
            conn.execution_options(consentry_mode=mode)
            tx = SqlTx(conn, begins=mode != "read")
            try:
                yield tx
            finally:
                tx.close()
    except SQLAlchemyError as exc:  # connecting, beginning, rolling back, releasing
        raise translate(exc) from exc
