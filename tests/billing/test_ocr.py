"""Bankgirot OCR references and FI-kort 71 ids (docs/formats.md § 3 and § 4)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum import luhn

from forening.billing import ocr
from forening.billing.ocr import OcrError

# § 2: every vector passes Luhn and has a correct length digit.
VECTORS = [
    "1636976",
    "1202951008",
    "03368912618",
    "1018966492531",
    "1019080881039",
    "18108401345678778",
    "18196701475307475",
]
# § 2: references Bankgirot's sample files report with code 5 (failed the OCR check).
FAILED_IN_BGMAX = ["8988777", "128717", "43753"]

digits = st.text(alphabet="0123456789", min_size=1, max_size=23)


@pytest.mark.parametrize("reference", VECTORS)
def test_published_vectors_are_valid_with_length_digit(reference: str) -> None:
    assert ocr.is_valid(reference, length_digit=True)
    assert ocr.is_valid(reference, length_digit=None)


@pytest.mark.parametrize("reference", VECTORS)
def test_making_a_reference_from_the_payload_reproduces_the_vector(reference: str) -> None:
    assert ocr.make_reference(reference[:-2]) == reference


def test_wrong_length_digit_passes_luhn_but_not_the_length_check() -> None:
    assert ocr.is_valid("1636919", length_digit=None)
    assert ocr.is_valid("1636919", length_digit=False)
    assert not ocr.is_valid("1636919", length_digit=True)


@pytest.mark.parametrize("reference", FAILED_IN_BGMAX)
def test_references_bankgirot_rejected_are_invalid(reference: str) -> None:
    assert not ocr.is_valid(reference)


def test_reference_without_length_digit_only_appends_the_check_digit() -> None:
    assert ocr.make_reference("16369", length_digit=False) == "163691"
    assert ocr.make_reference(16369, length_digit=False) == "163691"
    assert ocr.is_valid("163691", length_digit=False)


def test_leading_zeros_of_a_string_payload_are_kept() -> None:
    assert ocr.make_reference("033689126") == "03368912618"
    assert ocr.make_reference(33689126) != "03368912618"


@pytest.mark.parametrize(
    ("payload", "length_digit"),
    [
        ("1" * 24, True),  # 26 digits with both control digits
        ("1" * 25, False),
        ("", True),
        ("", False),
        ("12a4", True),
        ("12 34", True),
        (-5, True),
    ],
)
def test_make_reference_rejects_bad_payloads(payload: str | int, length_digit: bool) -> None:
    with pytest.raises(OcrError):
        ocr.make_reference(payload, length_digit=length_digit)


def test_longest_references_are_25_digits() -> None:
    assert len(ocr.make_reference("1" * 23)) == 25
    assert len(ocr.make_reference("1" * 24, length_digit=False)) == 25


@pytest.mark.parametrize("reference", ["", "5", "1" * 24 + "x", "16369 76", "１６３６９７６"])
def test_is_valid_rejects_non_references(reference: str) -> None:
    assert not ocr.is_valid(reference)


def test_26_digits_are_too_long_even_with_a_correct_check_digit() -> None:
    body = "1" * 25
    reference = body + luhn.calc_check_digit(body)
    assert luhn.is_valid(reference)
    assert not ocr.is_valid(reference)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1636 976", "1636976"),
        (" 16-36-976 ", "1636976"),
        ("1636\u00a0976", "1636976"),
        ("0336 8912 618", "03368912618"),
    ],
)
def test_normalise_strips_spaces_and_dashes(text: str, expected: str) -> None:
    assert ocr.normalise(text) == expected


@pytest.mark.parametrize("text", ["", "  - ", "1636A976", "OCR 1636976", "1636.976"])
def test_normalise_rejects_letters_and_empty_input(text: str) -> None:
    with pytest.raises(OcrError):
        ocr.normalise(text)


@given(payload=digits, length_digit=st.booleans())
def test_every_made_reference_is_valid(payload: str, length_digit: bool) -> None:
    reference = ocr.make_reference(payload, length_digit=length_digit)
    assert ocr.is_valid(reference, length_digit=length_digit)
    assert ocr.is_valid(reference, length_digit=None)
    assert reference.startswith(payload)


@given(payload=digits, data=st.data())
def test_any_single_digit_change_is_detected(payload: str, data: st.DataObject) -> None:
    reference = ocr.make_reference(payload)
    position = data.draw(st.integers(0, len(reference) - 1))
    new_digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != reference[position]))
    changed = reference[:position] + new_digit + reference[position + 1 :]
    assert not ocr.is_valid(changed, length_digit=None)


@given(payload=digits, data=st.data())
def test_adjacent_transpositions_are_detected(payload: str, data: st.DataObject) -> None:
    reference = ocr.make_reference(payload, length_digit=data.draw(st.booleans()))
    position = data.draw(st.integers(0, len(reference) - 2))
    a, b = reference[position], reference[position + 1]
    assume(a != b)
    # Luhn's one blind spot: 09 and 90 give the same sum (see the next test).
    assume({a, b} != {"0", "9"})
    swapped = reference[:position] + b + a + reference[position + 2 :]
    assert not ocr.is_valid(swapped, length_digit=None)


def test_luhn_cannot_see_a_swapped_09() -> None:
    reference = ocr.make_reference("1090", length_digit=False)
    swapped = reference.replace("09", "90", 1)
    assert swapped != reference
    assert ocr.is_valid(swapped, length_digit=False)


def test_invoice_reference_layout() -> None:
    reference = ocr.invoice_reference("42", 17)
    # prefix 42, number padded to 6 digits, length digit 0 (10 digits), check digit
    assert reference[:9] == "420000170"
    assert len(reference) == 10
    assert ocr.is_valid(reference, length_digit=True)
    assert ocr.invoice_number_from_reference(reference, prefix="42") == 17


def test_invoice_reference_without_prefix_or_length_digit() -> None:
    reference = ocr.invoice_reference("", 5, width=4, length_digit=False)
    assert reference[:4] == "0005"
    assert len(reference) == 5
    assert ocr.invoice_number_from_reference(reference, prefix="", width=4, length_digit=False) == 5


@pytest.mark.parametrize(
    ("prefix", "number", "width"),
    [("4a", 1, 6), ("42", 1_000_000, 6), ("42", -1, 6), ("1" * 20, 1, 6), ("42", 1, 0)],
)
def test_invoice_reference_rejects_what_would_break_the_layout(
    prefix: str, number: int, width: int
) -> None:
    with pytest.raises(OcrError):
        ocr.invoice_reference(prefix, number, width=width)


def test_references_of_other_series_or_with_errors_give_no_invoice_number() -> None:
    reference = ocr.invoice_reference("42", 17)
    assert ocr.invoice_number_from_reference(reference, prefix="43") is None
    assert ocr.invoice_number_from_reference(reference, prefix="42", width=5) is None
    broken = reference[:-1] + str((int(reference[-1]) + 1) % 10)
    assert ocr.invoice_number_from_reference(broken, prefix="42") is None


@given(
    prefix=st.text(alphabet="0123456789", max_size=3),
    first=st.integers(0, 999_999),
    second=st.integers(0, 999_999),
)
def test_invoice_references_are_unique_within_a_series(
    prefix: str, first: int, second: int
) -> None:
    assume(first != second)
    assert ocr.invoice_reference(prefix, first) != ocr.invoice_reference(prefix, second)


@given(
    prefixes=st.lists(
        st.text(alphabet="0123456789", min_size=2, max_size=2), min_size=2, max_size=2, unique=True
    ),
    first=st.integers(0, 999_999),
    second=st.integers(0, 999_999),
)
def test_series_with_equal_length_prefixes_never_collide(
    prefixes: list[str], first: int, second: int
) -> None:
    assert ocr.invoice_reference(prefixes[0], first) != ocr.invoice_reference(prefixes[1], second)


@pytest.mark.parametrize(("payload", "expected"), [(1, "000000000000018"), (2, "000000000000026")])
def test_fik71_payment_ids_match_published_examples(payload: int, expected: str) -> None:
    assert ocr.fik71_payment_id(payload) == expected
    assert ocr.is_valid_fik71(expected)


def test_fik71_code_line() -> None:
    line = ocr.fik71_code_line(ocr.fik71_payment_id(1), "81234567")
    assert line == "+71<000000000000018+81234567<"


@pytest.mark.parametrize("payment_id", ["18", "000000000000019", "0000000000000018", "x" * 15])
def test_fik71_rejects_short_long_or_wrong_ids(payment_id: str) -> None:
    assert not ocr.is_valid_fik71(payment_id)
    with pytest.raises(OcrError):
        ocr.fik71_code_line(payment_id, "81234567")


@pytest.mark.parametrize("creditor", ["71234567", "8123456", "812345678", "8123456x"])
def test_fik71_rejects_bad_creditor_numbers(creditor: str) -> None:
    with pytest.raises(OcrError):
        ocr.fik71_code_line("000000000000018", creditor)


def test_fik71_payload_is_at_most_14_digits() -> None:
    assert ocr.is_valid_fik71(ocr.fik71_payment_id("9" * 14))
    with pytest.raises(OcrError):
        ocr.fik71_payment_id("9" * 15)


@given(st.text(alphabet="0123456789", min_size=1, max_size=14))
def test_every_fik71_payment_id_is_valid(payload: str) -> None:
    payment_id = ocr.fik71_payment_id(payload)
    assert len(payment_id) == 15
    assert ocr.is_valid_fik71(payment_id)
