"""The association's invoicing settings (BillingSettings): read them, and change them with
their formats checked (Bankgiro, PlusGiro, Swish number, IBAN)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError

from forening.billing.models import BillingSettings
from forening.billing.services.common import BillingError
from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation


def settings_for(organisation: Organisation) -> BillingSettings:
    found, _created = BillingSettings.objects.get_or_create(organisation=organisation)
    return found


SETTINGS_FIELDS = frozenset(
    {
        "bankgiro",
        "plusgiro",
        "swish_number",
        "iban",
        "payment_terms_days",
        "reminder_steps",
        "reminder_after_days",
        "reminder_interval_days",
        "reminder_terms_days",
        "reminder_fee_minor",
        "auto_renewal",
        "renewal_month",
        "renewal_day",
        "renewal_lead_days",
        "invoice_note",
    }
)


@transaction.atomic
@audit.in_name_of_actor
def update_settings(organisation: Organisation, *, actor: Actor, **fields: Any) -> BillingSettings:
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"update_settings() got unknown fields: {sorted(unknown)}")
    found = settings_for(organisation)
    for name, value in fields.items():
        setattr(found, name, value)
    if found.bankgiro:
        found.bankgiro = _giro(found.bankgiro, _("Bankgiro number"))
    if found.plusgiro:
        found.plusgiro = _giro(found.plusgiro, _("PlusGiro number"))
    if found.swish_number:
        digits = "".join(ch for ch in found.swish_number if ch.isdigit())
        if not (digits.startswith("123") and len(digits) == 10):
            raise BillingError(_("A Swish number for payments has 10 digits and starts with 123."))
        found.swish_number = digits
    if found.iban:
        try:
            found.iban = stdnum_iban.compact(stdnum_iban.validate(found.iban))
        except StdnumError:
            raise BillingError(
                _("That is not a valid IBAN: check the country code, check digits and account.")
            ) from None
    if found.reminder_steps > 5:
        raise BillingError(_("At most five reminders can be sent for one invoice."))
    if found.payment_terms_days < 1 or found.payment_terms_days > 365:
        raise BillingError(_("Days to pay must be between 1 and 365."))
    found.save()
    return found


def _giro(value: str, label: str) -> str:
    """A Bankgiro (7–8 digits, shown 123-4567) or PlusGiro number (2–8 digits, 12 34 56-7)
    with a valid Luhn check digit, normalised to its digits and dash."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 2 <= len(digits) <= 8 or not luhn.is_valid(digits):
        raise BillingError(_("%(label)s is not valid: check the digits.") % {"label": label})
    if label == _("Bankgiro number"):
        return f"{digits[:-4]}-{digits[-4:]}"
    return f"{digits[:-1]}-{digits[-1]}"
