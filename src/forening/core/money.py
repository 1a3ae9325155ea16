"""Money is an integer number of minor units; this module formats and parses it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_precision

LOCALE_BY_LANGUAGE = {"sv": "sv_SE", "da": "da_DK", "en": "en_SE"}


def exponent(currency: str) -> int:
    """Decimal places of a currency (SEK 2, ISK 0), from the CLDR data."""
    return int(get_currency_precision(currency))


def to_decimal(amount_minor: int, currency: str) -> Decimal:
    return Decimal(amount_minor).scaleb(-exponent(currency))


def format_money(amount_minor: int, currency: str, language: str = "sv") -> str:
    """`123450, "SEK", "sv"` → "1 234,50 kr" (with the locale's own spaces and symbol)."""
    locale = LOCALE_BY_LANGUAGE.get(language, "sv_SE")
    if language == "en" and currency == "DKK":
        locale = "en_DK"
    return str(format_currency(to_decimal(amount_minor, currency), currency, locale=locale))


def parse_money(text: str, currency: str) -> int:
    """Parse user input such as "1 234,50" or "1234.5" into minor units; ValueError if bad."""
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.removesuffix("kr").removesuffix("kr.").strip()
    # The last separator is the decimal one ("1.234,50" in Danish, "1,234.50" in English);
    # a lone comma is a decimal comma ("1234,5" in Swedish and Danish).
    last_comma, last_dot = cleaned.rfind(","), cleaned.rfind(".")
    if last_comma > last_dot:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"too many decimals for {currency}: {text!r}")
    return int(scaled)
