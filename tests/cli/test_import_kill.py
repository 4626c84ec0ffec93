"""A ``kill -9`` of ``consentry import`` during a 100,000-row import loses nothing committed;
the re-run ends with every row exactly once and every chain valid (issue 11), on both
databases. The import runs as a real process; the test kills it once two batches are in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.cli.conftest import WRITTEN, invoke
from tests.conftest import ADDRESS_KEY, SECRET_KEYS

ROWS = 100_000
BATCH = 5_000


@pytest.fixture(autouse=True)
def configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)


def counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return (
                conn.execute(text("SELECT count(*) FROM contacts")).scalar_one(),
                conn.execute(text("SELECT count(DISTINCT email) FROM contacts")).scalar_one(),
                conn.execute(text("SELECT count(*) FROM events")).scalar_one(),
            )
    finally:
        engine.dispose()


def test_a_killed_import_loses_nothing_and_a_rerun_completes_it_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    invoke(db_url, "scopes", "add", "acme")
    source = tmp_path / "big.csv"
    with source.open("w") as out:
        out.write("email,sms\n")
        out.writelines(f"p{n}@example.com,{'yes' if n % 4 else 'no'}\n" for n in range(ROWS))
    args = [
        "import", str(source), "--scope", "acme", "--map", "email=email", "--map",
        "sms=consent:sms", *WRITTEN, "--batch-size", str(BATCH), "--quiet",
    ]  # fmt: skip
    command = [sys.executable, "-m", "consentry", "--db", db_url, *args]
    process = subprocess.Popen(command, env=os.environ.copy())
    deadline = time.monotonic() + 300
    while counts(db_url)[0] < 2 * BATCH:
        assert process.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline, "the import committed no two batches in 5 minutes"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    contacts, distinct, events = counts(db_url)
    assert contacts % BATCH == 0 and contacts < ROWS  # whole batches, never half of one
    assert distinct == contacts and events == contacts
    again = invoke(db_url, *args, "--json")
    assert '"refused": 0' in again.stdout
    assert counts(db_url) == (ROWS, ROWS, ROWS)  # every row exactly once, one event each
    verified = invoke(db_url, "verify", "--json")
    assert '"ok": true' in verified.stdout
