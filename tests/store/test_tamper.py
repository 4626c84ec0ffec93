"""Tamper evidence on the real tables: every edit, deletion or insertion is found and named."""

from __future__ import annotations

from dataclasses import replace

import pytest

from consentry.adapters.store import schema
from consentry.adapters.store.rows import event_values
from consentry.core import chain
from consentry.core.errors import ConsentryError, LedgerTampered
from consentry.core.events import Source, chain_fields
from tests.factories import WRITTEN, admin, make_contact, sender, sql, staff, system

EVENT_COLUMNS = (
    "contact_id, seq, id, group_id, channel, scope_id, action, strength, actor_kind, actor_id,"
    " recorded_by, source, reason, evidence, evidence_salt, evidence_commitment, occurred_at,"
    " recorded_at, expires_at, prev_hash, hash"
)


@pytest.fixture
def ada(ledger):
    """Ada with four events, and Bob with two (so there is more than one chain)."""
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(
        sender(), ada.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence={"inbound": "STOP"}
    )
    ledger.opt_in(
        sender(), ada.id, "sms", "acme", evidence={"inbound": "START"}, source=Source.SMS_KEYWORD
    )
    ledger.opt_in(staff(), ada.id, "email", "acme/events", evidence=WRITTEN)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    ledger.opt_in(staff(), bob.id, "email", "acme", evidence=WRITTEN)
    ledger.opt_out(admin(), bob.id, "email", "acme")
    clean = ledger.verify(system())
    assert clean.ok and clean.first is None and clean.checked == 6
    clean.raise_if_tampered()
    return ada


def event_id(ledger, contact_id, seq):
    [(found,)] = sql(
        ledger, "SELECT id FROM events WHERE contact_id=:c AND seq=:s", c=contact_id, s=seq
    )
    return found


def first_problem(ledger, **expected):
    report = ledger.verify(system())
    assert not report.ok
    problem = report.first
    for name, value in expected.items():
        assert getattr(problem, name) == value, (name, problem)
    with pytest.raises(LedgerTampered) as info:
        report.raise_if_tampered()
    assert info.value.code == "ledger_tampered"
    assert info.value.details["contact_id"] == problem.contact_id
    assert info.value.details["seq"] == problem.seq
    return problem


@pytest.mark.parametrize(
    "change",
    [
        "reason = 'contact_asked'",
        "channel = 'whatsapp'",
        "scope_id = 'acme/events'",
        "actor_kind = 'admin'",
        "occurred_at = occurred_at - 86400000000",
        'evidence = \'{"written_permission":"forged"}\'',
        "evidence_commitment = ''",
        "hash = prev_hash",
    ],
)
def test_an_edited_row_is_found_and_named(ledger, ada, change):
    target = event_id(ledger, ada.id, 2)
    sql(ledger, f"UPDATE events SET {change} WHERE contact_id = :c AND seq = 2", c=ada.id)
    problem = first_problem(ledger, contact_id=ada.id, seq=2, event_id=target)
    assert problem.kind == "altered"


def test_an_edited_first_event_is_named(ledger, ada):
    target = event_id(ledger, ada.id, 1)
    sql(ledger, "UPDATE events SET reason = 'x' WHERE contact_id = :c AND seq = 1", c=ada.id)
    first_problem(ledger, kind="altered", contact_id=ada.id, seq=1, event_id=target)


def test_a_deleted_middle_row_is_found_and_named(ledger, ada):
    sql(ledger, "DELETE FROM events WHERE contact_id = :c AND seq = 2", c=ada.id)
    problem = first_problem(ledger, kind="deleted", contact_id=ada.id, seq=2)
    assert event_id(ledger, ada.id, 3) in problem.detail


def test_a_deleted_last_row_is_found_against_the_chain_head(ledger, ada):
    sql(ledger, "DELETE FROM events WHERE contact_id = :c AND seq = 4", c=ada.id)
    first_problem(ledger, kind="deleted", contact_id=ada.id, seq=4, group_id="acme")


def test_a_forged_row_appended_with_copied_columns_is_found_and_named(ledger, ada):
    sql(
        ledger,
        f"INSERT INTO events ({EVENT_COLUMNS}) SELECT contact_id, 5, 'ev_forged', group_id,"
        " channel, scope_id, action, strength, actor_kind, actor_id, recorded_by, source, reason,"
        " evidence, evidence_salt, evidence_commitment, occurred_at, recorded_at, expires_at,"
        " prev_hash, hash FROM events WHERE contact_id = :c AND seq = 4",
        c=ada.id,
    )
    first_problem(ledger, kind="inserted", contact_id=ada.id, seq=5, event_id="ev_forged")


def test_a_forged_row_appended_with_a_correct_hash_is_found_against_the_head(ledger, ada):
    [(prev,)] = sql(ledger, "SELECT hash FROM events WHERE contact_id=:c AND seq=4", c=ada.id)
    with ledger.store.transaction() as tx:
        last = tx.events(ada.id)[-1]
    forged = replace(last, id="ev_forged", seq=5, prev_hash=prev)
    forged = replace(forged, hash=chain.link(prev, chain_fields(forged)))
    with ledger.store.engine.begin() as conn:
        conn.execute(schema.events.insert().values(**event_values(forged)))
    first_problem(ledger, kind="inserted", contact_id=ada.id, seq=5, event_id="ev_forged")


def test_a_forged_row_slipped_into_the_middle_is_found_and_named(ledger, ada):
    sql(ledger, "UPDATE events SET seq = seq + 1000 WHERE contact_id = :c AND seq >= 2", c=ada.id)
    sql(ledger, "UPDATE events SET seq = seq - 999 WHERE contact_id = :c AND seq > 1000", c=ada.id)
    sql(
        ledger,
        f"INSERT INTO events ({EVENT_COLUMNS}) SELECT contact_id, 2, 'ev_forged', group_id,"
        " channel, scope_id, 'opted_out', strength, actor_kind, actor_id, recorded_by, source,"
        " reason, evidence, evidence_salt, evidence_commitment, occurred_at, recorded_at,"
        " expires_at, prev_hash, hash FROM events WHERE contact_id = :c AND seq = 1",
        c=ada.id,
    )
    first_problem(ledger, kind="inserted", contact_id=ada.id, seq=2, event_id="ev_forged")


def test_events_of_a_contact_with_no_chain_head_are_found(ledger, ada):
    sql(ledger, "DELETE FROM chain_heads WHERE contact_id = :c", c=ada.id)
    first_problem(ledger, kind="inserted", contact_id=ada.id, seq=4)


def test_a_digest_exported_before_finds_a_rewrite_of_events_and_heads_together(ledger, ada):
    digest = ledger.export_digest(system())
    assert (digest.contacts, digest.events) == (2, 6)
    assert ledger.verify(system(), against=digest).ok
    sql(ledger, "UPDATE events SET reason = 'x' WHERE contact_id = :c AND seq = 4", c=ada.id)
    [(prev,)] = sql(ledger, "SELECT prev_hash FROM events WHERE contact_id=:c AND seq=4", c=ada.id)
    with ledger.store.transaction() as tx:
        rewritten = tx.events(ada.id)[-1]
    new_hash = chain.link(prev, chain_fields(rewritten))
    sql(ledger, "UPDATE events SET hash=:h WHERE contact_id=:c AND seq=4", h=new_hash, c=ada.id)
    sql(ledger, "UPDATE chain_heads SET hash=:h WHERE contact_id=:c", h=new_hash, c=ada.id)
    assert ledger.verify(system()).ok  # a consistent rewrite needs the digest kept elsewhere
    report = ledger.verify(system(), against=digest)
    assert [(p.kind, p.contact_id, p.seq) for p in report.problems] == [("altered", ada.id, 4)]
    assert report.root != digest.root


def test_erasing_a_contact_leaves_the_ledger_verifiable_and_tells_it_from_tampering(ledger, ada):
    ledger.erase_contact(admin(), ada.id)
    report = ledger.verify(system())
    assert report.ok and report.checked == 8 and report.erased == 1
    [first, *_] = ledger.history(admin(), ada.id)
    assert first.evidence_data is None and first.evidence_commitment
    sql(ledger, "UPDATE events SET evidence = NULL, evidence_salt = NULL")  # everyone's
    problems = ledger.verify(system()).problems
    assert problems and {p.kind for p in problems} == {"altered"}
    assert {p.contact_id for p in problems} != {ada.id}


def test_a_group_sees_only_its_own_problems_and_needs_the_verify_right(ledger, ada):
    sql(ledger, "UPDATE events SET reason = 'x' WHERE contact_id = :c AND seq = 2", c=ada.id)
    assert not ledger.verify(admin()).ok
    assert ledger.verify(admin("globex")).ok
    with pytest.raises(ConsentryError) as info:
        ledger.verify(staff())
    assert info.value.code == "forbidden"


def test_a_digest_exported_before_finds_a_whole_chain_deleted_with_its_head(ledger, ada):
    digest = ledger.export_digest(system())
    [(bob,)] = sql(ledger, "SELECT contact_id FROM chain_heads WHERE contact_id <> :c", c=ada.id)
    sql(ledger, "DELETE FROM events WHERE contact_id = :c", c=bob)
    sql(ledger, "DELETE FROM chain_heads WHERE contact_id = :c", c=bob)
    report = ledger.verify(system(), against=digest)
    assert [(p.kind, p.contact_id, p.seq) for p in report.problems] == [
        ("altered", bob, 2),  # the digest's head is gone
        ("deleted", bob, 1),  # and so is the whole chain, even without a digest (issue 8)
        ("projection_inserted", bob, 0),  # its consents row stands on no event now
    ]
    with pytest.raises(LedgerTampered):
        report.raise_if_tampered()
    assert [p.kind for p in ledger.verify(system()).problems] == ["deleted", "projection_inserted"]


def test_a_write_landing_while_verify_reads_is_not_reported_as_tampering(ledger, ada, monkeypatch):
    from consentry.adapters.store import reads

    read_rows = reads.stream_chain

    def rows_then_a_write(conn, group_id, batch=20_000, **streams):
        yield from read_rows(conn, group_id, batch, **streams)
        ledger.opt_out(admin(), ada.id, "email", "acme")

    monkeypatch.setattr(reads, "stream_chain", rows_then_a_write)
    during = ledger.verify(system())
    assert during.ok
    monkeypatch.undo()
    after = ledger.verify(system())
    assert (
        after.ok and after.checked == during.checked + 1
    )  # the write landed, outside the snapshot
