"""Personal identity numbers: Swedish personnummer and samordningsnummer, Danish CPR.

`parse()` turns what a person typed into an `IdentityNumber` with one normal form, the birth
date and the legal gender, or raises `IdentityNumberError` with a message for the user.

- Swedish numbers are validated with python-stdnum (`se.personalid`). Samordningsnummer
  (day + 60) are valid numbers that stdnum rejects, so for those we check the date after
  subtracting 60 and the Luhn digit with stdnum's `luhn`. A 10-digit number gets its
  century from "today": `-` means under 100 years old, `+` means 100 or older (from the
  calendar year someone turns 100, as Skatteverket writes it). The birth number 000 is
  never issued. Like the personnummer spec, we take no spaces inside a number.
- Danish CPR numbers are validated with python-stdnum (`dk.cpr`): the date and the century
  digit. The modulus-11 rule was dropped in 2007 and CPR-kontoret asks systems not to
  enforce it, so we don't.

The normal forms are "YYYYMMDD-NNNC" (Sweden) and "DDMMYY-SSSS" (Denmark).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import personalid

PERSONNUMMER = "personnummer"
SAMORDNINGSNUMMER = "samordningsnummer"
CPR = "cpr"

_SWEDISH = re.compile(
    r"^(?P<century>\d{2})?(?P<date>\d{6})(?P<sep>[-+]?)(?P<serial>\d{3})(?P<check>\d)$"
)
_DANISH = re.compile(r"^(?P<date>\d{6})-?(?P<serial>\d{4})$")


class IdentityNumberError(ValueError):
    """The number cannot be a valid identity number; str() is a message for the user."""


@dataclass(frozen=True)
class IdentityNumber:
    country: str
    kind: str
    normalised: str
    birth_date: dt.date
    is_male: bool

    @property
    def gender(self) -> str:
        return "male" if self.is_male else "female"

    @property
    def masked(self) -> str:
        """The date part and stars: what everyday pages show."""
        head, _sep, _tail = self.normalised.partition("-")
        return f"{head}-****"

    def __str__(self) -> str:
        return self.normalised


def _clean(value: str) -> str:
    return (value or "").strip()


def parse(value: str, country: str, *, today: dt.date | None = None) -> IdentityNumber:
    """Validate and normalise `value` as an identity number of `country` ("SE" or "DK")."""
    today = today or timezone.localdate()
    cleaned = _clean(value)
    if not cleaned:
        raise IdentityNumberError(_("Enter an identity number."))
    if country == "DK":
        return _parse_danish(cleaned, today)
    return _parse_swedish(cleaned, today)


def _parse_swedish(cleaned: str, today: dt.date) -> IdentityNumber:
    match = _SWEDISH.match(cleaned)
    if not match:
        raise IdentityNumberError(
            _("Write the personnummer as YYYYMMDD-NNNN or YYMMDD-NNNN (10 or 12 digits).")
        )
    short_date, serial, check = match["date"], match["serial"], match["check"]
    yy, month, day = int(short_date[:2]), int(short_date[2:4]), int(short_date[4:6])
    kind = PERSONNUMMER
    if day > 60:
        kind, day = SAMORDNINGSNUMMER, day - 60
    if match["century"]:
        year = int(match["century"] + short_date[:2])
    else:
        year = _swedish_year(yy, month, day, plus=match["sep"] == "+", today=today)
    try:
        birth_date = dt.date(year, month, day)
    except ValueError:
        raise IdentityNumberError(_("The number does not contain a real date.")) from None
    if birth_date > today:
        raise IdentityNumberError(_("The date in the number is in the future."))
    if serial == "000":
        raise IdentityNumberError(_("This is not a valid personnummer."))
    ten_digits = short_date + serial + check
    if not luhn.is_valid(ten_digits):
        raise IdentityNumberError(_("The check digit does not match: look for a typing error."))
    normalised = f"{year:04d}{short_date[2:]}-{serial}{check}"
    if kind == PERSONNUMMER:
        try:
            personalid.validate(normalised)
        except StdnumError:
            raise IdentityNumberError(_("This is not a valid personnummer.")) from None
    return IdentityNumber(
        country="SE",
        kind=kind,
        normalised=normalised,
        birth_date=birth_date,
        is_male=int(serial[2]) % 2 == 1,
    )


def _swedish_year(yy: int, month: int, day: int, *, plus: bool, today: dt.date) -> int:
    """The century for a 10-digit number: with `-`, the most recent one that puts the
    birth date on or before today; with `+`, the most recent one that puts the birth year
    at least 100 calendar years back (the `+` is used from the year someone turns 100)."""
    if plus:
        oldest = today.year - 100
        return oldest - (oldest - yy) % 100
    year = (today.year // 100) * 100 + yy
    try:
        born_after_today = dt.date(year, month, day) > today
    except ValueError:
        born_after_today = year > today.year
    if born_after_today:
        year -= 100
    return year


def _parse_danish(cleaned: str, today: dt.date) -> IdentityNumber:
    match = _DANISH.match(cleaned)
    if not match:
        raise IdentityNumberError(_("Write the CPR number as DDMMYY-SSSS (10 digits)."))
    digits = match["date"] + match["serial"]
    try:
        birth_date = cpr.get_birth_date(digits)
    except StdnumError:
        raise IdentityNumberError(_("The number does not contain a real date.")) from None
    if birth_date > today:
        raise IdentityNumberError(_("The date in the number is in the future."))
    try:
        cpr.validate(digits)
    except StdnumError:
        raise IdentityNumberError(_("This is not a valid CPR number.")) from None
    return IdentityNumber(
        country="DK",
        kind=CPR,
        normalised=f"{match['date']}-{match['serial']}",
        birth_date=birth_date,
        is_male=int(digits[-1]) % 2 == 1,
    )


def index_purpose(organisation_id: int) -> str:
    """Blind-index purpose: per association, so equal numbers don't link across tenants."""
    return f"identity-number:{organisation_id}"
