"""The benchmarks' data set, built through the bulk import and kept between runs.

One group ``bench`` with 10 clients x 10 users; every contact has an email address and a mobile
number, opted in to email, SMS and voice at the group; then about 10 % opt out of SMS at one of
the clients, 5 % out of email at one of the users, 2 % out of SMS at the group, 3 % out of voice
at a client — about 20 % opted out at mixed levels, as a real deployment's — and 3 % of the
email addresses bounced. Built once per size and database (a SQLite file in ``--data-dir``, or a
PostgreSQL database named for the size on the given server) and reused while its contact count
matches.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from consentry.bootstrap import build
from consentry.core.errors import ScopeExists
from consentry.core.imports import ColumnMapping, parse_mapping
from consentry.core.permissions import Principal, Role
from consentry.ledger import Ledger
from consentry.settings import Settings

GROUP = "bench"
CLIENTS = [f"{GROUP}/c{n}" for n in range(10)]
USERS = [f"{c}/u{n}" for c in CLIENTS for n in range(10)]
OPERATOR = Principal(Role.SYSTEM, GROUP, "bench")
ADDRESS_KEY = "ab" * 32
SECRET_KEYS = "b1:" + "cd" * 32
EVIDENCE = {
    "written_permission": "signed_form",
    "given_at": "2025-06-01",
    "reference": "benchmark sign-up forms",
}
BASE = parse_mapping({"email": "email", "mobile": "mobile", "email_c": "consent:email",
                      "sms_c": "consent:sms", "voice_c": "consent:voice"})  # fmt: skip
VOICE_OUT = parse_mapping({"email": "email", "voice_c": "consent:voice"})
VERSION = 2  #: in the data set's name: a changed recipe builds a new one
SMS_OUT = parse_mapping({"email": "email", "sms_c": "consent:sms"})
EMAIL_OUT = parse_mapping({"email": "email", "email_c": "consent:email"})


def email(n: int) -> str:
    return f"p{n}@example.com"


def mobile(n: int) -> str:
    return f"+4477{n:08d}"


def database_url(kind: str, contacts: int, data_dir: Path, pg_server: str) -> str:
    """Where the data set of this size lives on this database (created when missing)."""
    if kind == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / f'bench-v{VERSION}-{contacts}.db'}"
    name = f"consentry_bench_v{VERSION}_{contacts}"
    server = create_engine(
        "postgresql+psycopg://" + pg_server.split("://", 1)[1], isolation_level="AUTOCOMMIT"
    )
    with server.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return pg_server.rsplit("/", 1)[0] + "/" + name


def open_ledger(url: str) -> Ledger:
    """The benchmark deployment's ledger (its keys configured, as a server's are)."""
    settings = Settings(
        database_url=url, address_key=ADDRESS_KEY, secret_keys=SECRET_KEYS, default_region="GB"
    )
    return build(settings)


def contact_count(ledger: Ledger) -> int:
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT count(*) FROM contacts")).scalar_one())


def ensure(ledger: Ledger, contacts: int, seed: int = 7) -> float:
    """Build the data set unless it is there; the seconds the import took (0 when reused)."""
    found = contact_count(ledger)
    if found == contacts:
        return 0.0
    if found > contacts:
        raise SystemExit("the benchmark database holds a larger data set: drop it first")
    # a build cut short is simply run again: the import skips what it already recorded
    for scope in [GROUP, *CLIENTS, *USERS]:
        try:
            ledger.add_scope(OPERATOR, scope)
        except ScopeExists:
            pass
    started = time.perf_counter()
    _import(ledger, BASE, GROUP, _base(contacts))
    rng = random.Random(seed)
    picks = [rng.random() for _ in range(contacts)]
    for n, client in enumerate(CLIENTS):
        rows = (i for i in range(contacts) if picks[i] < 0.10 and i % len(CLIENTS) == n)
        _import(ledger, SMS_OUT, client, ({"email": email(i), "sms_c": "no"} for i in rows))
    for n, user in enumerate(USERS):
        rows = (i for i in range(contacts) if 0.10 <= picks[i] < 0.15 and i % len(USERS) == n)
        _import(ledger, EMAIL_OUT, user, ({"email": email(i), "email_c": "no"} for i in rows))
    rows_out = (i for i in range(contacts) if 0.15 <= picks[i] < 0.17)
    _import(ledger, SMS_OUT, GROUP, ({"email": email(i), "sms_c": "no"} for i in rows_out))
    for n, client in enumerate(CLIENTS):
        rows = (i for i in range(contacts) if 0.17 <= picks[i] < 0.20 and i % len(CLIENTS) == n)
        _import(ledger, VOICE_OUT, client, ({"email": email(i), "voice_c": "no"} for i in rows))
    _bounce(ledger, share=0.03)
    return time.perf_counter() - started


def _bounce(ledger: Ledger, *, share: float) -> None:
    """Bounce the email of every ``1 / share``-th contact in id order (the feeds' use case)."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        ids = conn.execute(text("SELECT id FROM contacts ORDER BY id")).scalars().all()
    for contact_id in ids[:: round(1 / share)]:
        ledger.record_bounce(OPERATOR, contact_id, "email")


def _base(contacts: int) -> Iterator[dict[str, Any]]:
    for n in range(contacts):
        yield {"email": email(n), "mobile": mobile(n), "email_c": "yes", "sms_c": "yes",
               "voice_c": "yes"}  # fmt: skip


def _import(
    ledger: Ledger, mapping: ColumnMapping, scope: str, rows: Iterator[dict[str, Any]]
) -> None:
    lines = ((n, row) for n, row in enumerate(rows, start=2))
    report = ledger.import_contacts(
        OPERATOR, lines, mapping=mapping, scope_id=scope, evidence=EVIDENCE, batch_size=10_000
    )
    if report.refused:
        raise SystemExit(f"the data set's import refused rows: {report.refusals}")
