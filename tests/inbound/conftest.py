"""Inbound fixtures: the acme numbers configured, and a webhook client over the ledger fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from consentry.api.errors import install
from consentry.inbound import mount
from consentry.inbound.signatures import hmac_signature, twilio_signature
from consentry.ledger import Ledger
from consentry.settings import Settings

NEWS = "+447700900900"  # acme/newsletters: SMS, MMS, WhatsApp (Ofcom drama numbers)
EVENTS = "+447700900901"  # acme/events: SMS and voice
ADA = "+447700900123"
PUBLIC = "https://consentry.example"
TOKEN = "12345"
SECRET = "whsec-test"


@pytest.fixture
def client(numbers: Ledger, settings: Settings) -> Iterator[TestClient]:
    """The inbound webhooks mounted on a bare app over the ledger."""
    app = FastAPI()
    install(app)  # mount() needs the app's error map (decision 043)
    configured = replace(
        settings, public_url=PUBLIC, twilio_auth_tokens=(TOKEN,), inbound_secrets=(SECRET,)
    )
    mount(app, numbers, configured)
    with TestClient(app) as test_client:
        yield test_client


def twilio_post(
    client: TestClient,
    path: str,
    params: dict[str, str],
    token: str = TOKEN,
    url: str | None = None,
    headers: dict[str, str] | None = None,
):
    """POST a Twilio-signed form to the webhook."""
    signature = twilio_signature(token, url or PUBLIC + path, params.items())
    sent = {"X-Twilio-Signature": signature} if headers is None else headers
    return client.post(path, data=params, headers=sent)


def sms(sid: str, body: str, sender: str = ADA, to: str = NEWS, **more: str) -> dict[str, str]:
    """Twilio's form for one inbound message."""
    return {"MessageSid": sid, "From": sender, "To": to, "Body": body, "NumMedia": "0", **more}


def generic_post(client: TestClient, payload: dict[str, object], stamp: int, secret: str = SECRET):
    """POST a message in Consentry's signed JSON shape."""
    body = json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Consentry-Timestamp": str(stamp),
        "X-Consentry-Signature": hmac_signature(secret, str(stamp), body),
    }
    return client.post("/v1/inbound/messages", content=body, headers=headers)
