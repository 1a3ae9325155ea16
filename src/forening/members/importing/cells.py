"""Cell values: what a cell of each field may hold and what it means ("K" is female,
"udmeldt" is inactive, 45366 is 15 March 2024). A value that does not fit raises
CellError, whose message the report shows on the row and column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from forening.core.models import Gender, Language, MemberStatus
from forening.members.dates import parse_date
from forening.members.importing.mapping import normalise_header
from forening.members.importing.reading import Cell, cell_text


class CellError(ValueError):
    """A cell's value does not fit its field; str() is the message."""


def _words(table: Mapping[str, str]) -> dict[str, str]:
    """{"a|b|c": value} → {"a": value, "b": value, "c": value}, keys as normalise_header."""
    return {
        normalise_header(word): value
        for words, value in table.items()
        for word in words.split("|")
        if word
    }


_GENDERS = _words(
    {
        "k|kvinna|kvinnor|kvinde|kvinder|kvindelig|f|female|woman|w|flicka|tjej|pige|girl|"
        "dam": Gender.FEMALE,
        "m|man|män|mand|mænd|mandlig|male|pojke|kille|dreng|boy|herr|herre": Gender.MALE,
        "a|x|annat|annan|andet|anden|other|ickebinär|nonbinary": Gender.OTHER,
    }
)
_STATUSES = _words(
    {
        "aktiv|active|medlem|member|aktivt medlem|aktiv medlem": MemberStatus.ACTIVE,
        "ansökt|ansökan|sökande|ansøgt|ansøger|applied|applicant|pending": MemberStatus.APPLIED,
        "kontakt|contact|ej medlem|icke medlem|ikke medlem|not a member": MemberStatus.CONTACT,
        "inaktiv|inactive|utträdd|utträtt|avslutad|tidigare medlem|f.d. medlem|udmeldt|"
        "udtrådt|tidligere medlem|former member|former|left": MemberStatus.INACTIVE,
        "avliden|död|afdød|død|deceased|dead": MemberStatus.DECEASED,
        "avslagen|avvisad|afvist|afslået|rejected": MemberStatus.REJECTED,
    }
)
_LANGUAGES = _words(
    {
        "sv|svenska|svensk|swedish": Language.SWEDISH,
        "da|dk|dansk|danska|danish": Language.DANISH,
        "en|engelska|engelsk|english": Language.ENGLISH,
    }
)
_COUNTRIES = _words(
    {
        "sverige|sweden|swe": "SE",
        "danmark|denmark|dnk": "DK",
        "norge|norway|nor": "NO",
        "finland|suomi|fin": "FI",
        "island|iceland|isl": "IS",
        "tyskland|germany|deutschland|deu": "DE",
        "storbritannien|england|united kingdom|uk|gbr": "GB",
    }
)


def parse_gender(value: str) -> str:
    found = _GENDERS.get(normalise_header(value))
    if found is None:
        raise CellError(_("Write the gender as K or M, kvinna or man, female or male."))
    return found


def parse_status(value: str) -> str:
    folded = normalise_header(value)
    found = _STATUSES.get(folded)
    if found is None:
        labels = {normalise_header(str(label)): key for key, label in MemberStatus.choices}
        found = labels.get(folded)
    if found is None:
        raise CellError(
            _("Unknown status “%(value)s”. Use active, applied, contact, inactive or deceased.")
            % {"value": value}
        )
    return found


def parse_language(value: str) -> str:
    found = _LANGUAGES.get(normalise_header(value))
    if found is None:
        raise CellError(_("Write the language as sv, da or en."))
    return str(found)


def parse_country(value: str) -> str:
    folded = normalise_header(value)
    found = _COUNTRIES.get(folded)
    if found is None and len(folded) == 2 and folded.isalpha():
        found = folded.upper()
    if found is None:
        raise CellError(_("Write the country as a two-letter code, such as SE or DK."))
    return found


def parse_date_cell(value: Cell) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if value.isdigit() and len(value) == 5:
        # A date cell exported as its serial number (45366 = 2024-03-15).
        serial: dt.datetime = from_excel(int(value))
        return serial.date()
    parsed = parse_date(value)
    if parsed is None:
        raise CellError(
            _("“%(value)s” is not a date. Write it as 2026-03-15 or 15.3.2026.") % {"value": value}
        )
    return parsed


def parse_member_number(value: str) -> int:
    digits = value.strip()
    if not digits.isdigit() or not 0 < int(digits) < 2_000_000_000:
        raise CellError(_("A member number is a whole number, such as 1024."))
    return int(digits)


def identity_text(value: Cell) -> str:
    text = cell_text(value).strip()
    # A number typed into a number cell loses its leading zero (CPR 0707614285).
    if text.isdigit() and len(text) in (9, 11):
        text = text.zfill(len(text) + 1)
    return text


def split_full_name(value: str) -> tuple[str, str]:
    """ "Svensson, Anna" or "Anna Maria Svensson" → ("Anna Maria", "Svensson")."""
    if "," in value:
        last, _sep, first = value.partition(",")
        return first.strip(), last.strip()
    parts = value.split()
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def street_key(value: str) -> str:
    return normalise_header(value)


def postal_key(value: str) -> str:
    return "".join(char for char in value if char.isalnum()).upper()


def postal_variants(code: str) -> set[str]:
    """How a postal code may be written in the register: "12345" and "123 45"."""
    variants = {code}
    if len(code) == 5 and code.isdigit():
        variants.add(f"{code[:3]} {code[3:]}")
    return variants
