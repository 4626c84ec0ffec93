"""The fold: how each event changes a (contact, channel, scope)'s consent (SPEC §1)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.events import Action, ActorKind
from consentry.core.status import (
    NO_CONSENT,
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


@pytest.mark.parametrize(
    ("before", "action", "actor", "after"),
    [
        (NONE, Action.OPTED_IN, S, Status.OPTED_IN),
        (PENDING, Action.OPTED_IN, A, Status.OPTED_IN),
        (SOFT, Action.OPTED_IN, C, Status.OPTED_IN),
        (HARD, Action.OPTED_IN, A, Status.HARD_OPT_OUT),
        (HARD, Action.OPTED_IN, S, Status.HARD_OPT_OUT),
        (HARD, Action.OPTED_IN, C, Status.OPTED_IN),
        (SOFT, Action.RESUBSCRIBED, A, Status.OPTED_IN),
        (HARD, Action.RESUBSCRIBED, A, Status.HARD_OPT_OUT),
        (IN, Action.OPTED_OUT, A, Status.SOFT_OPT_OUT),
        (IN, Action.OPTED_OUT, C, Status.HARD_OPT_OUT),
        (SOFT, Action.OPTED_OUT, C, Status.HARD_OPT_OUT),
        (HARD, Action.OPTED_OUT, A, Status.HARD_OPT_OUT),
        (NONE, Action.CONFIRMATION_REQUESTED, S, Status.PENDING),
        (PENDING, Action.CONFIRMATION_REQUESTED, S, Status.PENDING),
        (IN, Action.CONFIRMATION_REQUESTED, S, Status.OPTED_IN),
        (HARD, Action.CONFIRMATION_REQUESTED, C, Status.HARD_OPT_OUT),
        (SOFT, Action.CONFIRMATION_REQUESTED, C, Status.SOFT_OPT_OUT),
        (PENDING, Action.CONFIRMED, C, Status.OPTED_IN),
        (HARD_ASKING, Action.CONFIRMED, C, Status.OPTED_IN),
        (HARD_ASKING, Action.CONFIRMED, A, Status.HARD_OPT_OUT),
        (PENDING, Action.CONFIRMATION_EXPIRED, ActorKind.SYSTEM, Status.NONE),
        (HARD_ASKING, Action.CONFIRMATION_EXPIRED, ActorKind.SYSTEM, Status.HARD_OPT_OUT),
        (IN, Action.BOUNCED, ActorKind.API_KEY, Status.OPTED_IN),
        (HARD, Action.ERASED, ActorKind.SYSTEM, Status.HARD_OPT_OUT),
    ],
)
def test_each_event_moves_the_status_as_the_spec_table_says(before, action, actor, after):
    event = make_event(action, actor, seq=5, expires_at=LATER)
    assert apply(before, event).status is after


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
