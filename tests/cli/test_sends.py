"""``consentry sends report FILE`` (NDJSON or CSV) and ``consentry compliance report``
(decision 079): a send after the contact's STOP is a violation, one before it is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.cli.conftest import WRITTEN


def _soon(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_sends_before_and_after_a_stop_and_the_report(run, ada, tmp_path):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme/newsletters", *WRITTEN)
    before = tmp_path / "before.ndjson"
    item = {"contact": ada, "channel": "sms", "scope": "acme/newsletters", "message_id": "m-1"}
    before.write_text(json.dumps({**item, "sent_at": _soon(1)}) + "\n\n")
    out = run("sends", "report", str(before), "--group", "acme").stdout
    assert out.strip().endswith("1 eligible, 0 violation, 0 refused")
    run("opt-out", ada, "--channel", "sms", "--scope", "acme", "--by-contact",
        "--evidence", "body=STOP")  # fmt: skip
    after = tmp_path / "after.csv"
    after.write_text(
        "contact,email,channel,scope,message_id,sent_at\n"
        f"{ada},,sms,acme/newsletters,m-2,{_soon(2)}\n"
        f"ct_nobody,,sms,acme/newsletters,m-3,{_soon(2)}\n"
    )
    table = run("sends", "report", str(after), "--group", "acme").stdout
    assert "hard_opt_out" in table and "contact_not_found" in table
    [violation, refused] = json.loads(
        run("sends", "report", str(after), "--group", "acme", "--json").stdout
    )  # reported again: the same answers
    assert (violation["status"], violation["reason"]) == ("violation", "hard_opt_out")
    assert refused["code"] == "contact_not_found"
    until = ("--until", _soon(10))  # the sends are dated a minute or two ahead
    report = json.loads(run("compliance", "report", "--group", "acme", *until, "--json").stdout)
    assert report["sends"] == [
        {"scope_id": "acme/newsletters", "channel": "sms", "sends": 2, "violations": 1}
    ]
    [measured] = report["honouring"]
    assert measured["violations"] == 1 and not measured["exceeded"]
    text = run("compliance", "report", "--group", "acme", "--since", "2026-01-01", *until).stdout
    assert "acme/newsletters  sms" in text and "0 opt-out(s) honoured after their clock" in text


def test_a_file_that_is_not_json_is_refused(run, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text("not json\n")
    assert run("sends", "report", str(bad), "--group", "acme", ok=False).exit_code == 2
    bad.write_text("[1]\n")
    assert run("sends", "report", str(bad), "--group", "acme", ok=False).exit_code == 2
    bad.write_text('{"sent_at": "yesterday"}\n')
    assert run("sends", "report", str(bad), "--group", "acme", ok=False).exit_code == 2
