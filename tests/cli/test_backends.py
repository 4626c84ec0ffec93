"""The same CLI flows on SQLite and PostgreSQL (``db_url`` from tests/conftest.py)."""

import json

import pytest

from tests.cli.conftest import WRITTEN, invoke
from tests.cli.test_audit import event_id, tamper
from tests.conftest import ADDRESS_KEY, SECRET_KEYS


@pytest.fixture(autouse=True)
def configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the CLI makes no secrets: the deployment configures them (decision 051)."""
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)


def setup(url):
    for scope in ("acme", "acme/newsletters"):
        invoke(url, "scopes", "add", scope)
    return invoke(
        url,
        "contacts",
        "add",
        "--group",
        "acme",
        "--email",
        "ada@example.com",
        "--mobile",
        "+447700900123",
    ).stdout.strip()


def test_opt_in_check_opt_out_history_on_both_backends(db_url):
    ada = setup(db_url)
    found = invoke(
        db_url, "contacts", "find", "--group", "acme", "--mobile", "+44 7700 900123", "--json"
    )
    assert json.loads(found.stdout)["id"] == ada
    refused = invoke(db_url, "opt-in", ada, "--channel", "sms", "--scope", "acme", ok=False)
    assert "Error [evidence_required]" in refused.stderr
    invoke(db_url, "opt-in", ada, "--channel", "sms", "--scope", "acme", *WRITTEN)
    invoke(db_url, "check", ada, "--channel", "sms", "--scope", "acme/newsletters")
    invoke(
        db_url, "opt-out", ada, "--channel", "sms", "--scope", "acme/newsletters", "--by-contact"
    )
    result = invoke(
        db_url, "check", ada, "--channel", "sms", "--scope", "acme/newsletters", ok=False
    )
    assert result.exit_code == 1 and "refused: hard_opt_out" in result.stdout
    events = json.loads(invoke(db_url, "history", ada, "--group", "acme", "--json").stdout)
    assert [e["action"] for e in events] == ["opted_in", "opted_out"]


def test_verify_names_a_tampered_event_on_both_backends(db_url):
    ada = setup(db_url)
    edited = event_id(invoke(db_url, "opt-out", ada, "--channel", "sms", "--scope", "acme"))
    assert invoke(db_url, "verify").stdout.startswith("OK: 1 events")
    tamper(db_url, "UPDATE events SET scope_id = 'acme/newsletters' WHERE id = :id", id=edited)
    result = invoke(db_url, "verify", ok=False)
    assert "Error [ledger_tampered]" in result.stderr and edited in result.stderr


def test_unknown_scope_and_channel_on_both_backends(db_url):
    ada = setup(db_url)
    scope = invoke(db_url, "check", ada, "--channel", "sms", "--scope", "acme/x", ok=False)
    assert "Error [scope_not_found]" in scope.stderr
    channel = invoke(db_url, "check", ada, "--channel", "fax", "--scope", "acme", ok=False)
    assert "Error [invalid_channel]" in channel.stderr
