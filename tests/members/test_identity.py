"""Identity numbers (REG-03): Swedish personnummer and samordningsnummer, Danish CPR.

The Swedish cases come from the personnummer/meta test vectors (tests/members/data/
personnummer, see SOURCES.md there); the Danish ones from CPR-kontoret's rules
(docs/formats.md § 1). The last test is the round trip every valid number must survive:
normalise → encrypt → decrypt → blind-index lookup, from any of the ways people write it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.se import personalid

from forening.core.context import Actor
from forening.members import identity, services
from forening.members.identity import IdentityNumberError, parse
from tests.factories.core import OrganisationFactory
from tests.factories.members import CPR, PERSONNUMMER, PERSONNUMMER_MALE, SAMORDNINGSNUMMER
from tests.hypothesis_profiles import examples

DATA = Path(__file__).parent / "data" / "personnummer"
# The vectors were written for "now"; a fixed day keeps the century of 10-digit numbers stable.
TODAY = dt.date(2026, 3, 1)


def vectors(name: str) -> list[dict[str, object]]:
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


STRUCTURED = json.loads((DATA / "structured.json").read_text(encoding="utf-8"))
# The vectors' own lists of what is valid and invalid, as strings and as integers.
VALID = [s for kind in ("ssn", "con") for s in STRUCTURED[kind]["string"]["valid"]] + [
    str(n) for kind in ("ssn", "con") for n in STRUCTURED[kind]["integer"]["valid"]
]
INVALID = [s for kind in ("ssn", "con") for s in STRUCTURED[kind]["string"]["invalid"]] + [
    str(n) for kind in ("ssn", "con") for n in STRUCTURED[kind]["integer"]["invalid"]
]
FORMATS = ("long_format", "short_format", "separated_format", "separated_long")


def with_check_digit(nine: str) -> str:
    return nine + luhn.calc_check_digit(nine)


# --- Swedish: the reference vectors ---------------------------------------------------


@pytest.mark.parametrize("value", VALID)
def test_every_valid_reference_number_is_accepted(value):
    assert parse(value, "SE", today=TODAY).normalised


@pytest.mark.parametrize("value", INVALID)
def test_every_invalid_reference_number_is_refused(value):
    # Wrong check digits, birth number 000, and spaces inside the number.
    with pytest.raises(IdentityNumberError):
        parse(value, "SE", today=TODAY)


@pytest.mark.parametrize(
    "vector", [v for v in vectors("list") if v["valid"]], ids=lambda v: v["separated_long"]
)
def test_valid_reference_numbers_give_the_same_person_in_every_written_form(vector):
    long_format = str(vector["long_format"])
    expected = f"{long_format[:8]}-{long_format[8:]}"
    forms = [str(vector[name]) for name in FORMATS]
    if "+" in str(vector["separated_format"]):
        # Ten digits without a separator mean "under 100": not this person.
        forms.remove(str(vector["short_format"]))
    for form in forms:
        number = parse(form, "SE", today=TODAY)
        assert number.normalised == expected, form
        assert number.is_male is vector["isMale"]
        assert number.gender == ("male" if vector["isMale"] else "female")
        assert number.kind == (
            identity.SAMORDNINGSNUMMER if vector["type"] == "con" else identity.PERSONNUMMER
        )


@pytest.mark.parametrize(
    "value",
    [str(v[name]) for v in vectors("interim") for name in FORMATS],
)
def test_interim_numbers_are_refused(value):
    # T-numbers from universities and hospitals are not issued by Skatteverket; even the
    # ones the spec calls valid are not identity numbers for the register.
    with pytest.raises(IdentityNumberError, match="YYYYMMDD-NNNN"):
        parse(value, "SE", today=TODAY)


@pytest.mark.parametrize(
    "value",
    [str(v[name]) for v in vectors("orgnumber") for name in ("short_format", "separated_format")],
)
def test_organisation_numbers_are_not_personnummer(value):
    with pytest.raises(IdentityNumberError, match="real date"):
        parse(value, "SE", today=TODAY)


def test_samordningsnummer_are_valid_although_python_stdnum_rejects_them():
    assert not personalid.is_valid(SAMORDNINGSNUMMER)

    number = parse(SAMORDNINGSNUMMER, "SE", today=TODAY)

    assert number.kind == identity.SAMORDNINGSNUMMER
    assert number.normalised == "19701063-2391"  # the day stays as issued (+60)
    assert number.birth_date == dt.date(1970, 10, 3)
    assert number.is_male
    assert number.masked == "19701063-****"
    assert parse("7010632391", "SE", today=TODAY).normalised == "19701063-2391"


def test_a_samordningsnummer_with_an_impossible_day_is_refused():
    # Day 92 - 60 = 32.
    with pytest.raises(IdentityNumberError, match="real date"):
        parse(with_check_digit("701092239"), "SE", today=TODAY)


# --- Swedish: century, dates, gender, forms --------------------------------------------


@pytest.mark.parametrize(
    ("value", "today", "born"),
    [
        # Twelve digits carry their century; "today" does not matter.
        ("19850312-2387", TODAY, dt.date(1985, 3, 12)),
        ("198503122387", dt.date(2090, 1, 1), dt.date(1985, 3, 12)),
        ("19090527+1474", TODAY, dt.date(1909, 5, 27)),
        # `-`: the most recent century that puts the birth date on or before today.
        ("850312-2387", TODAY, dt.date(1985, 3, 12)),
        ("8503122387", TODAY, dt.date(1985, 3, 12)),
        ("090527-1474", TODAY, dt.date(2009, 5, 27)),
        ("0905271474", TODAY, dt.date(2009, 5, 27)),
        ("000229-2399", TODAY, dt.date(2000, 2, 29)),
        # `+`: a hundred years or more before.
        ("850312+2387", TODAY, dt.date(1885, 3, 12)),
        ("090527+1474", TODAY, dt.date(1909, 5, 27)),
        # The same digits read on another day.
        ("850312-2387", dt.date(1985, 3, 12), dt.date(1985, 3, 12)),
        ("850312-2387", dt.date(1985, 3, 11), dt.date(1885, 3, 12)),
    ],
)
def test_ten_digit_numbers_get_their_century_from_today_and_the_separator(value, today, born):
    assert parse(value, "SE", today=today).birth_date == born


def test_the_plus_sign_counts_from_the_calendar_year_someone_turns_100():
    # Born 31 December 1926: Skatteverket writes "+" all through 2026.
    number = with_check_digit("261231238")
    plus = f"{number[:6]}+{number[6:]}"
    minus = f"{number[:6]}-{number[6:]}"

    assert parse(plus, "SE", today=TODAY).birth_date == dt.date(1926, 12, 31)
    # Written with "-" the number still means someone born in 1926: 2026-12-31 is ahead.
    assert parse(minus, "SE", today=TODAY).birth_date == dt.date(1926, 12, 31)
    # A year earlier, the "+" form belonged to someone born in 1826.
    assert parse(plus, "SE", today=dt.date(2025, 6, 1)).birth_date == dt.date(1826, 12, 31)


def test_someone_born_today_is_accepted_and_tomorrow_is_refused():
    today = dt.date(2026, 3, 1)
    born_today = with_check_digit("260301238")
    born_tomorrow = "20" + with_check_digit("260302238")

    assert parse(born_today, "SE", today=today).birth_date == today
    # Without a century, "tomorrow" is read as a hundred years ago.
    assert parse(with_check_digit("260302238"), "SE", today=today).birth_date == dt.date(1926, 3, 2)
    with pytest.raises(IdentityNumberError, match="future"):
        parse(born_tomorrow, "SE", today=today)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter an identity number"),
        ("   ", "Enter an identity number"),
        ("abc", "YYYYMMDD-NNNN"),
        ("850312-238", "YYYYMMDD-NNNN"),
        ("19850312-23877", "YYYYMMDD-NNNN"),
        ("850312 2387", "YYYYMMDD-NNNN"),
        ("850312--2387", "YYYYMMDD-NNNN"),
        ("850312-2388", "check digit"),
        ("19850230-2380", "real date"),
        ("19851312-2383", "real date"),
        ("19230229-2381", "real date"),  # 1923 is no leap year
        ("850312-0003", "not a valid personnummer"),  # birth number 000
    ],
)
def test_bad_swedish_numbers_are_refused_with_a_message(value, message):
    with pytest.raises(IdentityNumberError, match=message):
        parse(value, "SE", today=TODAY)


def test_surrounding_spaces_are_ignored():
    assert parse("  19850312-2387\t", "SE", today=TODAY).normalised == "19850312-2387"


@pytest.mark.parametrize(
    ("value", "gender", "born"),
    [
        (PERSONNUMMER, "female", dt.date(1985, 3, 12)),
        (PERSONNUMMER_MALE, "male", dt.date(1909, 5, 27)),
        ("19460823-9986", "female", dt.date(1946, 8, 23)),
        ("20000405-9937", "male", dt.date(2000, 4, 5)),
    ],
)
def test_gender_and_birth_date_come_from_the_number(value, gender, born):
    number = parse(value, "SE", today=TODAY)

    assert number.gender == gender
    assert number.birth_date == born
    assert number.country == "SE"


def test_the_normal_form_and_the_mask():
    number = parse("8503122387", "SE", today=TODAY)

    assert number.normalised == str(number) == "19850312-2387"
    assert number.masked == "19850312-****"


# --- Danish CPR ---------------------------------------------------------------------


def test_a_danish_cpr_number_is_normalised_with_a_dash():
    number = parse(CPR, "DK", today=TODAY)

    assert number.country == "DK"
    assert number.kind == identity.CPR
    assert number.normalised == "070761-4285"
    assert number.masked == "070761-****"
    assert number.birth_date == dt.date(1961, 7, 7)
    assert number.gender == "male"
    assert parse("070761-4285", "DK", today=TODAY).normalised == "070761-4285"


@pytest.mark.parametrize("value", ["0101601233", "010160-1235", "0101951008", "2110625620"])
def test_cpr_numbers_failing_modulus_11_are_accepted(value):
    # CPR-kontoret issues numbers without the modulus-11 check digit since 2007 and asks
    # systems not to refuse them.
    digits = value.replace("-", "")
    assert cpr.checksum(digits) != 0

    number = parse(value, "DK", today=TODAY)

    assert number.normalised == f"{digits[:6]}-{digits[6:]}"


@pytest.mark.parametrize(
    ("seventh", "yy", "year"),
    [
        # 0–3: always the 1900s.
        ("0", "05", 1905),
        ("3", "99", 1999),
        ("2", "36", 1936),
        # 4 and 9: 2000–2036, else 1937–1999.
        ("4", "00", 2000),
        ("4", "24", 2024),
        ("9", "20", 2020),
        ("4", "37", 1937),
        ("9", "57", 1957),
        ("9", "99", 1999),
        # 5–8: 2000–2057, else 1858–1899.
        ("5", "10", 2010),
        ("8", "25", 2025),
        ("6", "58", 1858),
        ("7", "99", 1899),
    ],
)
def test_the_cpr_century_table(seventh, yy, year):
    number = parse(f"0101{yy}-{seventh}123", "DK", today=TODAY)

    assert number.birth_date == dt.date(year, 1, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Enter an identity number"),
        ("19850312-2387", "DDMMYY-SSSS"),
        ("070761-428", "DDMMYY-SSSS"),
        ("0707614285x", "DDMMYY-SSSS"),
        ("070761 4285", "DDMMYY-SSSS"),
        ("320161-4285", "real date"),
        ("290223-4285", "real date"),  # 2023 is no leap year
        ("010130-4001", "future"),  # 1 January 2030
        ("010157-5001", "future"),  # 5–8 with 57 means 2057
    ],
)
def test_bad_cpr_numbers_are_refused_with_a_message(value, message):
    with pytest.raises(IdentityNumberError, match=message):
        parse(value, "DK", today=TODAY)


@pytest.mark.parametrize(("last", "gender"), [("1", "male"), ("2", "female"), ("9", "male")])
def test_cpr_gender_is_the_last_digit(last, gender):
    assert parse(f"120380-123{last}", "DK", today=TODAY).gender == gender


def test_the_blind_index_purpose_differs_per_association():
    assert identity.index_purpose(1) != identity.index_purpose(2)


# --- the round trip through the register --------------------------------------------


@st.composite
def swedish_numbers(draw: st.DrawFn, *, today: dt.date) -> tuple[str, dt.date, bool, list[str]]:
    """A valid personnummer or samordningsnummer: (normal form, birth date, is_male, every
    way of writing it that means the same person today)."""
    born = draw(st.dates(min_value=dt.date(1890, 1, 1), max_value=today))
    serial = draw(st.integers(min_value=1, max_value=999))
    coordination = draw(st.booleans())
    day = born.day + 60 if coordination else born.day
    short = with_check_digit(f"{born:%y%m}{day:02d}{serial:03d}")
    century = f"{born.year // 100:02d}"
    normalised = f"{century}{short[:6]}-{short[6:]}"
    old = today.year - born.year >= 100
    separator = "+" if old else "-"
    forms = [
        normalised,
        f"{century}{short}",
        f"{short[:6]}{separator}{short[6:]}",
    ]
    if old:
        forms.append(f"{century}{short[:6]}+{short[6:]}")
    else:
        forms.append(short)  # ten digits without separator mean "under 100"
    return normalised, born, serial % 10 % 2 == 1, forms


def cpr_century_digits(year: int) -> str:
    yy = year % 100
    if 1900 <= year <= 1999:
        return "0123" + ("49" if yy >= 37 else "")
    if 2000 <= year <= 2036:
        return "456789"
    if 2037 <= year <= 2057:
        return "5678"
    return "5678" if year >= 1858 and yy >= 58 else ""


@st.composite
def cpr_numbers(draw: st.DrawFn, *, today: dt.date) -> tuple[str, dt.date, bool, list[str]]:
    born = draw(st.dates(min_value=dt.date(1858, 1, 1), max_value=today))
    seventh = draw(st.sampled_from(cpr_century_digits(born.year)))
    rest = draw(st.integers(min_value=0, max_value=999))
    digits = f"{born:%d%m%y}{seventh}{rest:03d}"
    normalised = f"{digits[:6]}-{digits[6:]}"
    return normalised, born, rest % 2 == 1, [normalised, digits]


@pytest.fixture
def dk_org(db):
    return OrganisationFactory(
        name="IF Prøve", slug="if-prove", country="DK", currency="DKK", organisation_number=""
    )


ROUND_TRIP = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_round_trip(organisation, number: tuple[str, dt.date, bool, list[str]], pick: int):
    normalised, born, is_male, forms = number
    actor = Actor.system("test")
    with transaction.atomic():
        person = services.create_person(
            organisation,
            actor=actor,
            first_name="Test",
            last_name="Person",
            identity_number=forms[pick % len(forms)],
        )
        person.refresh_from_db()
        assert normalised not in person.identity_number_ciphertext
        assert normalised.replace("-", "") not in person.identity_number_ciphertext
        assert services.decrypt_identity_number(person) == normalised
        assert person.identity_number_masked == normalised.split("-")[0] + "-****"
        assert person.birth_date == born
        assert person.gender == ("male" if is_male else "female")
        for form in forms:
            found = services.find_by_identity_number(organisation, form)
            assert found == person, form
        transaction.set_rollback(True)


@ROUND_TRIP
@given(
    number=swedish_numbers(today=timezone.localdate()), pick=st.integers(min_value=0, max_value=3)
)
def test_any_swedish_number_survives_encryption_and_is_found_in_any_form(org, number, pick):
    assert_round_trip(org, number, pick)


@ROUND_TRIP
@given(number=cpr_numbers(today=timezone.localdate()), pick=st.integers(min_value=0, max_value=1))
def test_any_cpr_number_survives_encryption_and_is_found_in_any_form(dk_org, number, pick):
    with scope(organisation=dk_org.pk):
        assert_round_trip(dk_org, number, pick)


def test_find_by_identity_number_ignores_what_is_no_number(org):
    services.create_person(
        org, actor=Actor.system("test"), first_name="Anna", identity_number=PERSONNUMMER
    )

    assert services.find_by_identity_number(org, "") is None
    assert services.find_by_identity_number(org, "anna") is None
    assert services.find_by_identity_number(org, "19850312-2388") is None
    assert services.find_by_identity_number(org, "8503122387") is not None
