import json

from tests.cli.conftest import add_scopes


def test_keys_are_created_listed_and_revoked(run):
    add_scopes(run)
    created = json.loads(
        run(
            "keys",
            "create",
            "--role",
            "sender",
            "--scope",
            "acme/newsletters",
            "--name",
            "sms gateway",
            "--json",
        ).stdout
    )
    assert created["role"] == "sender" and created["scope"] == "acme/newsletters"
    assert created["secret"].startswith("csk_")
    text = run("keys", "create", "--role", "viewer", "--scope", "acme").stdout
    assert "Secret: csk_" in text and "cannot be shown again" in text
    listed = json.loads(run("keys", "list", "--group", "acme", "--json").stdout)
    assert {k["name"] for k in listed} == {"sms gateway", "viewer key"}
    assert all("secret" not in k for k in listed)
    assert "csk_" not in run("keys", "list", "--group", "acme").stdout
    run("keys", "revoke", created["id"], "--group", "acme")
    listed = json.loads(run("keys", "list", "--group", "acme", "--json").stdout)
    revoked = [k for k in listed if k["id"] == created["id"]]
    assert revoked[0]["revoked_at"] is not None


def test_a_key_of_another_group_cannot_be_revoked(run):
    add_scopes(run)
    created = json.loads(
        run("keys", "create", "--role", "sender", "--scope", "acme", "--json").stdout
    )
    result = run("keys", "revoke", created["id"], "--group", "globex", ok=False)
    assert result.exit_code == 2 and "Error [api_key_not_found]" in result.stderr


def test_keys_need_a_known_role_and_scope(run):
    add_scopes(run)
    assert run("keys", "create", "--role", "system", "--scope", "acme", ok=False).exit_code == 2
    result = run("keys", "create", "--role", "admin", "--scope", "acme/nope", ok=False)
    assert "Error [scope_not_found]" in result.stderr


def test_demo_seed_is_idempotent_and_prints_the_key_once(run):
    first = run("demo-seed").stdout
    assert "7 scopes and 30 contacts added" in first
    assert "csk_" in first
    second = run("demo-seed").stdout
    assert "0 scopes and 0 contacts added" in second
    assert "csk_" not in second and "exists" in second
    assert len(json.loads(run("keys", "list", "--group", "demo", "--json").stdout)) == 1
    assert run("verify").stdout.startswith("OK: ")


def test_demo_seed_tells_the_stories(run):
    run("demo-seed")

    def contact(email):
        found = run("contacts", "find", "--group", "demo", "--email", email, "--json")
        return json.loads(found.stdout)["id"]

    def reason(email, channel, scope):
        result = run(
            "check", contact(email), "--channel", channel, "--scope", scope, "--json", ok=None
        )
        return json.loads(result.stdout)["reason"]

    assert reason("ada@example.com", "email", "demo/newsletters/ada") == "opted_in"
    assert reason("dave@example.org", "sms", "demo/events") == "hard_opt_out"  # STOP at group
    assert reason("carol@example.com", "sms", "demo/newsletters") == "soft_opt_out"
    assert reason("ivan@example.com", "email", "demo/newsletters") == "opted_in"  # re-subscribed
    assert reason("judy@example.org", "email", "demo/newsletters/ada") == "hard_opt_out"
    assert reason("linus@example.com", "email", "demo") == "bounced"
    assert reason("barbara@example.com", "email", "demo/newsletters") == "pending"
    assert reason("margaret@example.net", "email", "demo") == "no_consent"
