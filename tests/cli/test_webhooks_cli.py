"""``consentry webhooks …`` and ``consentry rules update`` (issue 10; decisions 076, 077,
080): what the API's ``/v1/webhooks`` and ``PATCH /v1/rules/{id}`` do, from the terminal."""

from __future__ import annotations

import json

from tests.cli.conftest import Run, add_scopes

URL = "https://crm.example.com/hooks"


def test_add_list_show_update_replay_remove(run: Run):
    add_scopes(run)
    added = json.loads(
        run(
            "webhooks",
            "add",
            "--scope",
            "acme",
            "--url",
            URL,
            "--event",
            "consent.opted_out",
            "--json",
        ).stdout
    )
    assert added["secret"].startswith("whsec_")
    hook = added["webhook"]["id"]
    assert hook in run("webhooks", "list", "--group", "acme").stdout
    listed = json.loads(run("webhooks", "list", "--group", "acme", "--json").stdout)
    assert [w["event_types"] for w in listed] == [["consent.opted_out"]]
    moved = run(
        "webhooks", "update", "--group", "acme", hook, "--url", "https://crm.example.com/v2",
        "--event", "consent.opted_in", "--event", "contact.erased", "--disable", "--json",
    )  # fmt: skip
    changed = json.loads(moved.stdout)
    assert changed["url"] == "https://crm.example.com/v2" and changed["enabled"] is False
    assert changed["event_types"] == ["consent.opted_in", "contact.erased"]
    assert changed["disabled_reason"] == "disabled_by_admin"
    enabled = json.loads(run("webhooks", "update", "--group", "acme", hook, "--enable", "--json")
                         .stdout)  # fmt: skip
    assert enabled["enabled"] is True and enabled["url"] == "https://crm.example.com/v2"
    shown = json.loads(run("webhooks", "show", "--group", "acme", hook, "--json").stdout)
    assert shown["attempts"] == []
    assert "attempted" in run("webhooks", "show", "--group", "acme", hook).stdout
    replayed = run("webhooks", "replay", "--group", "acme", hook, "--since", "2026-01-01")
    assert replayed.stdout.strip() == "queued 0"
    run("webhooks", "remove", "--group", "acme", hook)
    gone = run("webhooks", "show", "--group", "acme", hook, ok=False)
    assert "Error [webhook_not_found]" in gone.output


def test_a_private_url_is_refused_with_its_code(run: Run, monkeypatch):
    monkeypatch.delenv("CONSENTRY_WEBHOOK_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("CONSENTRY_DEMO", raising=False)
    add_scopes(run)
    for url in ("https://169.254.169.254/latest", "http://127.0.0.1:9/h", "https://localhost/"):
        refused = run(
            "webhooks", "add", "--scope", "acme", "--url", url, "--event", "consent.opted_out",
            ok=False,
        )  # fmt: skip
        assert "Error [webhook_url_not_public]" in refused.output


def test_rules_update_makes_a_new_version(run: Run):
    add_scopes(run)
    made = json.loads(
        run(
            "rules",
            "add",
            "--scope",
            "acme/newsletters",
            "--trigger",
            "attribute_changed",
            "--name",
            "tier",
            "--value",
            "gold",
            "--channel",
            "email",
            "--status",
            "opted_out",
            "--json",
        ).stdout
    )
    rule = made[0]["id"]
    [edited] = json.loads(
        run(
            "rules",
            "update",
            "--group",
            "acme",
            rule,
            "--channel",
            "sms",
            "--clear",
            "value",
            "--json",
        ).stdout
    )
    assert (edited["id"], edited["version"], edited["channel"]) == (rule, 2, "sms")
    assert (edited["name"], edited["value"]) == ("tier", None)
    revalidate = run(
        "rules", "update", "--group", "acme", rule, "--status", "opted_in",
        "--permission", "written_permission=signed_form", "--permission", "given_at=2026-01-02",
        "--permission", "reference=VIP form",
    )  # fmt: skip
    assert "opted_in" in revalidate.stdout and " 3 " in revalidate.stdout
    missing = run("rules", "update", "--group", "acme", rule, "--clear", "permission", ok=False)
    assert "Error [evidence_required]" in missing.output
    [listed] = json.loads(run("rules", "list", "--group", "acme", "--json").stdout)
    assert listed["version"] == 3
