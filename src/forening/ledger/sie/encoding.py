"""Text and numbers in SIE: CP437 strings (cleaned, quoted, and kept as "byte characters"
for the #KSUMMA CRC), amounts in öre, dates, and account numbers (§5.1)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

# Control characters (0-31, 127) are not allowed in SIE strings (§5.1).
_CONTROL = dict.fromkeys((*range(32), 127), " ")
_CP437_PRINTABLE = frozenset(bytes(range(32, 256)).decode("cp437")) - {"\x7f", "\xa0"}
_SPECIAL = {
    "€": "EUR",
    "ø": "ö",
    "Ø": "Ö",
    "\xa0": " ",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "−": "-",
    "•": "*",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
}
# Anything that needs more than `'"' + text + '"'`: control chars, quote, backslash, non-ASCII.
# Text is built as "byte characters": each character is the CP437 byte it becomes
# (chr(0x86) for "å"), so a batch encodes with the fast latin-1 codec instead of the
# per-character cp437 one. ASCII is the same in both.
_BYTE_CHARS = {ord(c): chr(b) for b, c in enumerate(bytes(range(128, 256)).decode("cp437"), 128)}
_ASCII_NEEDS_WORK = re.compile(r'[\x00-\x1f\x7f"\\]')
_CP437_UPPER_HALF = "".join(sorted(_CP437_PRINTABLE - set(map(chr, range(128)))))
# Printable CP437 except the quote and the backslash, which need escaping or cleaning.
_NOT_PLAIN_CP437 = re.compile("[^ !#-\\[\\]-~" + re.escape(_CP437_UPPER_HALF) + "]")
_AMBIGUOUS_BACKSLASH = re.compile(r'\\(?="|$)')


@lru_cache(maxsize=4096)
def _replace_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if category in ("Mn", "Cf"):  # a stray accent or an invisible format character
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if c in _CP437_PRINTABLE)
    if kept and all(c in _CP437_PRINTABLE or unicodedata.combining(c) for c in decomposed):
        return kept
    return "?"


def clean_text(text: str) -> str:
    """Make `text` fit a SIE string: CP437 characters only, no control characters.

    A backslash right before a quote or at the end becomes "/": SIE defines only `\\"`, so a
    reader could not tell such a backslash from an escape.
    """
    text = text.translate(_CONTROL)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # "e" + combining acute → "é", in CP437
        text = "".join(c if c in _CP437_PRINTABLE else _replace_char(c) for c in text)
    if "\\" in text:
        text = _AMBIGUOUS_BACKSLASH.sub("/", text)
    return text


def quoted(text: str) -> tuple[str, str]:
    """(the field as written, its value for #KSUMMA), both in byte characters."""
    if text.isascii():
        if _ASCII_NEEDS_WORK.search(text) is None:
            return f'"{text}"', text
    elif _NOT_PLAIN_CP437.search(text) is None:
        value = text.translate(_BYTE_CHARS)
        return f'"{value}"', value
    value = clean_text(text).translate(_BYTE_CHARS)
    return '"' + value.replace('"', '\\"') + '"', value


def format_amount(minor: int) -> str:
    """Öre to a SIE amount: 123450 → "1234.50", -5 → "-0.05" (point, two decimals, no "+")."""
    units, cents = divmod(-minor if minor < 0 else minor, 100)
    return f"{'-' if minor < 0 else ''}{units}.{cents:02d}"


def ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def is_account_number(number: object) -> bool:
    return isinstance(number, str) and number.isascii() and number.isdigit()
