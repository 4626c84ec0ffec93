"""Ledger hot paths against the bare database doing the minimum work, in the same run (SPEC §9).

    .venv/bin/python benchmarks/bench_ledger.py --contacts 20000 [--db postgresql://…]
        [--only webhook,verify] [--jobs 2]

Prints, for each hot path, Consentry's figure, the bare database's figure and their ratio:

- eligibility check (library) vs one indexed SELECT of the projection rows on the scope path
  plus the suppression lookup (p50 / p99);
- a batch of 10,000 checks over the API (``TestClient``) vs the bare IN-list reads of the same
  contacts' projection rows and suppressions (median of rounds, order swapped);
- a hard opt-out (lock, append, project, commit) vs a single-row INSERT + commit;
- the STOP webhook (Twilio signature verify included, then exactly what the route does:
  ``inbound_principal`` and ``receive_message`` — dedupe, number, keywords, contact, opt-out,
  outbox reply, outcome, commit; HTTP parsing excluded) vs the same single-row INSERT + commit;
- audience resolution (streamed, counted by reason) vs the bare SELECT of the same ids;
- ledger verification, serial and over ``--jobs`` worker processes (``verify_parallel``), vs a
  raw scan + SHA-256 of the same bytes; events/s and events per CPU-second.

``--only webhook,verify`` runs some of them. Figures of paths measured side by side are taken in
rounds with the order turned each round, since the machine may be shared.

The data set is built through the use cases themselves (so it is slow to build; the figures are
what matters). No assertion: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from consentry.bootstrap import build
from consentry.core.audience import Segment
from consentry.core.contacts import ContactDetails
from consentry.core.events import Source
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.core.permissions import Principal, Role
from consentry.inbound.routes import twilio_message
from consentry.inbound.signatures import twilio_signature, verify_twilio
from consentry.ledger import Ledger
from consentry.settings import Settings

SYSTEM = Principal(Role.SYSTEM, "bench", "bench")
SENDER = Principal(Role.SENDER, "bench", "bench-key", via_key=True)
CLIENTS = [f"bench/c{n}" for n in range(10)]
USERS = [f"{c}/u{n}" for c in CLIENTS for n in range(10)]
EVIDENCE = {
    "written_permission": "document",
    "given_at": "2026-01-02",
    "reference": "benchmark import",
}


def build_data(ledger: Ledger, contacts: int, seed: int = 7) -> list[str]:
    """Scopes, contacts and a realistic mix of consent events; returns the contact ids."""
    rng = random.Random(seed)
    for scope in ["bench", *CLIENTS, *USERS]:
        ledger.add_scope(SYSTEM, scope)
    ids = []
    for n in range(contacts):
        c = ledger.add_contact(
            SYSTEM,
            ContactDetails(email=f"p{n}@example.com", mobile=f"+4477009{n % 100000:05d}")
            if n < 100000
            else ContactDetails(email=f"p{n}@example.com"),
        )
        ids.append(c.id)
        for channel in ("email", "sms"):
            ledger.opt_in(SYSTEM, c.id, channel, "bench", evidence=EVIDENCE)
        roll = rng.random()
        if roll < 0.05:
            ledger.opt_out(SENDER, c.id, "sms", rng.choice(CLIENTS), source=Source.SMS_KEYWORD)
        elif roll < 0.08:
            ledger.opt_out(SYSTEM, c.id, "email", rng.choice(USERS))
        elif roll < 0.09:
            ledger.record_bounce(SENDER, c.id, "email")
    return ids


def existing_ids(ledger: Ledger) -> list[str]:
    """The contact ids of a data set built by an earlier run (``--existing``)."""
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(text("SELECT id FROM contacts WHERE group_id = 'bench' ORDER BY id"))
        return [row[0] for row in rows]


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile of samples (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds per call, for ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def report(name: str, ours: float, bare: float, unit: str) -> None:
    """One line: ours, bare, ratio."""
    print(
        f"{name:<44} {ours:>12.1f} {unit:<6} bare {bare:>12.1f} {unit:<6} ratio {ours / bare:5.2f}x"
    )


def bench_check(ledger: Ledger, ids: list[str], n: int) -> None:
    rng = random.Random(1)
    picks = [(rng.choice(ids), rng.choice(USERS)) for _ in range(n)]
    it = iter(picks * 2)

    def ours() -> None:
        cid, scope = next(it)
        ledger.check(SENDER, cid, "sms", scope)

    engine = ledger.store.engine  # type: ignore[attr-defined]
    pg = engine.dialect.name == "postgresql"

    def p(name: str) -> str:
        return f"%({name})s" if pg else f":{name}"

    bare_sql = (
        f"SELECT scope_id, status FROM consents WHERE contact_id = {p('c')} AND channel = 'sms' "
        f"AND scope_id IN ({p('u')}, {p('cl')}, 'bench')"
    )
    supp_sql = (
        f"SELECT suppression FROM suppressions WHERE contact_id = {p('c')} AND channel = 'sms'"
    )
    it2 = iter(picks * 2)
    raw = engine.raw_connection()
    if pg:  # the minimum: single reads need no transaction (as Consentry's check runs them)
        raw.driver_connection.autocommit = True  # type: ignore[union-attr]
    cursor = raw.cursor()

    def bare() -> None:
        cid, scope = next(it2)
        cursor.execute(bare_sql, {"c": cid, "u": scope, "cl": scope.rsplit("/", 1)[0]})
        cursor.fetchall()
        cursor.execute(supp_sql, {"c": cid})
        cursor.fetchall()

    bare_t: list[float] = []
    ours_t: list[float] = []
    rounds = 3  # side by side, the order swapped each round (a noisy, shared machine)
    for k in range(rounds):
        pair = [(bare, bare_t), (ours, ours_t)]
        for fn, into in pair if k % 2 == 0 else pair[::-1]:
            into += timed(fn, n // rounds)
    cursor.close()
    if pg:  # hand the connection back as the pool lent it (no autocommit left on)
        raw.driver_connection.autocommit = False  # type: ignore[union-attr]
    raw.close()
    # what ``consentry serve`` does after start-up (server.settle_heap): no long full collections
    it = iter(picks * 2)
    gc.collect()
    gc.freeze()
    frozen_t = timed(ours, n)
    gc.unfreeze()
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        bare_q = percentile(bare_t, q) * 1e6
        report(f"eligibility check {label}", percentile(ours_t, q) * 1e6, bare_q, "µs")
        report(f"eligibility check {label}, gc frozen", percentile(frozen_t, q) * 1e6, bare_q, "µs")


def bench_batch(ledger: Ledger, ids: list[str], rounds: int = 5) -> None:
    """``POST /v1/eligibility/batch`` of 10,000 checks through the app (routing, the key, the
    body's validation, the set-based read, the encoding; no socket) against the bare reads of
    the same rows: one IN-list SELECT of the projection rows and one of the suppressions per
    900 contacts."""
    from fastapi.testclient import TestClient

    from consentry.api.app import create_app

    _, token = ledger.create_api_key(SYSTEM, "sender", "bench", name="bench")
    rng = random.Random(2)
    picks = [(rng.choice(ids), rng.choice(USERS)) for _ in range(10_000)]
    body = {"checks": [{"contact": c, "channel": "sms", "scope": s} for c, s in picks]}
    client = TestClient(create_app(ledger), headers={"Authorization": f"Bearer {token}"})
    engine = ledger.store.engine  # type: ignore[attr-defined]
    pg = engine.dialect.name == "postgresql"
    mark = "%s" if pg else "?"

    def bare() -> None:
        raw = engine.raw_connection()
        cursor = raw.cursor()
        contact_ids = sorted({c for c, _ in picks})
        for start in range(0, len(contact_ids), 900):
            chunk = contact_ids[start : start + 900]
            marks = ", ".join(mark for _ in chunk)
            cursor.execute(
                f"SELECT contact_id, scope_id, status FROM consents WHERE channel = 'sms' "
                f"AND contact_id IN ({marks})", chunk,
            )  # fmt: skip
            cursor.fetchall()
            cursor.execute(
                f"SELECT contact_id, suppression FROM suppressions WHERE channel = 'sms' "
                f"AND contact_id IN ({marks})", chunk,
            )  # fmt: skip
            cursor.fetchall()
        cursor.close()
        raw.rollback()
        raw.close()

    def ours() -> None:
        answer = client.post("/v1/eligibility/batch", json=body)
        assert answer.status_code == 200, answer.text

    ours(), bare()  # warm
    ours_t, bare_t = [], []
    for n in range(rounds):  # side by side, the order swapped each round
        pair = [(ours, ours_t), (bare, bare_t)]
        for fn, into in pair if n % 2 == 0 else reversed(pair):
            into.extend(timed(fn, 1))
    report("eligibility batch of 10,000 (HTTP, median)", statistics.median(ours_t) * 1e3,
           statistics.median(bare_t) * 1e3, "ms")  # fmt: skip
    client.close()


def single_row_commits(ledger: Ledger, n: int) -> list[float]:
    """The bare database's minimum write: one single-row INSERT + commit, ``n`` times."""
    engine = ledger.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_bare (k VARCHAR(64) PRIMARY KEY)"))
        conn.commit()
        counter = iter(range(10**9))

        def bare() -> None:
            conn.execute(text("INSERT INTO bench_bare VALUES (:k)"), {"k": f"k{next(counter)}"})
            conn.commit()

        bare_t = timed(bare, n)
        conn.execute(text("DROP TABLE bench_bare"))
        conn.commit()
    return bare_t


def bench_stop(ledger: Ledger, ids: list[str], n: int) -> None:
    rng = random.Random(2)
    targets = rng.sample(ids, min(n, len(ids)))
    it = iter(targets)

    def ours() -> None:
        ledger.opt_out(SENDER, next(it), "voice", "bench/c1", source=Source.VOICE_KEYPAD)

    bare_t = single_row_commits(ledger, len(targets))
    ours_t = timed(ours, len(targets))
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        report(
            f"hard opt-out (append+project+commit) {label}",
            percentile(ours_t, q) * 1e6,
            percentile(bare_t, q) * 1e6,
            "µs",
        )


STOP_NUMBER = "+441632960999"
TWILIO_TOKEN = "bench-token"
WEBHOOK_URL = "https://consentry.example/v1/inbound/twilio/messages"


def bench_webhook(ledger: Ledger, ids: list[str], n: int, rounds: int = 10) -> None:
    """A Twilio STOP per contact: verify the signature, then the route's ledger calls.

    Side by side with the bare single-row commit, in ``rounds`` rounds with the order swapped
    each round (the machine is shared: a noisy minute hits both). CPU time is reported too.
    """
    ledger.configure_number(SYSTEM, STOP_NUMBER, "bench/c2", channels=["sms"])
    with ledger.store.transaction(write=False) as tx:
        mobiles = [c.mobile for c in (tx.get_contact("bench", i) for i in ids) if c and c.mobile]
    rng = random.Random()  # other contacts, and new message ids, in each run on one data set
    run = rng.getrandbits(32)
    forms = []
    for k, mobile in enumerate(rng.sample(mobiles, min(n, len(mobiles)))):
        params = {"MessageSid": f"SM{run:08x}{k:08d}", "From": mobile, "To": STOP_NUMBER}
        params.update({"Body": "Stop", "NumMedia": "0"})
        signature = twilio_signature(TWILIO_TOKEN, WEBHOOK_URL, params.items())
        forms.append((params, signature))
    it = iter(forms)

    def ours() -> None:
        params, signature = next(it)
        verify_twilio((TWILIO_TOKEN,), WEBHOOK_URL, list(params.items()), signature)
        result = twilio_message(ledger, params)
        assert result.outcome is Outcome.OPTED_OUT and not result.replayed, result

    per_round = max(1, len(forms) // rounds)
    ours_t: list[float] = []
    bare_t: list[float] = []
    cpu = {"ours": 0.0, "bare": 0.0}
    for r in range(rounds):
        pair = [("ours", lambda: ours_t.extend(timed(ours, per_round))),
                ("bare", lambda: bare_t.extend(single_row_commits(ledger, per_round)))]  # fmt: skip
        for name, run in pair if r % 2 == 0 else reversed(pair):
            start = time.process_time()
            run()
            cpu[name] += time.process_time() - start
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        report(
            f"STOP webhook (verify..commit) {label}",
            percentile(ours_t, q) * 1e6,
            percentile(bare_t, q) * 1e6,
            "µs",
        )
    report("STOP webhook CPU per message", cpu["ours"] / len(ours_t) * 1e6,
           cpu["bare"] / len(bare_t) * 1e6, "µs")  # fmt: skip
    print(f"STOP webhook throughput: {len(ours_t) / sum(ours_t):.0f} req/s (one process)")


BARE_AUDIENCE = (
    "SELECT c.id, c.mobile FROM contacts c WHERE c.group_id = 'bench' AND NOT EXISTS ("
    " SELECT 1 FROM consents s WHERE s.contact_id = c.id AND s.channel = 'sms'"
    " AND s.scope_id IN ('bench/c3/u4','bench/c3','bench')"
    " AND s.status IN ('soft_opt_out','hard_opt_out')) ORDER BY c.id"
)


def bench_audience(ledger: Ledger, rounds: int = 3) -> None:
    """The whole audience streamed and counted by reason vs the bare SELECT of the eligible
    ids and numbers read from the driver's cursor in batches (psycopg or sqlite3, no
    SQLAlchemy), side by side in ``rounds`` rounds with the order turned; the least disturbed
    round of each, and the CPU time of this process (on PostgreSQL the server's is not in it).
    """
    engine = ledger.store.engine  # type: ignore[attr-defined]
    found: dict[str, Any] = {}

    def ours() -> None:
        audience = ledger.resolve_audience(SENDER, Segment(), "sms", "bench/c3/u4")
        found["eligible"] = sum(1 for _ in audience)
        found["excluded"] = dict(audience.excluded)

    def bare() -> None:
        with engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute(BARE_AUDIENCE)
            n = 0
            while rows := cursor.fetchmany(5000):
                n += len(rows)
            cursor.close()
            found["bare"] = n

    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "bare": []}
    order = [("ours", ours), ("bare", bare)]
    for r in range(rounds):
        for name, fn in order if r % 2 == 0 else reversed(order):
            cpu, start = time.process_time(), time.perf_counter()
            fn()
            runs[name].append((time.perf_counter() - start, time.process_time() - cpu))
    (ours_wall, ours_cpu), (bare_wall, bare_cpu) = min(runs["ours"]), min(runs["bare"])
    total = found["eligible"] + sum(found["excluded"].values())  # every contact of the group
    print(
        f"audience: {found['eligible']} eligible of {total}, excluded {found['excluded']}; "
        f"bare select {found['bare']} ids; CPU ours {ours_cpu * 1e3:.0f} ms, "
        f"bare {bare_cpu * 1e3:.0f} ms"
    )
    report("audience (contacts/s)", total / ours_wall, total / bare_wall, "/s")


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the verify workers)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def bench_verify(ledger: Ledger, url: str, jobs: int, rounds: int = 3) -> None:
    """Serial ``verify``, ``verify_parallel`` over ``jobs`` worker processes and the bare scan,
    side by side in rounds with the order turned; events/s (wall) and per CPU-second."""
    engine = ledger.store.engine  # type: ignore[attr-defined]
    found: dict[str, Any] = {}

    def serial() -> int:
        found["serial"] = ledger.verify(SYSTEM)
        return int(found["serial"].checked)

    def parallel() -> int:
        from consentry.bootstrap import verify_in_processes  # not before decision 084
        from consentry.ledger.integrity import verify_parallel

        runner = verify_in_processes(url)
        report = verify_parallel(ledger.context, SYSTEM, runner, jobs=jobs, smallest=1)
        found["parallel"] = report
        return report.checked

    def bare() -> int:
        n = 0
        with engine.connect() as conn:
            for row in conn.execution_options(stream_results=True, yield_per=20000).execute(
                text("SELECT * FROM events ORDER BY contact_id, seq")
            ):
                hashlib.sha256(repr(tuple(row)).encode()).digest()
                n += 1
        return n

    runs: dict[str, list[tuple[float, float, int]]] = {"serial": [], "parallel": [], "bare": []}
    order = [("serial", serial), ("parallel", parallel), ("bare", bare)]
    if jobs <= 1:  # the serial figure only (``--jobs 1``)
        order = [("serial", serial), ("bare", bare)]
        found["parallel"] = None
    for r in range(rounds):
        for name, fn in order if r % 2 == 0 else reversed(order):
            cpu, start = _cpu(), time.perf_counter()
            events = fn()
            runs[name].append((time.perf_counter() - start, _cpu() - cpu, events))
    if jobs > 1:
        assert found["serial"] == found["parallel"], "the parallel report is not the serial one"

    def rate(name: str) -> tuple[float, float]:
        wall, cpu, events = min(runs[name])  # the least disturbed round
        return events / wall, events / cpu

    bare_wall, bare_cpu = rate("bare")
    checked = found["serial"].checked
    for name, label in (("serial", "verify serial"), ("parallel", f"verify --jobs {jobs}")):
        if not runs[name]:
            continue
        wall, cpu = rate(name)
        report(f"{label} ({checked} events) events/s", wall, bare_wall, "/s")
        report(f"{label} events per CPU-second", cpu, bare_cpu, "/s")


BENCHES = ("check", "batch", "stop", "webhook", "audience", "verify")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=5000)
    parser.add_argument("--db", default=None, help="database URL (default: a temp SQLite file)")
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benches")
    parser.add_argument("--jobs", type=int, default=2, help="verify's worker processes")
    parser.add_argument(
        "--existing", action="store_true", help="use the data set already in --db (no build)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    url = args.db or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.db')}"
    settings = Settings(database_url=url, address_key="cd" * 32, secret_keys="b1:" + "ef" * 32)
    ledger = build(settings)
    print(f"database {ledger.store.dialect}; building {args.contacts} contacts …")  # type: ignore[attr-defined]
    start = time.perf_counter()
    ids = existing_ids(ledger) if args.existing else build_data(ledger, args.contacts)
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as autovacuum keeps them live
        conn.commit()
    print(f"built in {time.perf_counter() - start:.1f} s")
    if "check" in only:
        bench_check(ledger, ids, args.checks)
    if "batch" in only:
        bench_batch(ledger, ids)
    if "stop" in only:
        bench_stop(ledger, ids, min(1000, args.contacts))
    if "webhook" in only:
        bench_webhook(ledger, ids, min(2000, args.contacts))
    if "audience" in only:
        bench_audience(ledger)
    if "verify" in only:
        bench_verify(ledger, url, args.jobs)
    ledger.close()


if __name__ == "__main__":
    main()
