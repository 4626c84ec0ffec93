"""Small on purpose: a ledger fixture over SQLite (a tmp file) and PostgreSQL (its own database).

PostgreSQL: ``CONSENTRY_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/test``) is the
server; the suite creates a database of its own, drops it at the end, and empties the tables
between tests. Without a server the PostgreSQL half is skipped with a reason, except in CI
(``CI=true``), where that is a failure.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from consentry.adapters.clock import FixedClock
from consentry.adapters.mailer import SmtpSender
from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.migrate import upgrade
from consentry.adapters.store.partitioning import partition_events
from consentry.adapters.store.schema import metadata
from consentry.bootstrap import build
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.factories import T0, make_numbers, make_scopes
from tests.mail import Inbox, free_port

PG_SERVER = os.environ.get("CONSENTRY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
#: ``CONSENTRY_TEST_EVENTS_PARTITIONS=N``: run on PostgreSQL with ``events`` hash-partitioned
PARTITIONS = int(os.environ.get("CONSENTRY_TEST_EVENTS_PARTITIONS") or 0)
ADDRESS_KEY = "ab" * 32
#: The test deployment's link-signing keys: configured, as every deployment's are (decision 051).
SECRET_KEYS = "t1:" + "cd" * 32


def _server_engine():
    return create_engine(
        "postgresql+psycopg://" + PG_SERVER.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database for this test session, migrated, dropped at the end."""
    name = f"consentry_t_{uuid.uuid4().hex[:12]}"
    try:
        server = _server_engine()
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc}")
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    if PARTITIONS:  # the whole suite on a hash-partitioned events table (decision 083)
        partition_events(engine, partitions=PARTITIONS)
    engine.dispose()
    yield url
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (migrating once is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


#: Every this many emptyings a PostgreSQL test database is truncated, not deleted from.
TRUNCATE_EVERY = 100
_emptied: dict[str, int] = {}


def empty_database(url: str) -> None:
    """Every table of a PostgreSQL test database emptied.

    ``DELETE`` of a test's few rows takes milliseconds where ``TRUNCATE`` of 36 tables makes and
    syncs new files for each (0.6-0.9 s a test on this machine); now and then a ``TRUNCATE``
    still clears the dead rows, autovacuum being off.
    """
    count = _emptied[url] = _emptied.get(url, 0) + 1
    tables = [f'"{t.name}"' for t in reversed(metadata.sorted_tables)]  # referrers first
    statements = [f"DELETE FROM {name}" for name in tables]
    if count % TRUNCATE_EVERY == 0:
        statements = [f"TRUNCATE {', '.join(tables)}"]
    engine = make_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh, migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "consentry.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    empty_database(url)
    return url


@pytest.fixture(autouse=True)
def collector_as_usual() -> Iterator[None]:
    """What ``create_server`` froze out of the collector (``server.settle_heap``) is thawed
    after each test, so no test runs with a heap an earlier one froze."""
    yield
    gc.unfreeze()


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test moves by hand."""
    return FixedClock(T0)


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Settings for a test deployment on ``db_url`` (webhooks may go to 127.0.0.1: 080)."""
    return Settings(
        database_url=db_url, address_key=ADDRESS_KEY, secret_keys=SECRET_KEYS,
        webhook_allow_private=True,
    )  # fmt: skip


@pytest.fixture
def ledger(settings: Settings, clock: FixedClock) -> Iterator[Ledger]:
    """A ledger on a fresh database, with the acme and globex scope trees."""
    built = build(settings, clock, migrate=False)  # the database is migrated already
    make_scopes(built)
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on 127.0.0.1 and a free port."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp: tuple[Inbox, int], ledger: Ledger, settings: Settings) -> Inbox:
    """The ledger's outbox sends email through the local SMTP server; its inbox."""
    box, port = smtp
    ledger.context.outbox = SmtpSender("127.0.0.1", port, settings.mail_from)
    return box


@pytest.fixture
def numbers(ledger: Ledger) -> Ledger:
    """The ledger with acme's two receiving numbers configured (``factories.make_numbers``)."""
    return make_numbers(ledger)
