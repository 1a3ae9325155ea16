"""Forms of the payment pages. They check the shape of the input (amounts parse, dates are
dates, a chosen invoice or person belongs to the association); the payment services decide
the rest, and a view puts their `PaymentError` on the form."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forening.billing.forms import MoneyField, PersonChoiceField, people_queryset
from forening.billing.models import Invoice
from forening.core.forms_base import BootstrapMixin, field_of, model_choice
from forening.core.models import Organisation, Person
from forening.members.forms import NordicDateField
from forening.payments.models import Channel, PaymentStatus


class PaymentFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *PaymentStatus.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *Channel.choices], required=False
    )
    paid_from = NordicDateField(label=_("Paid from"), required=False)
    paid_to = NordicDateField(label=_("Paid to"), required=False)


class PaymentForm(BootstrapMixin, forms.Form):
    """A payment of an invoice shown on its page."""

    amount = MoneyField(label=_("Amount"))
    paid_on = NordicDateField(label=_("Payment date"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=60,
        help_text=_("The OCR reference or message the payer gave."),
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "amount", MoneyField).currency = currency
        self.fields["paid_on"].initial = timezone.localdate()
        self.fields["channel"].initial = Channel.BANKGIRO


class InvoiceOrPersonMixin(forms.Form):
    """An invoice by its number, or a person from the search results: where a payment
    goes. Leaves the cleaned `invoice` (an Invoice of the association, or None)."""

    invoice_number = forms.IntegerField(
        label=_("Invoice number"), required=False, min_value=1, max_value=2_000_000_000
    )
    person = PersonChoiceField(
        label=_("Person"),
        queryset=Person.objects.none(),
        required=False,
        empty_label="—",
    )

    def setup_target(self, organisation: Organisation, people: Iterable[int]) -> None:
        self.organisation = organisation
        model_choice(self, "person").queryset = people_queryset(organisation, people)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = data.get("invoice_number")
        data["invoice"] = None
        if number and data.get("person"):
            raise ValidationError(_("Choose an invoice or a person, not both."), code="both")
        if number:
            invoice = Invoice.objects.filter(organisation=self.organisation, number=number).first()
            if invoice is None:
                self.add_error("invoice_number", _("No invoice has this number."))
            data["invoice"] = invoice
        return data


class PaymentCreateForm(InvoiceOrPersonMixin, PaymentForm):
    """A payment received: placed on the invoice (number, or OCR reference), the person's
    open invoices, or left unplaced when nothing is chosen."""

    payer_name = forms.CharField(label=_("Paid by (name)"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    field_order = [
        "amount",
        "paid_on",
        "channel",
        "reference",
        "invoice_number",
        "person",
        "payer_name",
        "note",
    ]

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        people: Iterable[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, currency=organisation.currency, **kwargs)
        self.setup_target(organisation, people)


class PlacePaymentForm(BootstrapMixin, InvoiceOrPersonMixin):
    def __init__(
        self, *args: Any, organisation: Organisation, people: Iterable[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setup_target(organisation, people)


class ReversePaymentForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why is the payment reversed?"),
        max_length=150,
        error_messages={"required": _("Say why the payment is reversed.")},
    )
