"""Country names in the user's language, for forms and pages (from Babel's CLDR data)."""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from django.utils import translation

NORDIC_COUNTRIES = ("SE", "DK", "NO", "FI", "IS")
# Babel territories that are not countries one lives in.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}


@functools.cache
def _country_names(language: str) -> tuple[tuple[str, str], ...]:
    try:
        territories = Locale.parse(language.replace("-", "_")).territories
    except (UnknownLocaleError, ValueError):
        territories = Locale.parse("en").territories
    names = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    nordic = [(code, names[code]) for code in NORDIC_COUNTRIES if code in names]
    rest = sorted(
        ((code, name) for code, name in names.items() if code not in NORDIC_COUNTRIES),
        key=lambda item: item[1].casefold(),
    )
    return (*nordic, *rest)


def country_choices() -> list[tuple[str, str]]:
    """Every country, named in the active language, the Nordic ones first."""
    return [("", "—"), *_country_names(translation.get_language() or "sv")]


def country_name(code: str) -> str:
    return dict(_country_names(translation.get_language() or "sv")).get(code, code)
