"""The record of written permission a staff, admin or operator opt-in carries (seeds/000, 056)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from consentry.core.errors import ConsentryError
from consentry.core.evidence import (
    REQUIRED,
    PermissionKind,
    check_written_permission,
    permission_problems,
    written_permission,
)

#: When the opt-in happened: 09:00 UTC on 5 January (23:00 in UTC+14, the earliest zone).
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
GOOD = {"written_permission": "email", "given_at": "2026-01-02", "reference": "inbox, 2 Jan"}


def refusal(call) -> ConsentryError:
    with pytest.raises(ConsentryError) as info:
        call()
    return info.value


def test_the_record_says_what_when_and_where():
    assert REQUIRED == ("written_permission", "given_at", "reference")
    assert [k.value for k in PermissionKind] == ["email", "message", "signed_form", "document"]
    assert permission_problems(GOOD, AT) == {}


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        ({"written_permission": None}, {"written_permission": "missing"}),
        ({"written_permission": " "}, {"written_permission": "missing"}),
        (
            {"written_permission": "verbal_recorded"},
            {"written_permission": "must be one of email, message, signed_form, document"},
        ),
        (
            {"written_permission": "Email"},
            {"written_permission": "must be one of email, message, signed_form, document"},
        ),
        ({"given_at": ""}, {"given_at": "missing"}),
        ({"given_at": 20260102}, {"given_at": "must be an ISO 8601 date or time, as text"}),
        (
            {"given_at": "2 Jan 2026"},
            {"given_at": "must be an ISO 8601 date (2026-01-02) or time with its offset"},
        ),
        (
            {"given_at": "2026-01-02T10:15:00"},
            {
                "given_at": "needs a time zone offset (e.g. 2026-01-02T10:15:00Z), "
                "or give only the date"
            },
        ),
        ({"given_at": "2026-01-06"}, {"given_at": "is after the opt-in"}),
        ({"given_at": "2026-01-05T09:00:01Z"}, {"given_at": "is after the opt-in"}),
        ({"reference": None}, {"reference": "missing"}),
        ({"reference": ["a"]}, {"reference": "must be text"}),
        ({"file_sha256": "ab" * 31}, {"file_sha256": "must be 64 hex digits (a SHA-256)"}),
        ({"file_sha256": "xy" * 32}, {"file_sha256": "must be 64 hex digits (a SHA-256)"}),
        ({"file_sha256": 7}, {"file_sha256": "must be 64 hex digits (a SHA-256)"}),
    ],
)
def test_each_part_of_the_record_is_checked(change, problems):
    assert permission_problems({**GOOD, **change}, AT) == problems


@pytest.mark.parametrize(
    "given_at",
    [
        "2026-01-05",  # the same day
        "2026-01-05T09:00:00Z",  # the same moment
        "2026-01-05T22:59:00+14:00",  # earlier, written in the earliest time zone
        "2025-12-31T23:00:00-05:00",
        "20260102",  # ISO 8601's basic form
    ],
)
def test_permission_given_up_to_the_opt_in_is_accepted(given_at):
    assert permission_problems({**GOOD, "given_at": given_at}, AT) == {}


def test_a_date_may_be_the_local_date_anywhere_on_earth_but_no_later():
    late_evening = AT.replace(hour=10)  # 10:00 UTC is already 6 January in UTC+14
    assert permission_problems({**GOOD, "given_at": "2026-01-06"}, late_evening) == {}
    assert permission_problems({**GOOD, "given_at": "2026-01-07"}, late_evening) == {
        "given_at": "is after the opt-in"
    }
    in_paris = AT.astimezone(timezone(timedelta(hours=1)))
    assert permission_problems({**GOOD, "given_at": "2026-01-06"}, in_paris) == {
        "given_at": "is after the opt-in"
    }


def test_without_an_aware_moment_only_the_form_is_checked():
    assert permission_problems({**GOOD, "given_at": "2099-01-01"}) == {}
    naive = datetime(2026, 1, 5, 9, 0)
    assert permission_problems({**GOOD, "given_at": "2099-01-01"}, naive) == {}


def test_other_keys_are_kept_as_given():
    assert permission_problems({**GOOD, "taken_by": "front desk", "ip": "192.0.2.1"}, AT) == {}


@pytest.mark.parametrize("evidence", [None, {}, {"note": ""}, {"kind": "note"}])
def test_no_record_at_all_asks_for_the_three_parts(evidence):
    error = refusal(lambda: check_written_permission(evidence, AT))
    assert error.code == "evidence_required"
    assert error.details == {
        "problems": dict.fromkeys(REQUIRED, "missing"),
        "required": list(REQUIRED),
    }
    assert error.message.startswith("an opt-in needs evidence of permission")
    assert "written_permission, given_at and reference" in error.message


def test_an_incomplete_record_says_what_is_wrong_with_each_part():
    old = {"written_permission": "email of 2 Jan"}
    error = refusal(lambda: check_written_permission(old, AT))
    assert error.code == "evidence_required"
    assert error.message == (
        "the record of written permission is incomplete: written_permission must be one of "
        "email, message, signed_form, document; given_at missing; reference missing"
    )
    assert str(error) == f"evidence_required: {error.message}"


def test_evidence_that_is_not_a_mapping_is_invalid_evidence():
    assert refusal(lambda: check_written_permission(["email"], AT)).code == "invalid_evidence"  # type: ignore[arg-type]


def test_a_complete_record_passes():
    check_written_permission(GOOD, AT)


def test_the_builder_makes_a_record_that_passes():
    record = written_permission(
        PermissionKind.SIGNED_FORM,
        date(2026, 1, 2),
        "form 12, filed under A",
        file_sha256="ab" * 32,
        taken_by="front desk",
    )
    assert record == {
        "written_permission": "signed_form",
        "given_at": "2026-01-02",
        "reference": "form 12, filed under A",
        "file_sha256": "ab" * 32,
        "taken_by": "front desk",
    }
    check_written_permission(record, AT)
    moment = written_permission("email", AT - timedelta(hours=1), "inbox")
    assert moment["given_at"] == "2026-01-05T08:00:00+00:00"
    check_written_permission(moment, AT)
