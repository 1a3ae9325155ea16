"""Dates as people in the Nordics write them: 2026-03-15, 20260315, 15.3.2026, 15/3/2026,
15-03-2026, 15.3.26 (day first, never month first)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2}|\d{4})$")


def parse_date(value: str, *, pivot: dt.date | None = None) -> dt.date | None:
    """The date in `value`, or None when it is not a real date in one of the forms above.

    Two-digit years are put in the century that makes the year not later than the year of
    `pivot` (default: today), which is what a register of living people wants.
    """
    text = (value or "").strip()
    if " " in text:  # "2026-03-15 00:00:00" from a spreadsheet
        text = text.split(" ", 1)[0]
    year: int
    if match := _ISO.match(text) or _COMPACT.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DAY_FIRST.match(text):
        day, month = int(match[1]), int(match[2])
        year = int(match[3])
        if len(match[3]) == 2:
            pivot = pivot or timezone.localdate()
            year += (pivot.year // 100) * 100
            if year > pivot.year:
                year -= 100
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
