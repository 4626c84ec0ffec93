"""Inbound text messages as use cases: STOP, START, HELP, free text, replays, races."""

from __future__ import annotations

import json

import pytest

from consentry.core.channels import Channel
from consentry.core.eligibility import Reason
from consentry.core.errors import (
    Forbidden,
    HardOptOutLocked,
    Invalid,
    InvalidMobile,
    NumberNotFound,
)
from consentry.core.events import Action, ActorKind, Source, Strength
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.core.permissions import Principal, Role
from consentry.ledger.inbound_steps import ReplyCategory
from consentry.ledger.numbers import inbound_principal
from tests.factories import (
    ADA_MOBILE,
    EVENTS,
    NEWS,
    WRITTEN,
    admin,
    as_contact,
    make_contact,
    receive_text,
    sender,
    staff,
)


def eligible(ledger, contact_id, channel="sms", scope="acme/newsletters"):
    return ledger.check(admin(), contact_id, channel, scope)


def test_stop_is_a_hard_opt_out_on_that_channel_at_the_numbers_scope(numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    numbers.opt_in(staff(), ada.id, "mms", "acme", evidence=WRITTEN)

    result = receive_text(numbers, "SM1", "STOP")

    assert result.outcome is Outcome.OPTED_OUT and result.contact_id == ada.id
    assert eligible(numbers, ada.id).reason is Reason.HARD_OPT_OUT
    assert eligible(numbers, ada.id, scope="acme/events").allowed  # another client's scope
    assert eligible(numbers, ada.id, "mms").allowed  # channels are independent
    event = numbers.history(admin(), ada.id, channel="sms")[-1]
    assert event.id == result.event_ids[0]
    assert event.scope_id == "acme/newsletters"
    assert event.strength is Strength.HARD and event.actor.kind is ActorKind.CONTACT
    assert event.source is Source.SMS_KEYWORD
    evidence = event.evidence_data or {}
    assert evidence["matched_rule"] == "keyword:stop"
    assert evidence["message_id"] == "SM1" and evidence["body"] == "STOP"
    assert evidence["from"] == ADA_MOBILE and evidence["to"] == NEWS


def test_stop_sends_exactly_one_confirmation_and_a_replay_writes_nothing(numbers):
    ada = make_contact(numbers)
    first = receive_text(numbers, "SM1", "stop")
    again = receive_text(numbers, "SM1", "stop")

    assert not first.replayed and again.replayed
    assert again.outcome is Outcome.OPTED_OUT and again.event_ids == first.event_ids
    assert again.reply is None
    assert len(numbers.history(admin(), ada.id)) == 1
    outbox = numbers.list_outbox(sender())
    assert len(outbox) == 1
    reply = outbox[0].message
    assert reply.category == ReplyCategory.OPT_OUT_CONFIRMATION.value
    assert reply.to == ADA_MOBILE and reply.sender == NEWS and reply.channel is Channel.SMS
    assert outbox[0].id == first.reply_id


def test_a_second_stop_is_recorded_but_not_confirmed_again(numbers):
    ada = make_contact(numbers)
    receive_text(numbers, "SM1", "STOP")
    second = receive_text(numbers, "SM2", "Stop!")
    assert second.outcome is Outcome.OPTED_OUT and second.reply is None
    assert len(numbers.history(admin(), ada.id)) == 2
    assert len(numbers.list_outbox(sender())) == 1


def test_start_after_stop_makes_the_contact_eligible_again(numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    receive_text(numbers, "SM1", "STOP")
    result = receive_text(numbers, "SM2", "start")

    assert result.outcome is Outcome.OPTED_IN and result.reply
    decision = eligible(numbers, ada.id)
    assert decision.allowed and decision.reason is Reason.OPTED_IN
    categories = sorted(i.message.category for i in numbers.list_outbox(sender()))
    assert categories == ["opt_in_acknowledgement", "opt_out_confirmation"]


def test_staff_and_admins_still_cannot_reverse_a_stop(numbers):
    ada = make_contact(numbers)
    receive_text(numbers, "SM1", "STOP")
    with pytest.raises(HardOptOutLocked):
        numbers.opt_in(admin(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    with pytest.raises(HardOptOutLocked):
        numbers.resubscribe(
            admin(), ada.id, "sms", "acme/newsletters", reason="contact_asked", evidence=WRITTEN
        )
    assert eligible(numbers, ada.id).reason is Reason.HARD_OPT_OUT


def test_help_replies_with_the_help_text_and_changes_nothing(numbers):
    ada = make_contact(numbers)
    result = receive_text(numbers, "SM1", "HELP", to=EVENTS)
    assert result.outcome is Outcome.HELP and result.event_ids == ()
    assert result.reply == "Acme Events: 0800 000 000"
    assert numbers.history(admin(), ada.id) == []
    [item] = numbers.list_outbox(sender())
    assert item.message.body == "Acme Events: 0800 000 000"
    assert item.message.category == "help"


def test_help_from_an_unknown_number_is_answered_without_creating_a_contact(numbers):
    result = receive_text(numbers, "SM1", "info", sender_number="+447700900555")
    assert result.outcome is Outcome.HELP and result.contact_id is None
    assert numbers.list_outbox(sender())[0].message.to == "+447700900555"


def test_stop_all_opts_out_at_the_group_on_every_channel_of_the_number(numbers):
    ada = make_contact(numbers)
    for channel in ("sms", "mms", "whatsapp", "voice"):
        numbers.opt_in(staff(), ada.id, channel, "acme/events/bob", evidence=WRITTEN)

    result = receive_text(numbers, "SM1", "STOP ALL")

    assert result.rule == "keyword:stop all" and len(result.event_ids) == 3
    for scope in ("acme/newsletters/ada", "acme/newsletters/alan", "acme/events/bob"):
        for channel in ("sms", "mms", "whatsapp"):
            decision = eligible(numbers, ada.id, channel, scope)
            assert decision.reason is Reason.HARD_OPT_OUT and decision.scope_id == "acme"
    assert eligible(numbers, ada.id, "voice", "acme/events/bob").allowed
    assert len(numbers.list_outbox(sender())) == 1


def test_stop_all_closes_the_open_confirmation_requests_below_the_group(numbers):
    """Decision 055: an opt-out at the group cancels the requests at clients and users below."""
    ada = make_contact(numbers)
    click = {"ip": "192.0.2.1"}
    for scope in ("acme/newsletters/ada", "acme/events"):
        numbers.request_confirmation(
            as_contact(ada), ada.id, "sms", scope, evidence=click, source=Source.PREFERENCE_CENTRE
        )
    numbers.request_confirmation(
        as_contact(ada), ada.id, "voice", "acme/events", evidence=click,
        source=Source.PREFERENCE_CENTRE,
    )  # fmt: skip
    result = receive_text(numbers, "SM1", "STOPALL")
    sms = numbers.history(admin(), ada.id, channel="sms")
    for scope in ("acme/newsletters/ada", "acme/events"):
        cancelled = [e for e in sms if e.scope_id == scope][-1]
        assert cancelled.action is Action.CONFIRMATION_CANCELLED
        assert json.loads(cancelled.evidence) == {"cancelled_by": result.event_ids[0]}
        assert cancelled.source is Source.SMS_KEYWORD
        decision = numbers.check(sender(), ada.id, "sms", scope, category="opt_in_confirmation")
        assert decision.reason is Reason.NO_CONFIRMATION_REQUEST
    voice = numbers.check(sender(), ada.id, "voice", "acme/events", category="opt_in_confirmation")
    assert voice.allowed  # another channel: its request stays open
    assert numbers.verify(admin()).ok


def test_start_after_stop_all_lifts_the_group_opt_out_on_that_channel(numbers):
    ada = make_contact(numbers)
    receive_text(numbers, "SM1", "STOPALL")
    receive_text(numbers, "SM2", "UNSTOP")
    assert eligible(numbers, ada.id, "sms", "acme/newsletters/ada").allowed
    assert eligible(numbers, ada.id, "mms").reason is Reason.HARD_OPT_OUT


def test_a_stop_from_an_unknown_mobile_creates_a_contact_that_stays_opted_out(numbers):
    result = receive_text(numbers, "SM1", "ARRÊT", sender_number="+44 7700 900456")
    assert result.outcome is Outcome.OPTED_OUT and result.contact_id
    contact = numbers.find_contact(admin(), mobile="+447700900456")
    assert contact.id == result.contact_id and contact.email is None
    assert eligible(numbers, contact.id).reason is Reason.HARD_OPT_OUT


def test_an_ordinary_message_changes_nothing_and_creates_no_contact(numbers):
    result = receive_text(numbers, "SM1", "stop by our shop", sender_number="+447700900457")
    assert result.outcome is Outcome.IGNORED and result.contact_id is None
    assert numbers.list_outbox(sender()) == []
    assert receive_text(numbers, "SM1", "STOP", sender_number="+447700900457").replayed


def test_a_free_text_opt_out_is_recorded_with_its_rule(numbers):
    ada = make_contact(numbers)
    result = receive_text(numbers, "SM1", "please stop texting me")
    assert result.rule == "free_text:en.stop_contacting"
    evidence = numbers.history(admin(), ada.id)[0].evidence_data or {}
    assert evidence["matched_rule"] == "free_text:en.stop_contacting"


def test_whatsapp_stop_is_an_opt_out_of_whatsapp_only(numbers):
    ada = make_contact(numbers)
    receive_text(numbers, "WA1", "STOP", sender_number=f"whatsapp:{ADA_MOBILE}", channel="whatsapp")
    assert eligible(numbers, ada.id, "whatsapp").reason is Reason.HARD_OPT_OUT
    assert eligible(numbers, ada.id, "sms").reason is Reason.NO_CONSENT
    assert numbers.list_outbox(sender())[0].message.channel is Channel.WHATSAPP


def test_an_inbound_message_comes_by_a_messaging_channel(numbers):
    with pytest.raises(Invalid):
        receive_text(numbers, "SM1", "STOP", channel="voice")
    with pytest.raises(Invalid) as empty:
        receive_text(numbers, " ", "STOP")
    with pytest.raises(Invalid) as too_long:
        receive_text(numbers, "S" * 201, "STOP")
    assert empty.value.details["field"] == too_long.value.details["field"] == "message_id"
    assert too_long.value.code == "text_too_long"


def test_start_when_already_opted_in_changes_nothing_and_says_nothing(numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", "acme/newsletters", evidence=WRITTEN)
    result = receive_text(numbers, "SM1", "START")
    assert result.outcome is Outcome.OPTED_IN and result.event_ids == () and result.reply is None
    assert numbers.list_outbox(sender()) == []


def test_an_unknown_receiving_number_is_refused(numbers):
    with pytest.raises(NumberNotFound) as refused:
        inbound_principal(numbers.context, "twilio", "+447700900999")
    assert refused.value.code == "number_not_found"
    with pytest.raises(NumberNotFound):
        numbers.receive_message(sender(), "twilio", "SM1", ADA_MOBILE, "+447700900999", "STOP")


def test_another_groups_sender_cannot_deliver_to_acmes_number(numbers):
    with pytest.raises(NumberNotFound):
        numbers.receive_message(sender("globex"), "twilio", "SM1", ADA_MOBILE, NEWS, "STOP")


def test_a_sender_key_of_another_client_cannot_deliver_to_this_number(numbers):
    # numbers at scopes a key cannot read are invisible to it (no probing of other clients)
    with pytest.raises(NumberNotFound):
        numbers.receive_message(sender("acme/events"), "twilio", "SM1", ADA_MOBILE, NEWS, "STOP")
    result = numbers.receive_message(
        sender("acme/newsletters"), "p", "SM1", ADA_MOBILE, NEWS, "STOP"
    )
    assert result.outcome is Outcome.OPTED_OUT


def test_staff_may_not_deliver_inbound_messages(numbers):
    with pytest.raises(Forbidden):
        numbers.receive_message(staff(), "twilio", "SM1", ADA_MOBILE, NEWS, "STOP")


def test_a_sender_that_is_not_a_phone_number_is_refused(numbers):
    with pytest.raises(InvalidMobile):
        receive_text(numbers, "SM1", "STOP", sender_number="not-a-number")


def test_the_ledger_still_verifies_after_inbound_events(numbers):
    make_contact(numbers)
    receive_text(numbers, "SM1", "STOP")
    receive_text(numbers, "SM2", "START")
    system = Principal(Role.SYSTEM, "acme", "operator")
    assert numbers.verify(system).ok


def run_together(*calls):
    """Start the calls at the same moment on threads; their results (or errors)."""
    import threading

    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(n, call):
        barrier.wait()
        try:
            results[n] = call()
        except Exception as exc:  # reported below
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_webhook_delivered_twice_at_once_is_one_event_and_one_reply(numbers):
    stranger = "+447700900458"
    results = run_together(
        *[lambda: receive_text(numbers, "SM1", "STOP", sender_number=stranger) for _ in range(3)]
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(not r.replayed for r in results) == 1
    contact = numbers.find_contact(admin(), mobile=stranger)
    assert len(numbers.history(admin(), contact.id)) == 1
    assert len(numbers.list_outbox(sender())) == 1


def test_two_stops_from_a_new_number_at_once_make_one_contact(numbers):
    stranger = "+447700900459"
    results = run_together(
        lambda: receive_text(numbers, "SM1", "STOP", sender_number=stranger),
        lambda: receive_text(numbers, "SM2", "STOP", sender_number=stranger),
    )
    assert all(not isinstance(r, Exception) for r in results), results
    assert results[0].contact_id == results[1].contact_id
    assert len(numbers.history(admin(), results[0].contact_id)) == 2
