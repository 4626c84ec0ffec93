"""``CONSENTRY_READ_DATABASE_URL`` (issue 12; decision 083): audiences and trends read the
replica, every command and check the primary. Tested against a second database on each backend:
the two hold different people, so each answer shows where it was read."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from consentry.adapters.clock import FixedClock
from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.migrate import upgrade
from consentry.bootstrap import build
from consentry.core.audience import Segment
from consentry.core.channels import Channel
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.conftest import PG_SERVER, _server_engine
from tests.factories import WRITTEN, admin, make_contact, make_scopes, sender, staff


@pytest.fixture
def replica_url(db_url: str, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A second database of the same backend, migrated (a replica follows its primary's schema)."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "replica.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    name = f"consentry_r_{uuid.uuid4().hex[:12]}"
    server = _server_engine()
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture
def on_replica(settings: Settings, replica_url: str, clock: FixedClock) -> Iterator[Ledger]:
    """The replica's own ledger: what replication would have brought there."""
    made = build(replace(settings, database_url=replica_url), clock, migrate=False)
    make_scopes(made)
    yield made
    made.close()


def test_audiences_and_trends_read_the_replica_and_commands_the_primary(
    settings: Settings, replica_url: str, on_replica: Ledger, clock: FixedClock
) -> None:
    primary = build(replace(settings, read_database_url=replica_url), clock, migrate=False)
    try:
        make_scopes(primary)
        ada = make_contact(primary)
        primary.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
        bob = make_contact(on_replica, "bob@example.com", None)
        on_replica.opt_in(staff(), bob.id, "email", "acme", evidence=WRITTEN)
        on_replica.opt_out(admin(), bob.id, "sms", "acme")
        audience = primary.resolve_audience(sender(), Segment(), "email", "acme")
        assert [r.contact_id for r in audience] == [bob.id]  # the replica's people
        [email] = [c for c in primary.trends(staff()).channels if c.channel is Channel.EMAIL]
        assert email.subscribed.now == 1
        assert primary.check(sender(), ada.id, "email", "acme").allowed  # the primary's
        assert primary.find_contact(staff(), email="ada@example.com").id == ada.id
    finally:
        primary.close()


def test_without_a_replica_everything_reads_the_primary(ledger: Ledger) -> None:
    assert ledger.context.replica is None and ledger.context.reads is ledger.store
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    audience = ledger.resolve_audience(sender(), Segment(), "email", "acme")
    assert [r.contact_id for r in audience] == [ada.id]


def test_settings_read_the_replica_url_from_the_environment() -> None:
    url = "postgresql://reader@replica.internal/consentry"
    assert Settings.from_env({"CONSENTRY_READ_DATABASE_URL": url}).read_database_url == url
    assert Settings.from_env({}).read_database_url is None
