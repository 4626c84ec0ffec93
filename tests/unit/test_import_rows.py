"""Reading one import row by its mapping (core/imports.py) and the flat-evidence fast path of
``limits.bounded_json``: every cell refused with its code, every cell kind read (decision 070)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consentry.core import limits
from consentry.core.errors import Invalid, InvalidEvidence, InvalidMapping
from consentry.core.events import Action
from consentry.core.imports import (
    ImportReport,
    Outcome,
    RowOutcome,
    parse_mapping,
    read_row,
)

MAPPING = parse_mapping(
    {"e": "email", "s": "consent:sms", "at": "consent_at:sms", "x": "ignore", "p": "postal_address"}
)


def test_a_mapping_maps_names_to_text_and_reads_back_as_it_was_given() -> None:
    with pytest.raises(InvalidMapping):
        parse_mapping({"e": 1})  # type: ignore[dict-item]
    spec = {"e": "email", "x": "ignore", "t": "attribute:tier"}
    assert parse_mapping(spec).spec() == spec


def test_cells_of_every_kind_are_read() -> None:
    row = read_row(
        7, {"e": "a@x.com", "s": True, "at": "2026-01-02", "x": "skip", "p": 12}, MAPPING
    )
    assert row.line == 7 and row.details.email == "a@x.com" and row.details.postal_address == "12"
    [wanted] = row.wanted
    assert wanted.action is Action.OPTED_IN
    assert wanted.occurred_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert read_row(8, {"e": "a@x.com", "s": False}, MAPPING).wanted[0].action is Action.OPTED_OUT
    assert read_row(9, {"e": "a@x.com", "p": 1.5}, MAPPING).details.postal_address == "1.5"


@pytest.mark.parametrize(
    ("cells", "says"),
    [
        ({"s": ["yes"]}, "holds a list"),
        ({"s": "maybe"}, "is not one of"),
        ({"s": "yes", "at": "2026-13-01"}, "is not an ISO 8601 time"),
        ({"s": "yes", "at": "2026-01-02T10:00:00"}, "has no UTC offset"),
    ],
)
def test_a_bad_cell_is_refused_naming_its_column(cells: dict[str, object], says: str) -> None:
    with pytest.raises(Invalid) as refused:
        read_row(2, {"e": "a@x.com", **cells}, MAPPING)
    assert says in refused.value.message or refused.value.code == "invalid_text"


def test_the_report_counts_outcomes_changes_and_refusals() -> None:
    report = ImportReport(dry_run=False)
    report.add([
        RowOutcome(2, Outcome.CREATED, "ct_1", ("opted_in:sms", "opted_out:email",
                                                 "confirmation_cancelled:email")),
        RowOutcome(3, Outcome.REFUSED, code="opted_out"),
    ])  # fmt: skip
    assert (report.created, report.refused, report.opted_in, report.opted_out) == (1, 1, 1, 1)
    assert report.refusals == {"opted_out": 1}


def test_flat_evidence_takes_the_same_checks_as_nested() -> None:
    flat = {"reference": "a\x00b"}
    with pytest.raises(InvalidEvidence) as refused:
        limits.bounded_json(flat, field="evidence", error=InvalidEvidence, max_bytes=100)
    assert refused.value.details["reason"] == "invalid_text"
    with pytest.raises(InvalidEvidence) as big:
        limits.bounded_json(
            {"r": "x" * 200}, field="evidence", error=InvalidEvidence, max_bytes=100
        )
    assert big.value.details["reason"] == "too_large"
    with pytest.raises(InvalidEvidence) as keyed:
        limits.bounded_json({1: "x"}, field="evidence", error=InvalidEvidence, max_bytes=100)
    assert keyed.value.details["reason"] == "not_json"
    with pytest.raises(InvalidEvidence) as nested:
        limits.bounded_json(
            {"r": {"s": "x" * 200}}, field="evidence", error=InvalidEvidence, max_bytes=100
        )
    assert nested.value.details["reason"] == "too_large"
