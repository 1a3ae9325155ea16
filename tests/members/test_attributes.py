"""Custom fields (REG-05): what people type becomes a typed value, is stored in the column for
its kind, read back unchanged and shown in the reader's language. No database needed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from forening.members import attributes
from forening.members.attributes import AttributeValueError, coerce, display
from forening.members.models import AttributeDefinition, AttributeKind, AttributeValue

K = AttributeKind
ALLERGIES = [
    {"key": "gluten", "label": "Gluten"},
    {"key": "nuts", "label": "Nötter"},
    {"key": "milk", "label": "Mjölk"},
]


def field(kind: str, options: list[dict[str, str]] | None = None) -> AttributeDefinition:
    return AttributeDefinition(name="Fält", kind=kind, options=options or [])


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("kind", K.values)
@pytest.mark.parametrize("raw", [None, "", "   ", [], ()])
def test_empty_input_is_no_value(kind, raw):
    assert coerce(field(kind, ALLERGIES), raw) is None


def test_text_is_trimmed():
    assert coerce(field(K.TEXT), "  Laktos  ") == "Laktos"
    assert coerce(field(K.TEXT), 42) == "42"


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("12", Decimal("12")),
        ("1,5", Decimal("1.5")),
        ("1.5", Decimal("1.5")),
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234", Decimal("1234")),
        ("-3", Decimal("-3")),
        (7, Decimal("7")),
        (2.5, Decimal("2.5")),
    ],
)
def test_numbers_in_nordic_and_english_forms(raw, number):
    assert coerce(field(K.NUMBER), raw) == number


@pytest.mark.parametrize("raw", ["tolv", "1.234,5", "NaN", "Infinity", "1e20", True])
def test_what_is_no_number_is_refused(raw):
    with pytest.raises(AttributeValueError, match="Enter a number"):
        coerce(field(K.NUMBER), raw)


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2026-03-15", dt.date(2026, 3, 15)),
        ("15.3.2026", dt.date(2026, 3, 15)),
        ("15/03/2026", dt.date(2026, 3, 15)),
        ("20260315", dt.date(2026, 3, 15)),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15)),
        (dt.datetime(2026, 3, 15, 12, 30, tzinfo=dt.UTC), dt.date(2026, 3, 15)),  # Excel
    ],
)
def test_dates(raw, day):
    assert coerce(field(K.DATE), raw) == day


@pytest.mark.parametrize("raw", ["31.2.2026", "i morgon", "2026-13-01", "03/15/2026"])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(AttributeValueError, match="Enter a date"):
        coerce(field(K.DATE), raw)


@pytest.mark.parametrize("raw", [True, "ja", "Ja", "J", "yes", "x", "X", "1", "sant", "true", "✓"])
def test_yes(raw):
    assert coerce(field(K.BOOLEAN), raw) is True


@pytest.mark.parametrize("raw", [False, "nej", "NEJ", "nei", "no", "0", "false", "falskt"])
def test_no(raw):
    assert coerce(field(K.BOOLEAN), raw) is False


def test_neither_yes_nor_no_is_refused():
    with pytest.raises(AttributeValueError, match="Answer yes or no"):
        coerce(field(K.BOOLEAN), "kanske")


def test_one_choice_by_key_or_label_in_any_case():
    allergy = field(K.CHOICE, ALLERGIES)

    assert coerce(allergy, "nuts") == "nuts"
    assert coerce(allergy, "Nötter") == "nuts"
    assert coerce(allergy, " nötter ") == "nuts"
    assert coerce(allergy, ["milk"]) == "milk"
    with pytest.raises(AttributeValueError, match="Choose only one"):
        coerce(allergy, ["milk", "nuts"])
    with pytest.raises(AttributeValueError, match="“Ägg” is not one of the choices: Gluten"):
        coerce(allergy, "Ägg")


def test_several_choices_from_a_list_or_a_cell():
    allergies = field(K.MULTIPLE_CHOICE, ALLERGIES)

    assert coerce(allergies, "Gluten, nötter") == ["gluten", "nuts"]
    assert coerce(allergies, "mjölk;gluten;") == ["milk", "gluten"]
    assert coerce(allergies, ["nuts", "Nötter", "milk"]) == ["nuts", "milk"]  # no repeats
    assert coerce(allergies, " , ") is None
    with pytest.raises(AttributeValueError, match="not one of the choices"):
        coerce(allergies, "gluten, ägg")


@pytest.mark.parametrize(
    ("kind", "value", "column"),
    [
        (K.TEXT, "Laktos", "text"),
        (K.NUMBER, Decimal("1.5"), "number"),
        (K.DATE, dt.date(2025, 6, 1), "date"),
        (K.BOOLEAN, False, "boolean"),
        (K.CHOICE, "nuts", "text"),
        (K.MULTIPLE_CHOICE, ["gluten", "milk"], "text"),
    ],
)
def test_values_are_stored_in_their_column_and_read_back(kind, value, column):
    definition = field(kind, ALLERGIES)
    row = AttributeValue(attribute=definition, text="old", number=Decimal(9), boolean=True)

    attributes.write_value(row, value)

    columns = {"text": row.text, "number": row.number, "date": row.date, "boolean": row.boolean}
    assert {name for name, stored in columns.items() if stored not in ("", None)} == {column}
    assert attributes.read_value(definition, row) == value
    assert row.value == value


def test_choices_are_stored_between_commas_so_one_option_can_be_searched():
    row = AttributeValue(attribute=field(K.MULTIPLE_CHOICE, ALLERGIES))

    attributes.write_value(row, ["gluten", "milk"])

    assert row.text == ",gluten,milk,"
    one = AttributeValue(attribute=field(K.CHOICE, ALLERGIES))
    attributes.write_value(one, "nuts")
    assert one.text == ",nuts,"


def test_whole_numbers_read_back_without_an_exponent():
    definition = field(K.NUMBER)
    row = AttributeValue(attribute=definition, number=Decimal("100.0000"))

    assert str(attributes.read_value(definition, row)) == "100"
    row.number = Decimal("2.5000")
    assert str(attributes.read_value(definition, row)) == "2.5"


@pytest.mark.parametrize(
    ("kind", "value", "english", "swedish"),
    [
        (K.TEXT, "Laktos", "Laktos", "Laktos"),
        (K.NUMBER, Decimal("1234.5"), "1234.5", "1234,5"),
        (K.DATE, dt.date(2025, 6, 1), "2025-06-01", "2025-06-01"),
        (K.BOOLEAN, True, "Yes", "Ja"),
        (K.BOOLEAN, False, "No", "Nej"),
        (K.CHOICE, "nuts", "Nötter", "Nötter"),
        (K.MULTIPLE_CHOICE, ["gluten", "milk"], "Gluten, Mjölk", "Gluten, Mjölk"),
        # An option removed since: its key is shown rather than nothing.
        (K.MULTIPLE_CHOICE, ["gluten", "eggs"], "Gluten, eggs", "Gluten, eggs"),
        (K.TEXT, None, "", ""),
        (K.MULTIPLE_CHOICE, [], "", ""),
    ],
)
def test_display_in_the_readers_language(kind, value, english, swedish):
    definition = field(kind, ALLERGIES)

    assert display(definition, value) == english
    with translation.override("sv"):
        assert display(definition, value) == swedish


def test_empty():
    assert all(attributes.empty(v) for v in (None, "", [], ()))
    assert not any(attributes.empty(v) for v in (0, False, "0", [""]))
