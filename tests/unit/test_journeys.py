"""Journeys' rules (decision 078): when a scheduled journey's date is due, and page sizes."""

from __future__ import annotations

from datetime import date

import pytest

from consentry.core.journeys import MAX_PAGE, due_on, page_size, run_message_id

LEAP, PLAIN = date(2028, 2, 29), date(2027, 2, 28)


@pytest.mark.parametrize(
    ("value", "day", "due"),
    [
        ("1990-03-14", date(2026, 3, 14), True),
        ("03-14", date(2026, 3, 14), True),
        (" 03-14 ", date(2026, 3, 14), True),
        ("1990-03-14", date(2026, 3, 15), False),
        ("02-29", LEAP, True),
        ("1992-02-29", PLAIN, True),  # no 29 February this year: the 28th
        ("02-28", PLAIN, True),
        ("02-29", date(2028, 2, 28), False),  # a leap year has its own 29th
        ("13-01", date(2026, 1, 13), False),
        ("00-10", date(2026, 1, 10), False),
        ("02-30", PLAIN, False),
        ("04-31", date(2026, 4, 30), False),
        ("14 March", date(2026, 3, 14), False),
        ("2026-3-14", date(2026, 3, 14), False),
        (None, date(2026, 3, 14), False),
        (314, date(2026, 3, 14), False),
    ],
)
def test_a_date_is_due_on_its_day(value, day, due):
    assert due_on(value, day) is due


def test_page_sizes_are_bounded():
    assert [page_size(n) for n in (0, 1, 50, 10_000)] == [1, 1, 50, MAX_PAGE]


def test_a_run_names_its_messages_by_journey_and_day():
    assert run_message_id("sj_1", date(2026, 1, 5)) == "sj_1:2026-01-05"
