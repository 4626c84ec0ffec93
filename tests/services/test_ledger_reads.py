"""Status at a past moment, double opt-in and expiry, bad input that writes nothing, and units of
work that keep all of their writes or none."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from consentry.core.channels import AddressKind, Channel
from consentry.core.contacts import Contact, ContactDetails, ContactFilter
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError, HardOptOutLocked
from consentry.core.events import Action, Actor, ActorKind, Source
from consentry.core.ids import new_id
from consentry.core.permissions import Capability
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Status
from consentry.core.transitions import check_opt_in, governing
from consentry.ledger import CheckRequest, Ledger
from consentry.ledger.ports import Tx
from consentry.ledger.steps import Change, authorise_at, load_contact, load_scope, record
from tests.factories import (
    T0,
    WRITTEN,
    admin,
    as_contact,
    count_rows,
    make_contact,
    sender,
    staff,
    system,
    viewer,
)

STOP = {"inbound": "STOP"}


def code(call) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


def at(clock, days):
    clock.set(T0 + timedelta(days=days))


def test_status_at_past_moments_gives_the_status_and_the_event_that_set_it(ledger, clock):
    ada = make_contact(ledger)
    at(clock, 1)
    opted_in = ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    at(clock, 2)
    opted_out = ledger.opt_out(
        sender(), ada.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence=STOP
    )
    at(clock, 3)
    again = ledger.opt_in(sender(), ada.id, "sms", "acme", evidence=STOP, source=Source.SMS_KEYWORD)
    user = "acme/newsletters/ada"
    expected = [
        (0.5, Status.NONE, None),
        (1, Status.OPTED_IN, opted_in),
        (1.5, Status.OPTED_IN, opted_in),
        (2.5, Status.HARD_OPT_OUT, opted_out),
        (4, Status.OPTED_IN, again),
    ]
    for days, status, event in expected:
        moment = T0 + timedelta(days=days)
        found = ledger.status_at(viewer(), ada.id, "sms", "acme", at=moment)
        assert (found.status, found.event) == (status, event)
        below = ledger.status_at(viewer(), ada.id, "sms", user, at=moment)
        assert (below.status, below.event) == (Status.NONE, None)
        assert (below.effective, below.effective_event) == (status, event)
        assert below.effective_scope_id == (None if event is None else "acme")


def test_a_time_without_a_zone_is_refused_and_nothing_written(ledger):
    ada = make_contact(ledger)
    naive = datetime(2026, 1, 6, 9, 0)
    assert code(lambda: ledger.status_at(viewer(), ada.id, "sms", "acme", at=naive)) == "invalid"
    before = count_rows(ledger)
    assert (
        code(
            lambda: ledger.opt_in(
                staff(), ada.id, "sms", "acme", evidence=WRITTEN, occurred_at=naive
            )
        )
        == "invalid"
    )
    assert count_rows(ledger) == before


def test_status_at_shows_a_request_as_pending_only_while_it_was_open(ledger):
    ada = make_contact(ledger)
    request = ledger.request_confirmation(
        staff(), ada.id, "email", "acme", evidence={"form": "signup"}
    )
    assert request.expires_at == T0 + timedelta(days=7)
    open_ = ledger.status_at(viewer(), ada.id, "email", "acme", at=T0 + timedelta(days=6))
    closed = ledger.status_at(viewer(), ada.id, "email", "acme", at=T0 + timedelta(days=8))
    assert (open_.status, open_.event) == (Status.PENDING, request)
    assert closed.status is Status.NONE


def test_double_opt_in_goes_pending_then_opted_in_on_confirmation(ledger, clock):
    ada = make_contact(ledger)
    ledger.request_confirmation(staff(), ada.id, "email", "acme", evidence={"form": "signup"})
    assert ledger.check(sender(), ada.id, "email", "acme").reason is Reason.PENDING
    at(clock, 1)
    confirmed = ledger.confirm(
        as_contact(ada), ada.id, "email", "acme", evidence={"ip": "192.0.2.7"}
    )
    found = ledger.status_at(viewer(), ada.id, "email", "acme", at=clock.now())
    assert (found.status, found.event) == (Status.OPTED_IN, confirmed)
    assert ledger.check(sender(), ada.id, "email", "acme").allowed


@pytest.mark.parametrize("start", ["none", "soft", "hard"])
def test_an_expired_request_leaves_the_status_as_it_was(ledger, clock, start):
    ada = make_contact(ledger)
    if start == "soft":
        ledger.opt_out(admin(), ada.id, "email", "acme")
    elif start == "hard":
        ledger.opt_out(as_contact(ada), ada.id, "email", "acme", source=Source.ONE_CLICK)
    me = as_contact(ada)
    ledger.request_confirmation(
        me, ada.id, "email", "acme", evidence=None, source=Source.PREFERENCE_CENTRE
    )
    at(clock, 8)
    before = count_rows(ledger)
    assert code(
        lambda: ledger.confirm(me, ada.id, "email", "acme", evidence={"ip": "192.0.2.7"})
    ) == ("invalid_transition")
    assert count_rows(ledger) == before
    expected = {"none": Status.NONE, "soft": Status.SOFT_OPT_OUT, "hard": Status.HARD_OPT_OUT}
    assert (
        ledger.status_at(viewer(), ada.id, "email", "acme", at=clock.now()).status
        is (expected[start])
    )
    decision = ledger.check(sender(), ada.id, "email", "acme", category="opt_in_confirmation")
    assert decision.reason is Reason.NO_CONFIRMATION_REQUEST


def test_a_request_can_be_renewed_after_it_expired_and_then_confirmed(ledger, clock):
    ada = make_contact(ledger)
    ledger.request_confirmation(staff(), ada.id, "email", "acme")
    at(clock, 8)
    ledger.request_confirmation(staff(), ada.id, "email", "acme")
    ledger.confirm(as_contact(ada), ada.id, "email", "acme", evidence={"ip": "192.0.2.7"})
    assert ledger.check(sender(), ada.id, "email", "acme").allowed
    assert code(lambda: ledger.request_confirmation(staff(), ada.id, "email", "acme")) == (
        "invalid_transition"
    )


# ── bad input: the right code, and nothing written ──


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (ContactDetails(email="not-an-address"), "invalid_email"),
        (ContactDetails(email="ada@@example.com"), "invalid_email"),
        (ContactDetails(mobile="12"), "invalid_mobile"),
        (ContactDetails(mobile="call me maybe"), "invalid_mobile"),
        (ContactDetails(email="ok@example.com", mobile="+44 12"), "invalid_mobile"),
    ],
)
def test_a_malformed_address_is_refused_and_no_contact_written(ledger, details, expected):
    before = count_rows(ledger)
    assert code(lambda: ledger.add_contact(staff(), details)) == expected
    assert count_rows(ledger) == before


def test_addresses_are_normalised_and_a_duplicate_is_refused(ledger):
    ada = make_contact(ledger, "Ada@Example.COM", "+44 7700 900123")
    assert (ada.email, ada.mobile) == ("ada@example.com", "+447700900123")
    assert ledger.find_contact(viewer(), mobile="+447700900123") == ada
    assert ledger.find_contact(viewer(), email="ADA@example.com") == ada
    before = count_rows(ledger)
    assert code(lambda: make_contact(ledger, "ada@example.com", None)) == "contact_exists"
    assert count_rows(ledger) == before
    assert code(lambda: ledger.find_contact(viewer(), email="nobody@example.com")) == (
        "contact_not_found"
    )
    assert code(lambda: ledger.find_contact(viewer())) == "invalid"


@pytest.mark.parametrize(
    ("channel", "scope", "evidence", "expected"),
    [
        ("telegram", "acme", WRITTEN, "invalid_channel"),
        ("sms", "acme/nope", WRITTEN, "scope_not_found"),
        ("sms", "acme//x", WRITTEN, "invalid_scope"),
        ("sms", "acme", None, "evidence_required"),
        ("sms", "acme", {}, "evidence_required"),
        ("sms", "acme", {"when": object()}, "invalid_evidence"),
        ("sms", "acme", {"big": "x" * 70_000}, "invalid_evidence"),
        ("sms", "acme", ["not", "a", "mapping"], "invalid_evidence"),
    ],
)
def test_bad_opt_in_input_gets_its_code_and_writes_nothing(
    ledger, channel, scope, evidence, expected
):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    assert (
        code(lambda: ledger.opt_in(staff(), ada.id, channel, scope, evidence=evidence)) == expected
    )
    assert count_rows(ledger) == before


def test_unknown_contact_channel_scope_or_category_in_a_check_gets_a_code(ledger):
    ada = make_contact(ledger)
    assert code(lambda: ledger.check(sender(), "ct_nobody", "sms", "acme")) == ("contact_not_found")
    assert code(lambda: ledger.check(sender(), ada.id, "fax", "acme")) == "invalid_channel"
    assert code(lambda: ledger.check(sender(), ada.id, "sms", "acme/nope")) == "scope_not_found"
    assert code(lambda: ledger.check(sender(), ada.id, "sms", "acme", category="spam")) == "invalid"
    assert (
        code(lambda: ledger.resolve_audience(sender(), _everyone(), "sms", "acme", category="spam"))
        == "invalid"
    )


def _everyone():
    from consentry.core.audience import Segment

    return Segment()


def test_a_batch_check_answers_each_request_in_order(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", None)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    answers = ledger.check_many(
        sender(),
        [
            CheckRequest(ada.id, "sms", "acme/events"),
            CheckRequest(bob.id, "sms", "acme/events"),
            CheckRequest(ada.id, "email", "acme/events", "transactional"),
        ],
    )
    assert [d.reason for d in answers] == [Reason.OPTED_IN, Reason.NO_ADDRESS, Reason.TRANSACTIONAL]


def test_a_large_mixed_batch_answers_as_single_checks_would(ledger):
    from consentry.core.imports import parse_mapping

    mapping = parse_mapping({"email": "email", "sms": "mobile"})
    rows = ((n, {"email": f"p{n}@example.com", "sms": f"+4477009{n:05d}"}) for n in range(1000))
    ledger.import_contacts(system(), rows, mapping=mapping, batch_size=1000)
    ids = [c.id for c in ledger.list_contacts(viewer(), ContactFilter(limit=1000))]
    ledger.opt_in(staff(), ids[3], "sms", "acme", evidence=WRITTEN)
    ledger.opt_out(admin(), ids[940], "email", "acme/events")
    asked = [
        CheckRequest(cid, channel, scope, category)
        for n, cid in enumerate(ids)  # 1,000 contacts: more than one statement's worth
        for channel, scope, category in [
            ("sms", "acme/newsletters", "marketing"),
            ("email", "acme/events", "transactional" if n % 2 else "marketing"),
        ]
    ]
    asked += [CheckRequest(ids[3], "sms", "acme/newsletters")]  # the same question twice
    answers = ledger.check_many(sender(), asked)
    singles = [ledger.check(sender(), r.contact_id, r.channel, r.scope_id, category=r.category)
               for r in asked[::97] + asked[-3:]]  # fmt: skip
    assert [answers[asked.index(r)] for r in asked[::97] + asked[-3:]] == singles
    assert answers[6].reason is Reason.OPTED_IN and answers[-1] == answers[6]
    assert answers[2 * 940 + 1].reason is Reason.SOFT_OPT_OUT
    assert len(answers) == len(asked) and sum(d.allowed for d in answers) == 2 + 500
    unknown = [
        asked[0],
        CheckRequest("ct_nobody", "sms", "acme"),
        CheckRequest("ct_x", "sms", "acme"),
    ]
    with pytest.raises(ConsentryError) as info:
        ledger.check_many(sender(), unknown)
    assert info.value.code == "contact_not_found" and "ct_nobody" in info.value.message


def test_a_batch_over_many_scopes_reads_each_path_on_its_own_and_answers_the_same(ledger):
    from consentry.ledger.eligibility import MAX_SCOPES

    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    users = [f"acme/newsletters/u{n}" for n in range(MAX_SCOPES)]
    for scope in users:
        ledger.add_scope(system(), scope)
    ledger.opt_out(admin(), ada.id, "sms", users[7])
    asked = [CheckRequest(ada.id, "sms", scope) for scope in users]  # > MAX_SCOPES scopes
    answers = ledger.check_many(sender(), asked)
    assert [d.reason for d in answers].count(Reason.SOFT_OPT_OUT) == 1
    assert answers[7].reason is Reason.SOFT_OPT_OUT and answers[8].reason is Reason.OPTED_IN
    assert answers[:20] == ledger.check_many(sender(), asked[:20])  # one read for 20 paths


# ── units of work: all or nothing (cosmicpython's test_uow), on both databases ──


class Boom(Exception):
    """Any error inside a unit of work (not a refusal of ours)."""


GRACE_MOBILE = "+447700900124"


def _work(ledger: Ledger, tx: Tx, ada: Contact) -> None:
    """Real writes through ``tx``: a new contact, ada's STOP on sms (event, head, consent), a
    meta value; and a look inside the transaction that they are there."""
    ctx = ledger.context
    grace = Contact(new_id("ct", T0), "acme", mobile=GRACE_MOBILE, created_at=T0)
    tx.add_contact(grace, {AddressKind.MOBILE: _digest(ledger, GRACE_MOBILE)})
    stop = Change(
        contact=ada, channel=Channel.SMS, scope_id="acme", action=Action.OPTED_OUT,
        actor=Actor(ActorKind.CONTACT, ada.id), recorded_by="sms-gateway",
        source=Source.SMS_KEYWORD, evidence=STOP,
    )  # fmt: skip
    record(ctx, tx, tx.lock_chain(ada.id), stop, NO_CONSENT)
    tx.set_meta("scratch", "1")
    assert tx.get_contact("acme", grace.id) == grace
    assert tx.consents(ada.id, Channel.SMS, ["acme"])["acme"].status is Status.HARD_OPT_OUT
    assert tx.lock_chain(ada.id).seq == 1
    assert tx.get_meta("scratch") == "1"


def _digest(ledger: Ledger, mobile: str) -> str:
    return ledger.context.addresses.digest(AddressKind.MOBILE, mobile)


def _nothing_kept(ledger: Ledger, ada: Contact, before: dict[str, int]) -> None:
    assert count_rows(ledger) == before
    assert ledger.history(admin(), ada.id) == []
    assert ledger.check(sender(), ada.id, "sms", "acme").reason is Reason.NO_CONSENT
    with ledger.store.transaction(write=False) as tx:
        assert tx.get_meta("scratch") is None
        assert tx.find_contact_id("acme", AddressKind.MOBILE, _digest(ledger, GRACE_MOBILE)) is None
    with ledger.store.chain("acme") as chain:
        assert {contact_id: seq for contact_id, seq, _ in chain.heads()} == {ada.id: 0}


def test_a_committed_transaction_keeps_its_work(ledger):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    with ledger.store.transaction() as tx:
        _work(ledger, tx, ada)
        tx.commit()
    after = count_rows(ledger)
    assert after["contacts"] == before["contacts"] + 1 and after["events"] == before["events"] + 1
    assert [e.action for e in ledger.history(admin(), ada.id)] == [Action.OPTED_OUT]
    assert ledger.check(sender(), ada.id, "sms", "acme").reason is Reason.HARD_OPT_OUT
    with ledger.store.transaction(write=False) as tx:
        assert tx.get_meta("scratch") == "1"


def test_a_transaction_rolls_back_unless_committed(ledger):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    with ledger.store.transaction() as tx:
        _work(ledger, tx, ada)  # and the block is left without commit()
    _nothing_kept(ledger, ada, before)


def test_a_transaction_rolls_back_on_error(ledger):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    with pytest.raises(Boom), ledger.store.transaction() as tx:
        _work(ledger, tx, ada)
        raise Boom("after the writes, before the commit")
    _nothing_kept(ledger, ada, before)


def test_a_refused_command_rolls_back_even_after_other_work_in_its_transaction(ledger):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    ctx, principal = ledger.context, staff()
    with pytest.raises(HardOptOutLocked) as refused, ledger.store.transaction() as tx:
        _work(ledger, tx, ada)  # ada's STOP is recorded first, in this same unit of work
        # then a staff opt-in over it, step by step as consent.opt_in runs: the core refuses it
        contact = load_contact(tx, principal, ada.id)
        scope = load_scope(ctx, tx, principal, "acme")
        authorise_at(principal, Capability.OPT_IN, scope)
        head = tx.lock_chain(contact.id)
        path = path_to_root(scope.id)
        consents = tx.consents(contact.id, Channel.SMS, path)
        check_opt_in(governing(consents, path), principal.actor, Source.API, has_evidence=True)
        opt_in = Change(
            contact=contact, channel=Channel.SMS, scope_id=scope.id, action=Action.OPTED_IN,
            actor=principal.actor, recorded_by=principal.id, source=Source.API, evidence=WRITTEN,
        )  # fmt: skip
        record(ctx, tx, head, opt_in, consents[scope.id])
        tx.commit()
    assert refused.value.code == "hard_opt_out_locked"
    _nothing_kept(ledger, ada, before)
