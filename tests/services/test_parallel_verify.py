"""Verification over contact-id ranges gives exactly the serial report (decision 084)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from consentry.bootstrap import verify_in_processes
from consentry.core.chain import Between
from consentry.ledger import Ledger
from consentry.ledger.integrity import VerifyPart, verify_parallel, verify_range
from tests.factories import WRITTEN, admin, make_contact, sql, system

OPERATOR = system()


def populate(ledger: Ledger, contacts: int = 12) -> list[str]:
    """Contacts of both groups with a few events each; their ids in id order."""
    ids = []
    for n in range(contacts):
        group = "acme" if n % 3 else "globex"
        c = make_contact(ledger, email=f"p{n}@example.com", mobile=None, group=group)
        ledger.opt_in(system(group), c.id, "email", group, evidence=WRITTEN)
        if n % 2:
            ledger.opt_out(system(group), c.id, "email", group)
        ids.append(c.id)
    return sorted(ids)


def in_this_process(ledger: Ledger):
    """A runner that verifies each range here, on the ledger's own store (no processes)."""
    seen: list[Sequence[Between]] = []

    def run(group_id: str | None, ranges: Sequence[Between]) -> list[VerifyPart]:
        seen.append(ranges)
        return [verify_range(ledger.store, group_id, between) for between in ranges]

    return run, seen


def tamper(ledger: Ledger, ids: list[str]) -> None:
    """An edited event, a lost chain head, an edited projection row, across the ranges."""
    sql(ledger, "UPDATE events SET recorded_by = 'forged' WHERE contact_id = :c", c=ids[1])
    sql(ledger, "DELETE FROM chain_heads WHERE contact_id = :c", c=ids[5])
    sql(ledger, "UPDATE consents SET status = 'opted_in' WHERE contact_id = :c", c=ids[10])
    sql(ledger, "UPDATE chain_heads SET seq = 9 WHERE contact_id = :c", c=ids[7])


@pytest.mark.parametrize("tampered", [False, True], ids=["untampered", "tampered"])
def test_ranges_merge_into_the_serial_report(ledger: Ledger, tampered: bool) -> None:
    ids = populate(ledger)
    if tampered:
        tamper(ledger, ids)
    serial = ledger.verify(OPERATOR)
    run, seen = in_this_process(ledger)
    parallel = verify_parallel(ledger.context, OPERATOR, run, jobs=4, smallest=1)
    assert len(seen[0]) == 4  # really split, in four ranges
    assert parallel == serial
    assert serial.ok is not tampered
    assert serial.checked > 0 and serial.rows > 0


def test_a_group_admin_gets_the_serial_report_of_the_group(ledger: Ledger) -> None:
    ids = populate(ledger)
    tamper(ledger, ids)
    run, _ = in_this_process(ledger)
    parallel = verify_parallel(ledger.context, admin(), run, jobs=3, smallest=1)
    assert parallel == ledger.verify(admin())
    assert {p.group_id for p in parallel.problems} == {"acme"}


def test_a_digest_is_checked_once_against_the_whole_ledger(ledger: Ledger) -> None:
    ids = populate(ledger)
    digest = ledger.export_digest(OPERATOR)
    sql(ledger, "UPDATE events SET hash = 'x' WHERE contact_id = :c AND seq = 1", c=ids[2])
    run, _ = in_this_process(ledger)
    parallel = verify_parallel(ledger.context, OPERATOR, run, jobs=3, against=digest, smallest=1)
    assert parallel == ledger.verify(OPERATOR, against=digest)
    assert not parallel.ok


def test_a_ledger_too_small_to_split_is_verified_in_one_snapshot(ledger: Ledger) -> None:
    populate(ledger, contacts=4)
    run, seen = in_this_process(ledger)
    report = verify_parallel(ledger.context, OPERATOR, run, jobs=4)  # 20,000 per range
    assert seen == [] and report == ledger.verify(OPERATOR) and report.ok


def test_worker_processes_open_their_own_connections(ledger: Ledger, db_url: str) -> None:
    ids = populate(ledger)
    tamper(ledger, ids)
    runner = verify_in_processes(db_url)
    parallel = verify_parallel(ledger.context, OPERATOR, runner, jobs=2, smallest=1)
    assert parallel == ledger.verify(OPERATOR)
    assert not parallel.ok


def test_writes_landing_between_the_ranges_are_not_tampering(ledger: Ledger) -> None:
    """Each range has a snapshot of its own: a write to a contact already read, or not yet
    read, is seen whole or not at all."""
    ids = populate(ledger)

    def writing_between(group_id: str | None, ranges: Sequence[Between]) -> list[VerifyPart]:
        parts = []
        for n, between in enumerate(ranges):
            parts.append(verify_range(ledger.store, group_id, between))
            if n == 0:  # one contact already read, one still to read
                for contact_id in (ids[0], ids[-1]):
                    [(group,)] = sql(
                        ledger, "SELECT group_id FROM contacts WHERE id = :c", c=contact_id
                    )
                    ledger.opt_out(system(group), contact_id, "sms", group)
        return parts

    report = verify_parallel(ledger.context, OPERATOR, writing_between, jobs=3, smallest=1)
    assert report.ok
