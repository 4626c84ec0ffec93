"""Keys pressed during a call: the number's unsubscribe digit opts the caller out of voice."""

from __future__ import annotations

from consentry.core.eligibility import Reason
from consentry.core.events import Source, Strength
from consentry.core.messaging import InboundOutcome as Outcome
from consentry.ledger.numbers import inbound_principal
from tests.factories import ADA_MOBILE, EVENTS, WRITTEN, admin, make_contact, sender, staff


def eligible(ledger, contact_id, channel="sms", scope="acme/newsletters"):
    return ledger.check(admin(), contact_id, channel, scope)


def test_the_unsubscribe_digit_is_a_hard_opt_out_of_voice(numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "voice", "acme", evidence=WRITTEN)
    principal = inbound_principal(numbers.context, "twilio", EVENTS)

    result = numbers.press_key(principal, "twilio", "CA1", ADA_MOBILE, EVENTS, "9#")
    again = numbers.press_key(principal, "twilio", "CA1", ADA_MOBILE, EVENTS, "9")

    assert result.outcome is Outcome.OPTED_OUT and result.rule == "keypad:9"
    assert again.replayed and again.event_ids == result.event_ids
    decision = eligible(numbers, ada.id, "voice", "acme/events/bob")
    assert decision.reason is Reason.HARD_OPT_OUT
    [event] = numbers.history(admin(), ada.id, channel="voice")[1:]
    assert event.source is Source.VOICE_KEYPAD and event.strength is Strength.HARD
    assert eligible(numbers, ada.id, "sms", "acme/events").reason is Reason.NO_CONSENT
    assert numbers.list_outbox(sender()) == []


def test_another_digit_changes_nothing(numbers):
    ada = make_contact(numbers)
    principal = inbound_principal(numbers.context, "twilio", EVENTS)
    result = numbers.press_key(principal, "twilio", "CA1", ADA_MOBILE, EVENTS, "1")
    assert result.outcome is Outcome.IGNORED
    assert numbers.history(admin(), ada.id) == []


def test_the_unsubscribe_digit_is_configurable(numbers):
    numbers.configure_number(
        admin(), EVENTS, "acme/events", channels=["sms", "voice"], unsubscribe_digit="*"
    )
    principal = inbound_principal(numbers.context, "twilio", EVENTS)
    assert (
        numbers.press_key(principal, "twilio", "CA1", ADA_MOBILE, EVENTS, "9").outcome
        is Outcome.IGNORED
    )
    assert (
        numbers.press_key(principal, "twilio", "CA2", ADA_MOBILE, EVENTS, "*").outcome
        is Outcome.OPTED_OUT
    )
