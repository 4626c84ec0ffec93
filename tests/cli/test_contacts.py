import json

import pytest

from tests.cli.conftest import add_scopes


def test_init_creates_the_schema_on_a_new_file(tmp_path):
    from tests.cli.conftest import invoke

    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = invoke(url, "init")
    assert "Database ready" in result.stdout
    assert (tmp_path / "new.db").exists()
    invoke(url, "init")  # upgrading an up-to-date schema is harmless


def test_scopes_are_added_and_listed(run):
    add_scopes(run)
    listed = json.loads(run("scopes", "list", "acme", "--json").stdout)
    assert [s["id"] for s in listed] == [
        "acme",
        "acme/events",
        "acme/newsletters",
        "acme/newsletters/ada",
    ]
    assert {s["kind"] for s in listed} == {"group", "client", "user"}
    assert "acme/newsletters/ada  user" in run("scopes", "list", "acme").stdout


def test_adding_a_scope_twice_prints_scope_exists(run):
    run("scopes", "add", "acme")
    result = run("scopes", "add", "acme", ok=False)
    assert result.exit_code == 2
    assert "Error [scope_exists]" in result.stderr


def test_a_client_under_a_missing_group_prints_scope_not_found(run):
    result = run("scopes", "add", "nowhere/x", ok=False)
    assert "Error [scope_not_found]" in result.stderr


def test_a_malformed_scope_id_prints_invalid_scope(run):
    result = run("scopes", "add", "Not A Scope!", ok=False)
    assert "Error [invalid_scope]" in result.stderr


def test_contact_is_found_by_email_in_any_case(run, ada):
    found = json.loads(
        run("contacts", "find", "--group", "acme", "--email", "ADA@example.com", "--json").stdout
    )
    assert found["id"] == ada
    assert found["email"] == "ada@example.com"
    assert found["attributes"] == {"birthday": "1815-12-10"}


def test_contact_is_found_by_mobile_typed_another_way(run, ada):
    result = run("contacts", "find", "--group", "acme", "--mobile", "+44 (0)7700 900 123")
    assert f"id: {ada}" in result.stdout
    assert "mobile: +447700900123" in result.stdout


def test_contacts_show_prints_details(run, ada):
    shown = json.loads(run("contacts", "show", ada, "--group", "acme", "--json").stdout)
    assert shown["name"] == "Ada Lovelace" and shown["group"] == "acme"
    assert "name: Ada Lovelace" in run("contacts", "show", ada, "--group", "acme").stdout


def test_another_group_never_sees_the_contact(run, ada):
    result = run("contacts", "show", ada, "--group", "globex", ok=False)
    assert "Error [contact_not_found]" in result.stderr


@pytest.mark.usefixtures("ada")
def test_find_needs_exactly_one_address(run):
    result = run("contacts", "find", "--group", "acme", ok=False)
    assert result.exit_code == 2 and "exactly one" in result.stderr


def test_malformed_email_prints_invalid_email_and_adds_nothing(run):
    add_scopes(run)
    result = run("contacts", "add", "--group", "acme", "--email", "ada@@example", ok=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error [invalid_email]: ")
    missing = run("contacts", "find", "--group", "acme", "--email", "ada@example.com", ok=False)
    assert "contact_not_found" in missing.stderr


def test_malformed_mobile_prints_invalid_mobile(run):
    result = run("contacts", "add", "--group", "acme", "--mobile", "not a number", ok=False)
    assert "Error [invalid_mobile]" in result.stderr


@pytest.mark.usefixtures("ada")
def test_same_email_twice_prints_contact_exists(run):
    result = run("contacts", "add", "--group", "acme", "--email", "ada@example.com", ok=False)
    assert "Error [contact_exists]" in result.stderr


def test_attr_must_be_key_value(run):
    result = run("contacts", "add", "--group", "acme", "--attr", "oops", ok=False)
    assert result.exit_code == 2 and "key=value" in result.stderr


def test_init_never_prints_a_database_password():
    from consentry.cli import redact

    assert (
        redact("postgresql://app:s3cret@db.example.com/c")
        == "postgresql://app:***@db.example.com/c"
    )
    assert redact("postgresql://app@db.example.com/c") == "postgresql://app@db.example.com/c"
    assert redact("sqlite:///consentry.db") == "sqlite:///consentry.db"


def test_an_unreachable_database_prints_unavailable(tmp_path):
    from tests.cli.conftest import invoke

    result = invoke(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}", "init", ok=False)
    assert result.exit_code == 2 and result.stderr.startswith("Error [unavailable]: ")


def test_an_unsupported_database_url_prints_invalid():
    from tests.cli.conftest import invoke

    result = invoke("mysql://db.example.com/consentry", "init", ok=False)
    assert result.exit_code == 2 and result.stderr.startswith("Error [invalid]: ")
