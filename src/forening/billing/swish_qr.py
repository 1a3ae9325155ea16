"""Prefilled Swish QR codes for invoices (docs/formats.md § 7).

The code holds the offline "C" string `C<payee>;<amount>;<message>;<mask>`:

- payee: a Swish number (10 digits starting 123 for businesses and associations, or 90
  for "90-konton"), or a Swedish mobile number written as 467XXXXXXXX;
- amount: kronor with a decimal comma and two decimals (`100,00`); empty lets the payer
  choose;
- message: URL-encoded, so it can carry an OCR reference; at most 50 characters before
  encoding (the Swish message limit);
- mask: decimal bit mask of the fields the payer may change (1 payee, 2 amount,
  4 message); 0 locks everything.

`qr_svg` renders it as an inline SVG element for an HTML page or a WeasyPrint invoice.
Swish's design rules for logo and colours are not applied here.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Collection
from urllib.parse import quote

import phonenumbers
import segno
from django.utils.translation import gettext as _

FIELDS = ("payee", "amount", "message")
MESSAGE_MAX_LENGTH = 50
MIN_AMOUNT_MINOR = 100  # 1,00 kr, Swish's smallest payment (§ 7.1)
MAX_AMOUNT_MINOR = 99_999_999_999_999  # 999 999 999 999,99 kr (§ 7.1)
_MASK_BITS: dict[str, int] = {name: 1 << bit for bit, name in enumerate(FIELDS)}
_SWISH_NUMBER = re.compile(r"123[0-9]{7}|90[0-9]{8}")
_SEPARATORS = re.compile(r"[\s\-]+")


class SwishQrError(ValueError):
    """The data cannot go into a Swish QR code; str() is a message for the user."""


def normalise_payee(payee: str) -> str:
    """A Swish number as 10 digits, or a Swedish mobile number as 467XXXXXXXX.

    Spaces and dashes are ignored. Raises SwishQrError for anything else, including
    Swedish landline numbers, which cannot receive Swish payments.
    """
    compact = _SEPARATORS.sub("", payee or "")
    if _SWISH_NUMBER.fullmatch(compact):
        return compact
    try:
        number = phonenumbers.parse(compact, "SE")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is not None
        and phonenumbers.region_code_for_number(number) == "SE"
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    ):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]
    raise SwishQrError(
        _(
            "A Swish payee is a Swish number (10 digits starting with 123 or 90) "
            "or a Swedish mobile number."
        )
    )


def format_amount(amount_minor: int) -> str:
    """Öre as Swish writes kronor in the C string: `12345` → `123,45`."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise SwishQrError(_("The amount must be a whole number of öre."))
    if not MIN_AMOUNT_MINOR <= amount_minor <= MAX_AMOUNT_MINOR:
        raise SwishQrError(_("A Swish payment must be at least 1,00 kr."))
    kronor, ore = divmod(amount_minor, 100)
    return f"{kronor},{ore:02d}"


def payload(
    payee: str,
    amount_ore: int | None,
    message: str = "",
    *,
    editable: Collection[str] = (),
) -> str:
    """The C string for a prefilled Swish payment.

    `editable` names the fields (of FIELDS) the payer may change. `amount_ore` None
    leaves the amount to the payer, which requires "amount" in `editable`. Raises
    SwishQrError for a bad payee, amount, message or field name.
    """
    unknown = set(editable) - _MASK_BITS.keys()
    if unknown:
        raise SwishQrError(_("Unknown Swish field: %(name)s.") % {"name": sorted(unknown)[0]})
    if amount_ore is None and "amount" not in editable:
        # A locked empty amount would leave the payer nothing to pay.
        raise SwishQrError(_("Without an amount the payer must be allowed to enter one."))
    if len(message) > MESSAGE_MAX_LENGTH:
        raise SwishQrError(
            _("A Swish message has at most %(n)d characters.") % {"n": MESSAGE_MAX_LENGTH}
        )
    if any(unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029" for ch in message):
        raise SwishQrError(_("A Swish message must be a single line of text."))
    amount = "" if amount_ore is None else format_amount(amount_ore)
    mask = sum(_MASK_BITS[name] for name in set(editable))
    return f"C{normalise_payee(payee)};{amount};{quote(message, safe='')};{mask}"


def qr_code(data: str) -> segno.QRCode:
    """The QR symbol for `data`: a regular (not micro) QR code, error level M or better."""
    return segno.make(data, error="m", micro=False)


def qr_svg(data: str, *, size_mm: float = 30.0, title: str | None = None) -> str:
    """`data` as an inline `<svg>` element `size_mm` wide and high, quiet zone included.

    No XML declaration; the SVG namespace is declared so the markup also works outside
    HTML. The size is in millimetres with a viewBox, so CSS may scale it.
    """
    if size_mm <= 0:
        raise ValueError("size_mm must be positive")
    code = qr_code(data)
    modules, _height = code.symbol_size(scale=1)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        svgns=True,
        nl=False,
        unit="mm",
        scale=size_mm / modules,
        title=title,
    )
    return out.getvalue().decode("utf-8")
