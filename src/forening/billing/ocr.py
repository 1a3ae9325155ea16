"""Payment references: Bankgirot OCR numbers (Sweden) and FI-kort type 71 ids (Denmark).

Bankgirot OCR (docs/formats.md § 3): 2–25 digits. The last digit is a Luhn ("10-modul")
check digit over every digit before it. With the optional length digit, the second-to-last
digit is the total length, both control digits included, modulo 10, and the check digit
covers it too. Which check a payee's internet banks apply (soft, hard, variable or fixed
length) is agreed with Bankgirot; `is_valid` only judges the digits.

Invoice references from `invoice_reference` are laid out as

    <prefix><invoice number, zero-padded to `width`><length digit><check digit>

`prefix` is zero or more digits the organisation chooses once; `width` is fixed too. An
organisation's invoice numbers are unique and gap-free, so with a fixed prefix and width
every invoice gets its own reference, all of one length (which also satisfies Bankgirot's
"fast längdkontroll"). When several reference series share one bankgiro (sections, or
references that are not invoices), give each series a different prefix of the same length
and the same width: then no two series can produce the same digits.

FI-kort type 71 (docs/formats.md § 4): a 15-digit payment id, left zero-padded, whose
last digit is a modulus-10 check digit computed like Luhn. Leading zeros add nothing to a
Luhn sum, so padding before or after computing the digit gives the same id. Types 73 and 75
are not implemented: the FI-kort description we follow does not say how type 75's check
digit is computed.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from stdnum import luhn

MIN_LENGTH = 2
MAX_LENGTH = 25  # the BgMax reference field is 25 positions
DEFAULT_INVOICE_WIDTH = 6
FIK71_LENGTH = 15

_DIGITS = re.compile(r"[0-9]+")
# Spaces of any kind and the dashes people use to group digits on paper.
_SEPARATORS = re.compile(r"[\s\-\u2010\u2011\u2013]+")


class OcrError(ValueError):
    """The input cannot become a valid reference; str() is a message for the user."""


def _payload_digits(payload: str | int) -> str:
    if isinstance(payload, bool):
        raise OcrError(_("A reference is made from digits."))
    if isinstance(payload, int):
        if payload < 0:
            raise OcrError(_("A reference cannot be negative."))
        return str(payload)
    if not _DIGITS.fullmatch(payload):
        raise OcrError(_("A reference may contain only the digits 0–9."))
    return payload


def make_reference(payload: str | int, *, length_digit: bool = True) -> str:
    """Append the length digit (unless `length_digit` is False) and the Luhn check digit.

    Leading zeros in a string payload are kept. Raises OcrError if the payload is not
    digits or the finished reference would be outside 2–25 digits.
    """
    body = _payload_digits(payload)
    total = len(body) + (2 if length_digit else 1)
    if not MIN_LENGTH <= total <= MAX_LENGTH:
        raise OcrError(
            _("An OCR reference must be %(min)d–%(max)d digits; this one would be %(n)d.")
            % {"min": MIN_LENGTH, "max": MAX_LENGTH, "n": total}
        )
    if length_digit:
        body += str(total % 10)
    return body + luhn.calc_check_digit(body)


def is_valid(reference: str, *, length_digit: bool | None = None) -> bool:
    """Whether `reference` (digits only, see `normalise`) passes Bankgirot's checks.

    `length_digit=True` also requires a correct length digit. False and None both accept
    a reference with or without one: a reference made without a length digit may happen
    to have the right digit in that place, so the two cannot be told apart.
    """
    if not _DIGITS.fullmatch(reference) or not MIN_LENGTH <= len(reference) <= MAX_LENGTH:
        return False
    if not luhn.is_valid(reference):
        return False
    if length_digit:
        return reference[-2] == str(len(reference) % 10)
    return True


def normalise(text: str) -> str:
    """Remove spaces and dashes from a reference as a person wrote it; keep leading zeros.

    Raises OcrError if anything but digits is left (letters, punctuation) or nothing is.
    The check digit is not tested here: call `is_valid` on the result.
    """
    digits = _SEPARATORS.sub("", text or "")
    if not digits:
        raise OcrError(_("Enter a reference number."))
    if not _DIGITS.fullmatch(digits):
        raise OcrError(_("A reference may contain only the digits 0–9."))
    return digits


def invoice_reference(
    prefix: str,
    invoice_number: int,
    *,
    width: int = DEFAULT_INVOICE_WIDTH,
    length_digit: bool = True,
) -> str:
    """The OCR reference for invoice `invoice_number` of the series `prefix` (see module doc).

    Raises OcrError if the prefix is not digits, the number is negative or does not fit
    in `width` digits, or the reference would be longer than 25 digits.
    """
    if prefix and not _DIGITS.fullmatch(prefix):
        raise OcrError(_("The reference prefix may contain only the digits 0–9."))
    if width < 1:
        raise OcrError(_("The invoice number needs at least one digit."))
    number = _payload_digits(invoice_number)
    if len(number) > width:
        # Growing past the width would break uniqueness across series and fixed length.
        raise OcrError(
            _("Invoice number %(number)s does not fit in %(width)d digits.")
            % {"number": number, "width": width}
        )
    return make_reference(prefix + number.zfill(width), length_digit=length_digit)


def invoice_number_from_reference(
    reference: str,
    *,
    prefix: str,
    width: int = DEFAULT_INVOICE_WIDTH,
    length_digit: bool = True,
) -> int | None:
    """The invoice number inside a reference made by `invoice_reference`, or None.

    None means the reference is not valid or was not made with this prefix and width
    (for example a payment meant for another series on the same bankgiro).
    """
    controls = 2 if length_digit else 1
    if len(reference) != len(prefix) + width + controls:
        return None
    if not reference.startswith(prefix) or not is_valid(reference, length_digit=length_digit):
        return None
    return int(reference[len(prefix) : len(prefix) + width])


def fik71_payment_id(payload: str | int) -> str:
    """The 15-digit FI-kort type 71 payment id for `payload` (at most 14 digits).

    >>> fik71_payment_id(1)
    '000000000000018'
    """
    body = _payload_digits(payload)
    if len(body) > FIK71_LENGTH - 1:
        raise OcrError(
            _("A payment id for FI-kort 71 holds at most %(n)d digits before the check digit.")
            % {"n": FIK71_LENGTH - 1}
        )
    return (body + luhn.calc_check_digit(body)).zfill(FIK71_LENGTH)


def is_valid_fik71(payment_id: str) -> bool:
    """Whether `payment_id` is 15 digits with a correct check digit (FI-kort type 71)."""
    return (
        len(payment_id) == FIK71_LENGTH
        and _DIGITS.fullmatch(payment_id) is not None
        and luhn.is_valid(payment_id)
    )


def fik71_code_line(payment_id: str, creditor_number: str) -> str:
    """The machine-readable line of a type 71 card: `+71<payment id+creditor number<`.

    `creditor_number` is the 8-digit FI kreditornummer (first digit 8) from the bank.
    """
    if not is_valid_fik71(payment_id):
        raise OcrError(_("This is not a valid FI-kort 71 payment id (15 digits)."))
    if (
        len(creditor_number) != 8
        or not creditor_number.startswith("8")
        or not (_DIGITS.fullmatch(creditor_number))
    ):
        raise OcrError(_("An FI creditor number is 8 digits and starts with 8."))
    return f"+71<{payment_id}+{creditor_number}<"
