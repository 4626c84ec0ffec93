"""``consentry export contacts | consents | ledger`` on SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from consentry.core.exports import CONSENT_COLUMNS, LEDGER_COLUMNS
from tests.cli.conftest import WRITTEN, invoke
from tests.conftest import ADDRESS_KEY, SECRET_KEYS


@pytest.fixture(autouse=True)
def configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the CLI makes no secrets: the deployment configures them (decision 051)."""
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)


@pytest.fixture
def ada(db_url: str) -> str:
    """The acme scopes and Ada (a name a spreadsheet would compute), opted in to SMS."""
    for scope in ("acme", "acme/newsletters", "globex"):
        invoke(db_url, "scopes", "add", scope)
    args = ("contacts", "add", "--group", "acme", "--mobile", "+447700900123", "--name", "-Ada")
    contact = invoke(db_url, *args).stdout.strip()
    invoke(db_url, "opt-in", contact, "--channel", "sms", "--scope", "acme", *WRITTEN)
    return contact


def test_each_export_goes_to_standard_output(db_url: str, ada: str):
    out = invoke(db_url, "export", "contacts", "--group", "acme").stdout
    header, line = csv.reader(io.StringIO(out, newline=""))
    record = dict(zip(header, line, strict=True))
    assert record["id"] == ada and record["name"] == "'-Ada" and record["sms_status"] == "opted_in"
    consents = invoke(db_url, "export", "consents", "--group", "acme", "--format", "ndjson")
    (row,) = [json.loads(x) for x in consents.stdout.splitlines()]
    assert list(row) == list(CONSENT_COLUMNS) and row["status"] == "opted_in"
    events = invoke(db_url, "export", "ledger", "--group", "acme", "--format", "ndjson").stdout
    (event,) = [json.loads(x) for x in events.splitlines()]
    assert list(event) == list(LEDGER_COLUMNS) and event["contact_id"] == ada
    assert json.loads(event["evidence"])["written_permission"] == "email"
    other = invoke(db_url, "export", "ledger", "--group", "globex", "--format", "ndjson")
    assert other.stdout == ""


def test_out_writes_the_whole_file_and_says_so(db_url: str, ada: str, tmp_path: Path):
    target = tmp_path / "ledger.csv"
    result = invoke(
        db_url, "export", "ledger", "--group", "acme", "--out", str(target),
        "--since", "2000-01-01",
    )  # fmt: skip
    assert result.stdout == "" and f"Exported to {target}" in result.stderr
    header, line = csv.reader(io.StringIO(target.read_text(encoding="utf-8"), newline=""))
    assert header == list(LEDGER_COLUMNS) and line[1] == ada
    assert not (tmp_path / "ledger.csv.part").exists()
    invoke(
        db_url, "export", "ledger", "--group", "acme", "--out", str(target), "--since", "2100-01-01"
    )
    assert target.read_text(encoding="utf-8").count("\n") == 1  # the header only


@pytest.mark.usefixtures("ada")
def test_a_refusal_writes_no_file(db_url: str, tmp_path: Path):
    target = tmp_path / "x.csv"
    bad = invoke(
        db_url, "export", "contacts", "--group", "Not A Group!", "--out", str(target), ok=False
    )
    assert bad.exit_code == 2 and bad.stderr.startswith("Error [invalid_scope]: ")
    assert not target.exists() and not (tmp_path / "x.csv.part").exists()
    since = invoke(db_url, "export", "ledger", "--group", "acme", "--since", "soon", ok=False)
    assert since.exit_code == 2 and "ISO 8601" in since.stderr
    fmt = invoke(db_url, "export", "ledger", "--group", "acme", "--format", "xml", ok=False)
    assert fmt.exit_code == 2 and "'xml' is not one of" in fmt.stderr


@pytest.mark.usefixtures("ada")
def test_a_failure_midway_leaves_no_file(db_url: str, tmp_path: Path, monkeypatch):
    def broken(event: object) -> dict[str, object]:
        raise RuntimeError(f"the disk is full at {event}")

    monkeypatch.setattr("consentry.ledger.exports.event_record", broken)
    target = tmp_path / "ledger.csv"
    with pytest.raises(RuntimeError):  # after the header was written to ledger.csv.part
        invoke(db_url, "export", "ledger", "--group", "acme", "--out", str(target))
    assert not target.exists() and not (tmp_path / "ledger.csv.part").exists()
