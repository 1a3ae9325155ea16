"""Prefilled Swish QR codes (docs/formats.md § 7)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from forening.billing import swish_qr
from forening.billing.swish_qr import SwishQrError
from tests.hypothesis_profiles import examples

SVG = "{http://www.w3.org/2000/svg}"


def decode(data: str) -> list[str]:
    """Render the same QR symbol qr_svg draws to PNG and read it back with zxing-cpp."""
    buffer = io.BytesIO()
    swish_qr.qr_code(data).save(buffer, kind="png", scale=6, border=4)
    buffer.seek(0)
    return [result.text for result in zxingcpp.read_barcodes(Image.open(buffer))]


def test_example_from_the_swish_manual() -> None:
    assert swish_qr.payload("1237856901", 10000, "12229445") == "C1237856901;100,00;12229445;0"


@pytest.mark.parametrize(
    ("amount_ore", "expected"),
    [
        (100, "1,00"),
        (12345, "123,45"),
        (100005, "1000,05"),
        (99_999_999_999_999, "999999999999,99"),
    ],
)
def test_amount_has_a_decimal_comma_and_two_decimals(amount_ore: int, expected: str) -> None:
    assert swish_qr.payload("1231181189", amount_ore).split(";")[1] == expected


@pytest.mark.parametrize("amount_ore", [0, 99, -100, 100_000_000_000_000])
def test_amount_outside_swish_limits_is_refused(amount_ore: int) -> None:
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", amount_ore)


def test_fractional_or_boolean_amounts_are_refused() -> None:
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", 100.0)  # type: ignore[arg-type]
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", True)


def test_message_is_url_encoded() -> None:
    data = swish_qr.payload("1231181189", 5000, "Faktura 12; Åsa & Öberg/100%")
    assert data == ("C1231181189;50,00;Faktura%2012%3B%20%C3%85sa%20%26%20%C3%96berg%2F100%25;0")
    # A semicolon in the message must not open a fifth field.
    assert len(data.split(";")) == 4


def test_message_of_50_characters_fits_and_51_does_not() -> None:
    assert swish_qr.payload("1231181189", 100, "x" * 50).endswith(";" + "x" * 50 + ";0")
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", 100, "x" * 51)


def test_message_length_counts_characters_not_encoded_bytes() -> None:
    assert swish_qr.payload("1231181189", 100, "å" * 50)


def test_multiline_message_is_refused() -> None:
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", 100, "rad 1\nrad 2")


@pytest.mark.parametrize(
    ("editable", "mask"),
    [
        ((), "0"),
        (("payee",), "1"),
        (("amount",), "2"),
        (("message",), "4"),
        (("amount", "message"), "6"),
        (("payee", "amount", "message"), "7"),
        (["amount", "amount"], "2"),
    ],
)
def test_mask_bits_mark_editable_fields(editable: tuple[str, ...], mask: str) -> None:
    assert swish_qr.payload("1231181189", 100, editable=editable).rsplit(";", 1)[1] == mask


def test_unknown_editable_field_is_refused() -> None:
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", 100, editable=("currency",))


def test_open_amount_must_be_editable() -> None:
    data = swish_qr.payload("1231181189", None, "Gåva", editable=("amount",))
    assert data == "C1231181189;;G%C3%A5va;2"
    with pytest.raises(SwishQrError):
        swish_qr.payload("1231181189", None, "Gåva")


@pytest.mark.parametrize(
    ("payee", "expected"),
    [
        ("1231181189", "1231181189"),
        ("123 118 11 89", "1231181189"),
        ("123-118 1189", "1231181189"),
        ("9001234567", "9001234567"),
        ("070-123 45 67", "46701234567"),
        ("0701234567", "46701234567"),
        ("+46 70 123 45 67", "46701234567"),
        ("46701234567", "46701234567"),
    ],
)
def test_payee_is_a_swish_number_or_a_swedish_mobile(payee: str, expected: str) -> None:
    assert swish_qr.normalise_payee(payee) == expected
    assert swish_qr.payload(payee, 100).startswith(f"C{expected};")


@pytest.mark.parametrize(
    "payee",
    [
        "",
        "123118118",  # 9 digits
        "12311811890",  # 11 digits
        "1241181189",  # not 123…
        "08-123 456 78",  # Stockholm landline
        "+4520123456",  # Danish mobile
        "swish",
    ],
)
def test_other_payees_are_refused(payee: str) -> None:
    with pytest.raises(SwishQrError):
        swish_qr.normalise_payee(payee)


@pytest.mark.parametrize(
    "data",
    [
        "C1237856901;100,00;12229445;0",
        swish_qr.payload(
            "070-123 45 67", None, "Medlemsavgift 2026 – Åsa Öberg", editable=["amount"]
        ),
    ],
)
def test_qr_code_decodes_to_the_payload(data: str) -> None:
    assert decode(data) == [data]


@pytest.mark.slow
@settings(max_examples=examples(25), deadline=None)
@given(
    amount=st.integers(100, 10_000_000),
    message=st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=50
    ),
)
def test_any_payload_survives_a_round_trip_through_the_qr_code(amount: int, message: str) -> None:
    data = swish_qr.payload("1231181189", amount, message)
    assert decode(data) == [data]


def test_svg_is_an_inline_element_of_the_requested_size() -> None:
    svg = swish_qr.qr_svg("C1237856901;100,00;12229445;0", size_mm=25, title="Betala med Swish")
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted XML
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == root.get("height")
    assert re.fullmatch(r"25(\.0+)?mm", root.get("width", ""))
    assert root.get("viewBox") is not None
    assert root.findtext(f"{SVG}title") == "Betala med Swish"


def test_svg_draws_the_same_symbol_as_the_decoded_png() -> None:
    data = "C1237856901;100,00;12229445;0"
    code = swish_qr.qr_code(data)
    svg = swish_qr.qr_svg(data)
    path = ET.fromstring(svg).find(f"{SVG}path")  # noqa: S314 -- our own output
    assert path is not None
    # The viewBox spans the symbol plus a four-module quiet zone on each side.
    modules = len(code.matrix) + 8
    view_box = [float(v) for v in ET.fromstring(svg).get("viewBox", "").split()]  # noqa: S314
    assert view_box[2] == pytest.approx(30.0)
    assert f"scale({30.0 / modules}" in path.get("transform", "")


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="size_mm"):
        swish_qr.qr_svg("C1231181189;1,00;;0", size_mm=0)
