"""The input limits of ``core/limits.py`` as plain values (decision 050): each class of bad input
at its boundary, and the error and code it gets."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from consentry.core import limits
from consentry.core.errors import (
    BatchTooLarge,
    ConsentryError,
    Invalid,
    InvalidAttributes,
    InvalidEvidence,
    InvalidText,
    InvalidTime,
    TextTooLong,
    TooManyItems,
)
from consentry.core.events import (
    MAX_EVIDENCE_BYTES,
    canonical_evidence,
    from_micros,
    has_evidence,
    to_micros,
)

#: Every character a single-line text refuses, by kind: C0, DEL, C1, surrogates.
CONTROLS = [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\ud800", "\udfff"]
LINE_BREAKS = ["\t", "\n", "\r"]


def nested(depth: int, leaf: Any = 1) -> dict[str, Any]:
    """A JSON object ``depth`` objects deep: ``nested(2) == {"a": {"a": 1}}``."""
    value: Any = leaf
    for _ in range(depth):
        value = {"a": value}
    result: dict[str, Any] = value
    return result


def code_of(call: Any) -> str:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value.code


@pytest.mark.parametrize("char", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_a_line_refuses_every_control_character_and_surrogate(char: str) -> None:
    with pytest.raises(InvalidText) as info:
        limits.text(f"ada{char}x", field="name", max_length=200)
    assert info.value.code == "invalid_text"
    assert info.value.details == {"field": "name", "character": f"U+{ord(char):04X}", "position": 3}


@pytest.mark.parametrize("char", [c for c in CONTROLS if c not in LINE_BREAKS])
def test_a_multiline_text_allows_only_tab_and_line_breaks(char: str) -> None:
    assert limits.text("a\tb\r\nc", field="help_text", max_length=10, multiline=True)
    with pytest.raises(InvalidText):
        limits.text(f"a\n{char}", field="help_text", max_length=10, multiline=True)


def test_a_text_may_be_exactly_its_limit_and_no_longer() -> None:
    assert limits.text("é" * 200, field="name", max_length=200) == "é" * 200
    with pytest.raises(TextTooLong) as info:
        limits.text("x" * 201, field="name", max_length=200)
    assert (info.value.code, info.value.details) == (
        "text_too_long",
        {"field": "name", "limit": 200, "length": 201},
    )


def test_non_text_and_absent_text() -> None:
    assert limits.optional_text(None, field="name", max_length=1) is None
    assert code_of(lambda: limits.text(5, field="name", max_length=9)) == "invalid"  # type: ignore[arg-type]


def test_a_collection_is_bounded_with_the_error_asked_for() -> None:
    limits.texts(["a"] * 3, field="lists", max_items=3, max_length=1)
    with pytest.raises(TooManyItems) as info:
        limits.texts(["a"] * 4, field="lists", max_items=3, max_length=1)
    assert info.value.details == {"field": "lists", "limit": 3, "given": 4}
    with pytest.raises(BatchTooLarge):
        limits.items([1, 2], field="ids", max_items=1, error=BatchTooLarge)
    with pytest.raises(InvalidText):
        limits.texts(["a", "b\x00"], field="lists", max_items=3, max_length=5)


PLUS_14 = timezone(timedelta(hours=14))
MINUS_12 = timezone(timedelta(hours=-12))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=PLUS_14),  # before year 1 in UTC: no datetime can hold it
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=MINUS_12),  # after year 9999 in UTC
        datetime(1, 1, 1, tzinfo=UTC),
        limits.EARLIEST - timedelta(microseconds=1),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
    ],
    ids=str,
)
def test_an_instant_outside_1970_to_9999_utc_is_invalid_time(moment: datetime) -> None:
    with pytest.raises(InvalidTime) as info:
        limits.instant(moment, field="occurred_at")
    assert info.value.code == "invalid_time"
    assert info.value.details["field"] == "occurred_at"


@pytest.mark.parametrize(
    "moment",
    [limits.EARLIEST, limits.LATEST, datetime(1970, 1, 1, 14, tzinfo=PLUS_14)],
    ids=str,
)
def test_the_bounds_themselves_are_kept_and_round_trip(moment: datetime) -> None:
    assert limits.instant(moment, field="at") is moment
    assert from_micros(to_micros(moment)) == moment
    assert datetime.fromisoformat(moment.isoformat()) == moment


def test_a_time_without_a_zone_stays_plain_invalid() -> None:
    assert code_of(lambda: limits.instant(datetime(2026, 1, 5), field="at")) == "invalid"
    assert code_of(lambda: limits.instant("2026-01-05", field="at")) == "invalid"  # type: ignore[arg-type]


BAD_DOCUMENTS = [
    ("too_deep", nested(limits.MAX_DEPTH + 1)),
    ("too_deep", nested(256)),
    ("too_deep", {"a": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}),
    ("not_finite", {"x": math.nan}),
    ("not_finite", {"x": math.inf}),
    ("not_finite", {"x": [-math.inf]}),
    ("out_of_range", {"x": 2**63}),
    ("out_of_range", {"x": -(2**63) - 1}),
    ("too_many_members", {"x": list(range(limits.MAX_MEMBERS))}),
    ("too_many_members", {str(n): n for n in range(limits.MAX_MEMBERS + 1)}),
    ("too_large", {"x": "y" * (limits.MAX_ATTRIBUTES_BYTES + 1)}),
    ("too_large", {"x": ["é" * 1000] * 9}),
    ("invalid_text", {"x": "a\x00b"}),
    ("invalid_text", {"x": ["\ud83d"]}),
    ("invalid_text", {"a\nb": 1}),
    ("invalid_text", {"k" * (limits.NAME + 1): 1}),
    ("not_json", {"x": object()}),
    ("not_json", {"x": {1: "a"}}),
    ("not_json", {"x": {"a", "b"}}),
    ("not_json", ["a", "list"]),
]


@pytest.mark.parametrize(("reason", "document"), BAD_DOCUMENTS, ids=[r for r, _ in BAD_DOCUMENTS])
def test_a_json_document_is_bounded(reason: str, document: Any) -> None:
    with pytest.raises(InvalidAttributes) as info:
        limits.bounded_json(
            document,
            field="attributes",
            error=InvalidAttributes,
            max_bytes=limits.MAX_ATTRIBUTES_BYTES,
        )
    assert info.value.code == "invalid_attributes"
    assert info.value.details["reason"] == reason
    assert info.value.details["field"] == "attributes"


def test_a_document_at_its_limits_is_kept_as_canonical_json() -> None:
    deepest = nested(limits.MAX_DEPTH)
    text = limits.bounded_json(deepest, field="evidence", error=InvalidEvidence, max_bytes=10_000)
    assert text.count("{") == limits.MAX_DEPTH
    members = {"x": list(range(limits.MAX_MEMBERS - 1))}
    assert limits.bounded_json(members, field="e", error=Invalid, max_bytes=10_000)
    mixed = {"b": [1, 2.5, None, True, "line\nbreak\x1b"], "a": 2**63 - 1, "k": "é"}
    assert limits.bounded_json(mixed, field="e", error=Invalid, max_bytes=1000) == (
        '{"a":9223372036854775807,"b":[1,2.5,null,true,"line\\nbreak\\u001b"],"k":"é"}'
    )


@pytest.mark.parametrize(
    "evidence",
    [nested(256), {"x": math.nan}, {"x": "\x00"}, {"x": "y" * MAX_EVIDENCE_BYTES}],
    ids=["deep", "nan", "nul", "big"],
)
def test_evidence_is_a_bounded_json_document(evidence: dict[str, Any]) -> None:
    with pytest.raises(InvalidEvidence) as info:
        canonical_evidence(evidence)
    assert info.value.code == "invalid_evidence"
    assert canonical_evidence({"b": 1, "a": [nested(limits.MAX_DEPTH - 2)]}) is not None


@pytest.mark.parametrize("evidence", [["ip", "192.0.2.1"], "ip=192.0.2.1", 7])
def test_evidence_that_is_not_a_mapping_is_refused_before_it_is_weighed(evidence: Any) -> None:
    with pytest.raises(InvalidEvidence) as info:
        has_evidence(evidence)
    assert "mapping" in str(info.value)
    assert has_evidence(None) is False
    assert has_evidence({"ip": "", "note": None}) is False
    assert has_evidence({"ip": "192.0.2.1"}) is True
