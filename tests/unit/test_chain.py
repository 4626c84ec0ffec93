"""The hash chain on hand-built rows: untouched chains verify, every change is named."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from consentry.core.chain import (
    ChainRow,
    Problem,
    Verifier,
    commitment,
    genesis,
    heads_digest,
    link,
)
from consentry.core.channels import Channel
from consentry.core.events import (
    CHAIN_COLUMNS,
    Action,
    ActorKind,
    ClearReason,
    ConsentEvent,
    chain_fields,
)
from consentry.core.projection import (
    ConsentRow,
    ContactChain,
    ProjectionCheck,
    SuppressionRow,
    by_contact,
    event_of,
)
from consentry.core.status import NO_CONSENT, Consent, Status, Suppression, apply
from consentry.core.status import apply_suppressions as fold_suppressions
from tests.factories import T0, make_chain, make_event

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
    rows[1] = rows[1]._replace(fields=(*rows[1].fields[:-5], "admin_ui", *rows[1].fields[-4:]))
    assert verify(rows).problems == [
        Problem("altered", "ct_a", "acme", 2, "ev_2", "event fields do not match its hash")
    ]


def test_changed_evidence_is_named_as_altered_and_erased_evidence_is_not():
    rows = rows_of("ct_a")
    tampered = [*rows]
    tampered[0] = rows[0]._replace(evidence='{"note":"forged"}')
    assert verify(tampered).problems == [
        Problem("altered", "ct_a", "acme", 1, "ev_1", "evidence does not match its commitment")
    ]
    erased = [r._replace(evidence=None, evidence_salt=None) for r in rows]
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
    rows[2] = rows[2]._replace(prev_hash="0" * 64)
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


# ── the projection checked against the events (issue 8, item 3; decision 059) ──
S, E = "sms", "email"
EXPIRES = T0 + timedelta(days=7)


def projection_events(contact_id: str = "ct_a") -> list[ConsentEvent]:
    """An admin's opt-in and the contact's STOP on SMS, an open e-mail request at acme/news,
    a bounce and a complaint, then an admin lifting the bounce (the complaint stays)."""
    steps = [
        (Action.OPTED_IN, A, Channel.SMS, "acme", None),
        (Action.OPTED_OUT, C, Channel.SMS, "acme", None),
        (Action.CONFIRMATION_REQUESTED, A, Channel.EMAIL, "acme/news", EXPIRES),
        (Action.BOUNCED, A, Channel.EMAIL, "acme", None),
        (Action.COMPLAINED, A, Channel.EMAIL, "acme", None),
        (Action.SUPPRESSION_CLEARED, A, Channel.EMAIL, "acme", None),
    ]
    events = []
    for seq, (action, actor, channel, scope, expires) in enumerate(steps, start=1):
        event = make_event(
            action, actor, seq=seq, contact_id=contact_id, channel=channel, scope_id=scope,
            expires_at=expires, event_id=f"ev_{contact_id}_{seq}",
        )  # fmt: skip
        if action is Action.SUPPRESSION_CLEARED:
            event = replace(event, reason=ClearReason.ADMIN_DECISION.value)
        events.append(event)
    return events


def stored_rows(contact_id: str = "ct_a") -> tuple[list[ConsentRow], list[SuppressionRow]]:
    """The rows the write path leaves for ``projection_events``."""
    micros = int((EXPIRES - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000
    consents = [
        ConsentRow(contact_id, E, "acme/news", "acme", "pending", f"ev_{contact_id}_3", micros),
        ConsentRow(contact_id, S, "acme", "acme", "hard_opt_out", f"ev_{contact_id}_2", None),
    ]
    return consents, [SuppressionRow(contact_id, E, "complained", f"ev_{contact_id}_6")]


def contact_chain(**changes) -> ContactChain:
    consents, suppressions = stored_rows()
    chain = ContactChain(
        "ct_a", "acme", ("ct_a", 6, "h"), [row(e) for e in projection_events()], consents,
        suppressions,
    )  # fmt: skip
    return replace(chain, **changes)


def checked(chain: ContactChain) -> list[tuple[str, str | None, str | None, int, str | None]]:
    check = ProjectionCheck()
    check.check(chain)
    return [(p.kind, p.channel, p.scope_id, p.seq, p.event_id) for p in check.problems]


def test_folded_rows_fold_exactly_as_the_events_they_hold():
    starts = [NO_CONSENT, *(Consent(s, "e0") for s in Status), Consent(Status.PENDING, "e0", T0)]
    kinds = [frozenset(), frozenset({Suppression.BOUNCED, Suppression.COMPLAINED})]
    for action in Action:
        for actor in (C, A):
            for reason in (None, *[r.value for r in ClearReason]):
                event = replace(make_event(action, actor, expires_at=EXPIRES), reason=reason)
                folded = event_of(row(event), {})
                assert folded is not None
                view = cast(ConsentEvent, folded)
                for start in starts:
                    assert apply(start, view) == apply(start, event), (action, actor, start)
                for now in kinds:
                    assert fold_suppressions(now, view) == fold_suppressions(now, event)


def test_a_projection_that_is_the_fold_of_the_events_has_no_problems():
    check = ProjectionCheck()
    check.check(contact_chain())
    assert check.problems == [] and check.checked == 3
    assert set(check.actors) == {("admin", "someone")}  # a contact's actor is not kept


@pytest.mark.parametrize(
    ("consent", "detail"),
    [
        ({"status": "opted_in"}, "status is 'opted_in', the events say 'hard_opt_out'"),
        ({"event_id": "ev_x"}, "event_id is 'ev_x', the events say 'ev_ct_a_2'"),
        ({"group_id": "globex"}, "group_id is 'globex', the events say 'acme'"),
        ({"confirm_until": 0}, "confirm_until is '1970-01-01T00:00:00+00:00', the events say None"),
        ({"confirm_until": 10**20}, f"confirm_until is {10**20}, the events say None"),
    ],
)
def test_an_altered_consents_row_names_each_field_that_differs(consent, detail):
    consents, _ = stored_rows()
    chain = contact_chain(consents=[consents[0], consents[1]._replace(**consent)])
    check = ProjectionCheck()
    check.check(chain)
    assert check.problems == [
        Problem("projection_altered", "ct_a", "acme", 2, "ev_ct_a_2", detail, S, "acme")
    ]


def test_a_missing_or_slipped_in_consents_row_is_named():
    consents, _ = stored_rows()
    slipped = ConsentRow("ct_a", "voice", "acme", "acme", "opted_in", None, None)
    assert checked(contact_chain(consents=[consents[0], slipped])) == [
        ("projection_deleted", S, "acme", 2, "ev_ct_a_2"),
        ("projection_inserted", "voice", "acme", 0, None),
    ]


def test_a_missing_altered_or_slipped_in_suppression_is_named():
    assert checked(contact_chain(suppressions=[])) == [
        ("projection_deleted", E, None, 6, "ev_ct_a_6")
    ]
    bounced = [SuppressionRow("ct_a", E, "bounced", "ev_ct_a_6")]
    assert checked(contact_chain(suppressions=bounced)) == [
        ("projection_altered", E, None, 6, "ev_ct_a_6")
    ]
    extra = [*stored_rows()[1], SuppressionRow("ct_a", S, "bounced", "ev_x")]
    assert checked(contact_chain(suppressions=extra)) == [
        ("projection_inserted", S, None, 0, "ev_x")
    ]


def test_a_suppression_every_event_lifted_is_owed_no_row():
    events = [*projection_events()]
    events.append(replace(events[-1], id="ev_7", seq=7))  # the complaint lifted too
    lifted = [row(e) for e in events]
    assert checked(contact_chain(events=lifted, suppressions=[])) == []
    kept = stored_rows()[1]
    assert checked(contact_chain(events=lifted, suppressions=kept)) == [
        ("projection_inserted", E, None, 0, "ev_ct_a_6")
    ]


def test_a_contact_with_neither_events_nor_a_head_is_named_and_a_new_one_is_not():
    assert checked(ContactChain("ct_a", "acme")) == [("deleted", None, None, 1, None)]
    assert checked(ContactChain("ct_a", "acme", ("ct_a", 0, genesis("ct_a")))) == []


def test_the_group_of_a_problem_comes_from_the_contact_its_events_or_its_rows():
    def group(chain: ContactChain) -> str | None:
        check = ProjectionCheck()
        check.check(chain)
        return check.problems[0].group_id

    assert group(contact_chain(group_id="globex", suppressions=[])) == "globex"
    assert group(contact_chain(group_id=None, suppressions=[])) == "acme"
    orphan = ConsentRow("ct_z", S, "beta", "beta", "opted_in", None, None)
    assert group(ContactChain("ct_z", consents=[orphan])) == "beta"
    lone = SuppressionRow("ct_z", S, "bounced", "ev_x")
    assert group(ContactChain("ct_z", suppressions=[lone])) is None


@pytest.mark.parametrize(
    "change",
    [
        {"action": "forgiven"},
        {"channel": "pigeon"},
        {"actor_kind": "ghost"},
        {"scope_id": 7},
        {"reason": 3},
        {"expires_at": "soon"},
        {"expires_at": 10**20},
    ],
)
def test_an_event_no_rule_can_read_is_named_unverifiable(change):
    rows = [row(e) for e in projection_events()]
    names = list(CHAIN_COLUMNS)
    fields = list(rows[1].fields)
    for name, value in change.items():
        fields[names.index(name)] = value
    rows[1] = rows[1]._replace(fields=tuple(fields))
    found = checked(contact_chain(events=rows))
    assert found[0][0] == "projection_unverifiable" and found[0][3:] == (2, "ev_ct_a_2")
    assert found[0][1] == (S if "channel" not in change else "pigeon")


def test_the_streams_merge_into_one_record_per_contact_in_order():
    consents, suppressions = stored_rows("ct_b")
    merged = list(
        by_contact(
            [row(e) for e in projection_events("ct_a")],
            [("ct_a", 6, "h"), ("ct_c", 0, "g")],
            [("ct_a", "acme"), ("ct_c", "acme")],
            consents,
            suppressions,
        )
    )
    assert [c.contact_id for c in merged] == ["ct_a", "ct_b", "ct_c"]
    a, b, c = merged
    assert (len(a.events), a.head, a.group_id, a.consents) == (6, ("ct_a", 6, "h"), "acme", [])
    assert (b.events, b.head, b.group_id) == ([], None, None)
    assert (b.consents, b.suppressions) == (consents, suppressions)
    assert (c.events, c.head, c.group_id) == ([], ("ct_c", 0, "g"), "acme")
    assert list(by_contact([], [], [], [], [])) == []


def test_evidence_removed_before_the_contacts_erasure_is_erasure_and_without_it_altered():
    events = make_chain([*ACTIONS, (Action.ERASED, A)], "ct_a")
    gone = [row(e)._replace(evidence=None, evidence_salt=None) for e in events[:-1]]
    gone.append(row(events[-1]))
    verifier = Verifier()
    verifier.feed(gone[:2])  # one contact's chain may come in more than one stream
    verifier.feed(gone[2:])
    verifier.close()
    with_evidence = sum(1 for e in events[:-1] if e.evidence is not None)
    assert (verifier.problems, verifier.erased, verifier.erased_evidence) == ([], 1, with_evidence)
    assert verifier.heads == {"ct_a": (5, events[-1].hash)}
    assert verifier.tails == {"ct_a": (events[-1].id, "acme")}
    unerased = verify(gone[:4])
    unerased.close()
    assert [(p.kind, p.seq) for p in unerased.problems] == [("altered", 1), ("altered", 3)]
    assert unerased.erased == 0
