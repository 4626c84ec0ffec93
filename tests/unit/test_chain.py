"""The hash chain on hand-built rows: untouched chains verify, every change is named."""

from __future__ import annotations

from dataclasses import replace

from consentry.core.chain import ChainRow, Verifier, commitment, genesis, heads_digest, link
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


def test_link_depends_on_the_previous_hash_and_every_field():
    assert link("p", ("a", 1)) != link("q", ("a", 1))
    assert link("p", ("a", 1)) != link("p", ("a", 2))


def test_untouched_chains_of_several_contacts_verify_and_give_their_heads():
    rows = rows_of("ct_a", "ct_b")
    heads = [(r.contact_id, r.seq, r.hash) for r in rows if r.seq == len(ACTIONS)]
    verifier = verify(rows, heads)
    assert verifier.problems == [] and verifier.checked == 8
    assert verifier.heads == {c: (s, h) for c, s, h in heads}


def test_a_changed_field_is_named_as_altered():
    rows = rows_of("ct_a")
    rows[1] = replace(rows[1], fields=(*rows[1].fields[:-5], "admin_ui", *rows[1].fields[-4:]))
    [problem] = verify(rows).problems
    assert (problem.kind, problem.event_id, problem.seq) == ("altered", "ev_2", 2)


def test_changed_evidence_is_named_as_altered_and_erased_evidence_is_not():
    rows = rows_of("ct_a")
    tampered = [*rows]
    tampered[0] = replace(rows[0], evidence='{"note":"forged"}')
    [problem] = verify(tampered).problems
    assert (problem.kind, problem.seq) == ("altered", 1)
    assert "commitment" in problem.detail
    erased = [replace(r, evidence=None, evidence_salt=None) for r in rows]
    assert verify(erased).problems == []


def test_a_deleted_middle_event_is_named_by_the_gap():
    rows = rows_of("ct_a")
    del rows[1]
    [problem] = verify(rows).problems
    assert (problem.kind, problem.seq, problem.event_id) == ("deleted", 2, None)
    assert "ev_3" in problem.detail


def test_a_deleted_first_event_is_named():
    [problem] = verify(rows_of("ct_a")[1:]).problems
    assert (problem.kind, problem.seq) == ("deleted", 1)


def test_an_event_that_does_not_link_is_named_as_inserted():
    rows = rows_of("ct_a")
    rows[2] = replace(rows[2], prev_hash="0" * 64)
    [problem] = verify(rows).problems
    assert (problem.kind, problem.seq) == ("inserted", 3)


def test_a_repeated_number_is_named_as_inserted():
    rows = rows_of("ct_a")
    rows.insert(2, rows[1])
    assert next(p.kind for p in verify(rows).problems) == "inserted"


def test_a_truncated_tail_is_found_against_the_stored_heads():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-1].seq, rows[-1].hash)
    [problem] = verify(rows[:-1], [head]).problems
    assert (problem.kind, problem.contact_id, problem.seq) == ("deleted", "ct_a", 4)
    assert problem.group_id == "acme"


def test_a_head_with_no_events_at_all_is_found():
    [problem] = verify([], [("ct_a", 2, "x")]).problems
    assert (problem.kind, problem.seq, problem.group_id) == ("deleted", 1, None)


def test_an_event_appended_past_the_head_is_named_as_inserted():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-2].seq, rows[-2].hash)
    [problem] = verify(rows, [head]).problems
    assert (problem.kind, problem.seq, problem.event_id) == ("inserted", 4, "ev_4")


def test_a_rewritten_last_event_is_found_against_its_head():
    rows = rows_of("ct_a")
    head = ("ct_a", rows[-1].seq, "f" * 64)
    [problem] = verify(rows, [head]).problems
    assert (problem.kind, problem.seq, problem.event_id) == ("altered", 4, "ev_4")


def test_a_chain_with_no_stored_head_is_named_as_inserted():
    rows = rows_of("ct_a", "ct_b")
    head = ("ct_a", rows[3].seq, rows[3].hash)
    [problem] = verify(rows, [head]).problems
    assert (problem.kind, problem.contact_id, problem.event_id) == ("inserted", "ct_b", "ev_4")


def test_a_digest_covers_every_head_and_an_earlier_digest_finds_a_rewrite():
    heads = [("ct_a", 4, "h1"), ("ct_b", 2, "h2")]
    assert heads_digest(heads) != heads_digest([("ct_a", 4, "h1"), ("ct_b", 2, "hX")])
    stored = {("ct_a", 4): "h1", ("ct_b", 2): "rewritten"}
    verifier = Verifier()
    verifier.compare_digest(heads, lambda c, s: stored.get((c, s)))
    [problem] = verifier.problems
    assert (problem.kind, problem.contact_id, problem.seq) == ("altered", "ct_b", 2)
