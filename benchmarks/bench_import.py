"""The bulk import against the database's own bulk load of the same final rows, with peak
memory, on SQLite and PostgreSQL (issue 11; SPEC §7, §9).

    .venv/bin/python benchmarks/bench_import.py --rows 1000000 [--db sqlite|postgresql|both]

A CSV file of ``--rows`` people (email, mobile, external id, name, SMS and email consent, with
the whole file's record of written permission) is written once into ``--data-dir``. Each round,
in a fresh database, with the order of the two runs swapped every round:

* **import**: ``consentry import``'s path in a child process — the CSV reader, the column
  mapping, every row normalised, keyed and planned by the single commands' rules, its events
  chained, each batch written with the bulk path and committed;
* **bare**: the same final rows (every table the import wrote, dumped to CSV files first and
  untimed) loaded into an empty database with the same schema and indexes, in a child process:
  ``COPY … FROM STDIN`` on PostgreSQL; on SQLite, the CSV files read and ``executemany`` into
  one transaction — the least any loader can do to get those rows in.

Each child's peak resident memory is its own high-water mark (``VmHWM`` of
``/proc/self/status``, which starts afresh at ``exec``; ``ru_maxrss`` would count the parent's
memory at the fork); run at two sizes to see it flat in the file's size. Targets: import
≤ 5x bare, ≥ 100,000 rows/s on SQLite, memory flat. No assertion: benchmarks report, tests
assert.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset
from sqlalchemy import create_engine, text

PG = os.environ.get("CONSENTRY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
HEADER = ["Email", "Mobile", "CRM id", "Name", "SMS", "Email opt-in", "SMS since"]
MAPPING = {
    "Email": "email", "Mobile": "mobile", "CRM id": "external_id", "Name": "name",
    "SMS": "consent:sms", "Email opt-in": "consent:email", "SMS since": "consent_at:sms",
}  # fmt: skip
#: The tables an import writes, in the order the bare load fills them.
TABLES = ("contacts", "contact_keys", "contact_lists", "chain_heads", "events", "consents",
          "trend_days")  # fmt: skip


def write_file(rows: int, data_dir: Path) -> Path:
    """The benchmark's CSV file of ``rows`` people (written once per size)."""
    path = data_dir / f"import-{rows}.csv"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    with path.with_suffix(".tmp").open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            since = f"2026-{1 + n % 10:02d}-{1 + n % 28:02d}"  # after the permission was given
            writer.writerow([dataset.email(n), dataset.mobile(n), f"crm-{n}", f"Person {n}",
                             "yes", "yes", since])  # fmt: skip
    path.with_suffix(".tmp").rename(path)
    return path


def fresh_url(kind: str, data_dir: Path, name: str) -> str:
    """An empty database for one run (dropped and created again)."""
    if kind == "sqlite":
        path = data_dir / f"{name}.db"
        for leftover in data_dir.glob(f"{name}.db*"):
            leftover.unlink()
        return f"sqlite:///{path}"
    server = create_engine(_driver(PG), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return PG.rsplit("/", 1)[0] + "/" + name


def _driver(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


# ── the children ──
def child_import(url: str, csv_path: str) -> dict[str, Any]:
    """Import the file into the empty database at ``url``; the seconds it took."""
    from consentry.adapters.import_files import FileFormat, read_rows
    from consentry.core.imports import parse_mapping

    ledger = dataset.open_ledger(url)
    ledger.add_scope(dataset.OPERATOR, dataset.GROUP)
    mapping = parse_mapping(MAPPING)
    started = time.perf_counter()
    with open(csv_path, newline="", encoding="utf-8") as stream:
        report = ledger.import_contacts(
            dataset.OPERATOR, read_rows(stream, FileFormat.CSV, mapping), mapping=mapping,
            scope_id=dataset.GROUP, evidence=dataset.EVIDENCE, batch_size=10_000,
        )  # fmt: skip
    took = time.perf_counter() - started
    ledger.close()
    return {"seconds": took, "rows": report.rows, "refused": report.refused,
            "events": report.events}  # fmt: skip


def dump(url: str, dump_dir: Path) -> dict[str, int]:
    """Every table the import wrote, as CSV files (untimed); rows per table."""
    engine = create_engine(_driver(url) if url.startswith("postgresql") else url)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for table in TABLES:
            result = conn.execute(text(f"SELECT * FROM {table}"))
            with (dump_dir / f"{table}.csv").open("w", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(result.keys())
                counts[table] = 0
                for row in result:
                    writer.writerow(["\\N" if v is None else v for v in row])
                    counts[table] += 1
    engine.dispose()
    return counts


def child_bare(url: str, dump_dir: str) -> dict[str, Any]:
    """Load the dumped rows into the empty database at ``url`` (its schema made first)."""
    from consentry.adapters.store import open_store

    open_store(url, migrate=True).close()  # the same schema and indexes, outside the timing
    started = time.perf_counter()
    if url.startswith("postgresql"):
        _copy_in(url, Path(dump_dir))
    else:
        _executemany(url.removeprefix("sqlite:///"), Path(dump_dir))
    return {"seconds": time.perf_counter() - started}


def _copy_in(url: str, dump_dir: Path) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table in TABLES:
            path = dump_dir / f"{table}.csv"
            with path.open("rb") as data:
                columns = data.readline().decode().strip()
                sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv, NULL '\\N')"
                with cur.copy(sql) as copy:
                    while block := data.read(1 << 16):  # psycopg queues blocks: keep them small
                        copy.write(block)
        conn.commit()


def _executemany(path: str, dump_dir: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for table in TABLES:
        with (dump_dir / f"{table}.csv").open(newline="") as data:
            reader = csv.reader(data)
            columns = next(reader)
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            rows = ([None if v == "\\N" else v for v in row] for row in reader)
            conn.executemany(sql, rows)
    conn.execute("COMMIT")
    conn.close()


def run_child(*args: str) -> tuple[dict[str, Any], int]:
    """Run this file as a child with ``args``; its JSON answer and peak RSS in MiB."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the child {args[0]} failed ({status})")
    answer = json.loads(out)
    peak_kib = answer.pop("peak_kib", None) or usage.ru_maxrss  # no /proc: the rusage figure
    return answer, peak_kib // 1024


def peak_kib() -> int | None:
    """This process's peak resident memory in KiB since its ``exec`` (Linux), or None."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


# ── the parent ──
def bench(kind: str, rows: int, rounds: int, data_dir: Path) -> None:
    csv_path = write_file(rows, data_dir)
    dump_dir = data_dir / f"dump-{kind}-{rows}"
    dump_dir.mkdir(exist_ok=True)
    ours: list[float] = []
    bare: list[float] = []
    memory = {"import": 0, "bare": 0}
    for n in range(rounds):
        order = ["import", "bare"] if n % 2 == 0 else ["bare", "import"]
        if not (dump_dir / "events.csv").exists():
            order = ["import", "bare"]  # the bare load needs the import's rows once
        for which in order:
            url = fresh_url(kind, data_dir, f"consentry_bench_import_{which}")
            if which == "import":
                answer, peak = run_child("import", url, str(csv_path))
                if answer["refused"]:
                    raise SystemExit(f"the import refused {answer['refused']} rows")
                counts = dump(url, dump_dir)
                ours.append(answer["seconds"])
            else:
                answer, peak = run_child("bare", url, str(dump_dir))
                bare.append(answer["seconds"])
            memory[which] = max(memory[which], peak)
        print(f"  round {n + 1}: import {ours[-1]:.1f} s, bare {bare[-1]:.1f} s", flush=True)
    ours_s, bare_s = statistics.median(ours), statistics.median(bare)
    stored = sum(counts.values())
    print(f"\n{kind}: {rows:,} CSV rows → {stored:,} stored rows ({counts['events']:,} events); "
          f"{rounds} rounds, order swapped")  # fmt: skip
    print(f"{'run':<8} {'median s':>9} {'rows/s':>10} {'peak MiB':>9}")
    print(f"{'import':<8} {ours_s:9.1f} {rows / ours_s:10,.0f} {memory['import']:9}")
    print(f"{'bare':<8} {bare_s:9.1f} {rows / bare_s:10,.0f} {memory['bare']:9}")
    print(f"ratio {ours_s / bare_s:.1f}x (target ≤ 5x); "
          f"{'ok' if rows / ours_s >= 100_000 else 'under'} the 100,000 rows/s target on SQLite"
          if kind == "sqlite" else f"ratio {ours_s / bare_s:.1f}x (target ≤ 5x)")  # fmt: skip


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        which, url, path = sys.argv[2:5]
        answer = child_import(url, path) if which == "import" else child_bare(url, path)
        print(json.dumps({**answer, "peak_kib": peak_kib()}))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--data-dir", type=Path, default=Path(".bench-data"))
    args = parser.parse_args()
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        bench(kind, args.rows, args.rounds, args.data_dir.resolve())


if __name__ == "__main__":
    main()
