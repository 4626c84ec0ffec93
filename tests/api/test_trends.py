"""GET /v1/trends (decision 066): the Trends page's numbers for programs, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consentry.adapters.clock import FixedClock
from consentry.ledger import Ledger
from tests.api.conftest import Api, refused
from tests.factories import T0, WRITTEN, admin, make_contact

EARLY = {**WRITTEN, "given_at": "2025-12-01"}


def seed(ledger: Ledger, clock: FixedClock) -> None:
    """Last month four SMS opt-ins at the newsletters client; today one of them opts out and
    one more opts in, and an email opt-in at the events client."""
    people = [
        make_contact(ledger, email=f"p{n}@example.com", mobile=f"+44770090{n:04d}")
        for n in range(6)
    ]
    clock.set(T0 - timedelta(days=20))
    for p in people[:4]:
        ledger.opt_in(admin(), p.id, "sms", "acme/newsletters", evidence=EARLY)
    clock.set(T0)
    ledger.opt_out(admin(), people[0].id, "sms", "acme/newsletters")
    ledger.opt_in(admin(), people[4].id, "sms", "acme/newsletters/ada", evidence=WRITTEN)
    ledger.opt_in(admin(), people[5].id, "email", "acme/events", evidence=WRITTEN)


def test_the_trends_of_a_scope_and_below(api: Api, ledger: Ledger, clock: FixedClock) -> None:
    seed(ledger, clock)
    answer = api.as_("viewer", "acme").get("/v1/trends", params={"days": 30})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["scope_id"], body["today"], body["days"]) == ("acme", "2026-01-05", 30)
    by_channel = {c["channel"]: c for c in body["channels"]}
    assert list(by_channel) == ["email", "sms", "mms", "rcs", "whatsapp", "voice", "post", "push"]
    sms = by_channel["sms"]
    assert sms["subscribed"] == {
        "now": 4, "last_month": 4, "change_percent": 0.0, "direction": "same",
    }  # fmt: skip
    assert sms["unsubscribed"] == {
        "now": 1, "last_month": 0, "change_percent": None, "direction": "up",
    }  # fmt: skip
    assert len(sms["series"]) == 30
    assert sms["series"][-1] == {
        "day": "2026-01-05", "subscribed": 4, "unsubscribed": 1, "opt_outs": 1,
    }  # fmt: skip
    assert sms["series"][-2]["subscribed"] == 4 and sms["series"][0]["subscribed"] == 0
    assert sms["spikes"] == [] and sms["recent_spikes"] == []
    assert by_channel["email"]["subscribed"]["now"] == 1


def test_a_narrower_scope_and_the_same_numbers_as_the_library(
    api: Api, ledger: Ledger, clock: FixedClock
) -> None:
    seed(ledger, clock)
    body = api.as_("admin", "acme").get("/v1/trends", params={"scope": "acme/newsletters"}).json()
    assert body["scope_id"] == "acme/newsletters" and body["days"] == 90
    sms = next(c for c in body["channels"] if c["channel"] == "sms")
    [lib] = [
        c
        for c in ledger.trends(admin(), scope_id="acme/newsletters").channels
        if c.channel == "sms"
    ]
    assert (sms["subscribed"]["now"], sms["unsubscribed"]["now"]) == (
        lib.subscribed.now, lib.unsubscribed.now,
    )  # fmt: skip
    email = next(c for c in body["channels"] if c["channel"] == "email")
    assert email["subscribed"]["now"] == 0  # the events client is beside it


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"days": 0}, 422, "invalid"),
        ({"days": 731}, 422, "invalid"),
        ({"days": "many"}, 422, "invalid"),
        ({"scope": "Not a scope!"}, 422, "invalid_scope"),
        ({"scope": "acme/newsletters/nobody"}, 404, "scope_not_found"),
        ({"scope": "x" * 201}, 422, "text_too_long"),
        ({"scope": "acme/events"}, 403, "out_of_scope"),
        ({"scope": "globex"}, 403, "out_of_scope"),
    ],
)
def test_bad_parameters_and_scopes_out_of_reach(api: Api, params, status, code) -> None:
    refused(api.as_("admin", "acme/newsletters").get("/v1/trends", params=params), status, code)


def test_a_sending_key_and_no_key_are_refused(api: Api) -> None:
    refused(api.as_("sender", "acme").get("/v1/trends"), 403, "forbidden")
    refused(api.client.get("/v1/trends"), 401, "unauthenticated")
