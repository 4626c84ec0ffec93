"""The rules that refuse consent commands, with their stable codes (SPEC §1, §3)."""

from __future__ import annotations

import pytest

from consentry.core.errors import ConsentryError
from consentry.core.events import Actor, ActorKind, Source
from consentry.core.status import Consent, Status
from consentry.core.transitions import (
    check_confirm,
    check_opt_in,
    check_request_confirmation,
    check_resubscribe,
    governing,
)
from tests.factories import T0
from tests.unit.states import (
    ADMIN,
    CONTACT,
    HARD,
    HARD_ASKING,
    IN,
    KEY,
    LATER,
    NONE,
    PENDING,
    SOFT,
    STAFF,
)

#: SPEC §1: only the contact ends a hard opt-out, by "START keyword, a confirmed opt-back-in
#: link, the preference centre"; SPEC §4: opting back in from a page first sends a confirmation
#: "and the click completes it". So a START reply or the confirmation click lifts it at once,
#: and every other source is refused. Written out here, never read from the code under test.
LIFTS_A_HARD_OPT_OUT_AT_ONCE = {Source.SMS_KEYWORD, Source.CONFIRMATION_LINK}


def code_of(call) -> str | None:
    try:
        call()
    except ConsentryError as exc:
        return exc.code
    return None


@pytest.mark.parametrize(
    ("consent", "actor", "source", "evidence", "code"),
    [
        (NONE, STAFF, Source.ADMIN_UI, False, "evidence_required"),
        (NONE, ADMIN, Source.ADMIN_UI, False, "evidence_required"),
        (NONE, CONTACT, Source.SMS_KEYWORD, False, "evidence_required"),
        (NONE, STAFF, Source.ADMIN_UI, True, None),
        (PENDING, KEY, Source.API, True, None),
        (IN, ADMIN, Source.IMPORT, True, None),
        (SOFT, ADMIN, Source.ADMIN_UI, True, "opted_out"),
        (HARD, ADMIN, Source.ADMIN_UI, True, "hard_opt_out_locked"),
        (HARD, STAFF, Source.ADMIN_UI, True, "hard_opt_out_locked"),
        (HARD, KEY, Source.IMPORT, True, "hard_opt_out_locked"),
        (HARD, CONTACT, Source.SMS_KEYWORD, True, None),
        (HARD, CONTACT, Source.CONFIRMATION_LINK, True, None),
        (HARD, CONTACT, Source.PREFERENCE_CENTRE, True, "opted_out"),
        (SOFT, CONTACT, Source.PREFERENCE_CENTRE, True, None),
    ],
)
def test_opt_in_is_refused_without_evidence_or_over_an_opt_out(
    consent, actor, source, evidence, code
):
    assert code_of(lambda: check_opt_in(consent, actor, source, evidence)) == code


@pytest.mark.parametrize(
    ("consent", "reason", "evidence", "code"),
    [
        (SOFT, "mistaken_unsubscribe", True, None),
        (SOFT, "contact_asked", True, None),
        (SOFT, None, True, "reason_required"),
        (SOFT, "felt_like_it", True, "reason_required"),
        (SOFT, "contact_asked", False, "evidence_required"),
        (HARD, "contact_asked", True, "hard_opt_out_locked"),
        (IN, "contact_asked", True, "invalid_transition"),
        (NONE, "contact_asked", True, "invalid_transition"),
    ],
)
def test_only_a_soft_opt_out_can_be_resubscribed_with_reason_and_evidence(
    consent, reason, evidence, code
):
    assert code_of(lambda: check_resubscribe(consent, reason, evidence)) == code


@pytest.mark.parametrize(
    ("consent", "actor", "now", "code"),
    [
        (NONE, STAFF, T0, None),
        (PENDING, KEY, T0, None),
        (Consent(Status.PENDING, "e", T0), KEY, T0, None),
        (IN, KEY, T0, "invalid_transition"),
        (SOFT, KEY, T0, "opted_out"),
        (HARD, STAFF, T0, "opted_out"),
        (HARD, ADMIN, T0, "opted_out"),
        (HARD, CONTACT, T0, None),
        (SOFT, CONTACT, T0, None),
    ],
)
def test_a_signup_of_an_opted_out_contact_is_refused_unless_the_contact_asks(
    consent, actor, now, code
):
    assert code_of(lambda: check_request_confirmation(consent, actor, now)) == code


@pytest.mark.parametrize(
    ("consent", "now", "code"),
    [
        (PENDING, T0, None),
        (HARD_ASKING, T0, None),
        (PENDING, LATER, "invalid_transition"),
        (NONE, T0, "invalid_transition"),
        (HARD, T0, "invalid_transition"),
    ],
)
def test_a_confirmation_needs_an_open_request(consent, now, code):
    assert code_of(lambda: check_confirm(consent, now)) == code


GROUP, CLIENT, USER = "acme", "acme/newsletters", "acme/newsletters/ada"
PATH = (USER, CLIENT, GROUP)


@pytest.mark.parametrize(
    ("consents", "ruling"),
    [
        ({}, NONE),
        ({USER: IN}, IN),
        ({USER: PENDING, GROUP: SOFT}, SOFT),
        ({USER: SOFT, CLIENT: HARD}, HARD),
        ({USER: HARD, GROUP: SOFT}, HARD),
        ({USER: IN, GROUP: IN}, IN),
        ({"acme/events": HARD, USER: PENDING}, PENDING),
    ],
)
def test_a_staff_change_is_judged_by_the_strongest_opt_out_on_its_path(consents, ruling):
    assert governing(consents, PATH) == ruling


@pytest.mark.parametrize("source", list(Source))
def test_only_a_start_reply_or_a_confirmation_click_lifts_a_hard_opt_out_at_once(source):
    if source in LIFTS_A_HARD_OPT_OUT_AT_ONCE:
        assert code_of(lambda: check_opt_in(HARD, CONTACT, source, True)) is None
        return
    with pytest.raises(ConsentryError) as info:
        check_opt_in(HARD, CONTACT, source, True)
    assert (info.value.code, info.value.details) == ("opted_out", {"status": "hard_opt_out"})


@pytest.mark.parametrize("source", list(Source))
def test_no_source_lets_staff_lift_a_hard_opt_out(source):
    for actor in (ADMIN, STAFF, KEY, Actor(ActorKind.RULE, "r"), Actor(ActorKind.SYSTEM, "s")):
        assert code_of(lambda a=actor: check_opt_in(HARD, a, source, True)) == "hard_opt_out_locked"
