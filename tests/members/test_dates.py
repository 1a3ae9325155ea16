"""Dates as Nordic people and spreadsheets write them (members/dates.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from forening.members.dates import parse_date

PIVOT = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-03-15", dt.date(2026, 3, 15)),
        ("2026-3-5", dt.date(2026, 3, 5)),
        ("20260315", dt.date(2026, 3, 15)),
        ("15.3.2026", dt.date(2026, 3, 15)),
        ("15.03.2026", dt.date(2026, 3, 15)),
        ("15/3/2026", dt.date(2026, 3, 15)),
        ("15-03-2026", dt.date(2026, 3, 15)),
        ("5.3.2026", dt.date(2026, 3, 5)),
        ("  15.3.2026  ", dt.date(2026, 3, 15)),
        ("2026-03-15 00:00:00", dt.date(2026, 3, 15)),  # a spreadsheet's datetime as text
        ("29.2.2024", dt.date(2024, 2, 29)),
    ],
)
def test_the_usual_forms(text, day):
    assert parse_date(text, pivot=PIVOT) == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("15.3.26", dt.date(2026, 3, 15)),
        ("15.12.26", dt.date(2026, 12, 15)),  # the pivot's own year stays in it
        ("1.1.00", dt.date(2000, 1, 1)),
        ("31.12.27", dt.date(1927, 12, 31)),
        ("12/3/85", dt.date(1985, 3, 12)),
    ],
)
def test_two_digit_years_are_not_later_than_the_pivot_year(text, day):
    assert parse_date(text, pivot=PIVOT) == day


def test_two_digit_years_default_to_today_as_pivot():
    today = timezone.localdate()
    parsed = parse_date(f"1.1.{today.year % 100:02d}")

    assert parsed == dt.date(today.year, 1, 1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "i går",
        "31.2.2026",  # no such day
        "29.2.2023",  # no leap year
        "2026-13-01",
        "03/15/2026",  # month first: never
        "15.3",
        "15.3.202",
        "2026/03/15",
        "202603150",
        "15. mars 2026",
    ],
)
def test_what_is_no_real_date_gives_none(text):
    assert parse_date(text, pivot=PIVOT) is None
