"""Concurrent writers on one contact (PostgreSQL), and migrations that match the schema."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from consentry.adapters.store.engine import make_engine
from consentry.adapters.store.migrate import downgrade, upgrade
from consentry.adapters.store.schema import metadata
from consentry.core.events import Source
from consentry.core.status import Status, fold
from tests.factories import admin, make_contact, sender, sql, system

WRITERS = 20


def test_twenty_concurrent_writers_on_one_contact_keep_a_valid_linear_chain(ledger):
    if ledger.store.dialect != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; this is the PostgreSQL test")
    ada = make_contact(ledger)

    def write(n: int):
        if n % 2:
            return ledger.opt_out(
                sender(),
                ada.id,
                "sms",
                "acme",
                source=Source.SMS_KEYWORD,
                evidence={"inbound": f"STOP {n}"},
            )
        return ledger.opt_in(
            sender(),
            ada.id,
            "sms",
            "acme",
            evidence={"inbound": f"START {n}"},
            source=Source.SMS_KEYWORD,
        )

    with ThreadPoolExecutor(WRITERS) as pool:
        written = list(pool.map(write, range(WRITERS)))
    report = ledger.verify(system())
    assert report.ok and report.checked == WRITERS
    with ledger.store.transaction(write=False) as tx:
        events = tx.events(ada.id)
        [(_, _, projection)] = tx.consent_rows(ada.id)
    assert [e.seq for e in events] == list(range(1, WRITERS + 1))
    assert {e.id for e in events} == {e.id for e in written}
    assert projection == fold(events)
    last = events[-1]
    expected = Status.HARD_OPT_OUT if last.action.value == "opted_out" else Status.OPTED_IN
    assert (projection.status, projection.event_id) == (expected, last.id)
    [(head_seq,)] = sql(ledger, "SELECT seq FROM chain_heads WHERE contact_id = :c", c=ada.id)
    assert head_seq == WRITERS
    assert ledger.status_at(admin(), ada.id, "sms", "acme", at=ledger.clock.now()).event == last


def _declared(name: str | None, type_: str, _parents: object) -> bool:
    """Leave out the partitions of a hash-partitioned ``events`` (decision 083): the parent
    table is compared, its ``events_pNNN`` children are the partitioning's own."""
    return not (type_ in ("table", "index") and re.match(r"events_p\d{3}", name or ""))


def differences(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _declared})
        return compare_metadata(context, metadata)


def test_the_migrated_schema_is_exactly_the_declared_schema(ledger):
    assert differences(ledger.store.engine) == []


def test_migrations_go_down_to_nothing_and_up_again_on_sqlite(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        upgrade(engine)
        assert differences(engine) == []
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert differences(engine) == []
    finally:
        engine.dispose()
