"""Contacts, evidence and time values of the core."""

from __future__ import annotations

from datetime import datetime

import pytest

from consentry.core.channels import Channel
from consentry.core.contacts import Contact
from consentry.core.eligibility import Category, parse_category
from consentry.core.errors import ConsentryError
from consentry.core.events import (
    Action,
    ActorKind,
    canonical_evidence,
    from_micros,
    has_evidence,
    to_micros,
)
from tests.factories import T0, make_event


def test_a_contact_has_an_address_per_channel_until_erased():
    ada = Contact("ct_1", "acme", email="ada@example.com", mobile="+447700900123", push_token="")
    assert ada.address(Channel.EMAIL) == "ada@example.com"
    assert ada.address(Channel.VOICE) == "+447700900123"
    assert ada.address(Channel.PUSH) is None and ada.address(Channel.POST) is None
    erased = ada.with_changes(erased_at=T0)
    assert erased.address(Channel.EMAIL) is None and erased.email == "ada@example.com"


def test_evidence_is_canonical_json_and_unstorable_evidence_is_refused():
    assert canonical_evidence(None) is None
    assert canonical_evidence({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
    for bad in ({1: "x"}, {"x": {1, 2}}, {"x": "y" * 70_000}, ["x"]):
        with pytest.raises(ConsentryError) as info:
            canonical_evidence(bad)  # type: ignore[arg-type]
        assert info.value.code == "invalid_evidence"


@pytest.mark.parametrize(
    ("evidence", "given"),
    [(None, False), ({}, False), ({"a": "", "b": None, "c": [], "d": {}}, False), ({"a": 0}, True)],
)
def test_evidence_counts_only_when_it_holds_a_value(evidence, given):
    assert has_evidence(evidence) is given


def test_an_events_evidence_reads_back_as_a_mapping():
    event = make_event(Action.OPTED_IN, ActorKind.STAFF, evidence='{"a":1}', salt="s")
    assert event.evidence_data == {"a": 1}
    assert make_event(Action.OPTED_IN, ActorKind.STAFF).evidence_data is None


def test_time_is_kept_as_exact_microseconds():
    assert to_micros(None) is None and from_micros(None) is None
    assert from_micros(to_micros(T0)) == T0
    assert to_micros(from_micros(1)) == 1


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ConsentryError) as info:
        to_micros(datetime(2026, 1, 5, 9, 0))
    assert info.value.code == "invalid"


def test_categories_parse_and_unknown_ones_are_invalid():
    assert parse_category(" Transactional ") is Category.TRANSACTIONAL
    with pytest.raises(ConsentryError) as info:
        parse_category("spam")
    assert info.value.code == "invalid"
