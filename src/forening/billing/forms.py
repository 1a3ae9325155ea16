"""Forms of the office's invoicing pages (the payment pages' forms are in payments.forms).

They check the shape of the input: amounts parse (`core.money.parse_money`), dates are dates,
chosen rows belong to the association. Business rules (a payment above zero, a credit no
larger than what is left, valid giro numbers) are the services'; a view puts their
`BillingError` on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from babel.numbers import format_decimal
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from forening.billing.models import BillingSettings, InvoiceLine, InvoiceStatus
from forening.billing.services import VAT_ROLES, DraftLine
from forening.core import money
from forening.core.forms_base import BootstrapMixin, field_of, model_choice
from forening.core.models import Organisation, Person
from forening.members.forms import NordicDateField
from forening.members.models import SavedSearch

# Far above any amount an association handles; far below integer overflow.
MAX_AMOUNT_MINOR = 10**12
MAX_LINES = 5
VAT_CHOICES = [(0, "0 %"), *((rate, f"{rate} %") for rate in sorted(VAT_ROLES))]

OVERDUE = "overdue"
INVOICE_STATUS_FILTERS = [
    ("", _("All")),
    (InvoiceStatus.OPEN, _("Open")),
    (OVERDUE, _("Overdue")),
    (InvoiceStatus.PAID, _("Paid")),
    (InvoiceStatus.CREDITED, _("Credited")),
    (InvoiceStatus.CREDIT_NOTE, _("Credit notes")),
]


def money_input(amount_minor: int, currency: str) -> str:
    """An amount as it is typed into a field: the decimal sign of `money.format_money` in
    the active language, no grouping, no currency ("1234,50")."""
    language = translation.get_language() or "sv"
    locale = money.LOCALE_BY_LANGUAGE.get(language, "sv_SE")
    if language == "en" and currency == "DKK":
        locale = "en_DK"
    places = money.exponent(currency)
    pattern = "0." + "0" * places if places else "0"
    return str(
        format_decimal(money.to_decimal(amount_minor, currency), format=pattern, locale=locale)
    )


class MoneyField(forms.Field):
    """An amount typed as people write it ("250", "1 234,50", "250.5"), cleaned to minor
    units of `currency`. The sign is kept: whether a negative or zero amount makes sense
    is for the service to say."""

    default_error_messages = {
        "invalid": _("Enter an amount, such as 250 or 1 234,50."),
        "too_large": _("An amount is too large."),
        "negative": _("The amount cannot be negative."),
    }

    def __init__(
        self, *, currency: str = "SEK", allow_negative: bool = True, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "maxlength": 20}),
        )
        super().__init__(**kwargs)
        self.currency = currency
        self.allow_negative = allow_negative

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return money_input(value, self.currency)
        return value

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) > 30:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            amount = money.parse_money(text, self.currency)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if abs(amount) >= MAX_AMOUNT_MINOR:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        if amount < 0 and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        return amount


class PersonChoiceField(SafeModelChoiceField):  # type: ignore[misc]  # untyped library
    """A person from a short list of search results (the queryset is set by the form)."""

    def label_from_instance(self, obj: Any) -> str:
        person: Person = obj
        details = [str(person.member_number)] if person.member_number else []
        if person.email:
            details.append(person.email)
        name = person.full_name or str(_("(no name)"))
        return f"{name} ({', '.join(details)})" if details else name


def people_queryset(organisation: Organisation, ids: Iterable[int]) -> QuerySet[Person]:
    return Person.objects.filter(organisation=organisation, pk__in=list(ids)).order_by(
        "last_name", "first_name", "organisation_name", "pk"
    )


# --- filters of the lists ------------------------------------------------------------------


class InvoiceFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=INVOICE_STATUS_FILTERS, required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, OCR or recipient")}
        ),
    )
    issued_from = NordicDateField(label=_("Invoice date from"), required=False)
    issued_to = NordicDateField(label=_("Invoice date to"), required=False)
    run = forms.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput
    )


# --- a manual invoice ----------------------------------------------------------------------


@dataclass(frozen=True)
class LineChoices:
    """The association's income accounts, cost centres and projects, read once for all
    the line forms of a formset."""

    accounts: list[tuple[int, str]]
    cost_centres: list[tuple[int, str]]
    projects: list[tuple[int, str]]
    default_account: int | None = None


class InvoiceForm(BootstrapMixin, forms.Form):
    payer = PersonChoiceField(
        label=_("Payer"),
        queryset=Person.objects.none(),
        empty_label=_("Search for the payer above"),
    )
    text = forms.CharField(
        label=_("Text on the invoice"),
        required=False,
        max_length=200,
        help_text=_("Optional, e.g. what the invoice is about."),
    )
    issued_on = NordicDateField(label=_("Invoice date"), required=False)
    due_on = NordicDateField(
        label=_("Due date"),
        required=False,
        help_text=_("Empty: the invoice date plus the days to pay in the billing settings."),
    )

    def __init__(
        self, *args: Any, organisation: Organisation, people: Iterable[int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        people = list(people)
        payer = field_of(self, "payer", PersonChoiceField)
        payer.queryset = people_queryset(organisation, people)
        if people:
            payer.empty_label = str(_("Choose the payer"))
        self.fields["issued_on"].initial = timezone.localdate()


class InvoiceLineForm(BootstrapMixin, forms.Form):
    description = forms.CharField(label=_("Description"), max_length=250)
    amount = MoneyField(label=_("Amount incl. VAT"))
    account = forms.TypedChoiceField(label=_("Account"), coerce=int)
    vat_rate = forms.TypedChoiceField(label=_("VAT"), coerce=int, choices=VAT_CHOICES, initial=0)
    cost_centre = forms.TypedChoiceField(
        label=_("Cost centre"), coerce=int, required=False, empty_value=None
    )
    project = forms.TypedChoiceField(
        label=_("Project"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, choices: LineChoices, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_of(self, "amount", MoneyField).currency = currency
        account = field_of(self, "account", forms.TypedChoiceField)
        account.choices = choices.accounts
        account.initial = choices.default_account
        for name, options in (("cost_centre", choices.cost_centres), ("project", choices.projects)):
            field_of(self, name, forms.TypedChoiceField).choices = [("", "—"), *options]

    def draft_line(self) -> DraftLine:
        data = self.cleaned_data
        return DraftLine(
            description=data["description"],
            amount_minor=data["amount"],
            account_id=data["account"],
            vat_rate=data["vat_rate"],
            cost_centre_id=data["cost_centre"],
            project_id=data["project"],
        )


class BaseInvoiceLineFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.filled_forms():
            raise ValidationError(_("Add at least one line."), code="no_lines")

    def filled_forms(self) -> list[InvoiceLineForm]:
        return [form for form in self.forms if form.has_changed() and form.cleaned_data]

    def draft_lines(self) -> list[DraftLine]:
        return [form.draft_line() for form in self.filled_forms()]


InvoiceLineFormSet = cast(
    "type[BaseInvoiceLineFormSet]",
    forms.formset_factory(
        InvoiceLineForm,
        formset=BaseInvoiceLineFormSet,
        extra=MAX_LINES,
        max_num=MAX_LINES,
        absolute_max=MAX_LINES,
        validate_max=True,
    ),
)


# --- crediting -----------------------------------------------------------------------------


class CreditInvoiceForm(BootstrapMixin, forms.Form):
    """Credit all that is left of an invoice."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=250,
        help_text=_("Shown on the credit note."),
    )


class CreditLinesForm(CreditInvoiceForm):
    """Credit chosen amounts of chosen lines; one `line_<id>` field per line with something
    left to credit, prefilled with what is left."""

    def __init__(
        self,
        *args: Any,
        lines: Sequence[tuple[InvoiceLine, int]],
        currency: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields: list[tuple[InvoiceLine, int, forms.BoundField]] = []
        for line, left in lines:
            name = f"line_{line.pk}"
            field = MoneyField(
                label=line.description, required=False, currency=currency, initial=left
            )
            field.widget.attrs["class"] = "form-control text-end"
            self.fields[name] = field
            self.line_fields.append((line, left, self[name]))
        # the reason last, after the amounts
        self.order_fields([*(f"line_{line.pk}" for line, _left in lines), "reason"])

    def amounts(self) -> dict[int, int]:
        found: dict[int, int] = {}
        for line, _left, _bound in self.line_fields:
            amount = self.cleaned_data.get(f"line_{line.pk}")
            if amount is not None:
                found[line.pk] = amount
        return found


# --- billing runs and settings -------------------------------------------------------------


class BillingRunForm(BootstrapMixin, forms.Form):
    fee_year = forms.IntegerField(label=_("Fee year"), min_value=2000, max_value=2100)
    selection = SafeModelChoiceField(
        label=_("Members"),
        queryset=SavedSearch.objects.none(),
        required=False,
        empty_label=_("All members"),
        help_text=_("A saved search of the member register, or everyone."),
    )
    issued_on = NordicDateField(label=_("Invoice date"), required=False)
    due_on = NordicDateField(
        label=_("Due date"),
        required=False,
        help_text=_("Empty: the invoice date plus the days to pay in the billing settings."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "selection").queryset = SavedSearch.objects.filter(
            organisation=organisation
        ).order_by("name", "pk")
        today = timezone.localdate()
        self.fields["fee_year"].initial = today.year
        self.fields["issued_on"].initial = today

    def parameters(self) -> dict[str, str]:
        """The cleaned choices as the hidden fields of the commit form."""
        data = self.cleaned_data
        selection: SavedSearch | None = data.get("selection")
        issued_on: dt.date | None = data.get("issued_on")
        due_on: dt.date | None = data.get("due_on")
        return {
            "fee_year": str(data["fee_year"]),
            "selection": str(selection.pk) if selection else "",
            "issued_on": issued_on.isoformat() if issued_on else "",
            "due_on": due_on.isoformat() if due_on else "",
        }


SETTINGS_FORM_FIELDS = [
    "bankgiro",
    "plusgiro",
    "swish_number",
    "iban",
    "payment_terms_days",
    "reminder_steps",
    "reminder_after_days",
    "reminder_interval_days",
    "reminder_terms_days",
    "invoice_note",
]


def _settings_field(name: str, **overrides: Any) -> forms.Field:
    """The form field of a BillingSettings field, with its label and help text."""
    field = BillingSettings._meta.get_field(name).formfield(**overrides)  # type: ignore[union-attr]
    if field is None:  # pragma: no cover - every settings field has a form field
        raise TypeError(name)
    return field


class BillingSettingsForm(BootstrapMixin, forms.Form):
    """The billing settings. A plain form, not a ModelForm: numbers may be typed with
    spaces and dashes ("123 456 78 90"), which `services.update_settings` checks and
    normalises before they are stored."""

    bankgiro = _settings_field("bankgiro", max_length=20)
    plusgiro = _settings_field("plusgiro", max_length=20)
    swish_number = _settings_field("swish_number", max_length=20)
    iban = _settings_field("iban")
    payment_terms_days = _settings_field("payment_terms_days")
    invoice_note = _settings_field("invoice_note", widget=forms.Textarea(attrs={"rows": 3}))
    reminder_steps = _settings_field("reminder_steps")
    reminder_after_days = _settings_field("reminder_after_days")
    reminder_interval_days = _settings_field("reminder_interval_days")
    reminder_terms_days = _settings_field("reminder_terms_days")
    reminder_fee = MoneyField(
        label=_("Reminder fee"),
        required=False,
        allow_negative=False,
        help_text=_("Empty or 0 for no reminder fee."),
    )

    def __init__(self, *args: Any, settings: BillingSettings, currency: str, **kwargs: Any) -> None:
        initial = model_to_dict(settings, fields=SETTINGS_FORM_FIELDS)
        initial["reminder_fee"] = settings.reminder_fee_minor
        super().__init__(*args, initial=initial, **kwargs)
        field_of(self, "reminder_fee", MoneyField).currency = currency
        # the Swish number's help text is an example of the format: shown in the empty field
        swish = self.fields["swish_number"]
        swish.widget.attrs["placeholder"] = swish.help_text
        swish.help_text = ""

    def service_fields(self) -> dict[str, Any]:
        """The arguments of `services.update_settings`."""
        fields = {name: self.cleaned_data[name] for name in SETTINGS_FORM_FIELDS}
        fields["reminder_fee_minor"] = self.cleaned_data.get("reminder_fee") or 0
        return fields
