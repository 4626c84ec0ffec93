import json

import pytest

from tests.cli.conftest import WRITTEN


def opt_in(run, ada, channel="sms", scope="acme"):
    return run("opt-in", ada, "--channel", channel, "--scope", scope, *WRITTEN)


def check(run, ada, channel="sms", scope="acme/newsletters/ada", ok=True):
    return run("check", ada, "--channel", channel, "--scope", scope, "--json", ok=ok)


def test_opt_in_without_evidence_is_refused_and_writes_nothing(run, ada):
    result = run("opt-in", ada, "--channel", "sms", "--scope", "acme", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error [evidence_required]: ")
    assert json.loads(run("history", ada, "--group", "acme", "--json").stdout) == []


def test_opt_in_evidence_is_shown_in_history(run, ada):
    assert "opted_in (soft) on sms at acme" in opt_in(run, ada).stdout
    table = run("history", ada, "--group", "acme").stdout
    header = table.splitlines()[0].split()
    assert header == ["time", "channel", "scope", "action", "kind", "actor", "source", "evidence"]
    assert "Yes, please text me offers." in table
    (event,) = json.loads(run("history", ada, "--group", "acme", "--json").stdout)
    assert event["action"] == "opted_in" and event["source"] == "cli"
    assert event["actor"]["kind"] == "system" and event["actor"]["id"].startswith("cli:")
    assert event["evidence"]["written_permission"] == "email"
    assert event["evidence"]["reference"].startswith("Email of 2026-01-02")


def test_evidence_can_come_from_a_json_file(run, ada, tmp_path):
    path = tmp_path / "evidence.json"
    record = {"written_permission": "signed_form", "given_at": "2026-01-02", "reference": "form 7"}
    path.write_text(json.dumps({**record, "form": "signup", "ip": "192.0.2.7"}))
    run("opt-in", ada, "--channel", "email", "--scope", "acme", "--evidence-file", str(path))
    run(
        "opt-in",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme",
        "--evidence-file",
        "-",
        "--evidence",
        "reference=form 8",
        stdin=json.dumps({**record, "form": "kiosk"}),
    )
    events = json.loads(run("history", ada, "--group", "acme", "--json").stdout)
    assert [e["evidence"] for e in events] == [
        {**record, "form": "signup", "ip": "192.0.2.7"},
        {**record, "form": "kiosk", "reference": "form 8"},
    ]


def test_evidence_file_must_be_a_json_object(run, ada):
    result = run(
        "opt-in",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme",
        "--evidence-file",
        "-",
        stdin="[1, 2]",
        ok=False,
    )
    assert result.exit_code == 2 and "JSON object" in result.stderr


def test_check_allowed_exits_0_and_refused_exits_1_with_the_reason(run, ada):
    refused = check(run, ada, ok=False)
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["reason"] == "no_consent"
    event = opt_in(run, ada).stdout.split("event ")[-1].strip()
    allowed = json.loads(check(run, ada).stdout)
    assert allowed == {"allowed": True, "reason": "opted_in", "scope": "acme", "event_id": event}
    text = run("check", ada, "--channel", "sms", "--scope", "acme/newsletters").stdout
    assert text.startswith("allowed: opted_in (scope acme, event ev_")


def test_subscribing_to_sms_does_not_subscribe_to_whatsapp(run, ada):
    opt_in(run, ada)
    assert json.loads(check(run, ada, "whatsapp", ok=False).stdout)["reason"] == "no_consent"


def test_soft_opt_out_is_refused_and_resubscribe_needs_reason_and_evidence(run, ada):
    opt_in(run, ada)
    out = run("opt-out", ada, "--channel", "sms", "--scope", "acme/newsletters").stdout
    assert "opted_out (soft)" in out
    refused = check(run, ada, ok=False)
    assert json.loads(refused.stdout)["reason"] == "soft_opt_out"
    base = ("resubscribe", ada, "--channel", "sms", "--scope", "acme/newsletters")
    missing = run(*base, "--reason", "contact_asked", ok=False)
    assert "Error [evidence_required]" in missing.stderr
    assert run(*base, ok=False).exit_code == 2  # --reason is required
    run(*base, "--reason", "contact_asked", "--evidence", "call=Phoned on 3 Jan")
    assert json.loads(check(run, ada).stdout)["allowed"] is True


def test_the_contacts_own_opt_out_is_hard_and_locked_for_the_operator(run, ada):
    opt_in(run, ada)
    out = run(
        "opt-out",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme",
        "--by-contact",
        "--evidence",
        "body=STOP",
    ).stdout
    assert "opted_out (hard)" in out
    assert json.loads(check(run, ada, ok=False).stdout)["reason"] == "hard_opt_out"
    result = run(
        "resubscribe",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme",
        "--reason",
        "mistaken_unsubscribe",
        "--evidence",
        "note=oops",
        ok=False,
    )
    assert "Error [hard_opt_out_locked]" in result.stderr
    again = run("opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN, ok=False)
    assert "Error [hard_opt_out_locked]" in again.stderr
    (_, stop) = json.loads(run("history", ada, "--group", "acme", "--json").stdout)
    assert stop["actor"] == {"kind": "contact", "id": ada} and stop["source"] == "sms_keyword"


def test_by_contact_source_is_recorded(run, ada):
    run(
        "opt-out",
        ada,
        "--channel",
        "voice",
        "--scope",
        "acme",
        "--by-contact",
        "--source",
        "voice_keypad",
    )
    (event,) = json.loads(
        run("history", ada, "--group", "acme", "--channel", "voice", "--json").stdout
    )
    assert event["source"] == "voice_keypad" and event["strength"] == "hard"


def test_a_contact_source_without_by_contact_is_a_usage_error(run, ada):
    result = run(
        "opt-out", ada, "--channel", "sms", "--scope", "acme", "--source", "sms_keyword", ok=False
    )
    assert result.exit_code == 2 and "--by-contact" in result.stderr


def test_group_opt_out_filters_down_but_client_opt_out_does_not_climb(run, ada):
    opt_in(run, ada, "email", "acme")
    run("opt-out", ada, "--channel", "email", "--scope", "acme/events")
    assert json.loads(check(run, ada, "email", "acme/newsletters/ada").stdout)["allowed"]
    refused = json.loads(check(run, ada, "email", "acme/events", ok=False).stdout)
    assert refused["reason"] == "soft_opt_out" and refused["scope"] == "acme/events"


def test_transactional_category(run, ada):
    run("opt-out", ada, "--channel", "email", "--scope", "acme")
    result = run(
        "check", ada, "--channel", "email", "--scope", "acme", "--category", "transactional"
    )
    assert result.stdout.startswith("allowed: transactional")


def test_unknown_channel_prints_invalid_channel(run, ada):
    result = run("opt-in", ada, "--channel", "pigeon", "--scope", "acme", *WRITTEN, ok=False)
    assert result.exit_code == 2 and result.stderr.startswith("Error [invalid_channel]: ")
    assert "Error [invalid_channel]" in check(run, ada, "fax", ok=False).stderr


def test_unknown_scope_prints_scope_not_found(run, ada):
    result = run(
        "opt-in",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme/nowhere",
        *WRITTEN,
        ok=False,
    )
    assert result.stderr.startswith("Error [scope_not_found]: ")


@pytest.mark.usefixtures("ada")
def test_unknown_contact_prints_contact_not_found(run):
    result = check(run, "ct_missing", ok=False)
    assert result.exit_code == 2 and "Error [contact_not_found]" in result.stderr


def test_evidence_must_be_key_value(run, ada):
    result = run(
        "opt-in", ada, "--channel", "sms", "--scope", "acme", "--evidence", "just text", ok=False
    )
    assert result.exit_code == 2 and "key=value" in result.stderr


def test_history_shows_the_resubscribe_reason(run, ada):
    run("opt-out", ada, "--channel", "email", "--scope", "acme")
    run(
        "resubscribe",
        ada,
        "--channel",
        "email",
        "--scope",
        "acme",
        "--reason",
        "mistaken_unsubscribe",
        "--evidence",
        "ticket=HD-42",
    )
    table = run("history", ada, "--group", "acme", "--channel", "email").stdout
    assert 'reason=mistaken_unsubscribe {"ticket":"HD-42"}' in table


def test_evidence_file_must_be_json(run, ada):
    result = run(
        "opt-in",
        ada,
        "--channel",
        "sms",
        "--scope",
        "acme",
        "--evidence-file",
        "-",
        stdin="written permission",
        ok=False,
    )
    assert result.exit_code == 2 and "not JSON" in result.stderr
