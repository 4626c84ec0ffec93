"""``consentry worker --once`` delivers what is due to a real local receiver (decision 076)."""

from __future__ import annotations

from click.testing import CliRunner

from consentry.bootstrap import build
from consentry.cli import cli
from consentry.settings import Settings
from tests.factories import admin, make_contact, make_scopes
from tests.services.test_webhooks import Receiver


def test_worker_once_delivers_the_due_webhooks(tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'w.db'}"
    monkeypatch.delenv("CONSENTRY_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONSENTRY_WEBHOOK_ALLOW_PRIVATE", "1")  # the receiver is 127.0.0.1
    ledger = build(Settings(database_url=db, webhook_allow_private=True))
    receiver = Receiver()
    try:
        make_scopes(ledger)
        _, receiver.secret = ledger.create_webhook(
            admin(), "acme", receiver.url, event_types=["consent.opted_out"]
        )
        ada = make_contact(ledger)
        ledger.opt_out(admin(), ada.id, "email", "acme")
        result = CliRunner().invoke(cli, ["--db", db, "worker", "--once"])
        assert result.exit_code == 0, result.output
        assert "delivered 1, retrying 0, given up 0" in result.output
        assert [d["type"] for _, d in receiver.got] == ["consent.opted_out"]
        again = CliRunner().invoke(cli, ["--db", db, "worker", "--once"])
        assert "delivered 0" in again.output
    finally:
        receiver.close()
        ledger.close()
