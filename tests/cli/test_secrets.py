"""Secrets never live in the database (decision 051), and ``consentry serve``'s proxies (052).

A server without configured secrets refuses to start: through the CLI (CliRunner and the real
console script), through the ASGI factory and through uvicorn. The demo, the library and the CLI
keep a SQLite file's keys in ``x.keys`` beside it; old databases move theirs out of ``meta``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from consentry import open_ledger
from consentry.adapters.links import LinkSigner
from consentry.bootstrap import ADDRESS_CHECK, _write_keys_file, build
from consentry.core.channels import Channel
from consentry.core.errors import SecretsInDatabase, SecretsMismatch, SecretsMissing
from consentry.core.links import LinkClaims, LinkPurpose
from consentry.ledger import Ledger
from consentry.server import create_server
from consentry.settings import Settings, parse_keys_file
from tests.cli.conftest import Run, invoke
from tests.factories import T0, admin, make_contact, make_scopes, sender, staff
from tests.mail import free_port

BIN = Path(sys.executable).parent
ADDRESS = "ab" * 32
LINKS = "t1:" + "cd" * 32
MAKE_A_KEY = 'python -c "import secrets; print(secrets.token_hex(32))"'
SECRET_VARS = ("CONSENTRY_ADDRESS_KEY", "CONSENTRY_SECRET_KEYS", "CONSENTRY_KEYS_FILE")


@pytest.fixture(autouse=True)
def no_configured_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever this shell has, the tests start without secrets, demo mode or a database URL."""
    for name in [n for n in os.environ if n.startswith("CONSENTRY_")]:
        monkeypatch.delenv(name)
    # serve writes these for its worker; setting them here restores them after each test
    for name in ("CONSENTRY_DATABASE_URL", "CONSENTRY_DEMO", "CONSENTRY_KEYS_FILE"):
        monkeypatch.setenv(name, "")


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """``uvicorn.run`` replaced by a recorder: what serve would have started."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    return calls


def keys_file(url: str) -> Path:
    """The keys file beside a SQLite database: ``x.keys`` by ``x.db``."""
    return Path(url.removeprefix("sqlite:///")).with_suffix(".keys")


def meta(url: str) -> dict[str, str]:
    """The database's ``meta`` table, read straight from SQLite."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, value FROM meta")).all()
    engine.dispose()
    return {row[0]: row[1] for row in rows}


def set_meta(url: str, **values: str | None) -> None:
    """Write (or with None, delete) rows of ``meta``, as an old version would have left them."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for key, value in values.items():
            conn.execute(text("DELETE FROM meta WHERE key = :key"), {"key": key})
            if value is not None:
                row = {"key": key, "value": value}
                conn.execute(text("INSERT INTO meta VALUES (:key, :value)"), row)
    engine.dispose()


# ── a server refuses to start without its secrets ─────────────────────────────


def test_serve_without_secrets_exits_2_naming_the_variables(url: str, uvicorn_calls) -> None:
    result = invoke(url, "serve", ok=False)
    assert result.exit_code == 2
    message = result.stderr
    assert message.startswith("Error [secrets_missing]: CONSENTRY_SECRET_KEYS and ")
    assert "CONSENTRY_ADDRESS_KEY" in message and MAKE_A_KEY in message
    assert "--keys-file" in message and "--demo" in message
    assert uvicorn_calls == []
    assert not keys_file(url).exists(), "a server makes no secrets outside demo mode"
    assert set(meta(url)) == set(), "nor keeps any in the database"


def test_serve_names_only_the_missing_variable(url: str, uvicorn_calls, monkeypatch) -> None:
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", LINKS)
    result = invoke(url, "serve", ok=False)
    assert result.stderr.startswith("Error [secrets_missing]: CONSENTRY_ADDRESS_KEY is not set")
    assert uvicorn_calls == []


def test_the_real_console_script_exits_2_with_the_message(url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}
    done = subprocess.run(
        [str(BIN / "consentry"), "--db", url, "serve", "--port", str(free_port())],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Error [secrets_missing]" in done.stderr and "CONSENTRY_SECRET_KEYS" in done.stderr


def test_the_factory_refuses_without_secrets(url: str) -> None:
    with pytest.raises(SecretsMissing) as refused:
        create_server(Settings(database_url=url))
    assert refused.value.code == "secrets_missing"
    assert refused.value.details["missing"] == ["CONSENTRY_SECRET_KEYS", "CONSENTRY_ADDRESS_KEY"]
    assert not keys_file(url).exists()


def test_uvicorn_with_the_factory_exits_non_zero_with_the_message(url: str, tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}
    env["CONSENTRY_DATABASE_URL"] = url
    command = [sys.executable, "-m", "uvicorn", "--factory", "consentry.server:create_server"]
    done = subprocess.run(
        [*command, "--port", str(free_port())],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "secrets_missing" in done.stderr and "CONSENTRY_ADDRESS_KEY" in done.stderr


def test_the_factory_starts_with_configured_secrets_and_keeps_none(url: str) -> None:
    app = create_server(Settings(database_url=url, address_key=ADDRESS, secret_keys=LINKS))
    app.state.ledger.close()
    assert set(meta(url)) == {ADDRESS_CHECK}, "only a check value of the address key"
    assert ADDRESS not in meta(url)[ADDRESS_CHECK]


def test_serve_with_configured_secrets_starts(url: str, uvicorn_calls, monkeypatch) -> None:
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", LINKS)
    result = invoke(url, "serve")
    assert result.stdout == "" and len(uvicorn_calls) == 1
    assert os.environ["CONSENTRY_DEMO"] == "", "not demo mode"


def test_a_bad_address_key_is_refused_with_the_variable_name(url: str) -> None:
    settings = Settings(database_url=url, address_key="not hex", secret_keys=LINKS)
    with pytest.raises(Exception, match="CONSENTRY_ADDRESS_KEY must be hex"):
        create_server(settings)


# ── the demo makes its secrets, beside the database, and says so ──────────────


def test_serve_demo_makes_the_secrets_beside_the_database_and_says_so(
    url: str, uvicorn_calls
) -> None:
    result = invoke(url, "serve", "--demo")
    made = keys_file(url)
    assert f"Made new secrets in {made}" in result.stdout
    assert "Demo mode: the secrets come from" in result.stdout
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    values = parse_keys_file(made.read_text())
    assert set(values) == {"CONSENTRY_ADDRESS_KEY", "CONSENTRY_SECRET_KEYS"}
    assert os.environ["CONSENTRY_DEMO"] == "1", "the factory in uvicorn's process is in demo mode"
    assert len(uvicorn_calls) == 1
    stored = meta(url)
    assert set(stored) == {ADDRESS_CHECK}
    assert not any(v in stored[ADDRESS_CHECK] for v in values.values())
    again = invoke(url, "serve", "--demo")
    assert "Made new" not in again.stdout, "the second start reads the same file"
    assert parse_keys_file(made.read_text()) == values


@pytest.mark.usefixtures("uvicorn_calls")
def test_demo_seed_then_serve_demo_share_the_secrets(url: str) -> None:
    seeded = invoke(url, "demo-seed").stdout
    assert f"Made new secrets in {keys_file(url)}" in seeded, "demo-seed says so on stdout"
    invoke(url, "serve", "--demo")
    app = create_server(Settings(database_url=url, demo=True))
    try:
        ledger = app.state.ledger
        found = ledger.find_contact(admin("demo"), email="ada@example.com")  # the same address key
        assert found.id
    finally:
        app.state.ledger.close()


def test_the_cli_says_on_stderr_where_it_made_the_keys(run: Run, url: str) -> None:
    result = run("scopes", "add", "acme")
    assert "acme" in result.stdout and "secrets" not in result.stdout
    assert f"Made new secrets in {keys_file(url)}" in result.stderr
    assert "Made new" not in run("scopes", "add", "acme/newsletters").stderr


@pytest.mark.usefixtures("uvicorn_calls")
def test_serve_with_the_cli_keys_file_agrees_with_the_cli(run: Run, url: str) -> None:
    run("scopes", "add", "acme")
    ada = run("contacts", "add", "--group", "acme", "--email", "ada@example.com").stdout.strip()
    refused = invoke(url, "serve", ok=False)
    assert f"--keys-file {keys_file(url)}" in refused.stderr, "the refusal points at the file"
    invoke(url, "serve", "--keys-file", str(keys_file(url)))
    assert os.environ["CONSENTRY_KEYS_FILE"] == str(keys_file(url).resolve())
    app = create_server(Settings.from_env())
    try:
        assert app.state.ledger.find_contact(admin(), email="ada@example.com").id == ada
    finally:
        app.state.ledger.close()


def test_a_keys_file_with_one_secret_gets_the_other_added(run: Run, url: str) -> None:
    keys_file(url).write_text(f"# mine\nexport CONSENTRY_ADDRESS_KEY='{ADDRESS}'\n")
    run("scopes", "add", "acme")
    values = parse_keys_file(keys_file(url).read_text())
    assert values["CONSENTRY_ADDRESS_KEY"] == ADDRESS and values["CONSENTRY_SECRET_KEYS"]
    assert keys_file(url).read_text().startswith("# mine\n"), "the file is added to, not replaced"


def test_a_configured_secret_is_never_copied_into_the_keys_file(
    run: Run, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS)
    run("scopes", "add", "acme")
    assert set(parse_keys_file(keys_file(url).read_text())) == {"CONSENTRY_SECRET_KEYS"}
    assert ADDRESS not in keys_file(url).read_text()


def test_of_two_processes_making_the_keys_file_the_second_reads_the_first(tmp_path) -> None:
    path = tmp_path / "raced.keys"
    path.write_text(f"CONSENTRY_ADDRESS_KEY={ADDRESS}\nCONSENTRY_SECRET_KEYS={LINKS}\n")
    mine = {"CONSENTRY_ADDRESS_KEY": "01" * 32, "CONSENTRY_SECRET_KEYS": "k1:" + "02" * 32}
    notices: list[str] = []
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'raced.db'}")
    won = _write_keys_file(path, {}, mine, settings, notices.append, moved=False)
    assert won == {"CONSENTRY_ADDRESS_KEY": ADDRESS, "CONSENTRY_SECRET_KEYS": LINKS}
    assert notices == [] and ADDRESS in path.read_text()


def test_a_missing_keys_file_is_refused(url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=url, keys_file=str(tmp_path / "nowhere.keys"))
    with pytest.raises(SecretsMissing, match=r"nowhere\.keys"):
        create_server(settings)


# ── the library: zero set-up, and never a secret in the database ──────────────


def test_open_ledger_keeps_a_sqlite_files_keys_beside_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'embedded.db'}"
    ledger = open_ledger(url)
    try:
        make_scopes(ledger)
        ada = make_contact(ledger)
    finally:
        ledger.close()
    assert (tmp_path / "embedded.keys").exists() and set(meta(url)) == {ADDRESS_CHECK}
    again = open_ledger(url)
    try:
        assert again.find_contact(staff(), email="ada@example.com").id == ada.id
    finally:
        again.close()


def test_a_database_in_memory_gets_keys_that_die_with_it() -> None:
    ledger = open_ledger("sqlite://")
    try:
        make_scopes(ledger)
        ada = make_contact(ledger)
        assert ledger.find_contact(staff(), email="ada@example.com").id == ada.id
    finally:
        ledger.close()


def test_another_address_key_is_refused(url: str) -> None:
    build(Settings(database_url=url, address_key=ADDRESS, secret_keys=LINKS)).close()
    other = Settings(database_url=url, address_key="ef" * 32, secret_keys=LINKS)
    with pytest.raises(SecretsMismatch) as refused:
        build(other)
    assert refused.value.code == "secrets_mismatch"
    assert "CONSENTRY_ADDRESS_KEY" in str(refused.value)


def test_no_keys_are_made_for_a_database_set_up_with_others(run: Run, url: str) -> None:
    build(Settings(database_url=url, address_key=ADDRESS, secret_keys=LINKS)).close()
    result = run("scopes", "add", "acme", ok=False)
    assert "Error [secrets_missing]" in result.stderr and "configure the same ones" in result.stderr
    assert not keys_file(url).exists()


# ── databases made before decision 051 keep their keys in meta ────────────────


@pytest.fixture
def old_database(url: str) -> Iterator[tuple[str, str, str]]:
    """A database whose keys are in ``meta`` (as before 051), with Ada in it: url, keys."""
    address, link = "12" * 32, "34" * 32
    ledger = build(Settings(database_url=url, address_key=address, secret_keys=f"db1:{link}"))
    make_scopes(ledger)
    make_contact(ledger)
    ledger.close()
    set_meta(url, address_key=address, link_key=link, **{ADDRESS_CHECK: None})
    yield url, address, link


def old_link(link: str, contact_id: str) -> str:
    """A link signed before the upgrade, with the key kept in ``meta`` (kid db1)."""
    claims = LinkClaims(
        LinkPurpose.PREFERENCES, contact_id, "acme", (Channel.EMAIL,), T0 + timedelta(days=2)
    )
    return LinkSigner([("db1", bytes.fromhex(link))]).sign(claims)


def opens(ledger: Ledger, token: str) -> str:
    """The contact a link is for, as the ledger's signer reads it."""
    signer = ledger.context.signer
    assert signer is not None
    return signer.verify(token, T0).contact_id


def test_a_server_refuses_an_old_database_without_printing_its_keys(old_database) -> None:
    url, address, link = old_database
    with pytest.raises(SecretsInDatabase) as refused:
        create_server(Settings(database_url=url))
    message = str(refused.value)
    assert refused.value.code == "secrets_in_database"
    assert "SELECT key, value FROM meta" in message and "db1:<its link_key>" in message
    assert address not in message and link not in message
    assert meta(url)["address_key"] == address, "nothing is moved until they are configured"


def test_the_first_start_with_the_keys_configured_empties_them(old_database) -> None:
    url, address, link = old_database
    lacking = Settings(database_url=url, address_key=address, secret_keys=LINKS)
    with pytest.raises(SecretsInDatabase, match="db1:<its link_key>"):
        create_server(lacking)  # the links already sent would stop working
    wrong = Settings(database_url=url, address_key="ef" * 32, secret_keys=f"db1:{link}")
    with pytest.raises(SecretsMismatch):
        create_server(wrong)
    moved = Settings(database_url=url, address_key=address, secret_keys=f"{LINKS},db1:{link}")
    app = create_server(moved)
    try:
        ledger = app.state.ledger
        ada = ledger.find_contact(admin(), email="ada@example.com")
        assert opens(ledger, old_link(link, ada.id)) == ada.id
    finally:
        app.state.ledger.close()
    stored = meta(url)
    assert stored["address_key"] == stored["link_key"] == "" and stored[ADDRESS_CHECK]


def test_the_cli_moves_an_old_sqlite_files_keys_into_the_keys_file(run: Run, old_database) -> None:
    url, address, link = old_database
    result = run("contacts", "find", "--group", "acme", "--email", "ada@example.com")
    assert "Moved this database's secrets out of its meta table into" in result.stderr
    values = parse_keys_file(keys_file(url).read_text())
    assert values == {"CONSENTRY_ADDRESS_KEY": address, "CONSENTRY_SECRET_KEYS": f"db1:{link}"}
    assert meta(url)["address_key"] == meta(url)["link_key"] == ""
    ledger = build(Settings(database_url=url))
    try:
        ada = ledger.find_contact(admin(), email="ada@example.com")
        assert opens(ledger, old_link(link, ada.id)) == ada.id
    finally:
        ledger.close()


# ── serve's proxy options (decision 052) ──────────────────────────────────────


def test_forwarded_allow_ips_needs_proxy_headers(url: str, uvicorn_calls) -> None:
    result = invoke(url, "serve", "--forwarded-allow-ips", "10.0.0.1", ok=False)
    assert result.exit_code == 2 and "--proxy-headers" in result.stderr
    assert uvicorn_calls == []


@pytest.fixture
def served(url: str, uvicorn_calls, monkeypatch) -> Iterator[Any]:
    """``serve(*options)``: run the CLI, then the uvicorn it asked for, for real, in a thread."""
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", LINKS)
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def serve(*options: str) -> str:
        invoke(url, "serve", *options)
        (target,), kwargs = uvicorn_calls.pop()
        port = free_port()
        config = uvicorn.Config(target, **{**kwargs, "port": port}, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield serve
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def client_ip_recorded(base: str, url: str, forwarded_for: str) -> str:
    """One-click unsubscribe with ``X-Forwarded-For``; the IP the ledger kept as evidence."""
    ledger = build(Settings(database_url=url, address_key=ADDRESS, secret_keys=LINKS))
    try:
        contact = make_contact(ledger, email=f"{time.monotonic_ns()}@example.com", mobile=None)
        link = ledger.unsubscribe_headers(sender(), contact.id, "acme")["List-Unsubscribe"]
        path = "/" + link.strip("<>").split("/", 3)[3]
        response = httpx.post(
            base + path,
            data={"List-Unsubscribe": "One-Click"},
            headers={"X-Forwarded-For": forwarded_for},
        )
        assert response.status_code == 200, response.text
        evidence = ledger.history(admin(), contact.id)[-1].evidence_data
        assert evidence is not None
        ip: str = evidence["ip"]
        return ip
    finally:
        ledger.close()


@pytest.fixture
def scoped(url: str) -> str:
    """The database with the acme scopes."""
    ledger = build(Settings(database_url=url, address_key=ADDRESS, secret_keys=LINKS))
    make_scopes(ledger)
    ledger.close()
    return url


@pytest.mark.parametrize(
    ("options", "seen"),
    [
        ((), "127.0.0.1"),  # by default no X-Forwarded-For is trusted, not even from loopback
        (("--proxy-headers",), "203.0.113.9"),  # a proxy on this host (the default)
        (("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"), "203.0.113.9"),
        (("--proxy-headers", "--forwarded-allow-ips", "10.0.0.1"), "127.0.0.1"),  # another proxy
    ],
    ids=["default", "local-proxy", "trusted", "untrusted"],
)
def test_only_the_trusted_proxys_forwarded_for_is_used(served, scoped, options, seen) -> None:
    base = served(*options)
    # a client's own spoofed entry comes first; the trusted proxy appends the real peer
    assert client_ip_recorded(base, scoped, "198.51.100.66, 203.0.113.9") == seen
