"""A smoke run of ``scripts/bench`` (benchmarks/run_all.py) on a tiny SQLite data set: the code
of every benchmark runs end to end and the table names every path. Figures are not asserted —
benchmarks report, tests assert (issue 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATHS = (
    "eligibility check p50 at 200", "eligibility check p99, gc frozen at 200",
    "audience at 200 (contacts/s)",
    "eligibility batch of 10,000 (HTTP, median)", "hard opt-out (append+project+commit) p99",
    "STOP webhook (verify..commit) p99", "verify serial", "one check over HTTP, 1 process p99",
    "one check over HTTP, 1 process per_second",
)  # fmt: skip


def test_the_benchmark_runs_end_to_end_and_prints_its_table(tmp_path: Path) -> None:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--db", "sqlite",
        "--contacts", "200", "--growth", "0", "--import-rows", "100", "--seconds", "0.2",
        "--servers", "1", "--jobs", "1", "--rounds", "1", "--checks", "50",
        "--data-dir", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout.split("\ndatabase ", 1)[1]
    for path in PATHS:
        assert f"sqlite      {path}" in table, path
    assert "contacts table" in done.stdout and "ratio" in done.stdout  # staff pages, import
    assert not list(tmp_path.glob("work-*")), "the working copy is left behind"
