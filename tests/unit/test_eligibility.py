"""Eligibility: walk the scope path; an opt-out anywhere wins (SPEC §1, §5; seeds/004)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.channels import Channel, ChannelPolicy
from consentry.core.eligibility import (
    Category,
    Decision,
    Reason,
    Situation,
    TransactionalPolicy,
    decide,
    effective_status,
)
from consentry.core.events import Action, ActorKind
from consentry.core.scopes import path_to_root
from consentry.core.status import Consent, Status, Suppression, fold
from tests.factories import T0, make_event

LATER = T0 + timedelta(days=7)
USER, CLIENT, GROUP = "acme/newsletters/ada", "acme/newsletters", "acme"
PATH = path_to_root(USER)
IN = Consent(Status.OPTED_IN, "e_in")
SOFT = Consent(Status.SOFT_OPT_OUT, "e_soft")
HARD = Consent(Status.HARD_OPT_OUT, "e_hard")
PENDING = Consent(Status.PENDING, "e_pending", LATER)
STALE = Consent(Status.PENDING, "e_stale", T0)
HARD_ASKING = Consent(Status.HARD_OPT_OUT, "e_hard", LATER)
MKT, TX, CONF = Category.MARKETING, Category.TRANSACTIONAL, Category.OPT_IN_CONFIRMATION
P = TransactionalPolicy
DEFAULT_BYPASS = P.DEPLOYMENT_BYPASS  # email's, by the deployment's default


def situation(consents, channel=Channel.EMAIL, address=True, suppression=None):
    return Situation(channel, address, suppression, consents)


@pytest.mark.parametrize(
    ("consents", "category", "expected"),
    [
        ({}, MKT, Decision(False, Reason.NO_CONSENT)),
        ({GROUP: IN}, MKT, Decision(True, Reason.OPTED_IN, GROUP, "e_in")),
        ({USER: IN}, MKT, Decision(True, Reason.OPTED_IN, USER, "e_in")),
        ({GROUP: SOFT, USER: IN}, MKT, Decision(False, Reason.SOFT_OPT_OUT, GROUP, "e_soft")),
        ({CLIENT: HARD, USER: IN}, MKT, Decision(False, Reason.HARD_OPT_OUT, CLIENT, "e_hard")),
        ({USER: SOFT, GROUP: HARD}, MKT, Decision(False, Reason.HARD_OPT_OUT, GROUP, "e_hard")),
        ({USER: PENDING}, MKT, Decision(False, Reason.PENDING, USER, "e_pending")),
        ({USER: STALE}, MKT, Decision(False, Reason.NO_CONSENT)),
        ({USER: PENDING, GROUP: IN}, MKT, Decision(True, Reason.OPTED_IN, GROUP, "e_in")),
        ({GROUP: HARD}, TX, Decision(True, Reason.TRANSACTIONAL, policy=DEFAULT_BYPASS)),
        ({GROUP: HARD_ASKING}, CONF, Decision(True, Reason.OPT_IN_CONFIRMATION, GROUP, "e_hard")),
        ({USER: PENDING}, CONF, Decision(True, Reason.OPT_IN_CONFIRMATION, USER, "e_pending")),
        ({USER: STALE, GROUP: HARD}, CONF, Decision(False, Reason.NO_CONFIRMATION_REQUEST)),
        ({"acme/events": HARD}, MKT, Decision(False, Reason.NO_CONSENT)),
    ],
)
def test_decide_walks_the_path_and_an_opt_out_at_any_level_wins(consents, category, expected):
    assert decide(situation(consents), PATH, category, T0) == expected


def test_no_address_comes_before_everything():
    found = situation({GROUP: IN}, address=False, suppression=Suppression.BOUNCED)
    assert decide(found, PATH, TX, T0) == Decision(False, Reason.NO_ADDRESS, policy=DEFAULT_BYPASS)


@pytest.mark.parametrize("suppression", list(Suppression))
@pytest.mark.parametrize("category", list(Category))
def test_a_bounce_or_complaint_is_never_bypassed(suppression, category):
    found = situation({GROUP: IN}, suppression=suppression)
    policy = DEFAULT_BYPASS if category is TX else None  # named, and still refused
    expected = Decision(False, Reason(suppression.value), policy=policy)
    assert decide(found, PATH, category, T0) == expected


def test_transactional_bypass_is_per_channel_policy():
    found = situation({GROUP: HARD}, channel=Channel.SMS)
    refused = Decision(False, Reason.HARD_OPT_OUT, GROUP, "e_hard", P.DEPLOYMENT_NO_BYPASS)
    assert decide(found, PATH, TX, T0) == refused
    policy = ChannelPolicy(transactional_bypass=frozenset({Channel.SMS}))
    allowed = Decision(True, Reason.TRANSACTIONAL, policy=P.DEPLOYMENT_BYPASS)
    assert decide(found, PATH, TX, T0, policy) == allowed


def test_a_groups_own_setting_overrides_the_default_and_is_named():
    email = situation({GROUP: SOFT})
    group = ChannelPolicy().for_group({Channel.EMAIL: False, Channel.SMS: True})
    assert group.transactional_bypass == ChannelPolicy().transactional_bypass - {Channel.EMAIL} | {
        Channel.SMS
    }
    judged = decide(email, PATH, TX, T0, group)
    assert judged == Decision(False, Reason.SOFT_OPT_OUT, GROUP, "e_soft", P.GROUP_NO_BYPASS)
    sms = decide(situation({GROUP: HARD}, channel=Channel.SMS), PATH, TX, T0, group)
    assert sms == Decision(True, Reason.TRANSACTIONAL, policy=P.GROUP_BYPASS)
    push = decide(situation({}, channel=Channel.PUSH), PATH, TX, T0, group)
    assert push.policy is P.DEPLOYMENT_BYPASS  # not set by the group: the default
    assert decide(email, PATH, MKT, T0, group).policy is None


def test_effective_status_names_the_scope_that_set_it():
    assert effective_status({CLIENT: SOFT, USER: IN}, PATH, T0) == (Status.SOFT_OPT_OUT, CLIENT)
    assert effective_status({}, PATH, T0) == (Status.NONE, None)


STAFF, ADMIN, CONTACT, SYSTEM = (
    ActorKind.STAFF,
    ActorKind.ADMIN,
    ActorKind.CONTACT,
    ActorKind.SYSTEM,
)
OPT_IN, OPT_OUT, RESUB = Action.OPTED_IN, Action.OPTED_OUT, Action.RESUBSCRIBED
REQUEST, CONFIRM, EXPIRE = (
    Action.CONFIRMATION_REQUESTED,
    Action.CONFIRMED,
    Action.CONFIRMATION_EXPIRED,
)


@pytest.mark.parametrize(
    ("history", "allowed", "reason", "deciding"),
    [
        ([(OPT_IN, STAFF), (OPT_OUT, ADMIN)], False, Reason.SOFT_OPT_OUT, "ev_2"),
        ([(OPT_IN, STAFF), (OPT_OUT, CONTACT)], False, Reason.HARD_OPT_OUT, "ev_2"),
        ([(OPT_OUT, ADMIN), (RESUB, ADMIN)], True, Reason.OPTED_IN, "ev_2"),
        ([(OPT_OUT, ADMIN), (OPT_IN, CONTACT)], True, Reason.OPTED_IN, "ev_2"),
        ([(REQUEST, STAFF), (CONFIRM, CONTACT)], True, Reason.OPTED_IN, "ev_2"),
        (
            [(OPT_OUT, CONTACT), (REQUEST, CONTACT), (CONFIRM, CONTACT)],
            True,
            Reason.OPTED_IN,
            "ev_3",
        ),
        ([(REQUEST, STAFF)], False, Reason.PENDING, "ev_1"),
        # the contact's own opt-out keeps deciding whatever staff record after it
        ([(OPT_OUT, CONTACT), (OPT_OUT, ADMIN)], False, Reason.HARD_OPT_OUT, "ev_1"),
        ([(OPT_OUT, CONTACT), (OPT_IN, STAFF), (RESUB, ADMIN)], False, Reason.HARD_OPT_OUT, "ev_1"),
        ([(OPT_OUT, CONTACT), (REQUEST, CONTACT)], False, Reason.HARD_OPT_OUT, "ev_1"),
        (
            [(OPT_OUT, ADMIN), (REQUEST, CONTACT), (EXPIRE, SYSTEM)],
            False,
            Reason.SOFT_OPT_OUT,
            "ev_1",
        ),
    ],
)
def test_a_check_names_the_scope_and_the_event_that_decided_it(history, allowed, reason, deciding):
    # SPEC §5: a send judged against the ledger is recorded "with the deciding event".
    events = [
        make_event(action, actor, seq=n, scope_id=CLIENT, expires_at=LATER)
        for n, (action, actor) in enumerate(history, start=1)
    ]
    found = situation({CLIENT: fold(events)})
    assert decide(found, PATH, MKT, T0) == Decision(allowed, reason, CLIENT, deciding)


def test_an_expired_request_decides_nothing_and_names_no_event():
    events = [
        make_event(REQUEST, STAFF, seq=1, expires_at=LATER),
        make_event(EXPIRE, SYSTEM, seq=2),
    ]
    assert decide(situation({GROUP: fold(events)}), PATH, MKT, T0) == Decision(
        False, Reason.NO_CONSENT
    )
