"""``consentry partition-events`` (issue 12; decision 083): the events table hash-partitioned by
contact on plain PostgreSQL keeps every behaviour — imports, opt-outs, erasure, verification —
with each contact's chain in one partition. SQLite has no partitioning and refuses."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from consentry.adapters.store.engine import make_engine
from tests.cli.conftest import WRITTEN, Run, invoke
from tests.conftest import ADDRESS_KEY, PG_SERVER, SECRET_KEYS, _server_engine


@pytest.fixture(autouse=True)
def configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """An empty PostgreSQL database of its own (the conversion is per database)."""
    name = f"consentry_p_{uuid.uuid4().hex[:12]}"
    server = _server_engine()
    try:
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there; CI fails on it in tests/conftest
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc}")
    yield PG_SERVER.rsplit("/", 1)[0] + "/" + name
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def one(url: str, sql: str) -> object:
    made = make_engine(url)
    try:
        with made.connect() as conn:
            return conn.exec_driver_sql(sql).scalar_one()
    finally:
        made.dispose()


@pytest.mark.postgres
def test_a_partitioned_events_table_keeps_every_behaviour(fresh_pg: str, tmp_path: Path) -> None:
    done = invoke(fresh_pg, "partition-events", "--partitions", "4")
    assert "into 4 partitions" in done.output
    assert one(fresh_pg, "SELECT relkind FROM pg_class WHERE relname = 'events'") == "p"
    assert "already partitioned" in invoke(fresh_pg, "partition-events").output
    invoke(fresh_pg, "scopes", "add", "acme")
    source = tmp_path / "people.csv"
    rows = "".join(f"p{n}@example.com,{'yes' if n % 3 else 'no'}\n" for n in range(200))
    source.write_text("email,sms\n" + rows)
    invoke(fresh_pg, "import", str(source), "--scope", "acme", "--map", "email=email",
           "--map", "sms=consent:sms", *WRITTEN, "--quiet")  # fmt: skip
    found = invoke(fresh_pg, "contacts", "find", "--email", "p7@example.com", "--group", "acme",
                   "--json")  # fmt: skip
    contact = json.loads(found.output)["id"]
    invoke(fresh_pg, "opt-out", contact, "--channel", "sms", "--scope", "acme", "--by-contact")
    invoke(fresh_pg, "contacts", "erase", contact, "--group", "acme", "--reference", "T-1")
    assert one(fresh_pg, "SELECT count(DISTINCT tableoid) FROM events") == 4  # spread
    split = "SELECT count(*) FROM (SELECT contact_id FROM events GROUP BY contact_id "
    assert one(fresh_pg, split + "HAVING count(DISTINCT tableoid) > 1) x") == 0  # never a chain
    assert '"ok": true' in invoke(fresh_pg, "verify", "--json").output
    assert one(fresh_pg, "SELECT count(*) FROM events") == 200 + 2


def test_sqlite_refuses_to_partition(run: Run) -> None:
    refused = run("partition-events", ok=False)
    assert "[invalid]" in refused.output and "only PostgreSQL" in refused.output
