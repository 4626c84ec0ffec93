"""Segments of several attributes (decision 067): every pair must hold (AND), at most eight, the
old single ``attribute`` still counted, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from consentry.core import limits
from consentry.core.audience import Segment
from consentry.core.errors import Invalid, TextTooLong, TooManyItems
from consentry.ledger import Ledger
from tests.factories import WRITTEN, admin, make_contact, sender


def audience(ledger: Ledger, segment: Segment) -> list[str]:
    return sorted(r.contact_id for r in ledger.resolve_audience(sender(), segment, "email", "acme"))


def contacts(ledger: Ledger) -> dict[str, str]:
    made = {
        "gold_gb": {"plan": "gold", "country": "GB"},
        "gold_fr": {"plan": "gold", "country": "FR"},
        "tin_gb": {"plan": "tin", "country": "GB"},
        "gold_gb_vip": {"plan": "gold", "country": "GB", "vip": "yes"},
    }
    ids = {}
    for name, attributes in made.items():
        c = make_contact(ledger, email=f"{name}@example.com", mobile=None, attributes=attributes)
        ledger.opt_in(admin(), c.id, "email", "acme", evidence=WRITTEN)
        ids[name] = c.id
    return ids


def test_every_pair_must_hold(ledger):
    ids = contacts(ledger)
    both = Segment(attributes=[("plan", "gold"), ("country", "GB")])
    assert audience(ledger, both) == sorted([ids["gold_gb"], ids["gold_gb_vip"]])
    three = Segment(attributes=(("plan", "gold"), ("country", "GB"), ("vip", "yes")))
    assert audience(ledger, three) == [ids["gold_gb_vip"]]
    clash = Segment(attributes=[("plan", "gold"), ("plan", "tin")])
    assert audience(ledger, clash) == []


def test_the_single_attribute_still_counts_and_joins_the_others(ledger):
    ids = contacts(ledger)
    old = Segment(attribute=("country", "GB"))
    assert audience(ledger, old) == sorted([ids["gold_gb"], ids["tin_gb"], ids["gold_gb_vip"]])
    joined = Segment(attribute=("country", "GB"), attributes=[("plan", "tin")])
    assert joined.pairs == (("country", "GB"), ("plan", "tin"))
    assert audience(ledger, joined) == [ids["tin_gb"]]
    repeated = Segment(attribute=("plan", "tin"), attributes=[("plan", "tin")])
    assert repeated.pairs == (("plan", "tin"),)  # each pair once


def test_pairs_narrow_a_list_and_uploaded_ids(ledger):
    ids = contacts(ledger)
    some = [ids["gold_fr"], ids["gold_gb"], ids["tin_gb"]]
    segment = Segment(contact_ids=some, attributes=[("plan", "gold"), ("country", "GB")])
    assert audience(ledger, segment) == [ids["gold_gb"]]
    emails = Segment(
        emails=["tin_gb@example.com", "gold_gb@example.com"], attributes=[("plan", "tin")]
    )
    assert audience(ledger, emails) == [ids["tin_gb"]]


def test_at_most_eight_pairs(ledger):
    contacts(ledger)
    eight = [(f"k{n}", "v") for n in range(limits.MAX_SEGMENT_ATTRIBUTES)]
    assert audience(ledger, Segment(attributes=eight)) == []
    with pytest.raises(TooManyItems) as refused:
        audience(ledger, Segment(attribute=("plan", "gold"), attributes=eight))
    assert refused.value.code == "too_many_items"
    assert refused.value.details["limit"] == limits.MAX_SEGMENT_ATTRIBUTES


@pytest.mark.parametrize(
    ("segment", "code"),
    [
        (Segment(attributes="plan=gold"), "invalid"),  # type: ignore[arg-type]
        (Segment(attributes=[("plan", "gold", "x")]), "invalid"),  # type: ignore[list-item]
        (Segment(attributes=[["plan", "gold"]]), "invalid"),  # type: ignore[list-item]
        (Segment(attributes=[("p" * 201, "gold")]), "text_too_long"),
        (Segment(attributes=[("plan", "g" * 1001)]), "text_too_long"),
        (Segment(attribute=("plan", "gold\x00")), "invalid_text"),
        (Segment(list_name="v" * 201), "text_too_long"),
    ],
)
def test_pairs_the_store_cannot_look_up_are_refused(ledger, segment, code):
    with pytest.raises(Invalid) as refused:
        audience(ledger, segment)
    assert refused.value.code == code
    if code == "text_too_long":
        assert isinstance(refused.value, TextTooLong)
