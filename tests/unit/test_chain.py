"""The hash chain on hand-built rows: untouched chains verify, every change is named."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from consentry.core.chain import (
    ChainRow,
    Problem,
    Verifier,
    commitment,
    genesis,
    heads_digest,
    link,
)
from consentry.core.events import Action, ActorKind, ConsentEvent, chain_fields
from tests.factories import make_chain

C, A = ActorKind.CONTACT, ActorKind.ADMIN
ACTIONS = [(Action.OPTED_IN, A), (Action.OPTED_OUT, C), (Action.OPTED_IN, C), (Action.OPTED_OUT, A)]


def row(event: ConsentEvent) -> ChainRow:
    return ChainRow(
        event_id=event.id,
        contact_id=event.contact_id,
        group_id=event.group_id,
        seq=event.seq,
        prev_hash=event.prev_hash,
        hash=event.hash,
        fields=chain_fields(event),
        evidence=event.evidence,
        evidence_salt=event.evidence_salt,
        evidence_commitment=event.evidence_commitment,
    )


def verify(rows, heads=None) -> Verifier:
    verifier = Verifier()
    verifier.feed(rows)
    if heads is not None:
        verifier.compare_heads(heads)
    return verifier


def rows_of(*contacts: str) -> list[ChainRow]:
    return [row(e) for c in contacts for e in make_chain(ACTIONS, c)]


def test_genesis_binds_a_chain_to_its_contact():
    assert genesis("ct_a") != genesis("ct_b")
    assert len(genesis("ct_a")) == 64


def test_a_commitment_hides_evidence_behind_its_salt_and_is_empty_without_evidence():
    assert commitment("s", None) == ""
    assert commitment("s1", '{"a":1}') != commitment("s2", '{"a":1}')
    assert commitment(None, '{"a":1}') == commitment("", '{"a":1}')


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_commitment_is_sha256_of_salt_nul_evidence_and_a_missing_salt_is_empty():
    # Stored ledgers hold these values: the formula (docs/ledger.md: SHA-256(salt ‖ evidence),
    # a NUL between the two) must never change, or every recorded commitment stops verifying.
    assert commitment("s1", '{"a":1}') == sha256('s1\x00{"a":1}')
    assert commitment(None, '{"a":1}') == sha256('\x00{"a":1}')


def test_the_chain_formats_are_fixed_because_stored_chains_and_exported_digests_use_them():
    # genesis: SHA-256 of "consentry/v1/genesis/<contact>"; link: SHA-256 of the compact JSON
    # array [version, previous hash, *fields]; digest: the version, then one line per head.
    assert genesis("ct_a") == sha256("consentry/v1/genesis/ct_a")
    assert link("p", ("a", 1, None)) == sha256('["consentry/v1","p","a",1,null]')
    assert heads_digest([("ct_a", 4, "h1"), ("ct_b", 2, "h2")]) == sha256(
        "consentry/v1\nct_a 4 h1\nct_b 2 h2"
    )


def test_link_depends_on_the_previous_hash_and_every_field():
    assert link("p", ("a", 1)) != link("q", ("a", 1))
    assert link("p", ("a", 1)) != link("p", ("a", 2))


def test_untouched_chains_of_several_contacts_verify_and_give_their_heads():
    rows = rows_of("ct_a", "ct_b")
    heads = [(r.contact_id, r.seq, r.hash) for r in rows if r.seq == len(ACTIONS)]
    verifier = verify(rows, heads)
    assert verifier.problems == [] and verifier.checked == 8
    assert verifier.heads == {c: (s, h) for c, s, h in heads}


# Each finding below is the whole ``Problem``: its kind, the contact, the group (so an admin
# sees only their own group's findings), the event number, the event (None where there is no
# event to name) and the detail the CLI prints (docs/ledger.md, "Verify").


def test_a_changed_field_is_named_as_altered():
    rows = rows_of("ct_a")
    rows[1] = replace(rows[1], fields=(*rows[1].fields[:-5], "admin_ui", *rows[1].fields[-4:]))
    assert verify(rows).problems == [
        Problem("altered", "ct_a", "acme", 2, "ev_2", "event fields do not match its hash")
    ]


def test_changed_evidence_is_named_as_altered_and_erased_evidence_is_not():
    rows = rows_of("ct_a")
    tampered = [*rows]
    tampered[0] = replace(rows[0], evidence='{"note":"forged"}')
    assert verify(tampered).problems == [
        Problem("altered", "ct_a", "acme", 1, "ev_1", "evidence does not match its commitment")
    ]
    erased = [replace(r, evidence=None, evidence_salt=None) for r in rows]
    assert verify(erased).problems == []


def test_a_deleted_middle_event_is_named_by_the_gap():
    rows = rows_of("ct_a")
    del rows[1]
    assert verify(rows).problems == [
        Problem("deleted", "ct_a", "acme", 2, None, "events 2..2 are missing before event ev_3")
    ]


def test_several_deleted_events_are_named_by_the_whole_gap():
    rows = rows_of("ct_a")
    assert verify([rows[0], rows[3]]).problems == [
        Problem("deleted", "ct_a", "acme", 2, None, "events 2..3 are missing before event ev_4")
    ]


def test_a_deleted_first_event_is_named():
    assert verify(rows_of("ct_a")[1:]).problems == [
        Problem("deleted", "ct_a", "acme", 1, None, "events 1..1 are missing before event ev_2")
    ]


def test_an_event_that_does_not_link_is_named_as_inserted():
    rows = rows_of("ct_a")
    rows[2] = replace(rows[2], prev_hash="0" * 64)
    assert verify(rows).problems == [
        Problem("inserted", "ct_a", "acme", 3, "ev_3", "does not link to the event before it")
    ]


def test_a_repeated_number_is_named_as_inserted():
    rows = rows_of("ct_a")
    rows.insert(2, rows[1])  # 1, 2, 2, 3, 4: the second 2 is the intruder; 3 links to it
    assert verify(rows).problems == [
        Problem("inserted", "ct_a", "acme", 2, "ev_2", "expected event number 3, found 2")
    ]


def test_a_truncated_tail_is_found_against_the_stored_heads():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-1].seq, rows[-1].hash)
    assert verify(rows[:-1], [head]).problems == [
        Problem(
            "deleted", "ct_a", "acme", 4, None, "events 4..4 are missing: the head says event 4"
        )
    ]
    assert verify(rows[:-2], [head]).problems == [
        Problem(
            "deleted", "ct_a", "acme", 3, None, "events 3..4 are missing: the head says event 4"
        )
    ]


def test_a_head_with_no_events_at_all_is_found():
    assert verify([], [("ct_a", 2, "x")]).problems == [
        Problem("deleted", "ct_a", None, 1, None, "events 1..2 are missing: the head says event 2")
    ]


def test_a_contact_with_no_events_yet_verifies_against_its_genesis_head():
    # A new contact's head is (0, genesis): the store writes it when the contact is added.
    heads = [("ct_a", 0, genesis("ct_a")), ("ct_b", 4, rows_of("ct_b")[-1].hash)]
    verifier = verify(rows_of("ct_b"), heads)
    assert verifier.problems == [] and verifier.checked == 4


def test_a_rewritten_head_of_a_contact_with_no_events_is_named_as_altered():
    [problem] = verify([], [("ct_a", 0, "f" * 64)]).problems
    assert (problem.kind, problem.contact_id, problem.seq, problem.event_id) == (
        "altered",
        "ct_a",
        0,
        None,
    )


def test_an_event_appended_past_the_head_is_named_as_inserted():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-2].seq, rows[-2].hash)
    assert verify(rows, [head]).problems == [
        Problem(
            "inserted", "ct_a", "acme", 4, "ev_4", "chain runs to event 4 past its head at event 3"
        )
    ]


def test_a_rewritten_last_event_is_found_against_its_head():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-1].seq, "f" * 64)
    assert verify(rows, [head]).problems == [
        Problem("altered", "ct_a", "acme", 4, "ev_4", "does not match its chain head")
    ]


def test_a_chain_with_no_stored_head_is_named_as_inserted():
    rows = rows_of("ct_a", "ct_b")
    head = ("ct_a", rows[3].seq, rows[3].hash)
    assert verify(rows, [head]).problems == [
        Problem("inserted", "ct_b", "acme", 4, "ev_4", "a chain with no chain head")
    ]


def test_a_digest_covers_every_head_and_an_earlier_digest_finds_a_rewrite():
    heads = [("ct_a", 4, "h1"), ("ct_b", 2, "h2")]
    assert heads_digest(heads) != heads_digest([("ct_a", 4, "h1"), ("ct_b", 2, "hX")])
    stored = {("ct_a", 4): "h1", ("ct_b", 2): "rewritten"}
    verifier = Verifier()
    verifier.compare_digest(heads, lambda c, s: stored.get((c, s)))
    assert verifier.problems == [
        Problem("altered", "ct_b", None, 2, None, "differs from the exported digest")
    ]
