"""The deliverability feeds through the real app, on both databases (decision 074).

Payloads follow the providers' documented examples: SES notifications inside SNS messages
(signed here with a test RSA key and its self-signed certificate), SendGrid's event webhook
(signed with a test P-256 key), Postmark's bounce and spam complaint webhooks (HTTP Basic), and
Twilio's message status callbacks (``X-Twilio-Signature``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consentry.api.errors import install
from consentry.core.events import Source, Strength
from consentry.core.feeds import FeedConfig
from consentry.inbound import mount
from consentry.ledger import Ledger
from consentry.settings import Settings
from tests.factories import WRITTEN, admin, make_contact, sender, staff, system
from tests.inbound.conftest import PUBLIC, TOKEN, twilio_post
from tests.unit.test_feed_signatures import (
    SENDGRID_PUBLIC,
    TOPIC,
    basic,
    certificate_pem,
    sendgrid_headers,
    sns_message,
)

SES = "/v1/inbound/feeds/acme/ses"
SENDGRID = "/v1/inbound/feeds/acme/sendgrid"
POSTMARK = "/v1/inbound/feeds/acme/postmark"
TWILIO = "/v1/inbound/feeds/acme/twilio"
POSTMARK_AUTH = basic("postmark", "a long random password")


@pytest.fixture
def feeds(ledger: Ledger, settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """Every feed configured for acme; globex has none."""
    pem = tmp_path / "sns.pem"
    pem.write_bytes(certificate_pem())
    acme = FeedConfig(
        "acme",
        ses_topic_arns=(TOPIC,),
        sendgrid_public_keys=(SENDGRID_PUBLIC,),
        postmark_credentials=("postmark:a long random password",),
        twilio=True,
    )
    configured = replace(
        settings, public_url=PUBLIC, twilio_auth_tokens=(TOKEN,), feeds=(acme,),
        sns_certificates=str(pem),
    )  # fmt: skip
    app = FastAPI()
    install(app)
    mount(app, ledger, configured)
    with TestClient(app) as client:
        yield client


def ses_bounce(bounce_type: str = "Permanent", email: str = "ada@example.com") -> str:
    """An SES bounce notification (docs.aws.amazon.com/ses: notification contents)."""
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-01-05T08:59:00.000Z",
                "feedbackId": "000001378603176d-5a4b5ad9-6f30-4198-a8c3-b1eb0c270a1d-000000",
                "remoteMtaIp": "192.0.2.1",
            },
            "mail": {
                "timestamp": "2026-01-05T08:58:00.000Z",
                "source": "news@example.com",
                "messageId": "00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000",
                "destination": [email],
            },
        }
    )


def ses_complaint(email: str = "ada@example.com") -> str:
    """An SES complaint notification."""
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "userAgent": "ExampleCorp Feedback Loop (V0.01)",
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "arrivalDate": "2026-01-05T08:59:30.000Z",
                "timestamp": "2026-01-05T08:59:40.000Z",
                "feedbackId": "000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000",
            },
            "mail": {"source": "news@example.com", "destination": [email]},
        }
    )


def post_sns(client: TestClient, message: dict[str, str]):
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "x"}
    return client.post(SES, content=json.dumps(message).encode(), headers=headers)


def post_sendgrid(client: TestClient, events: list[dict[str, Any]], headers: Any = None):
    body = json.dumps(events).encode()
    return client.post(SENDGRID, content=body, headers=headers or sendgrid_headers(body))


def post_postmark(client: TestClient, record: dict[str, Any], auth: str = POSTMARK_AUTH):
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    return client.post(POSTMARK, content=json.dumps(record).encode(), headers=headers)


def status(sid: str, message_status: str, code: str, to: str = "+447700900123") -> dict[str, str]:
    """A Twilio message status callback's form."""
    return {
        "AccountSid": "AC00000000000000000000000000000000",
        "ApiVersion": "2010-04-01",
        "From": "+447700900900",
        "To": to,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": message_status,
        "SmsStatus": message_status,
        "ErrorCode": code,
    }


def reason(ledger: Ledger, contact_id: str, channel: str) -> str:
    return ledger.check(sender(), contact_id, channel, "acme").reason.value


def events_of(ledger: Ledger, contact_id: str) -> list[Any]:
    return ledger.history(admin(), contact_id)


# ── SES via SNS ──
def test_an_ses_permanent_bounce_suppresses_the_address(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = post_sns(feeds, sns_message(ses_bounce()))
    assert answer.status_code == 200
    assert answer.json() == {"received": 1, "replayed": 0, "outcomes": {"bounced": 1}}
    assert reason(ledger, ada.id, "email") == "bounced"
    [event] = events_of(ledger, ada.id)
    assert event.source is Source.BOUNCE_FEED
    assert json.loads(event.evidence)["feed"] == "ses"


def test_an_ses_complaint_suppresses_and_hard_opts_out(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = post_sns(feeds, sns_message(ses_complaint(), version="2"))
    assert answer.json()["outcomes"] == {"complained": 1}
    actions = [(e.action.value, e.strength) for e in events_of(ledger, ada.id)]
    assert actions == [("complained", Strength.SOFT), ("opted_out", Strength.HARD)]
    assert reason(ledger, ada.id, "email") == "complained"


def test_an_sns_retry_records_one_event(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    message = sns_message(ses_bounce())
    post_sns(feeds, message)
    again = post_sns(feeds, message)
    assert again.json() == {"received": 1, "replayed": 1, "outcomes": {}}
    assert len(events_of(ledger, ada.id)) == 1


def test_a_transient_bounce_is_ignored_and_kept_as_ignored(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    message = sns_message(ses_bounce("Transient"))
    assert post_sns(feeds, message).json()["outcomes"] == {"ignored": 1}
    assert post_sns(feeds, message).json()["replayed"] == 1  # it was recorded
    assert events_of(ledger, ada.id) == []
    assert reason(ledger, ada.id, "email") == "no_consent"


def test_a_forged_sns_message_is_refused_and_writes_nothing(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    message = {**sns_message(ses_bounce()), "Message": ses_complaint()}
    answer = post_sns(feeds, message)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "signature_invalid"
    assert events_of(ledger, ada.id) == []
    assert post_sns(feeds, sns_message(ses_bounce())).json()["replayed"] == 0  # nothing claimed


def test_another_accounts_topic_is_refused(ledger: Ledger, feeds: TestClient):
    make_contact(ledger)
    other = sns_message(ses_bounce(), topic="arn:aws:sns:eu-west-1:666666666666:theirs")
    answer = post_sns(feeds, other)
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "signature_invalid")


def test_a_subscription_confirmation_is_logged_not_fetched(
    feeds: TestClient, caplog: pytest.LogCaptureFixture
):
    message = sns_message("You have chosen to subscribe", type_="SubscriptionConfirmation")
    answer = post_sns(feeds, message)
    assert answer.status_code == 200
    assert answer.json() == {"type": "SubscriptionConfirmation", "topic": TOPIC, "confirmed": False}
    assert message["SubscribeURL"] in caplog.text


def test_an_unknown_address_is_acknowledged(feeds: TestClient):
    answer = post_sns(feeds, sns_message(ses_bounce(email="nobody@example.com")))
    assert answer.status_code == 200
    assert answer.json()["outcomes"] == {"unknown": 1}


def test_a_delivery_notification_is_acknowledged_and_not_kept(feeds: TestClient):
    delivery = json.dumps({"notificationType": "Delivery", "delivery": {}})
    assert post_sns(feeds, sns_message(delivery)).json()["received"] == 0


def test_a_group_without_the_feed_is_not_found(feeds: TestClient):
    body = json.dumps(sns_message(ses_bounce())).encode()
    answer = feeds.post("/v1/inbound/feeds/globex/ses", content=body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "feed_not_found")


def test_an_opt_in_afterwards_does_not_clear_the_bounce(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    post_sns(feeds, sns_message(ses_bounce()))
    ledger.opt_in(staff(), ada.id, "email", "acme", evidence=WRITTEN)
    assert reason(ledger, ada.id, "email") == "bounced"
    assert ledger.verify(system()).ok


# ── SendGrid ──
def sendgrid_event(event: str, sg_id: str, **more: Any) -> dict[str, Any]:
    """One event of SendGrid's event webhook batch."""
    return {
        "email": "ada@example.com",
        "timestamp": 1767603540,
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": event,
        "category": ["newsletter"],
        "sg_event_id": sg_id,
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **more,
    }


def test_sendgrid_bounces_drops_and_spam_reports(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    bob = make_contact(ledger, email="bob@example.com", mobile=None)
    events = [
        sendgrid_event("processed", "p-1"),
        sendgrid_event("bounce", "b-1", type="bounce", status="5.0.0", reason="550 no mailbox"),
        sendgrid_event("bounce", "b-2", type="blocked", reason="IP blocked"),
        sendgrid_event("spamreport", "s-1", email="bob@example.com"),
        sendgrid_event("dropped", "d-1", reason="Bounced Address", email="bob@example.com"),
        sendgrid_event("dropped", "d-2", reason="Unsubscribed Address"),
    ]
    answer = post_sendgrid(feeds, events)
    assert answer.status_code == 200
    assert answer.json()["outcomes"] == {"bounced": 2, "complained": 1, "ignored": 1}
    assert reason(ledger, ada.id, "email") == "bounced"
    assert reason(ledger, bob.id, "email") == "bounced"  # bounced outranks complained
    assert post_sendgrid(feeds, events).json()["replayed"] == 4


def test_a_forged_sendgrid_batch_is_refused(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    signed = sendgrid_headers(b"[]")
    answer = post_sendgrid(feeds, [sendgrid_event("spamreport", "s-1")], headers=signed)
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "signature_invalid")
    assert events_of(ledger, ada.id) == []


def test_an_unreadable_address_is_acknowledged_as_unknown(feeds: TestClient):
    answer = post_sendgrid(feeds, [sendgrid_event("bounce", "b-9", email="not an address")])
    assert answer.json()["outcomes"] == {"unknown": 1}


def test_a_report_the_ledger_refuses_is_acknowledged(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    ledger.erase_contact(admin(), ada.id, reference="ticket 7")
    answer = post_sendgrid(feeds, [sendgrid_event("bounce", "b-1", type="bounce")])
    assert answer.status_code == 200
    assert answer.json()["outcomes"] == {"refused": 1}  # no_address: erased details


def test_a_malformed_batch_is_invalid(feeds: TestClient):
    answer = post_sendgrid(feeds, {"not": "a list"})  # type: ignore[arg-type]
    assert answer.json()["error"]["code"] == "invalid"


# ── Postmark ──
def postmark_bounce(type_: str = "HardBounce", id_: int = 4323372036854775807) -> dict[str, Any]:
    """Postmark's bounce webhook (postmarkapp.com/developer/webhooks/bounce-webhook)."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": id_,
        "Type": type_,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "Newsletter",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "Test bounce details",
        "Email": "ada@example.com",
        "From": "news@example.com",
        "BouncedAt": "2026-01-05T08:59:00Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Test subject",
        "Content": "<Full dump of bounce>",
    }


def test_a_postmark_hard_bounce_and_spam_complaint(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    assert post_postmark(feeds, postmark_bounce()).json()["outcomes"] == {"bounced": 1}
    complaint = {**postmark_bounce(id_=42), "RecordType": "SpamComplaint", "Type": "SpamComplaint"}
    assert post_postmark(feeds, complaint).json()["outcomes"] == {"complained": 1}
    assert post_postmark(feeds, postmark_bounce("SoftBounce", 7)).json()["outcomes"] == {
        "ignored": 1
    }
    assert post_postmark(feeds, postmark_bounce()).json()["replayed"] == 1
    assert [e.action.value for e in events_of(ledger, ada.id)] == [
        "bounced", "complained", "opted_out",
    ]  # fmt: skip


def test_postmark_without_the_credentials_is_refused(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = post_postmark(feeds, postmark_bounce(), auth=basic("postmark", "guess"))
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "signature_invalid")
    assert events_of(ledger, ada.id) == []


# ── Twilio status callbacks ──
def test_an_unknown_handset_bounces_the_number(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = twilio_post(feeds, TWILIO, status("SM0001", "undelivered", "30005"))
    assert answer.json()["outcomes"] == {"bounced": 1}
    assert reason(ledger, ada.id, "sms") == "bounced"
    twilio_post(feeds, TWILIO, status("SM0001", "undelivered", "30005"))  # Twilio retries
    twilio_post(feeds, TWILIO, status("SM0002", "failed", "30003"))  # switched off: ignored
    twilio_post(feeds, TWILIO, status("SM0003", "delivered", ""))  # not kept
    assert len(events_of(ledger, ada.id)) == 1


def test_21610_records_the_contacts_hard_sms_opt_out(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = twilio_post(feeds, TWILIO, status("SM0009", "failed", "21610"))
    assert answer.json()["outcomes"] == {"opted_out": 1}
    [event] = events_of(ledger, ada.id)
    assert (event.action.value, event.strength, event.source) == (
        "opted_out", Strength.HARD, Source.SMS_KEYWORD,
    )  # fmt: skip
    assert (event.scope_id, event.actor.kind.value) == ("acme", "contact")
    assert reason(ledger, ada.id, "sms") == "hard_opt_out"
    assert ledger.verify(system()).ok


def test_a_forged_twilio_callback_is_refused(ledger: Ledger, feeds: TestClient):
    ada = make_contact(ledger)
    answer = twilio_post(feeds, TWILIO, status("SM0009", "failed", "21610"), token="wrong")
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "signature_invalid")
    assert events_of(ledger, ada.id) == []
