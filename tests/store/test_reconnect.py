"""After the server drops every connection, one call may fail with `unavailable`; the next works."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from consentry.core.errors import Unavailable
from tests.conftest import PG_SERVER
from tests.factories import WRITTEN, admin, make_contact, sender, staff


def _kill_connections(database: str) -> None:
    engine = create_engine(
        "postgresql+psycopg://" + PG_SERVER.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
    engine.dispose()


@pytest.mark.parametrize("path", ["check", "write"])
def test_a_restarted_server_costs_at_most_one_unavailable_call(ledger, db_url, path):
    if not db_url.startswith("postgresql"):
        pytest.skip("connection loss is a PostgreSQL matter; SQLite has no server")
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.check(sender(), ada.id, "sms", "acme")  # warm the pool
    _kill_connections(db_url.rsplit("/", 1)[1])

    def call() -> object:
        if path == "check":
            return ledger.check(sender(), ada.id, "sms", "acme")
        return ledger.opt_out(admin(), ada.id, "email", "acme")

    failures = 0
    for _ in range(3):
        try:
            call()
        except Unavailable:
            failures += 1
    assert failures <= 1
    assert ledger.check(sender(), ada.id, "sms", "acme").allowed
