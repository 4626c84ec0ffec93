import json
from datetime import UTC, datetime, timedelta

from consentry.adapters.clock import FixedClock
from consentry.bootstrap import build
from consentry.core.contacts import ContactDetails
from consentry.core.permissions import Principal, Role
from consentry.settings import Settings
from tests.cli.conftest import add_scopes

NUMBER = "+447700900900"


def test_numbers_are_configured_and_listed(run):
    add_scopes(run)
    text = run(
        "numbers",
        "configure",
        "whatsapp:+44 7700 900900",
        "--scope",
        "acme/newsletters",
        "--channel",
        "sms",
        "--channel",
        "whatsapp",
        "--keyword-set",
        "uk",
        "--language",
        "en",
        "--language",
        "fr",
        "--help-text",
        "Acme News: help@example.com",
    ).stdout
    assert text.strip() == f"Configured {NUMBER} → acme/newsletters"
    [config] = json.loads(run("numbers", "list", "--group", "acme", "--json").stdout)
    assert config["channels"] == ["sms", "whatsapp"] and config["languages"] == ["en", "fr"]
    assert (config["keyword_set"], config["help_text"]) == ("uk", "Acme News: help@example.com")
    assert NUMBER in run("numbers", "list", "--group", "acme").stdout
    assert json.loads(run("numbers", "list", "--group", "globex", "--json").stdout) == []


def test_a_bad_number_configuration_is_an_error_with_its_code(run):
    add_scopes(run)
    result = run("numbers", "configure", NUMBER, "--scope", "acme", "--channel", "email", ok=False)
    assert result.exit_code == 2 and "Error [invalid]" in result.stderr
    result = run("numbers", "configure", NUMBER, "--scope", "acme/nope", ok=False)
    assert "Error [scope_not_found]" in result.stderr
    run("numbers", "configure", NUMBER, "--scope", "acme")
    result = run("numbers", "configure", NUMBER, "--scope", "globex", ok=False)
    assert "Error [conflict]" in result.stderr


def test_keywords_are_added_and_removed_but_stop_stays(run):
    add_scopes(run)
    args = ("--group", "acme", "--set", "uk")
    run("keywords", "add", "Enough", *args, "--kind", "opt_out", "--language", "en")
    run("keywords", "remove", "yes", *args, "--kind", "opt_in")
    shown = json.loads(run("keywords", "show", *args, "--json").stdout)
    assert shown["words"]["opt_out"]["enough"] == "en"
    assert "yes" not in shown["words"]["opt_in"] and "start" in shown["words"]["opt_in"]
    assert "enough" in run("keywords", "show", *args, "--language", "en").stdout
    result = run("keywords", "remove", "STOP", *args, "--kind", "opt_out", ok=False)
    assert result.exit_code == 2 and "Error [keyword_required]" in result.stderr
    result = run("keywords", "add", "x", *args, "--kind", "opt_in", "--language", "xx", ok=False)
    assert "Error [invalid]" in result.stderr
    assert run("keywords", "add", "x", *args, "--kind", "stop", ok=False).exit_code == 2


def test_the_outbox_lists_queued_replies(run, url):
    add_scopes(run)
    run("numbers", "configure", NUMBER, "--scope", "acme/newsletters")
    ledger = build(Settings(database_url=url))
    try:
        gateway = Principal(Role.SENDER, "acme", "sms-gateway", via_key=True)
        for n in range(2):
            ledger.receive_message(gateway, "twilio", f"SM{n}", f"+44770090012{n}", NUMBER, "HELP")
        [first, _] = ledger.list_outbox(gateway)
        ledger.mark_sent(gateway, first.id)
    finally:
        ledger.close()
    pending = json.loads(run("outbox", "list", "--group", "acme", "--json").stdout)
    assert [m["category"] for m in pending] == ["help"] and pending[0]["sent_at"] is None
    every = json.loads(run("outbox", "list", "--group", "acme", "--all", "--json").stdout)
    assert [m["id"] for m in every] == [first.id, pending[0]["id"]]
    page = run("outbox", "list", "--group", "acme", "--all", "--after", first.id, "--json")
    assert [m["id"] for m in json.loads(page.stdout)] == [pending[0]["id"]]
    assert "+447700900121" in run("outbox", "list", "--group", "acme").stdout
    assert json.loads(run("outbox", "list", "--group", "globex", "--json").stdout) == []


def test_expired_confirmations_are_swept(run, url):
    add_scopes(run)
    month_ago = FixedClock(datetime.now(UTC) - timedelta(days=30))
    ledger = build(Settings(database_url=url), month_ago)
    try:
        operator = Principal(Role.SYSTEM, "acme", "operator")
        ada = ledger.add_contact(operator, ContactDetails(email="ada@example.com"))
        ledger.request_confirmation(operator, ada.id, "email", "acme")
    finally:
        ledger.close()
    swept = run("expire-confirmations", "--group", "acme").stdout
    assert swept.strip() == "Expired 1 confirmation request"
    assert run("expire-confirmations", "--group", "acme").stdout.startswith("Expired 0 ")
    history = json.loads(run("history", ada.id, "--group", "acme", "--json").stdout)
    assert history[-1]["action"] == "confirmation_expired"
    result = run("expire-confirmations", "--group", "Not a group!", ok=False)
    assert result.exit_code == 2 and "Error [invalid_scope]" in result.stderr
