"""A command commits once, with its idempotency record, after its response was built (020).

Two failures at the edges of the commit:

- the process dies between the command's commit and the response (an injected failure right
  after the commit, and a real ``kill -9`` of a ``consentry serve`` subprocess held at that
  point): the retry with the same Idempotency-Key gets the saved outcome, and the ledger holds
  exactly one event;
- the response cannot be built: the caller gets an error and nothing was committed (no event,
  no outbox message, and the key runs again on the retry).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consentry.adapters.store.sql import SqlTx
from consentry.api import idempotency as api_idempotency
from consentry.core.errors import Forbidden
from consentry.core.messaging import OutboxItem
from consentry.ledger import Ledger
from tests.api.conftest import Api, Caller, error_code
from tests.conftest import ADDRESS_KEY, SECRET_KEYS
from tests.factories import WRITTEN, make_contact, sender, sql, system
from tests.mail import Inbox, free_port

OPT_OUT = {"channel": "email", "scope": "acme"}


class Died(Exception):
    """Stands in for the process dying: raised right after the commit, so nothing is sent."""


@dataclass
class AfterCommit:
    """Makes the commit of the command (it appended an event, or saved a response) fail just
    after committing, once: what the caller would see if the process died there."""

    armed: bool = True
    crashes: int = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        append, finish, commit = SqlTx.append, SqlTx.finish_idempotency, SqlTx.commit

        def appending(tx: SqlTx, *args: Any) -> None:
            tx.db.command = True  # type: ignore[attr-defined]  # shared by its savepoints
            append(tx, *args)

        def finishing(tx: SqlTx, *args: Any) -> None:
            tx.db.command = True  # type: ignore[attr-defined]
            finish(tx, *args)

        def committing(tx: SqlTx) -> None:
            commit(tx)
            if self.armed and getattr(tx.db, "command", False):
                self.armed = False
                self.crashes += 1
                raise Died("the process died after the commit, before the response")

        monkeypatch.setattr(SqlTx, "append", appending)
        monkeypatch.setattr(SqlTx, "finish_idempotency", finishing)
        monkeypatch.setattr(SqlTx, "commit", committing)


@pytest.fixture
def after_commit(monkeypatch: pytest.MonkeyPatch) -> AfterCommit:
    crash = AfterCommit()
    crash.install(monkeypatch)
    return crash


@pytest.fixture
def lenient(app: FastAPI, api: Api) -> Api:
    """The API through a client that answers a server error as the app does (500)."""
    return Api(TestClient(app, raise_server_exceptions=False), api.ledger)


@pytest.fixture
def ada(ledger: Ledger) -> str:
    return make_contact(ledger).id


def events(ledger: Ledger, contact_id: str) -> list[str]:
    return [e.action.value for e in ledger.history(system(), contact_id)]


def outbox(ledger: Ledger) -> list[OutboxItem]:
    return ledger.list_outbox(sender(), pending_only=False, limit=100)


# ── the process dies between the commit and the response ────────────────────────
def test_a_crash_after_the_commit_is_answered_by_the_saved_response(
    lenient: Api, ledger: Ledger, ada: str, after_commit: AfterCommit
) -> None:
    admin = lenient.as_("admin")
    url = f"/v1/contacts/{ada}/consent/opt-in"
    body = {"channel": "email", "scope": "acme", "evidence": WRITTEN}
    key = {"Idempotency-Key": "op-crash"}
    lost = admin.post(url, json=body, headers=key)
    assert after_commit.crashes == 1 and lost.status_code == 500  # nobody got the 201
    assert events(ledger, ada) == ["opted_in"]  # but the command committed

    retry = admin.post(url, json=body, headers=key)
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["action"] == "opted_in"
    assert [e.id for e in ledger.history(system(), ada)] == [retry.json()["id"]]
    assert admin.post(url, json=body, headers=key).content == retry.content


def test_a_crash_after_the_commit_sends_the_confirmation_once(
    lenient: Api, ledger: Ledger, ada: str, after_commit: AfterCommit
) -> None:
    """The confirmation message is queued in the command's transaction: kept with it, once."""
    relay = lenient.as_("sender")
    url = f"/v1/contacts/{ada}/consent/request-confirmation"
    body = {"channel": "sms", "scope": "acme", "source": "preference_centre"}
    key = {"Idempotency-Key": "ask-crash"}
    assert relay.post(url, json=body, headers=key).status_code == 500
    assert after_commit.crashes == 1
    retry = relay.post(url, json=body, headers=key)
    assert (retry.status_code, retry.headers["idempotent-replayed"]) == (201, "true")
    assert events(ledger, ada) == ["confirmation_requested"]
    assert [m.message.category for m in outbox(ledger)] == ["opt_in_confirmation"]


def test_a_refusal_after_the_commit_is_replayed_too(
    lenient: Api, ledger: Ledger, ada: str, after_commit: AfterCommit
) -> None:
    staff = lenient.as_("staff")
    url = f"/v1/contacts/{ada}/consent/opt-in"
    key = {"Idempotency-Key": "no-evidence"}
    body = {"channel": "email", "scope": "acme"}
    assert staff.post(url, json=body, headers=key).status_code == 500
    assert after_commit.crashes == 1
    retry = staff.post(url, json=body, headers=key)
    assert (retry.status_code, error_code(retry)) == (422, "evidence_required")
    assert retry.headers["idempotent-replayed"] == "true"
    assert events(ledger, ada) == []


# ── the response cannot be built ────────────────────────────────────────────────
@pytest.fixture
def unserialisable(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """The next ``n`` response bodies fail to serialise (as a 256-deep document once did)."""
    real = api_idempotency.to_json
    left = [0]

    def to_json(model: Any) -> str:
        if left[0] > 0:
            left[0] -= 1
            raise RecursionError("maximum recursion depth exceeded while encoding a JSON object")
        return real(model)

    monkeypatch.setattr(api_idempotency, "to_json", to_json)

    def fail(n: int) -> None:
        left[0] = n

    return fail


@pytest.mark.parametrize("key", ["build-1", None])
def test_a_response_that_cannot_be_built_keeps_nothing(
    lenient: Api, ledger: Ledger, ada: str, unserialisable: Callable[[int], None], key: str | None
) -> None:
    admin = lenient.as_("admin")
    url = f"/v1/contacts/{ada}/consent/opt-out"
    headers = {"Idempotency-Key": key} if key else {}
    unserialisable(1)
    failed = admin.post(url, json=OPT_OUT, headers=headers)
    assert (failed.status_code, error_code(failed)) == (500, "internal_error")
    assert events(ledger, ada) == []  # the error is the truth: nothing was kept

    retry = admin.post(url, json=OPT_OUT, headers=headers)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers
    assert events(ledger, ada) == ["opted_out"]
    assert lenient.as_("admin").get(f"/v1/contacts/{ada}/events").status_code == 200


def test_a_confirmation_whose_response_cannot_be_built_is_not_queued(
    lenient: Api, ledger: Ledger, ada: str, unserialisable: Callable[[int], None]
) -> None:
    relay = lenient.as_("sender")
    url = f"/v1/contacts/{ada}/consent/request-confirmation"
    body = {"channel": "sms", "scope": "acme", "source": "preference_centre"}
    key = {"Idempotency-Key": "ask-1"}
    unserialisable(1)
    assert relay.post(url, json=body, headers=key).status_code == 500
    assert events(ledger, ada) == [] and outbox(ledger) == []
    assert relay.post(url, json=body, headers=key).status_code == 201
    assert events(ledger, ada) == ["confirmation_requested"] and len(outbox(ledger)) == 1


def test_an_email_goes_out_after_the_commit_and_never_after_a_rollback(
    lenient: Api, ledger: Ledger, ada: str, inbox: Inbox, unserialisable: Callable[[int], None]
) -> None:
    """SMTP cannot queue in a transaction: the email waits for the commit (and is not sent
    for a command that was rolled back)."""
    relay = lenient.as_("sender")
    url = f"/v1/contacts/{ada}/consent/request-confirmation"
    body = {"channel": "email", "scope": "acme", "source": "preference_centre"}
    unserialisable(1)
    assert relay.post(url, json=body, headers={"Idempotency-Key": "mail-1"}).status_code == 500
    assert relay.post(url, json=body, headers={"Idempotency-Key": "mail-2"}).status_code == 201
    assert len(inbox.wait_for(1)) == 1
    assert events(ledger, ada) == ["confirmation_requested"]
    assert "/confirm/" in inbox.text()


def test_a_refusal_rolls_back_what_the_command_wrote_before_it(
    api: Api, ledger: Ledger, ada: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request is recorded, then sending its confirmation is refused: neither is kept,
    and the refusal is what a retry gets."""

    def refuse(*args: Any, **kwargs: Any) -> bool:
        del args, kwargs
        raise Forbidden("no confirmation for you")

    monkeypatch.setattr(Ledger, "send_confirmation", refuse)
    relay = api.as_("sender")
    url = f"/v1/contacts/{ada}/consent/request-confirmation"
    body = {"channel": "sms", "scope": "acme", "source": "preference_centre"}
    key = {"Idempotency-Key": "ask-2"}
    first = relay.post(url, json=body, headers=key)
    assert (first.status_code, error_code(first)) == (403, "forbidden")
    assert events(ledger, ada) == [] and outbox(ledger) == []
    again = relay.post(url, json=body, headers=key)
    assert (again.content, again.headers["idempotent-replayed"]) == (first.content, "true")


def test_a_refusal_from_a_failed_statement_is_kept_and_the_next_command_runs(
    admin: Caller, ledger: Ledger
) -> None:
    """On PostgreSQL a duplicate address aborts the statement's savepoint, not the claim."""
    first = admin.post("/v1/contacts", json={"email": "grace@example.com"})
    assert first.status_code == 201
    key = {"Idempotency-Key": "dup-1"}
    dup = admin.post("/v1/contacts", json={"email": "grace@example.com"}, headers=key)
    assert (dup.status_code, error_code(dup)) == (409, "contact_exists")
    again = admin.post("/v1/contacts", json={"email": "grace@example.com"}, headers=key)
    assert (again.content, again.headers["idempotent-replayed"]) == (dup.content, "true")
    other = admin.post(
        "/v1/contacts", json={"email": "alan@example.com"}, headers={"Idempotency-Key": "new"}
    )
    assert other.status_code == 201
    rows = sql(ledger, "SELECT count(*) FROM contacts")
    assert rows[0][0] == 2


# ── a real kill -9 of `consentry serve`, held between the commit and the response ─
#: The server, with a test-only hook: the commit of a command (a transaction that appended an
#: event) says so on stdout and then waits for ever, so the response is never sent.
HELD_SERVER = """
import sys, threading
from consentry.adapters.store.sql import SqlTx
from consentry.cli import main

append, commit = SqlTx.append, SqlTx.commit

def appending(tx, *args):
    tx.db.command = True  # the transaction of a command: it appends an event
    append(tx, *args)

def committing(tx):
    commit(tx)
    if getattr(tx.db, "command", False):
        print("COMMITTED", flush=True)
        threading.Event().wait()  # the response is never sent

SqlTx.append, SqlTx.commit = appending, committing
sys.argv[0] = "consentry"
main()
"""


@dataclass
class Server:
    """``consentry serve`` as a subprocess of this test (stopped by its own id)."""

    db_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def start(self, *, held: bool) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONSENTRY_")}
        env |= {
            "CONSENTRY_DATABASE_URL": self.db_url,
            "CONSENTRY_ADDRESS_KEY": ADDRESS_KEY,
            "CONSENTRY_SECRET_KEYS": SECRET_KEYS,
        }
        head = [sys.executable, "-c", HELD_SERVER] if held else [sys.executable, "-m", "consentry"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*head, "serve", "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not self.listening():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)

    def listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kill_9(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[Server]:
    running = Server(db_url, tmp_path / "server.log")
    yield running
    running.stop()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_kill_9_between_the_commit_and_the_response(
    server: Server, api: Api, ledger: Ledger, ada: str
) -> None:
    token = api.key("admin")
    auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "crash-1"}
    url = f"/v1/contacts/{ada}/consent/opt-out"
    server.start(held=True)
    outcome: dict[str, Any] = {}

    def post() -> None:
        try:
            outcome["response"] = httpx.post(
                server.url(url), json=OPT_OUT, headers=auth, timeout=60
            )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=post)
    caller.start()
    wait_until(lambda: "COMMITTED" in server.log.read_text(), "the command never committed")
    assert events(ledger, ada) == ["opted_out"]  # the database shows the event …
    assert server.kill_9() == -signal.SIGKILL  # … and the server dies before answering
    caller.join(timeout=30)
    assert "response" not in outcome and isinstance(outcome["error"], httpx.HTTPError)

    server.start(held=False)
    retry = httpx.post(server.url(url), json=OPT_OUT, headers=auth, timeout=60)
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert [e.id for e in ledger.history(system(), ada)] == [retry.json()["id"]]


def test_a_write_without_a_key_whose_response_cannot_be_built_keeps_nothing(
    lenient: Api, ledger: Ledger, ada: str, unserialisable: Callable[[int], None]
) -> None:
    # PATCH, PUT and DELETE take no Idempotency-Key: they too commit only after the body is built
    admin = lenient.as_("admin")
    unserialisable(1)
    failed = admin.patch(f"/v1/contacts/{ada}", json={"name": "Ada Lovelace"})
    assert (failed.status_code, error_code(failed)) == (500, "internal_error")
    assert ledger.get_contact(system(), ada).name != "Ada Lovelace"
    unserialisable(1)
    put = admin.request("PUT", "/v1/numbers/+447700900777", json={"scope": "acme"})
    assert put.status_code == 500
    assert ledger.list_numbers(system()) == []
    done = admin.patch(f"/v1/contacts/{ada}", json={"name": "Ada Lovelace"})
    assert done.status_code == 200 and done.json()["name"] == "Ada Lovelace"
