"""The core rules behind decisions 053-057, on plain values: the fold, suppressions, relays."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from consentry.core.channels import Channel
from consentry.core.errors import ConsentryError
from consentry.core.events import CONTACT_SOURCES, Action, ActorKind, ClearReason, Source
from consentry.core.permissions import check_relay, check_source_channel
from consentry.core.status import (
    SUPPRESSION_ACTIONS,
    Consent,
    Status,
    Suppression,
    apply,
    apply_suppressions,
    outstanding,
    shown,
)
from tests.factories import T0, make_event

LATER = T0 + timedelta(days=7)
C, A, SYS = ActorKind.CONTACT, ActorKind.ADMIN, ActorKind.SYSTEM
HARD_ASKING = Consent(Status.HARD_OPT_OUT, "ev_0", LATER)
SOFT_ASKING = Consent(Status.SOFT_OPT_OUT, "ev_0", LATER)
PENDING = Consent(Status.PENDING, "ev_0", LATER)
B, K = Suppression.BOUNCED, Suppression.COMPLAINED


def code_of(call) -> str | None:
    try:
        call()
    except ConsentryError as exc:
        return exc.code
    return None


# ── 055: an opt-out closes the request it overrides ──


@pytest.mark.parametrize(
    ("before", "actor", "after"),
    [
        # the leak: a soft opt-out left the contact's hard one deciding AND its request open
        (HARD_ASKING, A, Consent(Status.HARD_OPT_OUT, "ev_0")),
        (HARD_ASKING, C, Consent(Status.HARD_OPT_OUT, "ev_5")),
        (SOFT_ASKING, A, Consent(Status.SOFT_OPT_OUT, "ev_5")),
        (SOFT_ASKING, C, Consent(Status.HARD_OPT_OUT, "ev_5")),
        (PENDING, A, Consent(Status.SOFT_OPT_OUT, "ev_5")),
    ],
)
def test_every_opt_out_closes_the_open_request_at_its_scope(before, actor, after):
    event = make_event(Action.OPTED_OUT, actor, seq=5)
    assert apply(before, event) == after
    assert not apply(before, event).awaiting_confirmation(T0)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (PENDING, Consent(Status.NONE, "ev_5")),
        (HARD_ASKING, Consent(Status.HARD_OPT_OUT, "ev_0")),
        (SOFT_ASKING, Consent(Status.SOFT_OPT_OUT, "ev_0")),
        (Consent(Status.OPTED_IN, "ev_0"), Consent(Status.OPTED_IN, "ev_0")),
    ],
)
def test_a_cancellation_closes_a_request_below_an_opt_out_like_an_expiry(before, after):
    for actor in (C, A):
        event = make_event(Action.CONFIRMATION_CANCELLED, actor, seq=5)
        assert apply(before, event) == after


def test_a_cancellation_is_about_consent_not_the_address():
    assert Action.CONFIRMATION_CANCELLED not in SUPPRESSION_ACTIONS


# ── 057: suppressions outstanding on a channel ──


def clear(reason: ClearReason = ClearReason.ADMIN_DECISION, seq: int = 9):
    return replace(make_event(Action.SUPPRESSION_CLEARED, A, seq=seq), reason=reason.value)


@pytest.mark.parametrize(
    ("actions", "left"),
    [
        ([Action.BOUNCED], {B}),
        ([Action.COMPLAINED], {K}),
        ([Action.COMPLAINED, Action.BOUNCED], {B, K}),
        ([Action.BOUNCED, Action.COMPLAINED, "admin"], {K}),  # the bounce was shown and lifted
        ([Action.COMPLAINED, Action.BOUNCED, "admin", "admin"], set()),
        ([Action.BOUNCED, Action.COMPLAINED, "address"], set()),  # a new address: all lifted
        (["admin"], set()),
        ([Action.BOUNCED, Action.OPTED_IN, Action.CONFIRMED], {B}),  # opting in clears nothing
    ],
)
def test_a_bounce_and_a_complaint_each_stay_until_lifted(actions, left):
    events = []
    for n, action in enumerate(actions, start=1):
        if action == "admin":
            events.append(clear(seq=n))
        elif action == "address":
            events.append(clear(ClearReason.ADDRESS_CHANGED, seq=n))
        else:
            events.append(make_event(action, ActorKind.API_KEY, seq=n))
    assert outstanding(events) == left


def test_a_bounce_is_shown_before_a_complaint():
    assert shown(frozenset({B, K})) is B
    assert shown(frozenset({K})) is K
    assert shown(frozenset()) is None


def test_the_set_fold_leaves_other_events_alone():
    both = frozenset({B, K})
    assert apply_suppressions(both, make_event(Action.OPTED_OUT, C)) is both


# ── 054: what a sender may relay as the contact's own act ──

#: Written from decision 054, not read from the code under test.
MAY_RELAY = {
    Action.OPTED_OUT: {
        Source.SMS_KEYWORD,
        Source.VOICE_KEYPAD,
        Source.UNSUBSCRIBE_LINK,
        Source.ONE_CLICK,
        Source.PREFERENCE_CENTRE,
    },
    Action.OPTED_IN: {Source.SMS_KEYWORD},
    Action.CONFIRMATION_REQUESTED: {Source.PREFERENCE_CENTRE, Source.UNSUBSCRIBE_LINK},
    Action.CONFIRMED: {Source.CONFIRMATION_LINK},
    Action.RESUBSCRIBED: set(),
}


@pytest.mark.parametrize("action", list(MAY_RELAY))
@pytest.mark.parametrize("source", sorted(CONTACT_SOURCES))
def test_a_sender_relays_only_what_the_contact_can_do_through_that_source(action, source):
    expected = None if source in MAY_RELAY[action] else "forbidden"
    assert code_of(lambda: check_relay(action, source)) == expected


def test_a_refused_relay_names_what_would_be_accepted():
    with pytest.raises(ConsentryError) as info:
        check_relay(Action.OPTED_IN, Source.PREFERENCE_CENTRE)
    assert info.value.details == {
        "action": "opted_in",
        "source": "preference_centre",
        "allowed": ["sms_keyword"],
    }
    assert "request confirmation" in info.value.message


#: Which channels each source arrives on: texts, the phone's keypad, RFC 8058's email header.
ARRIVES_ON = {
    Source.SMS_KEYWORD: {Channel.SMS, Channel.MMS, Channel.RCS, Channel.WHATSAPP},
    Source.VOICE_KEYPAD: {Channel.VOICE},
    Source.ONE_CLICK: {Channel.EMAIL},
    Source.UNSUBSCRIBE_LINK: set(Channel),
    Source.PREFERENCE_CENTRE: set(Channel),
    Source.CONFIRMATION_LINK: set(Channel),
}


@pytest.mark.parametrize("source", sorted(ARRIVES_ON))
@pytest.mark.parametrize("channel", list(Channel))
def test_a_relayed_source_arrives_only_on_its_channels(source, channel):
    expected = None if channel in ARRIVES_ON[source] else "invalid_source"
    assert code_of(lambda: check_source_channel(source, channel)) == expected
