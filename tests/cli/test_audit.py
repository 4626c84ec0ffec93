import json
import re

from sqlalchemy import text

from consentry.adapters.store.engine import make_engine
from tests.cli.conftest import WRITTEN


def event_id(result):
    return result.stdout.split("event ")[-1].strip()


def tamper(url, sql, **params):
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def test_status_at_names_the_event_that_set_it(run, ada):
    opted = event_id(run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN))
    base = ("status-at", ada, "--channel", "sms", "--scope", "acme/newsletters")
    before = json.loads(run(*base, "--at", "2000-01-01", "--json").stdout)
    assert before["status"] == "none" and before["effective"] == "none"
    after = json.loads(run(*base, "--at", "2100-01-01T00:00:00+00:00", "--json").stdout)
    assert after["status"] == "none"  # nothing at the client itself
    assert after["effective"] == "opted_in" and after["effective_scope"] == "acme"
    assert after["effective_event"]["id"] == opted
    assert after["effective_event"]["evidence"]["written_permission"]
    own = run("status-at", ada, "--channel", "sms", "--scope", "acme", "--at", "2100-01-01")
    assert "status: opted_in" in own.stdout and opted in own.stdout


def test_status_at_refuses_a_malformed_moment(run, ada):
    result = run(
        "status-at", ada, "--channel", "sms", "--scope", "acme", "--at", "yesterday", ok=False
    )
    assert result.exit_code == 2 and "ISO 8601" in result.stderr


def test_verify_is_ok_on_an_untouched_ledger(run, ada):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    run("opt-out", ada, "--channel", "sms", "--scope", "acme", "--by-contact")
    assert run("verify").stdout.startswith("OK: 2 events verified; root ")
    report = json.loads(run("verify", "--json").stdout)
    assert report["ok"] is True and report["checked"] == 2 and report["problems"] == []


def test_verify_after_editing_an_event_names_it(run, url, ada):
    edited = event_id(run("opt-out", ada, "--channel", "sms", "--scope", "acme"))
    run("opt-out", ada, "--channel", "email", "--scope", "acme")
    tamper(url, "UPDATE events SET channel = 'voice' WHERE id = :id", id=edited)
    result = run("verify", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error [ledger_tampered]: ")
    assert edited in result.stderr
    assert f"altered: contact {ada} event {edited}" in result.stdout


def test_verify_after_editing_evidence_names_the_event(run, url, ada):
    opted = event_id(run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN))
    tamper(
        url,
        'UPDATE events SET evidence = \'{"written_permission":"forged"}\' WHERE id = :id',
        id=opted,
    )
    result = run("verify", "--json", ok=False)
    problem = json.loads(result.stdout)["problems"][0]
    assert problem["event_id"] == opted and problem["kind"] == "altered"
    assert "ledger_tampered" in result.stderr


def test_verify_after_deleting_an_event_names_the_next_one(run, url, ada):
    run("opt-out", ada, "--channel", "sms", "--scope", "acme")
    second = event_id(run("opt-out", ada, "--channel", "email", "--scope", "acme"))
    tamper(url, "DELETE FROM events WHERE contact_id = :c AND seq = 1", c=ada)
    result = run("verify", ok=False)
    assert "Error [ledger_tampered]" in result.stderr and second in result.stderr


def test_digest_round_trip(run, ada, tmp_path):
    run("opt-out", ada, "--channel", "sms", "--scope", "acme")
    path = tmp_path / "digest.json"
    written = run("digest", "--out", str(path)).stdout
    assert "Digest of 1 chains (1 events)" in written
    saved = json.loads(path.read_text())
    assert saved["heads"][0]["contact_id"] == ada and saved["events"] == 1
    assert json.loads(run("digest").stdout)["root"] == saved["root"]
    run("opt-out", ada, "--channel", "email", "--scope", "acme")  # later events are fine
    assert run("verify", "--digest", str(path)).stdout.startswith("OK: 2 events")


def test_verify_against_a_digest_finds_a_rewritten_chain(run, ada, tmp_path):
    run("opt-out", ada, "--channel", "sms", "--scope", "acme")
    path = tmp_path / "digest.json"
    run("digest", "--out", str(path))
    saved = json.loads(path.read_text())
    saved["heads"][0]["hash"] = "0" * 64  # as if the ledger had been rewritten since
    path.write_text(json.dumps(saved))
    result = run("verify", "--digest", str(path), ok=False)
    assert "Error [ledger_tampered]" in result.stderr


def test_verify_refuses_a_file_that_is_not_a_digest(run, tmp_path):
    path = tmp_path / "nope.json"
    path.write_text('{"hello": "world"}')
    result = run("verify", "--digest", str(path), ok=False)
    assert result.exit_code == 2 and "not a Consentry digest" in result.stderr


def test_verify_refuses_a_digest_of_another_format(run, tmp_path):
    path = tmp_path / "old.json"
    path.write_text('{"format": "consentry-digest/v0", "heads": []}')
    result = run("verify", "--digest", str(path), ok=False)
    assert "not a Consentry digest" in result.stderr and "consentry-digest/v0" in result.stderr


def test_an_erased_contact_verifies_and_the_report_says_it_was_erased(run, ada):
    run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    said = run("contacts", "erase", ada, "--group", "acme", "--reference", "DSAR-7").stdout
    assert said.startswith(f"erased {ada}: evidence of 1 events, 0 files") and "1 erasure" in said
    again = json.loads(run("contacts", "erase", ada, "--group", "acme", "--json").stdout)
    assert again["already_erased"] is True and again["events"] == [] and again["removed"] is None
    assert "was erased before" in run("contacts", "erase", ada, "--group", "acme").stdout
    verified = run("verify").stdout
    assert "1 contacts erased: the evidence of 1 events was removed by their erasure" in verified
    report = json.loads(run("verify", "--json").stdout)
    assert (report["ok"], report["erased"], report["erased_evidence"]) == (True, 1, 1)
    shown = json.loads(run("contacts", "show", ada, "--group", "acme", "--json").stdout)
    assert shown["email"] is None and shown["erased_at"]


def test_the_transactional_policy_is_shown_set_and_reset(run, ada):
    shown = run("policy", "transactional", "--group", "acme").stdout
    assert re.search(r"^sms +no +deployment_no_bypass$", shown, re.M), shown
    set_ = json.loads(
        run("policy", "transactional", "--group", "acme", "--channel", "sms", "--bypass",
            "--json").stdout
    )  # fmt: skip
    assert set_[0]["policy"] == "group_bypass" and set_[0]["updated_by"].startswith("cli:")
    checked = run(
        "check", ada, "--channel", "sms", "--scope", "acme", "--category", "transactional"
    )
    assert "transactional" in checked.stdout
    back = run("policy", "transactional", "--group", "acme", "--channel", "sms", "--default")
    assert "deployment_no_bypass" in back.stdout
    assert "need --channel" in run("policy", "transactional", "--group", "acme", "--bypass",
                                   ok=False).output  # fmt: skip
    both = run("policy", "transactional", "--group", "acme", "--channel", "sms", ok=False)
    assert "one of --bypass, --no-bypass or --default" in both.output
