"""The fold: how each event changes a (contact, channel, scope)'s consent (SPEC §1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.events import Action, ActorKind
from consentry.core.status import (
    NO_CONSENT,
    SUPPRESSION_ACTIONS,
    Consent,
    Status,
    Suppression,
    apply,
    apply_suppression,
    fold,
)
from tests.factories import T0, make_event

LATER = T0 + timedelta(days=7)
C, A, S = ActorKind.CONTACT, ActorKind.ADMIN, ActorKind.STAFF

NONE = Consent()
PENDING = Consent(Status.PENDING, "ev_0", LATER)
IN = Consent(Status.OPTED_IN, "ev_0")
SOFT = Consent(Status.SOFT_OPT_OUT, "ev_0")
HARD = Consent(Status.HARD_OPT_OUT, "ev_0")
HARD_ASKING = Consent(Status.HARD_OPT_OUT, "ev_0", LATER)


#: The event each row folds in: ``ev_5``, opening a confirmation window until ``LATEST``.
NEW, LATEST = "ev_5", T0 + timedelta(days=14)


@pytest.mark.parametrize(
    ("before", "action", "actor", "after"),
    [
        # an opt-in (or re-subscribe) is the deciding event, and closes any open request...
        (NONE, Action.OPTED_IN, S, Consent(Status.OPTED_IN, NEW)),
        (PENDING, Action.OPTED_IN, A, Consent(Status.OPTED_IN, NEW)),
        (SOFT, Action.OPTED_IN, C, Consent(Status.OPTED_IN, NEW)),
        (SOFT, Action.RESUBSCRIBED, A, Consent(Status.OPTED_IN, NEW)),
        (HARD, Action.OPTED_IN, C, Consent(Status.OPTED_IN, NEW)),
        # ...but never lifts a hard opt-out unless the contact acted: nothing changes at all
        (HARD, Action.OPTED_IN, A, HARD),
        (HARD, Action.OPTED_IN, S, HARD),
        (HARD, Action.RESUBSCRIBED, A, HARD),
        (HARD_ASKING, Action.OPTED_IN, S, HARD_ASKING),
        # an opt-out is the deciding event: soft when staff acted, hard when the contact did
        (IN, Action.OPTED_OUT, A, Consent(Status.SOFT_OPT_OUT, NEW)),
        (SOFT, Action.OPTED_OUT, A, Consent(Status.SOFT_OPT_OUT, NEW)),
        (IN, Action.OPTED_OUT, C, Consent(Status.HARD_OPT_OUT, NEW)),
        (SOFT, Action.OPTED_OUT, C, Consent(Status.HARD_OPT_OUT, NEW)),
        (HARD, Action.OPTED_OUT, C, Consent(Status.HARD_OPT_OUT, NEW)),
        # a soft opt-out does not replace the contact's own: the hard one keeps deciding
        (HARD, Action.OPTED_OUT, A, HARD),
        # a request opens a window; over an opt-out it keeps the opt-out and its event
        (NONE, Action.CONFIRMATION_REQUESTED, S, Consent(Status.PENDING, NEW, LATEST)),
        (PENDING, Action.CONFIRMATION_REQUESTED, S, Consent(Status.PENDING, NEW, LATEST)),
        (HARD, Action.CONFIRMATION_REQUESTED, C, Consent(Status.HARD_OPT_OUT, "ev_0", LATEST)),
        (SOFT, Action.CONFIRMATION_REQUESTED, C, Consent(Status.SOFT_OPT_OUT, "ev_0", LATEST)),
        (IN, Action.CONFIRMATION_REQUESTED, S, IN),
        # only the contact's confirmation completes it, and is then the deciding event
        (PENDING, Action.CONFIRMED, C, Consent(Status.OPTED_IN, NEW)),
        (HARD_ASKING, Action.CONFIRMED, C, Consent(Status.OPTED_IN, NEW)),
        (HARD_ASKING, Action.CONFIRMED, A, HARD_ASKING),
        (PENDING, Action.CONFIRMED, S, PENDING),
        # expiry: a pending request falls back to none; an opt-out keeps its event
        (PENDING, Action.CONFIRMATION_EXPIRED, ActorKind.SYSTEM, Consent(Status.NONE, NEW)),
        (HARD_ASKING, Action.CONFIRMATION_EXPIRED, ActorKind.SYSTEM, HARD),
        # deliverability and erasure leave consent alone
        (IN, Action.BOUNCED, ActorKind.API_KEY, IN),
        (SOFT, Action.COMPLAINED, ActorKind.API_KEY, SOFT),
        (IN, Action.SUPPRESSION_CLEARED, A, IN),
        (HARD, Action.ERASED, ActorKind.SYSTEM, HARD),
    ],
)
def test_each_event_moves_the_projection_as_the_spec_table_says(before, action, actor, after):
    event = make_event(action, actor, seq=5, expires_at=LATEST)
    assert apply(before, event) == after


def test_an_opt_out_records_the_event_that_set_it_and_closes_any_request():
    event = make_event(Action.OPTED_OUT, C, seq=3)
    assert apply(HARD_ASKING, event) == Consent(Status.HARD_OPT_OUT, "ev_3", None)


def test_a_request_after_an_opt_out_keeps_the_opt_out_event_and_opens_a_window():
    event = make_event(Action.CONFIRMATION_REQUESTED, C, seq=4, expires_at=LATER)
    assert apply(HARD, event) == Consent(Status.HARD_OPT_OUT, "ev_0", LATER)


def test_an_expiry_closes_the_window_but_keeps_the_opt_out_event():
    event = make_event(Action.CONFIRMATION_EXPIRED, ActorKind.SYSTEM, seq=4)
    assert apply(HARD_ASKING, event) == Consent(Status.HARD_OPT_OUT, "ev_0", None)
    assert apply(PENDING, event) == Consent(Status.NONE, "ev_4", None)


def test_a_pending_request_counts_as_none_once_it_has_expired():
    assert PENDING.current(T0) is Status.PENDING
    assert PENDING.current(LATER) is Status.NONE
    assert Consent(Status.PENDING).current(T0) is Status.NONE
    assert HARD_ASKING.current(LATER) is Status.HARD_OPT_OUT


def test_only_opt_outs_are_opt_outs():
    assert {s for s in Status if s.is_opt_out} == {Status.SOFT_OPT_OUT, Status.HARD_OPT_OUT}


def test_the_fold_of_no_events_is_no_consent_and_of_many_is_the_last_effect():
    assert fold([]) is NO_CONSENT
    events = [
        make_event(Action.OPTED_IN, S, seq=1),
        make_event(Action.OPTED_OUT, C, seq=2),
        make_event(Action.OPTED_IN, A, seq=3),
    ]
    assert fold(events) == Consent(Status.HARD_OPT_OUT, "ev_2")


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [
        (None, Action.BOUNCED, Suppression.BOUNCED),
        (Suppression.COMPLAINED, Action.BOUNCED, Suppression.BOUNCED),
        (None, Action.COMPLAINED, Suppression.COMPLAINED),
        (Suppression.BOUNCED, Action.COMPLAINED, Suppression.BOUNCED),
        (Suppression.BOUNCED, Action.SUPPRESSION_CLEARED, None),
        (Suppression.BOUNCED, Action.OPTED_IN, Suppression.BOUNCED),
        (None, Action.CONFIRMED, None),
    ],
)
def test_suppressions_fold_apart_from_consent_and_opting_in_never_clears_them(
    before, action, after
):
    assert apply_suppression(before, make_event(action, C)) is after


@pytest.mark.parametrize("action", list(Action))
def test_an_event_moves_the_consent_or_the_suppression_never_both(action):
    # The ledger routes an event by SUPPRESSION_ACTIONS to one projection (ConsentUpdate or
    # SuppressionUpdate): a bounce is about the address, never about consent (seeds/003).
    event = make_event(action, C, seq=5, expires_at=LATER)
    consents = (NONE, PENDING, IN, SOFT, HARD, HARD_ASKING)
    suppressions = (None, Suppression.BOUNCED, Suppression.COMPLAINED)
    if action in SUPPRESSION_ACTIONS:
        assert all(apply(c, event) is c for c in consents)
        assert any(apply_suppression(s, event) is not s for s in suppressions)
    else:
        assert all(apply_suppression(s, event) is s for s in suppressions)
