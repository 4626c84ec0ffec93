"""``scripts/bench``: every hot path of issue 12 on the realistic data set, as one table.

    scripts/bench [--contacts 1000000] [--growth 100000] [--db sqlite,postgresql]
                  [--servers 2] [--seconds 10] [--import-rows 100000] [--rounds 3]

For each database: the data set (``dataset.py``: one group, 10 clients x 10 users, email, SMS
and voice, about 20 % opted out at mixed levels, a few % bounced) is built through the bulk import
once per size and reused. The paths that write (opt-outs, STOPs) run on a copy, so the data set
stays as built. Measured at ``--contacts``, each against the bare database doing the minimum work
in the same run:

- the eligibility check (library) p50/p99 and the audience, also at ``--growth`` contacts (checks
  should stay flat, audiences grow linearly);
- the batch of 10,000 checks over the API, the hard opt-out, the STOP webhook, verification
  (serial and over worker processes);
- one check over HTTP, measured by a **separate load-generator process** (``loadgen.py``) against
  ``consentry serve`` with 1 and with ``--servers`` processes, beside the bare HTTP server
  (``bare_http.py``: an ASGI app running the same two reads under the same uvicorn);
- the staff pages (``bench_staff.py``) and the import (``bench_import.py``, ``--import-rows``).

Prints each figure as it is measured, then the table. ``--contacts 300 --growth 0
--import-rows 200 --seconds 0.5`` is the smoke run the test suite makes (no figure asserted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_import
import bench_ledger
import bench_staff
import dataset

from consentry.core.permissions import Principal, Role

HERE = Path(__file__).resolve().parent
ROWS: list[tuple[str, str, float, float, str]] = []  #: (database, path, ours, bare, unit)


def collect(kind: str) -> None:
    """Make ``bench_ledger.report`` keep every figure for the table as well as print it."""
    printed = bench_ledger.report

    def report(name: str, ours: float, bare: float, unit: str) -> None:
        printed(name, ours, bare or float("nan"), unit)
        ROWS.append((kind, name, ours, bare, unit))

    bench_ledger.report = report


def sample_ids(url: str, n: int) -> list[str]:
    """``n`` contact ids of the data set, spread over it (deterministic)."""
    engine = create_engine(_driver(url))
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM contacts")).scalar_one()
        step = max(1, total // n)
        rows = conn.execute(text("SELECT id FROM contacts ORDER BY id")).scalars()
        ids = [cid for k, cid in enumerate(rows) if k % step == 0][:n]
    engine.dispose()
    return ids


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@contextlib.contextmanager
def working_copy(kind: str, url: str, data_dir: Path) -> Iterator[str]:
    """A copy of the data set for the paths that write; dropped afterwards."""
    if kind == "sqlite":
        source = Path(url.removeprefix("sqlite:///"))
        target = data_dir / f"work-{source.name}"
        with sqlite3.connect(source) as conn:  # the write-ahead log into the file first
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for leftover in data_dir.glob(f"work-{source.name}*"):
            leftover.unlink()
        shutil.copy(source, target)
        try:
            yield f"sqlite:///{target}"
        finally:
            for made in data_dir.glob(f"work-{source.name}*"):  # with its -wal and -shm
                made.unlink()
        return
    name = url.rsplit("/", 1)[1]
    base = url.rsplit("/", 1)[0]
    server = create_engine(_driver(base + "/postgres"), isolation_level="AUTOCOMMIT")
    work = f"{name}_work"
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{work}" TEMPLATE "{name}"'))
    try:
        yield base + "/" + work
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)'))
        server.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], port: int, path: str) -> Iterator[None]:
    """A server process, ready when ``path`` answers; stopped afterwards."""
    import httpx

    log = tempfile.TemporaryFile()  # never a pipe: a full one would stall the server
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                raise SystemExit(f"the server did not start: {log.read()!r}") from None
            time.sleep(0.1)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def load(url: str, token: str, picks: Path, seconds: float) -> dict[str, float]:
    """The load generator, a process of its own; its figures."""
    command = [sys.executable, str(HERE / "loadgen.py"), "--url", url, "--token", token,
               "--picks", str(picks), "--seconds", str(seconds)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    if done.stderr.strip():
        print("  load generator: " + done.stderr.strip().splitlines()[0])
    return dict(json.loads(done.stdout))


def bench_http(url: str, ids: list[str], servers: int, seconds: float) -> None:
    """One check over HTTP, Consentry vs the bare server, with 1 and ``servers`` processes."""
    ledger = dataset.open_ledger(url)
    system = Principal(Role.SYSTEM, dataset.GROUP, "bench")
    _, token = ledger.create_api_key(system, "sender", dataset.GROUP, name="bench-http")
    ledger.close()
    rng = random.Random(5)
    picks = Path(tempfile.mkstemp(suffix=".txt")[1])
    lines = (f"{rng.choice(ids)} {rng.choice(dataset.USERS)}\n" for _ in range(20_000))
    picks.write_text("".join(lines))
    env = {
        **os.environ, "CONSENTRY_DATABASE_URL": url, "BARE_DATABASE_URL": url,
        "PYTHONPATH": str(HERE),  # the bare app's workers import it from here
        "CONSENTRY_ADDRESS_KEY": dataset.ADDRESS_KEY, "CONSENTRY_SECRET_KEYS": dataset.SECRET_KEYS,
    }  # fmt: skip
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    consentry = str(Path(sys.executable).parent / "consentry")
    for workers in sorted({1, servers}):
        figures: dict[str, dict[str, float]] = {}
        for name in ("ours", "bare") if workers % 2 else ("bare", "ours"):
            port = free_port()
            if name == "ours":
                command = [consentry, "serve", "--port", str(port), "--workers", str(workers)]
                probe, target = "/docs", f"http://127.0.0.1:{port}/v1/eligibility"
            else:
                command = [uvicorn, "bare_http:app", "--app-dir", str(HERE), "--port", str(port),
                           "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
                probe, target = "/?contact=x&scope=bench", f"http://127.0.0.1:{port}/"
            with serving(command, env, port, probe):
                load(target, token, picks, min(2.0, seconds))  # warm
                figures[name] = load(target, token, picks, seconds)
        ours, bare = figures["ours"], figures["bare"]
        label = f"one check over HTTP, {workers} process{'es' if workers > 1 else ''}"
        for key, unit in (("p50_ms", "ms"), ("p99_ms", "ms"), ("per_second", "/s")):
            bench_ledger.report(f"{label} {key.removesuffix('_ms')}", ours[key], bare[key], unit)
        if ours["errors"]:
            print(f"  {label}: {ours['errors']:.0f} of {ours['requests']:.0f} requests failed")
    picks.unlink()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  [{name}: {time.perf_counter() - started:.1f} s]", flush=True)


def bench_database(kind: str, args: argparse.Namespace) -> None:
    collect(kind)
    sizes = [s for s in (args.growth, args.contacts) if s]
    for size in sizes:
        url = dataset.database_url(kind, size, args.data_dir, bench_staff.PG)
        ledger = dataset.open_ledger(url)
        took = dataset.ensure(ledger, size)
        ledger.close()
        print(f"\n── {kind}, {size:,} contacts" + (f" (built in {took:,.0f} s)" if took else ""))
        ids = sample_ids(url, min(size, 20_000))
        with working_copy(kind, url, args.data_dir) as work:
            ledger = dataset.open_ledger(work)
            before = len(ROWS)
            bench_ledger.bench_check(ledger, ids, args.checks)
            for k in range(before, len(ROWS)):  # the growth: the same rows at each size
                ROWS[k] = (kind, f"{ROWS[k][1]} at {size:,}", *ROWS[k][2:])
            bench_ledger.bench_audience(ledger)
            ROWS[-1] = (kind, f"audience at {size:,} (contacts/s)", *ROWS[-1][2:])
            if size == args.contacts:
                bench_ledger.bench_batch(ledger, ids)
                bench_ledger.bench_stop(ledger, ids, min(1000, len(ids)))
                bench_ledger.bench_webhook(ledger, ids, min(2000, len(ids)))
                with stage("verify"):
                    bench_ledger.bench_verify(ledger, work, args.jobs, rounds=args.rounds)
            ledger.close()
            if size == args.contacts:
                with stage("HTTP"):
                    bench_http(work, ids, args.servers, args.seconds)
    with stage("staff pages"):
        bench_staff.bench(kind, args.contacts, args.rounds * 5, args.data_dir)
    if args.import_rows:
        with stage("import"):
            bench_import.bench(kind, args.import_rows, args.rounds, args.data_dir)


def table() -> None:
    print(f"\n{'database':<11} {'path':<52} {'ours':>12} {'bare':>12} {'unit':<5} {'ratio':>7}")
    for kind, name, ours, bare, unit in ROWS:
        ratio = ours / bare if bare else float("inf")
        print(f"{kind:<11} {name:<52} {ours:>12,.1f} {bare:>12,.1f} {unit:<5} {ratio:>6.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--growth", type=int, default=100_000, help="the smaller size (0: none)")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--servers", type=int, default=2, help="API processes for the HTTP run")
    parser.add_argument("--seconds", type=float, default=10.0, help="each HTTP load run")
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=2, help="verify's worker processes")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=100_000, help="0: no import run")
    parser.add_argument("--data-dir", type=Path, default=Path(".bench-data"))
    args = parser.parse_args()
    for kind in args.db.split(","):
        bench_database(kind, args)
    table()


if __name__ == "__main__":
    main()
