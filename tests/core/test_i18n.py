"""Swedish and Danish translations are complete, and dates and money follow the locale."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import formats, translation

from forening.core.money import format_money

LOCALE = Path(__file__).resolve().parents[2] / "src" / "forening" / "locale"


@pytest.mark.parametrize("language", ["sv", "da"])
def test_every_message_is_translated(language):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    missing = [
        message.id
        for message in catalogue
        if message.id
        and (
            message.fuzzy
            or not message.string
            or (isinstance(message.string, tuple) and not all(message.string))
        )
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "1\xa0234,50\xa0kr"), ("da", "1.234,50\xa0SEK"), ("en", "1\xa0234,50\xa0kr")],
)
def test_money_is_formatted_per_locale(language, expected):
    assert format_money(123450, "SEK", language) == expected


@pytest.mark.parametrize(("language", "expected"), [("sv", "2026-03-05"), ("da", "05.03.2026")])
def test_dates_are_formatted_per_locale(language, expected):
    with translation.override(language):
        assert formats.date_format(dt.date(2026, 3, 5), "SHORT_DATE_FORMAT") == expected
