"""The inbound webhooks through a real FastAPI app (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from consentry.core.eligibility import Reason
from consentry.core.keywords import DEFAULT_WORDS, KeywordKind
from tests.factories import T0, WRITTEN, admin, make_contact, sender, staff
from tests.inbound.conftest import (
    ADA,
    EVENTS,
    NEWS,
    PUBLIC,
    generic_post,
    sms,
    twilio_post,
)

MESSAGES = "/v1/inbound/twilio/messages"
VOICE = "/v1/inbound/twilio/voice"
NOW = int(T0.timestamp())


def assert_refused(response, code="signature_invalid", status=403):
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_a_signed_stop_opts_out_and_answers_with_empty_twiml(client, numbers):
    ada = make_contact(numbers)
    response = twilio_post(client, MESSAGES, sms("SM1", "STOP"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").reason is Reason.HARD_OPT_OUT


def test_a_replayed_webhook_is_one_event_and_one_reply(client, numbers):
    ada = make_contact(numbers)
    for _ in range(3):
        assert twilio_post(client, MESSAGES, sms("SM1", "STOP")).status_code == 200
    assert len(numbers.history(admin(), ada.id)) == 1
    assert len(numbers.list_outbox(sender())) == 1


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda p: {**p, "Body": "START"}, id="tampered-param"),
        pytest.param(lambda p: {**p, "Extra": "1"}, id="added-param"),
        pytest.param(lambda p: {k: v for k, v in p.items() if k != "NumMedia"}, id="removed"),
    ],
)
def test_a_changed_form_is_refused(client, numbers, change):
    params = sms("SM1", "STOP")
    from consentry.inbound.signatures import twilio_signature

    signature = twilio_signature("12345", PUBLIC + MESSAGES, params.items())
    response = client.post(MESSAGES, data=change(params), headers={"X-Twilio-Signature": signature})
    assert_refused(response)
    assert numbers.list_outbox(sender()) == []


def test_a_signature_for_another_host_is_refused(client):
    other = "https://attacker.example" + MESSAGES
    assert_refused(twilio_post(client, MESSAGES, sms("SM1", "STOP"), url=other))


def test_a_signature_made_with_another_token_is_refused(client):
    assert_refused(twilio_post(client, MESSAGES, sms("SM1", "STOP"), token="54321"))


def test_a_missing_signature_is_refused(client, numbers):
    ada = make_contact(numbers)
    assert_refused(twilio_post(client, MESSAGES, sms("SM1", "STOP"), headers={}))
    assert numbers.history(admin(), ada.id) == []


def test_the_query_string_is_part_of_the_signed_url(client):
    path = MESSAGES + "?account=acme"
    assert twilio_post(client, path, sms("SM1", "HELP")).status_code == 200
    assert_refused(twilio_post(client, path, sms("SM2", "HELP"), url=PUBLIC + MESSAGES))


@pytest.mark.parametrize(
    ("language", "word"),
    [
        (language, word)
        for language, table in DEFAULT_WORDS.items()
        for word in table[KeywordKind.OPT_OUT][:3]
    ],
)
def test_opt_out_keywords_in_every_language_work_through_the_webhook(
    client, numbers, language, word
):
    ada = make_contact(numbers)
    response = twilio_post(client, MESSAGES, sms(f"SM-{language}-{word}", f"  {word.lower()}! "))
    assert response.status_code == 200
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").reason is Reason.HARD_OPT_OUT


def test_free_text_vs_a_message_that_merely_contains_the_word(client, numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "sms", "acme", evidence=WRITTEN)
    twilio_post(client, MESSAGES, sms("SM1", "Stop by our shop this weekend?"))
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").allowed
    twilio_post(client, MESSAGES, sms("SM2", "Take me off your list."))
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").reason is Reason.HARD_OPT_OUT


def test_start_after_stop_through_the_webhook(client, numbers):
    ada = make_contact(numbers)
    twilio_post(client, MESSAGES, sms("SM1", "STOP"))
    twilio_post(client, MESSAGES, sms("SM2", "Start"))
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").allowed


def test_mms_and_whatsapp_are_told_apart(client, numbers):
    ada = make_contact(numbers)
    twilio_post(client, MESSAGES, sms("MM1", "STOP", NumMedia="1"))
    wa = sms("WA1", "STOP", sender=f"whatsapp:{ADA}", to=f"whatsapp:{NEWS}")
    twilio_post(client, MESSAGES, wa)
    assert numbers.check(admin(), ada.id, "mms", "acme/newsletters").reason is Reason.HARD_OPT_OUT
    assert (
        numbers.check(admin(), ada.id, "whatsapp", "acme/newsletters").reason is Reason.HARD_OPT_OUT
    )
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").reason is Reason.NO_CONSENT


def test_an_unknown_receiving_number_is_404(client):
    response = twilio_post(client, MESSAGES, sms("SM1", "STOP", to="+447700900999"))
    assert_refused(response, "number_not_found", 404)


def test_a_message_without_an_id_is_422(client):
    params = sms("", "STOP")
    assert_refused(twilio_post(client, MESSAGES, params), "invalid", 422)


def test_the_keypad_digit_on_an_outbound_call_opts_the_callee_out_of_voice(client, numbers):
    ada = make_contact(numbers)
    numbers.opt_in(staff(), ada.id, "voice", "acme", evidence=WRITTEN)
    call = {"CallSid": "CA1", "From": EVENTS, "To": ADA, "Digits": "9", "Direction": "outbound-api"}
    response = twilio_post(client, VOICE, call)
    assert response.status_code == 200
    assert "<Say>" in response.text and "<Hangup/>" in response.text
    assert numbers.check(admin(), ada.id, "voice", "acme/events").reason is Reason.HARD_OPT_OUT
    twilio_post(client, VOICE, call)  # Twilio retries
    assert len(numbers.history(admin(), ada.id, channel="voice")) == 2  # the opt-in and one opt-out


def test_the_keypad_on_an_inbound_call_uses_the_caller(client, numbers):
    ada = make_contact(numbers)
    call = {"CallSid": "CA2", "From": ADA, "To": EVENTS, "Digits": "9", "Direction": "inbound"}
    twilio_post(client, VOICE, call)
    assert numbers.check(admin(), ada.id, "voice", "acme/events").reason is Reason.HARD_OPT_OUT


def test_another_digit_answers_empty_twiml(client):
    call = {"CallSid": "CA3", "From": ADA, "To": EVENTS, "Digits": "1"}
    response = twilio_post(client, VOICE, call)
    assert response.status_code == 200 and response.text.endswith("<Response/>")


def test_the_voice_webhook_checks_the_signature(client):
    call = {"CallSid": "CA4", "From": ADA, "To": EVENTS, "Digits": "9"}
    assert_refused(twilio_post(client, VOICE, call, token="wrong"))


def generic(sid="G1", body="STOP", **more):
    return {
        "provider": "acme-sms",
        "message_id": sid,
        "from": ADA,
        "to": NEWS,
        "body": body,
        **more,
    }


def test_a_signed_generic_message_is_acted_on_once(client, numbers):
    ada = make_contact(numbers)
    first = generic_post(client, generic(), NOW)
    again = generic_post(client, generic(), NOW)
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "opted_out" and not first.json()["replayed"]
    assert again.json()["replayed"] and again.json()["event_ids"] == first.json()["event_ids"]
    assert len(numbers.history(admin(), ada.id)) == 1
    assert len(numbers.list_outbox(sender())) == 1


def test_a_generic_keypress(client, numbers):
    ada = make_contact(numbers)
    payload: dict[str, object] = {
        "type": "keypress",
        "call_id": "C1",
        "from": ADA,
        "to": EVENTS,
        "digits": "9",
    }
    response = generic_post(client, payload, NOW)
    assert response.json()["outcome"] == "opted_out"
    assert numbers.check(admin(), ada.id, "voice", "acme/events").reason is Reason.HARD_OPT_OUT


def test_a_generic_message_with_a_wrong_secret_or_old_timestamp_is_refused(client):
    assert_refused(generic_post(client, generic(), NOW, secret="wrong"))
    assert_refused(generic_post(client, generic(), NOW - 3600))


def test_a_tampered_generic_body_is_refused(client):
    from consentry.inbound.signatures import hmac_signature

    headers = {
        "X-Consentry-Timestamp": str(NOW),
        "X-Consentry-Signature": hmac_signature("whsec-test", str(NOW), b'{"body":"HELP"}'),
        "Content-Type": "application/json",
    }
    response = client.post("/v1/inbound/messages", content=b'{"body":"STOP"}', headers=headers)
    assert_refused(response)


def test_a_malformed_generic_message_is_422(client):
    response = generic_post(client, {"message_id": "G1"}, NOW)
    assert_refused(response, "invalid", 422)
    assert {p["field"] for p in response.json()["error"]["details"]["problems"]} >= {"from", "to"}


def test_an_oversized_body_is_refused(client):
    response = generic_post(client, generic(body="x" * 70_000), NOW)
    assert_refused(response, "payload_too_large", 413)


def test_an_oversized_streamed_body_is_refused(client):
    def chunks():
        for _ in range(20):
            yield b"x" * 4096

    response = client.post(MESSAGES, content=chunks(), headers={"X-Twilio-Signature": "x"})
    assert_refused(response, "payload_too_large", 413)


def test_url_encoded_values_are_verified_as_decoded(client, numbers):
    ada = make_contact(numbers)
    response = twilio_post(client, MESSAGES, sms("SM1", "Arrêt & merci !"))
    assert response.status_code == 200
    assert numbers.check(admin(), ada.id, "sms", "acme/newsletters").reason is Reason.HARD_OPT_OUT


def test_the_server_mounts_the_inbound_webhooks(settings):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from consentry.server import create_server

    configured = replace(settings, public_url=PUBLIC, twilio_auth_tokens=("12345",))
    app = create_server(configured)
    with TestClient(app) as server:
        unsigned = server.post(MESSAGES, data=sms("SM1", "STOP"), headers={})
        assert_refused(unsigned)
        signed = twilio_post(server, MESSAGES, sms("SM1", "STOP"))
        assert_refused(signed, "number_not_found", 404)  # verified, but nobody set the number up
    app.state.ledger.close()
