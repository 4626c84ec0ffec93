"""The staff web app's pages at a million contacts: server time per page, against the bare
database doing the minimum work for the same page, in the same run (issue 9; SPEC §9).

    .venv/bin/python benchmarks/bench_staff.py --contacts 1000000 [--db sqlite|postgresql|both]

The data set (``dataset.py``) is built once through the bulk import and reused. Each page is
requested through the server's one app in this process (``TestClient``: routing, session,
CSRF, the use cases, the template — everything but the socket) by a signed-in admin, in
rounds with the order of the pages shuffled; the figure is the median and the 95th percentile
of the rounds. The bare figure is the page's essential SQL on a raw driver connection:

==================  ===============================================================
page                bare database
==================  ===============================================================
contacts table      a keyset page of 50 contacts + their consents rows (one IN list)
typed mobile        the address key's lookup + the contact's row
"Unsubscribed"      a keyset page of 50 contacts with an opt-out on SMS
profile             the contact's events in order + its consents rows
trends              the group's trend_days rows of the last 90 days
==================  ===============================================================

Target: ≤ 300 ms server time per page. No assertion: benchmarks report, tests assert.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset

from consentry.core.errors import UserExists
from consentry.core.permissions import Role
from consentry.core.trends import day_number
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings

ADMIN = "bench-admin@example.com"
PASSWORD = "benchmark password 1"
PG = os.environ.get("CONSENTRY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def signed_in(ledger: Ledger, url: str) -> TestClient:
    """A client of the server's app with the benchmark's admin signed in."""
    try:
        ledger.create_user(
            dataset.OPERATOR, ADMIN, name="Bench", role=Role.ADMIN, scope_id=dataset.GROUP,
            password=PASSWORD,
        )  # fmt: skip
    except UserExists:
        pass
    settings = Settings(
        database_url=url, address_key=dataset.ADDRESS_KEY, secret_keys=dataset.SECRET_KEYS,
        default_region="GB",
    )  # fmt: skip
    client = TestClient(compose(ledger, settings), base_url="https://testserver")
    page = client.get("/sign-in")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "no sign-in form"
    done = client.post(
        "/sign-in", data={"csrf": token.group(1), "email": ADMIN, "password": PASSWORD},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    return client


def bare_queries(
    ledger: Ledger, contacts: int, probe: str, middle: str
) -> dict[str, Callable[[], Any]]:
    """The minimum SQL of each page, on one raw driver connection."""
    engine = ledger.store.engine  # type: ignore[attr-defined]
    raw = engine.raw_connection()
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    cur = raw.cursor()
    digest = ledger.context.addresses.digest
    from consentry.core.channels import AddressKind

    key = digest(AddressKind.MOBILE, dataset.mobile(contacts // 2))
    since = day_number(ledger.context.clock.now()) - 90

    def run(sql: str, *params: Any) -> list[Any]:
        cur.execute(sql.replace("?", mark), params)
        rows: list[Any] = cur.fetchall()
        return rows

    def page(after: str) -> None:
        ids = [r[0] for r in run(
            "SELECT id, email, mobile, name FROM contacts WHERE group_id = ? AND id > ? "
            "ORDER BY id LIMIT 50", dataset.GROUP, after,
        )]  # fmt: skip
        marks = ", ".join(mark for _ in ids)
        columns = "contact_id, channel, scope_id, status"
        cur.execute(f"SELECT {columns} FROM consents WHERE contact_id IN ({marks})", ids)
        cur.fetchall()

    def search() -> None:
        [(cid,)] = run(
            "SELECT contact_id FROM contact_keys WHERE group_id = ? AND kind = ? AND digest = ?",
            dataset.GROUP, "mobile", key,
        )  # fmt: skip
        run("SELECT * FROM contacts WHERE id = ?", cid)

    def unsubscribed() -> None:
        run(
            "SELECT c.id FROM contacts c WHERE c.group_id = ? AND EXISTS (SELECT 1 FROM consents s "
            "WHERE s.contact_id = c.id AND s.channel = 'sms' AND s.status IN "
            "('soft_opt_out', 'hard_opt_out')) ORDER BY c.id LIMIT 50", dataset.GROUP,
        )  # fmt: skip

    def profile() -> None:
        run("SELECT * FROM events WHERE contact_id = ? ORDER BY seq", probe)
        run("SELECT * FROM consents WHERE contact_id = ?", probe)

    def trends() -> None:
        run(
            "SELECT scope_id, channel, day, subscribed_delta, unsubscribed_delta, opt_outs "
            "FROM trend_days WHERE group_id = ? AND day >= ?", dataset.GROUP, since,
        )  # fmt: skip

    return {
        "contacts table": lambda: page(""),
        "contacts, page in the middle": lambda: page(middle),
        "search by typed mobile": search,
        "Unsubscribed from SMS": unsubscribed,
        "profile": profile,
        "trends": trends,
    }


def pages(contacts: int, probe: str, middle: str) -> dict[str, str]:
    national = "077" + f"{contacts // 2:08d}"
    typed = f"{national[:5]} {national[5:]}"  # as a person types it: 07700 123456
    return {
        "contacts table": "/contacts",
        "contacts, page in the middle": f"/contacts?after={middle}",
        "search by typed mobile": f"/contacts?q={typed}",
        "Unsubscribed from SMS": "/contacts?unsubscribed=sms",
        "profile": f"/contacts/{probe}",
        "trends": "/trends",
    }


def measure(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def bench(kind: str, contacts: int, rounds: int, data_dir: Path) -> None:
    url = dataset.database_url(kind, contacts, data_dir, PG)
    ledger = dataset.open_ledger(url)
    took = dataset.ensure(ledger, contacts)
    if took:
        print(f"{kind}: built {contacts:,} contacts through the import in {took:,.0f} s "
              f"({contacts / took:,.0f} contacts/s)")  # fmt: skip
    with ledger.store.engine.connect() as conn:  # type: ignore[attr-defined]
        from sqlalchemy import text

        events = conn.execute(text("SELECT count(*) FROM events")).scalar_one()
        ids = [r[0] for r in conn.execute(text(
            "SELECT contact_id FROM events GROUP BY contact_id HAVING count(*) >= 3 LIMIT 1"
        ))]  # fmt: skip
        middle = conn.execute(
            text("SELECT id FROM contacts ORDER BY id LIMIT 1 OFFSET :n"), {"n": contacts // 2}
        ).scalar_one()
    probe = ids[0]
    client = signed_in(ledger, url)
    paths = pages(contacts, probe, middle)
    bare = bare_queries(ledger, contacts, probe, middle)
    for path in paths.values():  # warm: templates, caches, the database's pages
        assert client.get(path).status_code == 200, path
    ours: dict[str, list[float]] = {name: [] for name in paths}
    base: dict[str, list[float]] = {name: [] for name in paths}
    order = list(paths)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            ours[name].append(measure(lambda path=paths[name]: client.get(path)))
            base[name].append(measure(bare[name]))
    print(f"\n{kind}: {contacts:,} contacts, {events:,} events; {rounds} rounds, order shuffled")
    print(f"{'page':<30} {'p50 ms':>8} {'p95 ms':>8} {'bare p50':>9} {'ratio':>7}  target ≤ 300 ms")
    for name in paths:
        p50, p95 = statistics.median(ours[name]), _p95(ours[name])
        b50 = statistics.median(base[name])
        verdict = "ok" if p95 <= 300 else "over"
        print(
            f"{name:<30} {p50:8.1f} {p95:8.1f} {b50:9.2f} {p50 / max(b50, 0.001):6.0f}x  {verdict}"
        )
    client.close()
    ledger.close()


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=Path(".bench-data"))
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        bench(kind, args.contacts, args.rounds, args.data_dir)


if __name__ == "__main__":
    main()
