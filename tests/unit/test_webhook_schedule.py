"""The webhook schedule, event types, URL rule and payload (core/webhooks.py; decision 076)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from consentry.core.errors import Invalid, InvalidEventType, InvalidWebhookUrl, TooManyItems
from consentry.core.events import Action
from consentry.core.webhooks import (
    MAX_ATTEMPTS,
    EventType,
    check_url,
    clipped,
    event_type,
    next_attempt,
    parse_event_types,
    payload,
    retry_delay,
    should_disable,
)
from tests.factories import T0, make_event


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (10, 15_360), (11, 21_600), (40, 21_600)]
)
def test_the_delay_doubles_from_thirty_seconds_up_to_six_hours(attempts, seconds):
    assert retry_delay(attempts, 0.0) == timedelta(seconds=seconds)


@pytest.mark.parametrize(("spread", "factor"), [(-1.0, 0.8), (1.0, 1.2), (5.0, 1.2), (-9.0, 0.8)])
def test_jitter_is_at_most_a_fifth_either_way(spread, factor):
    assert retry_delay(1, spread) == timedelta(seconds=30 * factor)


def test_a_delivery_is_given_up_after_its_last_attempt():
    assert next_attempt(T0, MAX_ATTEMPTS - 1, 0.0) is not None
    assert next_attempt(T0, MAX_ATTEMPTS, 0.0) is None


def test_a_subscription_is_disabled_after_a_day_of_ten_failures_or_more():
    day = timedelta(hours=24)
    assert not should_disable(9, T0, T0 + 2 * day)
    assert not should_disable(10, T0, T0 + day - timedelta(seconds=1))
    assert not should_disable(10, None, T0 + day)
    assert should_disable(10, T0, T0 + day)


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        (Action.OPTED_OUT, "consent.opted_out"),
        (Action.CONFIRMED, "consent.confirmed"),
        (Action.BOUNCED, "suppression.added"),
        (Action.COMPLAINED, "suppression.added"),
        (Action.SUPPRESSION_CLEARED, "suppression.cleared"),
        (Action.ERASED, "contact.erased"),
    ],
)
def test_every_action_has_an_event_type(action, kind):
    assert event_type(action).value == kind


def test_each_action_maps_to_a_type_and_the_rest_are_notices():
    produced = {event_type(a) for a in Action}
    assert set(EventType) - produced == {  # raised as notices, never by a ledger action
        EventType.JOURNEY_MISSED,
        EventType.JOURNEY_RESEND_REQUESTED,
        EventType.JOURNEY_TRIGGERED,  # a scheduled journey's eligible message (078)
        EventType.VIOLATION_RECORDED,  # a reported send that was not eligible (079)
    }


@pytest.mark.parametrize(
    "url", ["https://crm.example.com/hooks", "http://127.0.0.1:8080/h", "http://localhost/h"]
)
def test_https_or_local_http_urls_are_accepted(url):
    assert check_url(url, allow_private=True) == url  # local ones only so (decision 080)


@pytest.mark.parametrize(
    "url",
    [
        "http://crm.example.com/hooks",
        "ftp://crm.example.com/",
        "https://user:pw@crm.example.com/",
        "https:///nohost",
        "https://crm.example.com/#x",
        "https://crm.example.com:port/",
    ],
)
def test_other_urls_are_refused(url):
    with pytest.raises(InvalidWebhookUrl):
        check_url(url)


def test_event_types_are_known_bounded_and_not_empty():
    assert parse_event_types(["Consent.Opted_Out "]) == {EventType.CONSENT_OPTED_OUT}
    with pytest.raises(InvalidEventType):
        parse_event_types(["consent.nope"])
    with pytest.raises(Invalid):
        parse_event_types([])
    with pytest.raises(TooManyItems):
        parse_event_types(["consent.opted_out"] * 33)


def test_the_payload_holds_no_evidence():
    event = make_event(Action.OPTED_IN, evidence='{"reference": "form of ada@example.com"}')
    body = json.loads(payload(event))
    assert body["type"] == "consent.opted_in"
    assert "example.com" not in payload(event)
    assert set(body) == {"type", "timestamp", "data"}


def test_errors_are_kept_on_one_short_line():
    assert clipped("a\n  b") == "a b"
    assert len(clipped("x" * 500)) == 200
