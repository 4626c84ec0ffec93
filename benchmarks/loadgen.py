"""A load generator in a process of its own: single eligibility checks over HTTP (issue 12).

    .venv/bin/python benchmarks/loadgen.py --url http://127.0.0.1:8000/v1/eligibility \
        --token csk_… --picks picks.txt [--concurrency 8] [--seconds 10]

``picks.txt`` holds one ``contact_id scope`` per line; each request asks about the next pick on
SMS. Each of ``--concurrency`` threads keeps one HTTP/1.1 connection open (as a sender's client
would) and sends one request after another until the time is up. Prints one JSON object:
requests, errors, p50 and p99 in milliseconds, and checks a second. It is run by
``scripts/bench`` against Consentry and against the bare HTTP server (``bare_http.py``) alike.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time

import httpx


def run(url: str, token: str, picks: list[tuple[str, str]], concurrency: int, seconds: float
        ) -> dict[str, float]:  # fmt: skip
    """Drive the server for ``seconds``; the figures."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)  # the clock starts once every client is made
    counter = itertools.count()

    def worker() -> None:
        mine: list[float] = []
        failed = 0
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(headers=headers, timeout=10) as client:
            ready.wait()
            deadline = time.perf_counter() + seconds
            while not mine or time.perf_counter() < deadline:  # at least one each
                contact, scope = picks[next(counter) % len(picks)]
                params = {"contact": contact, "channel": "sms", "scope": scope}
                started = time.perf_counter()
                try:
                    answer = client.get(url, params=params)
                    ok = answer.status_code == 200
                    if not ok and not failed:
                        print(f"HTTP {answer.status_code}: {answer.text[:200]}", file=sys.stderr)
                except httpx.HTTPError as exc:
                    ok = False
                    if not failed:
                        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
                mine.append(time.perf_counter() - started)
                failed += not ok
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [0.0]
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "p50_ms": ordered[len(ordered) // 2] * 1e3,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1e3,
        "per_second": len(latencies) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--picks", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with open(args.picks, encoding="utf-8") as lines:
        picks = [(c, s) for c, s in (line.split() for line in lines if line.strip())]
    print(json.dumps(run(args.url, args.token, picks, args.concurrency, args.seconds)))


if __name__ == "__main__":
    main()
