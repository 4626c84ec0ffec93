"""Ledger invariants on plain values, by hypothesis: the fold and the chain."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from consentry.core.chain import ChainRow, Verifier
from consentry.core.channels import Channel
from consentry.core.eligibility import Category, Reason, Situation, decide
from consentry.core.events import Action, ActorKind, ConsentEvent, Strength
from consentry.core.scopes import path_to_root
from consentry.core.status import NO_CONSENT, Consent, Status, apply, fold
from tests.factories import T0, make_chain, make_event
from tests.unit.test_chain import row

event_specs = st.tuples(
    st.sampled_from(list(Action)),
    st.sampled_from(list(ActorKind)),
    st.one_of(st.none(), st.integers(-3, 3).map(lambda d: T0 + timedelta(days=d))),
)


@given(st.lists(event_specs, max_size=25))
def test_the_fold_is_total_and_only_the_contact_lifts_a_hard_opt_out(specs):
    consent: Consent = NO_CONSENT
    for n, (action, actor, expires_at) in enumerate(specs, start=1):
        event = make_event(action, actor, seq=n, expires_at=expires_at)
        after = apply(consent, event)
        assert isinstance(after.status, Status)
        if consent.status is Status.HARD_OPT_OUT and after.status is not Status.HARD_OPT_OUT:
            assert event.actor.is_contact and after.status is Status.OPTED_IN
        consent = after
    events = [make_event(a, k, seq=n, expires_at=x) for n, (a, k, x) in enumerate(specs, 1)]
    assert fold(events) == consent


PATH = path_to_root("acme/newsletters/ada")


def explains(event: ConsentEvent, reason: Reason) -> bool:
    """Whether the event can be the one that set the status behind ``reason`` (SPEC §1)."""
    if reason is Reason.OPTED_IN:
        return event.action in (Action.OPTED_IN, Action.RESUBSCRIBED, Action.CONFIRMED)
    if reason is Reason.PENDING:
        return event.action is Action.CONFIRMATION_REQUESTED
    strength = Strength.HARD if reason is Reason.HARD_OPT_OUT else Strength.SOFT
    return (event.action, event.strength) == (Action.OPTED_OUT, strength)


@given(st.lists(event_specs, max_size=25), st.sampled_from(PATH))
def test_a_check_names_an_event_of_the_ledger_that_explains_its_decision(specs, scope):
    events = [
        make_event(action, actor, seq=n, scope_id=scope, expires_at=expires_at)
        for n, (action, actor, expires_at) in enumerate(specs, start=1)
    ]
    found = Situation(Channel.EMAIL, True, None, {scope: fold(events)})
    decision = decide(found, PATH, Category.MARKETING, T0)
    assert decision.allowed is (decision.reason is Reason.OPTED_IN)
    if decision.reason is Reason.NO_CONSENT:
        assert (decision.scope_id, decision.event_id) == (None, None)
        return
    [deciding] = [e for e in events if e.id == decision.event_id]
    assert decision.scope_id == scope
    assert explains(deciding, decision.reason)


chain_specs = st.lists(
    st.tuples(st.sampled_from(list(Action)), st.sampled_from(list(ActorKind))),
    min_size=1,
    max_size=12,
)
MUTABLE = ("fields", "prev_hash", "hash", "evidence", "seq", "delete")


def mutate(rows: list[ChainRow], index: int, what: str, position: int) -> list[ChainRow]:
    target = rows[index]
    if what == "delete":
        return rows[:index] + rows[index + 1 :]
    if what == "fields":
        fields = list(target.fields)
        spot = position % len(fields)
        fields[spot] = f"{fields[spot]}!"
        changed = target._replace(fields=tuple(fields))
    elif what == "evidence":
        changed = target._replace(evidence=f'{{"forged":{position}}}')
    elif what == "seq":
        changed = target._replace(seq=target.seq + 1 + position % 3)
    elif what == "prev_hash":
        changed = target._replace(prev_hash=format(position, "064x"))
    else:
        changed = target._replace(hash=format(position, "064x"))
    return [*rows[:index], changed, *rows[index + 1 :]]


@given(chain_specs, st.integers(0, 100), st.sampled_from(MUTABLE), st.integers(0, 1000))
def test_an_untouched_chain_verifies_and_any_single_change_is_detected(specs, pick, what, position):
    rows = [row(e) for e in make_chain(specs)]
    heads = [("ct_ada", rows[-1].seq, rows[-1].hash)]
    clean = Verifier()
    clean.feed(rows)
    clean.compare_heads(heads)
    assert clean.problems == []
    tampered = mutate(rows, pick % len(rows), what, position)
    checker = Verifier()
    checker.feed(tampered)
    checker.compare_heads(heads)
    assert checker.problems
