"""``consentry worker`` as real processes (issue 10; decisions 076, 080): a worker killed with
``kill -9`` while a POST is in flight loses nothing (another worker sends it again once the
lease is over, with the same ``webhook-id``), and two workers on one PostgreSQL deliver 10,000
events each exactly once. The receiver is a real HTTP server in the test that verifies every
signature with the ``standardwebhooks`` package."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from consentry.bootstrap import build
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.cli.conftest import WRITTEN, invoke
from tests.conftest import ADDRESS_KEY, SECRET_KEYS, empty_database
from tests.factories import admin, make_contact, make_scopes, sql

EVENTS = 10_000


class Receiver:
    """A keep-alive HTTP server on 127.0.0.1 that verifies each request's signature and counts
    every ``webhook-id`` it gets; with ``hold``, it keeps the first request open until
    ``release`` is set (the worker is killed meanwhile)."""

    def __init__(self, *, hold: bool = False) -> None:
        self.secret: str | None = None
        self.seen: Counter[str] = Counter()
        self.refused = 0
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.hold = hold
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # one connection per worker, not one per POST

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                assert receiver.secret is not None
                try:
                    Webhook(receiver.secret).verify(body, headers)
                except WebhookVerificationError:
                    with receiver.lock:
                        receiver.refused += 1
                    self._answer(400)
                    return
                with receiver.lock:
                    receiver.seen[headers["webhook-id"]] += 1
                    held = receiver.hold and not receiver.holding.is_set()
                    if held:
                        receiver.holding.set()
                if held:
                    receiver.release.wait(60)
                    self.close_connection = True
                self._answer(204)

            def _answer(self, status: int) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the worker that sent it is gone

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def distinct(self) -> int:
        with self.lock:
            return len(self.seen)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def process_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of the worker processes: the test's keys (the same derived secrets),
    and webhooks allowed to 127.0.0.1."""
    monkeypatch.setenv("CONSENTRY_ADDRESS_KEY", ADDRESS_KEY)
    monkeypatch.setenv("CONSENTRY_SECRET_KEYS", SECRET_KEYS)
    monkeypatch.setenv("CONSENTRY_WEBHOOK_ALLOW_PRIVATE", "1")
    return os.environ.copy()


def start_worker(url: str, env: dict[str, str], log: Path, *options: str) -> subprocess.Popen[Any]:
    command = [sys.executable, "-m", "consentry", "--db", url, "worker", *options]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[Any]) -> None:
    """Ctrl-C, as an operator stops a worker; kill it if it does not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(done: Any, seconds: float, what: str, *workers: subprocess.Popen[Any]) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        for process in workers:
            assert process.poll() is None, f"a worker ended early ({what})"
        assert time.monotonic() < deadline, f"not done in {seconds} s: {what}"
        time.sleep(0.05)


def statuses(ledger: Ledger) -> dict[str, int]:
    rows = sql(ledger, "SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
    return {status: int(n) for status, n in rows}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(hold=True)
    yield found
    found.close()


def test_a_worker_killed_mid_delivery_loses_nothing(
    settings: Settings, receiver: Receiver, process_env: dict[str, str], tmp_path: Path
) -> None:
    ledger = build(settings, migrate=False)
    try:
        make_scopes(ledger)
        _, receiver.secret = ledger.create_webhook(
            admin(), "acme", receiver.url, event_types=["consent.opted_out"]
        )
        for n in range(3):
            person = make_contact(ledger, email=f"p{n}@example.com", mobile=f"+4477009{n:05d}")
            ledger.opt_out(admin(), person.id, "email", "acme")
        [(count,)] = sql(ledger, "SELECT count(*) FROM webhook_deliveries")
        assert count == 3
        log = tmp_path / "workers.log"
        first = start_worker(settings.database_url, process_env, log, "--lease", "2")
        try:
            wait_for(receiver.holding.is_set, 60, "the first POST", first)
            first.send_signal(signal.SIGKILL)  # while its POST is held open
            assert first.wait(timeout=30) == -signal.SIGKILL
        finally:
            first.kill()
        receiver.release.set()
        [held] = receiver.seen
        assert statuses(ledger) == {"pending": 3}  # nothing recorded: the claim died with it
        second = start_worker(
            settings.database_url, process_env, log, "--lease", "2", "--interval", "0.1"
        )
        try:
            wait_for(lambda: statuses(ledger) == {"delivered": 3}, 60, "the redelivery", second)
        finally:
            stop(second)
        assert receiver.distinct() == 3 and receiver.refused == 0  # every one, signed
        assert receiver.seen[held] == 2  # at least once: sent again, with the same webhook-id
        [(attempts,)] = sql(ledger, "SELECT count(*) FROM webhook_attempts")
        assert attempts == 3  # the killed worker's attempt was never recorded
    finally:
        ledger.close()


@pytest.mark.postgres
def test_two_worker_processes_deliver_ten_thousand_events_each_exactly_once(
    pg_database: str, process_env: dict[str, str], tmp_path: Path
) -> None:
    empty_database(pg_database)
    settings = Settings(
        database_url=pg_database, address_key=ADDRESS_KEY, secret_keys=SECRET_KEYS,
        webhook_allow_private=True,
    )  # fmt: skip
    ledger = build(settings, migrate=False)
    receiver = Receiver()
    workers: list[subprocess.Popen[Any]] = []
    try:
        make_scopes(ledger)
        _, receiver.secret = ledger.create_webhook(
            admin(), "acme", receiver.url, event_types=["consent.opted_in"]
        )
        source = tmp_path / "people.csv"
        with source.open("w") as out:
            out.write("email,sms\n")
            out.writelines(f"p{n}@example.com,yes\n" for n in range(EVENTS))
        invoke(
            pg_database, "import", str(source), "--scope", "acme", "--map", "email=email",
            "--map", "sms=consent:sms", *WRITTEN, "--quiet",
        )  # fmt: skip
        assert statuses(ledger) == {"pending": EVENTS}  # one delivery per event, from the import
        log = tmp_path / "workers.log"
        options = ("--batch", "500", "--interval", "0.2")
        workers = [start_worker(pg_database, process_env, log, *options) for _ in range(2)]
        wait_for(lambda: receiver.distinct() >= EVENTS, 240, "10,000 deliveries", *workers)
        wait_for(lambda: statuses(ledger) == {"delivered": EVENTS}, 60, "recorded", *workers)
        [(attempts,)] = sql(ledger, "SELECT count(*) FROM webhook_attempts")
        assert attempts == EVENTS  # each recorded once
    finally:
        for process in workers:
            stop(process)
        receiver.close()
        ledger.close()
    assert receiver.refused == 0
    assert len(receiver.seen) == EVENTS  # no loss
    assert max(receiver.seen.values()) == 1  # no duplicate
