"""``consentry users create|list|disable`` through click's CliRunner (decision 061)."""

from __future__ import annotations

import json

from tests.cli.conftest import Run, add_scopes

PASSWORD = "correct horse battery staple"


def create(run: Run, email: str, *more: str, ok: bool | None = True, stdin: str = PASSWORD):
    args = ("users", "create", "--email", email, "--name", "Sam Staff", *more)
    return run(*args, "--password-stdin", ok=ok, stdin=stdin + "\n")


def test_users_are_created_listed_and_disabled(run):
    add_scopes(run)
    user_id = create(run, "Sam@Example.com", "--role", "staff", "--scope", "acme").stdout.strip()
    assert user_id.startswith("us_")
    made = json.loads(
        create(run, "ada@example.com", "--role", "admin", "--scope", "globex", "--json").stdout
    )
    assert (made["email"], made["role"], made["scope"], made["group"]) == (
        "ada@example.com",
        "admin",
        "globex",
        "globex",
    )
    listed = json.loads(run("users", "list", "--json").stdout)
    assert [u["email"] for u in listed] == ["ada@example.com", "sam@example.com"]
    assert all("password" not in json.dumps(u) for u in listed)
    text = run("users", "list", "--scope", "acme").stdout
    assert "sam@example.com" in text and "ada@example.com" not in text
    assert text.splitlines()[0].split() == [
        "id",
        "email",
        "name",
        "role",
        "scope",
        "created",
        "disabled",
    ]
    assert (
        run("users", "disable", user_id).stdout.strip() == f"Disabled {user_id} (sam@example.com)"
    )
    disabled = json.loads(run("users", "list", "--scope", "acme", "--json").stdout)
    assert disabled[0]["disabled_at"] is not None


def test_the_password_can_be_typed_twice_without_being_shown(run):
    add_scopes(run)
    typed = f"{PASSWORD}\n{PASSWORD}\n"
    result = run(
        "users", "create", "--email", "v@example.com", "--name", "Val", "--role", "viewer",
        "--scope", "acme/events", stdin=typed,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1].startswith("us_")
    assert PASSWORD not in result.stdout


def test_refusals_print_their_codes(run):
    add_scopes(run)
    create(run, "sam@example.com", "--role", "staff", "--scope", "acme")
    cases = [
        (("sam@example.com", "--role", "viewer", "--scope", "globex"), PASSWORD, "user_exists"),
        (("new@example.com", "--role", "staff", "--scope", "acme"), "too short", "weak_password"),
        (("not an address", "--role", "staff", "--scope", "acme"), PASSWORD, "invalid_email"),
        (("new@example.com", "--role", "staff", "--scope", "acme/x"), PASSWORD, "scope_not_found"),
    ]
    for args, password, code in cases:
        result = create(run, *args, ok=False, stdin=password)
        assert result.exit_code == 2 and f"Error [{code}]" in result.stderr, result.stderr
    result = run("users", "disable", "us_nobody", ok=False)
    assert "Error [user_not_found]" in result.stderr
    wrong_role = create(run, "x@example.com", "--role", "sender", "--scope", "acme", ok=False)
    assert wrong_role.exit_code == 2 and "Invalid value for '--role'" in wrong_role.stderr


def test_demo_seed_makes_three_users_and_prints_their_logins_once(run):
    first = run("demo-seed").stdout
    logins = [line for line in first.splitlines() if line.startswith("Demo login: ")]
    emails = [line.split()[2] for line in logins]
    assert emails == ["admin@demo.example", "staff@demo.example", "viewer@demo.example"]
    passwords = {line.split(" / ")[1] for line in logins}
    assert len(passwords) == 1 and len(passwords.pop()) >= 12  # random outside demo mode
    listed = json.loads(run("users", "list", "--scope", "demo", "--json").stdout)
    assert [(u["email"], u["role"], u["scope"]) for u in listed] == [
        ("admin@demo.example", "admin", "demo"),
        ("staff@demo.example", "staff", "demo"),
        ("viewer@demo.example", "viewer", "demo"),
    ]
    second = run("demo-seed").stdout
    assert "Demo login: " not in second and second.count("exists (its password was shown") == 3


def test_in_demo_mode_the_demo_password_is_the_documented_one(run, monkeypatch):
    monkeypatch.setenv("CONSENTRY_DEMO", "1")
    out = run("demo-seed").stdout
    assert "Demo login: admin@demo.example / consentry-demo" in out
    assert "Demo login: viewer@demo.example / consentry-demo" in out
