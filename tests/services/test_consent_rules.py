"""The consent rules that leaked (issue 8, item 7), through the Ledger on SQLite and PostgreSQL.

Each section is one rule, written from SPEC §1-§5 and its decision page (053-058), not from the
code under test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.core.channels import Channel
from consentry.core.contacts import ContactDetails
from consentry.core.eligibility import Reason
from consentry.core.errors import ConsentryError
from consentry.core.events import Action, ActorKind, Source, Strength
from consentry.core.links import LinkClaims, LinkPurpose
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
)

CLICK = {"ip": "192.0.2.1", "user_agent": "Mail/1.0"}
STOP = {"inbound": "STOP"}
ASKED = {"ticket": "#4521: the mailbox works again"}


def refusal(call) -> ConsentryError:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value


def code(call) -> str:
    return refusal(call).code


def status(ledger, contact, channel="email", scope="acme"):
    return ledger.status_at(admin(), contact.id, channel, scope, at=ledger.clock.now()).status


def reason(ledger, contact, channel="email", scope="acme", category="marketing"):
    return ledger.check(sender(), contact.id, channel, scope, category=category).reason


def confirm_token(ledger, contact, scope, channel="email", days=7):
    """The signed confirmation link's token, as the contact's message carries it."""
    claims = LinkClaims(
        LinkPurpose.CONFIRM,
        contact.id,
        scope,
        (Channel(channel),),
        ledger.clock.now() + timedelta(days=days),
    )
    return ledger.signer.sign(claims)


def unsubscribe(ledger, contact, channel="email", scope="acme"):
    """The contact's own hard opt-out through an unsubscribe link."""
    return ledger.opt_out(
        as_contact(contact), contact.id, channel, scope, source=Source.UNSUBSCRIBE_LINK
    )


def asks_back(ledger, contact, channel="email", scope="acme"):
    """The contact asks to opt back in on the preference page (opens a request)."""
    return ledger.request_confirmation(
        as_contact(contact),
        contact.id,
        channel,
        scope,
        evidence=CLICK,
        source=Source.PREFERENCE_CENTRE,
    )


# ── 053: a spam complaint is the contact's own hard opt-out ──


def test_a_complaint_records_the_contacts_hard_opt_out_at_the_group(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme/newsletters", evidence=WRITTEN)
    complaint = ledger.record_complaint(
        sender("acme/newsletters"), ada.id, "email", evidence={"feedback_loop": "abuse"}
    )
    assert complaint.action is Action.COMPLAINED
    *_, complained, opted_out = ledger.history(admin(), ada.id, channel="email")
    assert complained == complaint
    assert (opted_out.action, opted_out.strength, opted_out.scope_id) == (
        Action.OPTED_OUT,
        Strength.HARD,
        "acme",
    )
    assert (opted_out.actor.kind, opted_out.actor.id) == (ActorKind.CONTACT, ada.id)
    assert opted_out.source is Source.BOUNCE_FEED
    assert opted_out.evidence_data == {"complaint": complaint.id}
    assert status(ledger, ada) is Status.HARD_OPT_OUT
    assert status(ledger, ada, "sms") is Status.NONE  # only the complaint's channel
    assert reason(ledger, ada, scope="acme/events") is Reason.COMPLAINED


def test_clearing_a_complaint_leaves_its_hard_opt_out_which_only_the_contact_lifts(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    ledger.record_complaint(sender(), ada.id, "email")
    ledger.clear_suppression(admin(), ada.id, "email", suppression="complained", evidence=ASKED)
    assert reason(ledger, ada) is Reason.HARD_OPT_OUT
    before = count_rows(ledger)
    for who in (staff, admin):
        assert code(
            lambda w=who: ledger.opt_in(w(), ada.id, "email", "acme", evidence=WRITTEN)
        ) == ("hard_opt_out_locked")
    assert count_rows(ledger) == before
    asks_back(ledger, ada)
    ledger.confirm(as_contact(ada), ada.id, "email", "acme", evidence=CLICK)
    assert ledger.check(sender(), ada.id, "email", "acme").allowed


def test_a_complaint_closes_the_requests_it_overrides(ledger):
    ada = make_contact(ledger)
    unsubscribe(ledger, ada, scope="acme/newsletters")
    asks_back(ledger, ada, scope="acme/newsletters")
    ledger.record_complaint(sender(), ada.id, "email")
    assert reason(ledger, ada, scope="acme/newsletters", category="opt_in_confirmation") is (
        Reason.COMPLAINED
    )
    me = as_contact(ada)
    assert code(
        lambda: ledger.confirm(me, ada.id, "email", "acme/newsletters", evidence=CLICK)
    ) == ("invalid_transition")


# ── 054: who may act as the contact ──


@pytest.mark.parametrize(
    "source",
    [
        Source.PREFERENCE_CENTRE,
        Source.UNSUBSCRIBE_LINK,
        Source.ONE_CLICK,
        Source.VOICE_KEYPAD,
        Source.CONFIRMATION_LINK,
    ],
)
def test_a_sender_cannot_opt_in_as_the_contact_but_by_their_start(ledger, source):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")  # a soft opt-out: the leak re-subscribed it
    before = count_rows(ledger)
    error = refusal(
        lambda: ledger.opt_in(sender(), ada.id, "email", "acme", evidence=CLICK, source=source)
    )
    assert (error.code, error.details["source"]) == ("forbidden", source.value)
    assert count_rows(ledger) == before
    assert status(ledger, ada) is Status.SOFT_OPT_OUT


def test_a_sender_cannot_resubscribe_as_the_contact(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    call = lambda: ledger.resubscribe(  # noqa: E731
        sender(), ada.id, "email", "acme", reason="contact_asked", evidence=CLICK,
        source=Source.PREFERENCE_CENTRE,
    )  # fmt: skip
    assert code(call) == "forbidden"
    assert status(ledger, ada) is Status.SOFT_OPT_OUT


@pytest.mark.parametrize("how", ["soft", "hard"])
def test_a_relayed_opt_back_in_button_only_starts_the_confirmation_flow(ledger, how):
    ada = make_contact(ledger)
    if how == "soft":
        ledger.opt_out(admin(), ada.id, "email", "acme")
    else:
        unsubscribe(ledger, ada)
    expected = Status.SOFT_OPT_OUT if how == "soft" else Status.HARD_OPT_OUT
    request = ledger.request_confirmation(
        sender(), ada.id, "email", "acme", evidence=CLICK, source=Source.PREFERENCE_CENTRE
    )
    assert (request.actor.kind, request.strength) == (ActorKind.CONTACT, Strength.HARD)
    assert status(ledger, ada) is expected
    assert reason(ledger, ada, category="opt_in_confirmation") is Reason.OPT_IN_CONFIRMATION
    before = count_rows(ledger)
    relay = lambda token: ledger.confirm(  # noqa: E731
        sender(), ada.id, "email", "acme", evidence=CLICK, token=token
    )
    assert code(lambda: relay(None)) == "forbidden"
    assert code(lambda: relay("k1.not.signed")) == "link_invalid"
    assert code(lambda: relay(confirm_token(ledger, ada, "acme/events"))) == "link_invalid"
    assert code(lambda: relay(confirm_token(ledger, ada, "acme", "sms"))) == "link_invalid"
    assert count_rows(ledger) == before and status(ledger, ada) is expected
    confirmed = relay(confirm_token(ledger, ada, "acme"))  # the link the contact followed
    assert (confirmed.action, confirmed.actor.kind) == (Action.CONFIRMED, ActorKind.CONTACT)
    assert ledger.check(sender(), ada.id, "email", "acme").allowed


def test_a_confirmation_link_for_another_contact_confirms_nothing(ledger):
    ada = make_contact(ledger)
    bob = make_contact(ledger, "bob@example.com", "+447700900456")
    for person in (ada, bob):
        ledger.request_confirmation(staff(), person.id, "email", "acme")
    bobs = confirm_token(ledger, bob, "acme")
    assert code(
        lambda: ledger.confirm(sender(), ada.id, "email", "acme", evidence=CLICK, token=bobs)
    ) == ("link_invalid")
    assert status(ledger, ada) is Status.PENDING


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        (Source.VOICE_KEYPAD, "sms"),
        (Source.VOICE_KEYPAD, "email"),
        (Source.SMS_KEYWORD, "email"),
        (Source.SMS_KEYWORD, "voice"),
        (Source.SMS_KEYWORD, "post"),
        (Source.ONE_CLICK, "sms"),
        (Source.ONE_CLICK, "voice"),
    ],
)
def test_a_relayed_source_must_arrive_on_the_channel(ledger, source, channel):
    ada = make_contact(ledger, postal_address="1 High St")
    before = count_rows(ledger)
    error = refusal(lambda: ledger.opt_out(sender(), ada.id, channel, "acme", source=source))
    assert (error.code, error.details) == (
        "invalid_source",
        {"source": source.value, "channel": channel},
    )
    assert count_rows(ledger) == before


@pytest.mark.parametrize(
    ("source", "channel"),
    [
        (Source.SMS_KEYWORD, "sms"),
        (Source.SMS_KEYWORD, "whatsapp"),
        (Source.SMS_KEYWORD, "mms"),
        (Source.SMS_KEYWORD, "rcs"),
        (Source.VOICE_KEYPAD, "voice"),
        (Source.ONE_CLICK, "email"),
        (Source.UNSUBSCRIBE_LINK, "sms"),
        (Source.UNSUBSCRIBE_LINK, "post"),
        (Source.PREFERENCE_CENTRE, "push"),
    ],
)
def test_a_relayed_opt_out_on_its_own_channel_is_the_contacts_hard_opt_out(ledger, source, channel):
    ada = make_contact(ledger, postal_address="1 High St", push_token="tok-1")
    event = ledger.opt_out(sender(), ada.id, channel, "acme", source=source)
    assert (event.actor.kind, event.strength) == (ActorKind.CONTACT, Strength.HARD)


def test_the_relay_checks_role_then_scope_then_the_channel(ledger):
    ada = make_contact(ledger)
    out = lambda who: ledger.opt_out(  # noqa: E731
        who, ada.id, "sms", "acme/events", source=Source.VOICE_KEYPAD
    )
    assert code(lambda: out(admin())) == "forbidden"
    assert code(lambda: out(sender("acme/newsletters"))) == "out_of_scope"
    assert code(lambda: out(sender())) == "invalid_source"


def test_the_operator_relays_under_the_same_rules(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "sms", "acme")
    call = lambda: ledger.opt_in(  # noqa: E731
        system(), ada.id, "sms", "acme", evidence=CLICK, source=Source.PREFERENCE_CENTRE
    )
    assert code(call) == "forbidden"
    assert code(
        lambda: ledger.opt_out(system(), ada.id, "sms", "acme", source=Source.ONE_CLICK)
    ) == ("invalid_source")


# ── 055: an opt-out closes the requests it overrides ──


def test_a_soft_opt_out_over_a_hard_one_closes_the_contacts_open_request(ledger):
    ada = make_contact(ledger)
    unsubscribe(ledger, ada)
    asks_back(ledger, ada)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    me = as_contact(ada)
    assert code(lambda: ledger.confirm(me, ada.id, "email", "acme", evidence=CLICK)) == (
        "invalid_transition"
    )
    assert status(ledger, ada) is Status.HARD_OPT_OUT
    assert reason(ledger, ada, category="opt_in_confirmation") is Reason.NO_CONFIRMATION_REQUEST


def test_a_relayed_confirmation_after_a_later_opt_out_confirms_nothing(ledger):
    ada = make_contact(ledger)
    unsubscribe(ledger, ada)
    asks_back(ledger, ada)
    token = confirm_token(ledger, ada, "acme")  # the old link in the confirmation message
    unsubscribe(ledger, ada)
    call = lambda: ledger.confirm(  # noqa: E731
        sender(), ada.id, "email", "acme", evidence=CLICK, token=token
    )
    assert code(call) == "invalid_transition"
    assert status(ledger, ada) is Status.HARD_OPT_OUT


@pytest.mark.parametrize("by", ["contact", "admin"])
def test_a_group_opt_out_cancels_the_requests_below_it(ledger, by):
    ada = make_contact(ledger)
    unsubscribe(ledger, ada, scope="acme/newsletters")
    asks_back(ledger, ada, scope="acme/newsletters")
    ledger.request_confirmation(staff(), ada.id, "email", "acme/events/bob")  # a signup
    if by == "contact":
        opt_out = unsubscribe(ledger, ada, scope="acme")
    else:
        opt_out = ledger.opt_out(admin(), ada.id, "email", "acme")
    cancelled = [
        e for e in ledger.history(admin(), ada.id) if e.action is Action.CONFIRMATION_CANCELLED
    ]
    assert sorted(e.scope_id for e in cancelled) == ["acme/events/bob", "acme/newsletters"]
    assert {(e.actor, e.source) for e in cancelled} == {(opt_out.actor, opt_out.source)}
    assert all(e.evidence_data == {"cancelled_by": opt_out.id} for e in cancelled)
    assert status(ledger, ada, scope="acme/newsletters") is Status.HARD_OPT_OUT
    assert status(ledger, ada, scope="acme/events/bob") is Status.NONE
    me = as_contact(ada)
    for scope in ("acme/newsletters", "acme/events/bob"):
        assert code(lambda s=scope: ledger.confirm(me, ada.id, "email", s, evidence=CLICK)) == (
            "invalid_transition"
        )
        assert reason(ledger, ada, scope=scope, category="opt_in_confirmation") is (
            Reason.NO_CONFIRMATION_REQUEST
        )


def test_an_opt_out_leaves_requests_beside_or_above_it_and_on_other_channels(ledger):
    ada = make_contact(ledger)
    for channel in ("email", "sms"):
        ledger.request_confirmation(staff(), ada.id, channel, "acme")
    ledger.request_confirmation(staff(), ada.id, "email", "acme/events")
    unsubscribe(ledger, ada, scope="acme/newsletters")
    assert not [e for e in ledger.history(admin(), ada.id) if e.action.value.endswith("cancelled")]
    for channel, scope in (("email", "acme"), ("sms", "acme"), ("email", "acme/events")):
        assert status(ledger, ada, channel, scope) is Status.PENDING


# ── 056: a staff or admin opt-in carries a record of written permission ──


@pytest.mark.parametrize(
    "evidence",
    [
        {"kind": "note"},
        {"written_permission": "Email of 2026-01-02: 'Yes, please text me offers.'"},
        {"written_permission": "email", "given_at": "2026-01-02"},
        {"written_permission": "email", "reference": "inbox, 2 Jan"},
        {"written_permission": "verbal", "given_at": "2026-01-02", "reference": "phone call"},
        {"written_permission": "email", "given_at": "2 Jan", "reference": "inbox"},
        {"written_permission": "email", "given_at": "2026-01-02T10:00", "reference": "inbox"},
        {"written_permission": "email", "given_at": "2026-01-09", "reference": "inbox"},
        {**WRITTEN, "file_sha256": "not-a-hash"},
        {**WRITTEN, "reference": "  "},
    ],
)
@pytest.mark.parametrize("who", [staff, admin, system])
def test_an_opt_in_without_a_record_of_written_permission_is_refused(ledger, who, evidence):
    ada = make_contact(ledger)
    before = count_rows(ledger)
    error = refusal(lambda: ledger.opt_in(who(), ada.id, "sms", "acme", evidence=evidence))
    assert error.code == "evidence_required"
    assert error.details["required"] == ["written_permission", "given_at", "reference"]
    assert error.details["problems"]
    assert count_rows(ledger) == before


@pytest.mark.parametrize(
    "evidence",
    [
        WRITTEN,
        {**WRITTEN, "given_at": "2026-01-05T08:59:00Z"},
        {**WRITTEN, "given_at": "2026-01-05T10:00:00+02:00"},
        {**WRITTEN, "written_permission": "signed_form", "file_sha256": "ab" * 32},
        {**WRITTEN, "written_permission": "document", "taken_by": "front desk"},
        {**WRITTEN, "written_permission": "message"},
    ],
)
def test_a_complete_record_of_written_permission_is_accepted_and_kept(ledger, evidence):
    ada = make_contact(ledger)
    event = ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=evidence)
    assert event.evidence_data == evidence
    assert ledger.check(sender(), ada.id, "sms", "acme").allowed


def test_permission_is_judged_against_when_the_opt_in_happened(ledger):
    ada = make_contact(ledger)
    earlier = ledger.clock.now() - timedelta(days=10)
    late = {**WRITTEN, "given_at": "2026-01-02"}
    assert code(
        lambda: ledger.opt_in(staff(), ada.id, "sms", "acme", evidence=late, occurred_at=earlier)
    ) == ("evidence_required")
    ledger.opt_in(
        staff(), ada.id, "sms", "acme", evidence={**late, "given_at": "2025-12-20"},
        occurred_at=earlier,
    )  # fmt: skip


def test_the_contacts_own_start_needs_no_record_of_written_permission(ledger):
    ada = make_contact(ledger)
    event = ledger.opt_in(sender(), ada.id, "sms", "acme", evidence=STOP, source=Source.SMS_KEYWORD)
    assert event.actor.kind is ActorKind.CONTACT


def test_a_double_opt_in_needs_no_record_the_contacts_click_is_the_proof(ledger):
    ada = make_contact(ledger)
    ledger.request_confirmation(staff(), ada.id, "email", "acme", evidence={"form": "footer"})
    ledger.confirm(as_contact(ada), ada.id, "email", "acme", evidence=CLICK)
    assert ledger.check(sender(), ada.id, "email", "acme").allowed


# ── 057: clearing names the suppression it lifts ──


def test_clearing_must_name_the_suppression_the_address_has(ledger):
    ada = make_contact(ledger)
    clear = lambda kind: ledger.clear_suppression(  # noqa: E731
        admin(), ada.id, "email", suppression=kind, evidence=ASKED
    )
    before = count_rows(ledger)
    error = refusal(lambda: clear("bounced"))
    assert (error.code, error.details) == (
        "not_suppressed",
        {"channel": "email", "suppression": None},
    )
    ledger.record_bounce(sender(), ada.id, "email")
    before = count_rows(ledger)
    error = refusal(lambda: clear("complained"))
    assert (error.code, error.details["suppression"]) == ("not_suppressed", "bounced")
    assert code(lambda: clear("spam")) == "invalid"
    assert count_rows(ledger) == before
    assert reason(ledger, ada) is Reason.BOUNCED
    cleared = clear("bounced")
    assert (cleared.action, cleared.reason) == (Action.SUPPRESSION_CLEARED, "admin_decision")
    assert reason(ledger, ada) is Reason.NO_CONSENT


def test_lifting_a_bounce_leaves_a_complaint_beneath_it(ledger):
    ada = make_contact(ledger)
    ledger.record_complaint(sender(), ada.id, "email")
    ledger.record_bounce(sender(), ada.id, "email")
    assert reason(ledger, ada) is Reason.BOUNCED
    ledger.clear_suppression(admin(), ada.id, "email", suppression="bounced", evidence=ASKED)
    assert reason(ledger, ada, category="transactional") is Reason.COMPLAINED
    ledger.clear_suppression(admin(), ada.id, "email", suppression="complained", evidence=ASKED)
    assert reason(ledger, ada, category="transactional") is Reason.TRANSACTIONAL
    assert reason(ledger, ada) is Reason.HARD_OPT_OUT  # the complaint's own opt-out (053)


def test_clearing_checks_role_and_scope_before_the_request(ledger):
    ada = make_contact(ledger)
    for bad in ({"channel": "fax"}, {"suppression": "spam"}, {"evidence": None}):
        args = {"channel": "email", "suppression": "bounced", "evidence": ASKED, **bad}
        chan = args.pop("channel")
        call = lambda w, a=args, c=chan: ledger.clear_suppression(w, ada.id, c, **a)  # noqa: E731
        assert code(lambda c=call: c(staff())) == "forbidden"
        assert code(lambda c=call: c(sender())) == "forbidden"
        assert code(lambda c=call: c(admin("acme/newsletters"))) == "out_of_scope"
        assert code(lambda c=call: c(admin())) in (
            "invalid_channel",
            "invalid",
            "evidence_required",
        )


@pytest.mark.parametrize("report", ["record_bounce", "record_complaint"])
def test_a_report_on_a_channel_without_an_address_is_refused(ledger, report):
    nobody = ledger.add_contact(staff(), ContactDetails(email="ada@example.com"))
    before = count_rows(ledger)
    for channel in ("sms", "voice", "post", "push"):
        error = refusal(lambda c=channel: getattr(ledger, report)(sender(), nobody.id, c))
        assert (error.code, error.details) == ("no_address", {"channel": channel})
    assert count_rows(ledger) == before
    getattr(ledger, report)(sender(), nobody.id, "email")


# ── 058: opt-ins and signups judged by the scopes above ──


@pytest.mark.parametrize(
    ("above", "expected"), [("soft", "opted_out"), ("hard", "hard_opt_out_locked")]
)
def test_a_staff_opt_in_is_judged_by_an_opt_out_above_its_scope(ledger, above, expected):
    ada = make_contact(ledger)
    if above == "soft":
        ledger.opt_out(admin(), ada.id, "email", "acme")
    else:
        unsubscribe(ledger, ada)
    before = count_rows(ledger)
    for scope in ("acme/newsletters", "acme/newsletters/ada"):
        assert code(
            lambda s=scope: ledger.opt_in(staff(), ada.id, "email", s, evidence=WRITTEN)
        ) == (expected)
        assert code(lambda s=scope: ledger.request_confirmation(staff(), ada.id, "email", s)) == (
            "opted_out"
        )
    assert count_rows(ledger) == before


def test_an_opt_out_below_does_not_judge_an_opt_in_above_or_beside_it(ledger):
    ada = make_contact(ledger)
    unsubscribe(ledger, ada, scope="acme/newsletters/ada")
    ledger.opt_in(staff(), ada.id, "email", "acme/newsletters", evidence=WRITTEN)
    ledger.request_confirmation(staff(), ada.id, "email", "acme/events")
    assert reason(ledger, ada, scope="acme/newsletters/alan") is Reason.OPTED_IN
    assert reason(ledger, ada, scope="acme/newsletters/ada") is Reason.HARD_OPT_OUT


def test_the_contacts_own_opt_in_is_judged_at_its_scope_and_the_opt_out_above_still_wins(ledger):
    ada = make_contact(ledger)
    ledger.opt_out(admin(), ada.id, "email", "acme")
    me = as_contact(ada)
    ledger.opt_in(
        me, ada.id, "email", "acme/newsletters", evidence=CLICK, source=Source.PREFERENCE_CENTRE
    )
    assert status(ledger, ada, scope="acme/newsletters") is Status.OPTED_IN
    assert reason(ledger, ada, scope="acme/newsletters") is Reason.SOFT_OPT_OUT


def test_a_signup_on_a_scope_already_opted_in_is_refused_but_below_it_is_a_request(ledger):
    ada = make_contact(ledger)
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    before = count_rows(ledger)
    error = refusal(lambda: ledger.request_confirmation(staff(), ada.id, "email", "acme"))
    assert (error.code, error.details) == ("invalid_transition", {"status": "opted_in"})
    assert count_rows(ledger) == before
    ledger.request_confirmation(staff(), ada.id, "email", "acme/newsletters")
    assert status(ledger, ada, scope="acme/newsletters") is Status.PENDING
    assert reason(ledger, ada, scope="acme/newsletters") is Reason.OPTED_IN  # the group's opt-in
    again = ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)  # fresh evidence
    assert again.action is Action.OPTED_IN
