"""What the invoicing services share: their error, the drafts an invoice is issued from,
the account roles they book on, and the VAT of an amount."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from forening.billing.models import Invoice, LineKind
from forening.core.models import PersonKind

INVOICE_SEQUENCE = "invoice"
# Invoice numbers in OCR references are zero-filled to this width: 99,999,999 invoices.
OCR_WIDTH = 8
VAT_ROLES = {25: "vat_out_25", 12: "vat_out_12", 6: "vat_out_6"}
# Lines on these accounts carry the payer: they are the member ledger.
PERSONAL_ROLES = ("receivables", "credit_balances")
# Under the cash method: what is invoiced and not yet paid, until it becomes revenue.
CASH_INTERIM = "cash_method_interim"


class BillingError(ValueError):
    """An invoicing action that cannot be done; str() is for the user."""


@dataclass
class DraftLine:
    """A line of an invoice to issue; `amount_minor` includes VAT at `vat_rate` per cent."""

    description: str
    amount_minor: int
    account_id: int
    kind: str = LineKind.MANUAL
    reason: str = ""
    vat_rate: int = 0
    cost_centre_id: int | None = None
    project_id: int | None = None
    person_id: int | None = None
    household_id: int | None = None
    category_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    billing_key: str = ""


@dataclass
class Draft:
    """An invoice to issue to `payer_id` (for `household_id`, when it is the household's)."""

    payer_id: int
    lines: list[DraftLine]
    household_id: int | None = None
    text: str = ""
    invoice: Invoice | None = field(default=None, init=False)

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


def vat_part(amount_minor: int, rate: int) -> int:
    """The VAT included in `amount_minor` at `rate` per cent, rounded half away from zero."""
    if not rate:
        return 0
    sign = -1 if amount_minor < 0 else 1
    magnitude = abs(amount_minor) * rate
    return sign * ((2 * magnitude + 100 + rate) // (2 * (100 + rate)))


def display_name(kind: str, first: str, last: str, organisation_name: str) -> str:
    if kind == PersonKind.ORGANISATION:
        return organisation_name
    return f"{first} {last}".strip()
