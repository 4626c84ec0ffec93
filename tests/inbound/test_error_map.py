"""The inbound webhooks answer through the app's one error map (decision 043).

A refusal on a webhook gets the status and body the API gives the same error: a conflict is
409 (the webhooks' own table used to say 500), the database being down is 503, and so on. The
app is the deployment's own (``server.compose``); requests are signed as a provider signs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from consentry.adapters.store.engine import make_engine
from consentry.api.errors import status_of
from consentry.core import errors as e
from consentry.ledger import Ledger
from consentry.server import compose
from consentry.settings import Settings
from tests.api.test_errors import EXPECTED
from tests.factories import T0, make_contact
from tests.inbound.conftest import (
    ADA,
    NEWS,
    PUBLIC,
    SECRET,
    TOKEN,
    generic_post,
    sms,
    twilio_post,
)
from tests.web.test_error_map import database_down

MESSAGES = "/v1/inbound/twilio/messages"
VOICE = "/v1/inbound/twilio/voice"
NOW = int(T0.timestamp())
NEWCOMER = "+447700900456"  # a mobile number no contact has yet


@pytest.fixture
def client(numbers: Ledger, settings: Settings) -> Iterator[TestClient]:
    """The deployment's app (API, hosted pages, webhooks on one error map) over the ledger."""
    configured = replace(
        settings, public_url=PUBLIC, twilio_auth_tokens=(TOKEN,), inbound_secrets=(SECRET,)
    )
    with TestClient(compose(numbers, configured)) as test_client:
        yield test_client


def assert_api_error(response: Any, error: type[e.ConsentryError], status: int) -> None:
    """The API's status and body for ``error``."""
    assert status == status_of(error("the API's status for the same error"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == error.code


@pytest.fixture
def new_contacts_refused(db_url: str) -> Iterator[None]:
    """A store fault: the database refuses every new contact's address key as a duplicate.

    What a concurrent message creating the same contact looks like to the store, every time.
    """
    engine = make_engine(db_url)
    if engine.dialect.name == "sqlite":
        create = [
            "CREATE TRIGGER refuse_keys BEFORE INSERT ON contact_keys "
            "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: contact_keys.digest'); END"
        ]
        drop = ["DROP TRIGGER refuse_keys"]
    else:
        create = [
            "CREATE FUNCTION refuse_keys() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE unique_violation USING MESSAGE = 'duplicate key'; END $$",
            "CREATE TRIGGER refuse_keys BEFORE INSERT ON contact_keys "
            "FOR EACH ROW EXECUTE FUNCTION refuse_keys()",
        ]
        drop = ["DROP TRIGGER refuse_keys ON contact_keys", "DROP FUNCTION refuse_keys()"]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))
        engine.dispose()


@pytest.mark.usefixtures("new_contacts_refused")
def test_a_stop_the_store_refuses_as_a_conflict_is_409_not_500(client: TestClient) -> None:
    twilio = twilio_post(client, MESSAGES, sms("SM1", "STOP", sender=NEWCOMER))
    assert_api_error(twilio, e.ContactExists, 409)  # the webhooks' own table said 500
    stop = {"provider": "acme-sms", "message_id": "m-1", "from": NEWCOMER, "to": NEWS}
    generic = generic_post(client, {**stop, "body": "STOP"}, NOW)
    assert_api_error(generic, e.ContactExists, 409)


def test_an_unreachable_database_is_503_with_retry_after(
    client: TestClient, numbers: Ledger, db_url: str
) -> None:
    make_contact(numbers)
    with database_down(numbers, db_url):
        for response in (
            twilio_post(client, MESSAGES, sms("SM1", "STOP")),
            twilio_post(client, VOICE, {"CallSid": "CA1", "From": ADA, "To": NEWS, "Digits": "9"}),
            generic_post(client, {"message_id": "m-1", "from": ADA, "to": NEWS}, NOW),
        ):
            assert_api_error(response, e.Unavailable, 503)
            assert response.headers["Retry-After"] == "1"
    assert twilio_post(client, MESSAGES, sms("SM1", "STOP")).status_code == 200


def test_the_refusals_the_webhooks_always_had_keep_their_status(client: TestClient) -> None:
    forged = twilio_post(client, MESSAGES, sms("SM1", "STOP"), token="54321")
    assert_api_error(forged, e.SignatureInvalid, 403)  # a Refused, but Forbidden's row is nearer
    nobody = twilio_post(client, MESSAGES, sms("SM1", "STOP", to="+447700900999"))
    assert_api_error(nobody, e.NumberNotFound, 404)
    assert_api_error(generic_post(client, {"to": NEWS}, NOW), e.Invalid, 422)
    big = client.post(MESSAGES, content=b"x" * (65 * 1024))
    assert_api_error(big, e.PayloadTooLarge, 413)


@pytest.mark.parametrize("error", list(EXPECTED), ids=lambda cls: cls.__name__)
def test_any_refusal_of_the_ledger_answers_what_the_api_answers(
    client: TestClient,
    numbers: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    error: type[e.ConsentryError],
) -> None:
    """Every class, Refused and Conflict included: a ledger that refuses with ``error``."""

    def refuse(*_: object, **__: object) -> None:
        raise error("refused by the ledger", number=NEWS)

    monkeypatch.setattr(numbers, "receive_message", refuse)
    response = twilio_post(client, MESSAGES, sms("SM1", "STOP"))
    assert_api_error(response, error, EXPECTED[error])
    assert response.json()["error"]["details"] == {"number": NEWS}
