"""``consentry import`` on SQLite and PostgreSQL: a file in, a summary and a per-row report out,
a dry run that writes nothing, a saved mapping reused, the original's hash in the evidence."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

from tests.cli.conftest import WRITTEN, invoke
from tests.conftest import ADDRESS_KEY, SECRET_KEYS

FILE = "Email,SMS,Plan\nada@example.com,yes,gold\nbob@example.com,no,\n=cmd@x,yes,\n"
MAP = ("--map", "Email=email", "--map", "SMS=consent:sms", "--map", "Plan=attribute:plan")


@pytest.fixture(autouse=True)
def configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)


def test_an_import_prints_its_summary_and_writes_each_rows_outcome(
    db_url: str, tmp_path: Path
) -> None:
    invoke(db_url, "scopes", "add", "acme")
    source = tmp_path / "people.csv"
    source.write_text(FILE)
    original = tmp_path / "forms.pdf"
    original.write_bytes(b"%PDF-1.4 signed forms")
    report = tmp_path / "report.csv"
    args = ("import", str(source), "--scope", "acme", *MAP, *WRITTEN, "--quiet")
    dry = invoke(db_url, *args, "--dry-run", "--json")
    assert json.loads(dry.stdout)["created"] == 2
    find = ("contacts", "find", "--group", "acme", "--email", "ada@example.com")
    assert "contact_not_found" in invoke(db_url, *find, ok=False).output  # nothing written
    done = invoke(
        db_url, *args, "--report", str(report), "--evidence-document", str(original),
        "--save-mapping", str(tmp_path / "map.json"),
    )  # fmt: skip
    assert "3 rows: 2 created, 0 updated, 0 unchanged, 1 refused" in done.stdout
    assert "refused 1: invalid_email" in done.stdout
    lines = list(csv.reader(report.read_text().splitlines()))
    assert lines[0] == ["line", "outcome", "contact_id", "changes", "code", "message"]
    assert [(r[0], r[1], r[3], r[4]) for r in lines[1:]] == [
        ("2", "created", "opted_in:sms", ""), ("3", "created", "opted_out:sms", ""),
        ("4", "refused", "", "invalid_email"),
    ]  # fmt: skip
    assert lines[3][5].startswith("''=cmd@x'")  # a cell a spreadsheet would run, neutralised
    ada = lines[1][2]
    history = json.loads(invoke(db_url, "history", ada, "--group", "acme", "--json").stdout)
    evidence = history[0]["evidence"]
    assert evidence["file_sha256"] == hashlib.sha256(original.read_bytes()).hexdigest()
    again = invoke(
        db_url, "import", str(source), "--scope", "acme", "--mapping-file",
        str(tmp_path / "map.json"), *WRITTEN, "--quiet", "--json",
    )  # fmt: skip
    assert json.loads(again.stdout)["unchanged"] == 2 and json.loads(again.stdout)["events"] == 0


def test_a_bad_mapping_or_format_is_refused_with_its_code(db_url: str, tmp_path: Path) -> None:
    invoke(db_url, "scopes", "add", "acme")
    source = tmp_path / "people.txt"
    source.write_text(FILE)
    bad = invoke(db_url, "import", str(source), "--scope", "acme", *MAP, ok=False)
    assert "--format" in bad.output
    wrong = invoke(
        db_url, "import", str(source), "--scope", "acme", "--format", "csv", "--map",
        "Colour=colour", ok=False,
    )  # fmt: skip
    assert "invalid_mapping" in wrong.output
    missing = invoke(
        db_url, "import", str(source), "--scope", "acme", "--format", "csv", "--map",
        "Phone=mobile", ok=False,
    )  # fmt: skip
    assert "invalid_mapping" in missing.output and "'Phone'" in missing.output
