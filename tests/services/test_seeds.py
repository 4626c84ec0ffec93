"""The seeds' behaviours, by name, through the Ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from consentry.core.audience import Segment
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError
from consentry.core.events import Action, ActorKind, Source, Strength
from consentry.core.status import Status
from tests.factories import (
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

STOP = {"inbound": "STOP", "from": "+447700900123"}
START = {"inbound": "START", "from": "+447700900123"}
ASKED = {"ticket": "#4521: 'Please put me back on the list'"}


def code(call) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


def status(ledger, contact, channel="sms", scope="acme"):
    return ledger.status_at(admin(), contact.id, channel, scope, at=ledger.clock.now()).status


# ── seed 000: opt-in needs written permission, and it is kept ──


@pytest.mark.parametrize("who", [staff, admin])
def test_opt_in_by_staff_or_admin_without_evidence_is_refused_and_nothing_written(ledger, who):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    assert (
        code(lambda: ledger.opt_in(who(), ada.id, "sms", "acme", evidence=None))
        == "evidence_required"
    )
    assert code(lambda: ledger.opt_in(who(), ada.id, "sms", "acme", evidence={"note": ""})) == (
        "evidence_required"
    )
    assert count_rows(ledger) == before
    assert status(ledger, ada) is Status.NONE


def test_opt_in_evidence_is_stored_and_shown_in_history(ledger):
    ada = make_contact(ledger)
    event = ledger.opt_in(
        staff(), ada.id, "email", "acme", evidence=WRITTEN, source=Source.ADMIN_UI
    )
    [shown] = ledger.history(viewer(), ada.id)
    assert shown == event
    assert shown.evidence_data == WRITTEN
    assert (shown.action, shown.strength, shown.actor.kind) == (
        Action.OPTED_IN,
        Strength.SOFT,
        ActorKind.STAFF,
    )
    assert ledger.check(sender(), ada.id, "email", "acme/events").allowed


# ── seed 001: per-channel broadcasts, soft vs hard ──


def test_sms_broadcast_reaches_only_b_and_voice_broadcast_only_a(ledger):
    a = make_contact(ledger, "a@example.com", "+447700900001")
    b = make_contact(ledger, "b@example.com", "+447700900002")
    for person in (a, b):
        for channel in ("sms", "voice"):
            ledger.opt_in(staff(), person.id, channel, "acme", evidence=WRITTEN)
    ledger.opt_out(sender(), a.id, "sms", "acme", source=Source.SMS_KEYWORD, evidence=STOP)
    ledger.opt_out(sender(), b.id, "voice", "acme", source=Source.VOICE_KEYPAD)
    sms = ledger.resolve_audience(sender(), Segment(), "sms", "acme/newsletters/ada")
    assert [r.contact_id for r in sms] == [b.id]
    assert sms.excluded == {Reason.HARD_OPT_OUT: 1}
    voice = ledger.resolve_audience(sender(), Segment(), "voice", "acme/newsletters/ada")
    assert [r.contact_id for r in voice] == [a.id]


def test_an_admin_soft_opt_out_is_reversed_by_an_admin_with_reason_and_evidence(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    out = ledger.opt_out(admin(), ada.id, "sms", "acme", source=Source.ADMIN_UI)
    assert (out.strength, status(ledger, ada)) == (Strength.SOFT, Status.SOFT_OPT_OUT)
    back = ledger.resubscribe(
        admin(), ada.id, "sms", "acme", reason="mistaken_unsubscribe", evidence=ASKED
    )
    assert (back.reason, back.evidence_data) == ("mistaken_unsubscribe", ASKED)
    assert status(ledger, ada) is Status.OPTED_IN


def test_a_resubscribe_without_reason_or_evidence_is_refused_and_nothing_written(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    before = count_rows(ledger)
    assert code(
        lambda: ledger.resubscribe(admin(), ada.id, "sms", "acme", reason=None, evidence=ASKED)
    ) == ("reason_required")
    assert (
        code(
            lambda: ledger.resubscribe(
                admin(), ada.id, "sms", "acme", reason="contact_asked", evidence=None
            )
        )
        == "evidence_required"
    )
    assert count_rows(ledger) == before
    assert status(ledger, ada) is Status.SOFT_OPT_OUT


def stop(ledger, contact, channel="sms", scope="acme"):
    # the contact's own opt-out, through a source that arrives on the channel (decision 054)
    source = Source.SMS_KEYWORD if channel == "sms" else Source.UNSUBSCRIBE_LINK
    return ledger.opt_out(sender(), contact.id, channel, scope, source=source, evidence=STOP)


def test_a_stop_reply_is_a_hard_opt_out_recorded_as_the_contact(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    event = stop(ledger, ada)
    assert (event.strength, event.actor.kind, event.actor.id) == (
        Strength.HARD,
        ActorKind.CONTACT,
        ada.id,
    )
    assert event.recorded_by == sender().id
    assert status(ledger, ada) is Status.HARD_OPT_OUT


@pytest.mark.parametrize("scope", ["acme", "acme/newsletters"])
def test_staff_and_admins_can_never_reverse_a_hard_opt_out(ledger, scope):
    ada = make_contact(ledger)
    stop(ledger, ada, scope=scope)
    before = count_rows(ledger)
    tries = [
        lambda: ledger.opt_in(admin(), ada.id, "sms", scope, evidence=WRITTEN),
        lambda: ledger.opt_in(staff(), ada.id, "sms", scope, evidence=WRITTEN),
        lambda: ledger.opt_in(
            system(), ada.id, "sms", scope, evidence=WRITTEN, source=Source.IMPORT
        ),
        lambda: ledger.resubscribe(
            admin(), ada.id, "sms", scope, reason="contact_asked", evidence=ASKED
        ),
    ]
    assert [code(t) for t in tries] == ["hard_opt_out_locked"] * 4
    assert code(lambda: ledger.request_confirmation(admin(), ada.id, "sms", scope)) == ("opted_out")
    assert count_rows(ledger) == before
    assert status(ledger, ada, scope=scope) is Status.HARD_OPT_OUT


@pytest.mark.parametrize("source", [Source.SMS_KEYWORD, Source.CONFIRMATION_LINK])
def test_an_admin_cannot_speak_for_the_contact_to_lift_a_hard_opt_out(ledger, source):
    ada = make_contact(ledger)
    stop(ledger, ada)
    assert code(
        lambda: ledger.opt_in(admin(), ada.id, "sms", "acme", evidence=START, source=source)
    ) == ("forbidden")
    assert (
        code(lambda: ledger.confirm(admin(), ada.id, "sms", "acme", evidence=START)) == "forbidden"
    )
    assert status(ledger, ada) is Status.HARD_OPT_OUT


def test_the_contacts_own_start_keyword_lifts_their_hard_opt_out(ledger):
    ada = make_contact(ledger)
    stop(ledger, ada)
    event = ledger.opt_in(
        sender(), ada.id, "sms", "acme", evidence=START, source=Source.SMS_KEYWORD
    )
    assert event.actor.kind is ActorKind.CONTACT
    assert status(ledger, ada) is Status.OPTED_IN


def test_a_confirmed_opt_back_in_lifts_a_hard_opt_out(ledger):
    ada = make_contact(ledger)
    stop(ledger, ada, channel="email")
    me = as_contact(ada)
    click = {"ip": "192.0.2.1", "user_agent": "Mail/1.0"}
    assert (
        code(
            lambda: ledger.opt_in(
                me, ada.id, "email", "acme", evidence=click, source=Source.PREFERENCE_CENTRE
            )
        )
        == "opted_out"
    )
    ledger.request_confirmation(
        me, ada.id, "email", "acme", evidence=click, source=Source.PREFERENCE_CENTRE
    )
    assert status(ledger, ada, "email") is Status.HARD_OPT_OUT
    confirmation = ledger.check(sender(), ada.id, "email", "acme", category="opt_in_confirmation")
    assert confirmation.allowed and confirmation.reason is Reason.OPT_IN_CONFIRMATION
    assert not ledger.check(sender(), ada.id, "email", "acme").allowed
    ledger.confirm(me, ada.id, "email", "acme", evidence=click)
    assert status(ledger, ada, "email") is Status.OPTED_IN


def test_a_contact_can_act_only_through_their_own_links_and_only_for_themselves(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    me = as_contact(ada)
    assert code(lambda: ledger.opt_out(me, ada.id, "email", "acme")) == "forbidden"
    assert (
        code(lambda: ledger.opt_out(me, bob.id, "email", "acme", source=Source.ONE_CLICK))
        == "forbidden"
    )
    ledger.opt_out(me, ada.id, "email", "acme/events", source=Source.ONE_CLICK)
    assert status(ledger, ada, "email", "acme/events") is Status.HARD_OPT_OUT
    assert status(ledger, bob, "email", "acme/events") is Status.NONE


# ── seed 002: channels are independent; only admins change status ──


def test_subscribing_sms_does_not_subscribe_whatsapp_nor_the_reverse(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    assert status(ledger, ada, "whatsapp") is Status.NONE
    assert not ledger.check(sender(), ada.id, "whatsapp", "acme").allowed
    ledger.opt_in(staff(), ada.id, "whatsapp", "acme", evidence=WRITTEN)
    ledger.opt_out(admin(), ada.id, "whatsapp", "acme")
    assert status(ledger, ada, "sms") is Status.OPTED_IN
    assert ledger.check(sender(), ada.id, "sms", "acme").allowed


def test_only_admins_unsubscribe_or_resubscribe_and_staff_get_forbidden(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    before = count_rows(ledger)
    for who in (staff(), viewer(), sender()):
        assert code(lambda w=who: ledger.opt_out(w, ada.id, "sms", "acme")) == "forbidden"
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    for who in (staff(), viewer(), sender()):
        assert (
            code(
                lambda w=who: ledger.resubscribe(
                    w, ada.id, "sms", "acme", reason="contact_asked", evidence=ASKED
                )
            )
            == "forbidden"
        )
    assert count_rows(ledger)["events"] == before["events"] + 1


# ── seed 003: signing up again, bounces, transactional ──


@pytest.mark.parametrize("how", ["soft", "hard"])
def test_an_opted_out_contact_signing_up_again_gets_opted_out(ledger, how):
    ada = make_contact(ledger)
    if how == "hard":
        stop(ledger, ada, channel="email")
    else:
        ledger.opt_out(admin(), ada.id, "email", "acme")
    before = count_rows(ledger)
    signup = lambda: ledger.request_confirmation(  # noqa: E731
        staff(), ada.id, "email", "acme", evidence={"form": "newsletter"}, source=Source.SIGNUP_FORM
    )
    assert code(signup) == "opted_out"
    assert count_rows(ledger) == before


def test_a_hard_bounced_address_stays_suppressed_after_the_contact_opts_back_in(ledger):
    ada = make_contact(ledger)
    stop(ledger, ada)
    ledger.record_bounce(sender(), ada.id, "sms", evidence={"provider": "30003 unreachable"})
    ledger.opt_in(sender(), ada.id, "sms", "acme", evidence=START, source=Source.SMS_KEYWORD)
    assert status(ledger, ada) is Status.OPTED_IN
    for category in ("marketing", "transactional", "opt_in_confirmation"):
        decision = ledger.check(sender(), ada.id, "sms", "acme", category=category)
        assert (decision.allowed, decision.reason) == (False, Reason.BOUNCED)
    assert (
        ledger.check(sender(), ada.id, "voice", "acme", category="transactional").allowed is False
    )


def test_a_complaint_suppresses_and_only_an_admins_recorded_decision_clears_it(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.record_complaint(sender(), ada.id, "email", evidence={"feedback_loop": "abuse"})
    assert ledger.check(sender(), ada.id, "email", "acme").reason is Reason.COMPLAINED

    def clear(who, evidence=ASKED):
        return ledger.clear_suppression(
            who, ada.id, "email", suppression="complained", evidence=evidence
        )

    assert code(lambda: clear(admin(), evidence=None)) == "evidence_required"
    assert code(lambda: clear(staff())) == "forbidden"
    assert code(lambda: clear(admin("acme/events"))) == "out_of_scope"
    clear(admin())
    # the suppression is lifted, but the complaint was the contact's own hard opt-out (053)
    decision = ledger.check(sender(), ada.id, "email", "acme")
    assert (decision.allowed, decision.reason) == (False, Reason.HARD_OPT_OUT)


def test_changing_the_address_lifts_its_bounce(ledger):
    from consentry.core.contacts import ContactDetails

    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.record_bounce(system(), ada.id, "email")
    ledger.update_contact(staff(), ada.id, ContactDetails(email="ada.new@example.com"))
    assert ledger.check(sender(), ada.id, "email", "acme").allowed
    last = ledger.history(admin(), ada.id, channel="email")[-1]
    assert (last.action, last.reason) == (Action.SUPPRESSION_CLEARED, "address_changed")


def test_transactional_messages_bypass_a_marketing_opt_out_on_email_but_not_on_sms(ledger):
    ada = make_contact(ledger)
    stop(ledger, ada, channel="email")
    stop(ledger, ada, channel="sms")
    receipt = ledger.check(sender(), ada.id, "email", "acme", category="transactional")
    assert (receipt.allowed, receipt.reason) == (True, Reason.TRANSACTIONAL)
    sms = ledger.check(sender(), ada.id, "sms", "acme", category="transactional")
    assert (sms.allowed, sms.reason) == (False, Reason.HARD_OPT_OUT)
    ledger.record_bounce(sender(), ada.id, "email")
    assert ledger.check(sender(), ada.id, "email", "acme", category="transactional").reason is (
        Reason.BOUNCED
    )


# ── seed 004: scope levels and the walls between groups ──

USERS = ("acme/newsletters/ada", "acme/newsletters/alan", "acme/events/bob")


def allowed_from(ledger, contact):
    scopes = ("acme", "acme/newsletters", "acme/events", *USERS)
    return {s for s in scopes if ledger.check(sender(), contact.id, "email", s).allowed}


@pytest.mark.parametrize(
    ("level", "still_allowed"),
    [
        ("acme", set()),
        ("acme/newsletters", {"acme", "acme/events", "acme/events/bob"}),
        (
            "acme/newsletters/ada",
            {"acme", "acme/newsletters", "acme/events", "acme/newsletters/alan", "acme/events/bob"},
        ),
    ],
)
def test_an_opt_out_filters_down_to_every_scope_below_its_level_and_no_further(
    ledger, level, still_allowed
):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.opt_out(as_contact(ada), ada.id, "email", level, source=Source.UNSUBSCRIBE_LINK)
    assert allowed_from(ledger, ada) == still_allowed


def test_a_client_admin_acting_on_another_client_gets_out_of_scope(ledger):
    ada = make_contact(ledger)
    news_admin = admin("acme/newsletters")
    ledger.opt_out(news_admin, ada.id, "email", "acme/newsletters/ada")
    before = count_rows(ledger)
    for target in ("acme/events", "acme/events/bob", "acme"):
        assert code(lambda t=target: ledger.opt_out(news_admin, ada.id, "email", t)) == (
            "out_of_scope"
        )
    assert code(lambda: ledger.check(sender("acme/events"), ada.id, "email", "acme")) == (
        "out_of_scope"
    )
    assert count_rows(ledger) == before


def test_a_principal_of_globex_never_sees_acme_contacts(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    g = "globex"
    calls = [
        lambda: ledger.get_contact(admin(g), ada.id),
        lambda: ledger.find_contact(admin(g), email="ada@example.com"),
        lambda: ledger.history(admin(g), ada.id),
        lambda: ledger.check(sender(g), ada.id, "email", g),
        lambda: ledger.opt_out(admin(g), ada.id, "email", g),
        lambda: ledger.opt_in(staff(g), ada.id, "email", g, evidence=WRITTEN),
        lambda: ledger.record_bounce(sender(g), ada.id, "email"),
        lambda: ledger.status_at(admin(g), ada.id, "email", g, at=ledger.clock.now()),
    ]
    assert [code(c) for c in calls] == ["contact_not_found"] * len(calls)
    assert code(lambda: ledger.opt_out(admin(g), ada.id, "email", "acme")) in (
        "contact_not_found",
        "scope_not_found",
    )
    for segment in (Segment(), Segment([ada.id]), Segment(emails=["ada@example.com"])):
        audience = ledger.resolve_audience(sender(g), segment, "email", g)
        assert list(audience) == [] and not audience.excluded
    assert code(lambda: ledger.check(sender(g), ada.id, "email", "acme")) == "scope_not_found"


@pytest.mark.parametrize(
    ("level", "out", "expected"),
    [("acme", "hard", "hard_opt_out_locked"), ("acme/newsletters", "soft", "opted_out")],
)
def test_an_opt_out_above_the_scope_refuses_staff_opt_in_and_signup_below_it(
    ledger, level, out, expected
):
    ada = make_contact(ledger)
    if out == "hard":
        ledger.opt_out(as_contact(ada), ada.id, "email", level, source=Source.UNSUBSCRIBE_LINK)
    else:
        ledger.opt_out(admin(), ada.id, "email", level)
    before = count_rows(ledger)
    user = "acme/newsletters/ada"
    assert code(lambda: ledger.opt_in(staff(), ada.id, "email", user, evidence=WRITTEN)) == expected
    assert code(lambda: ledger.request_confirmation(sender_key(), ada.id, "email", user)) == (
        "opted_out"
    )
    assert count_rows(ledger) == before
    confirmation = ledger.check(sender(), ada.id, "email", user, category="opt_in_confirmation")
    assert not confirmation.allowed


def sender_key():
    """A signup form's API key: it may request confirmations (staff rights, via a key)."""
    from consentry.core.permissions import Principal, Role

    return Principal(Role.STAFF, "acme", "signup-form", via_key=True)
