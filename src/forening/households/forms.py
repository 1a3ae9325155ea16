"""Forms of the household pages. They check the shape of the input; the services decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from forening.core.countries import country_choices
from forening.core.forms_base import BootstrapMixin, choice, model_choice
from forening.core.models import Person
from forening.households.models import Household


class NewHouseholdForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name of the new household"), max_length=200)


class HouseholdForm(BootstrapMixin, forms.Form):
    """Edit a household: name, address (everyone moves along), payer, invoice recipient."""

    name = forms.CharField(label=_("Name"), max_length=200)
    care_of = forms.CharField(label=_("c/o"), max_length=200, required=False)
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    payer = SafeModelChoiceField(
        label=_("Payer"),
        queryset=Person.objects.none(),
        required=False,
        empty_label="—",
        help_text=_("Who owes the household's fees."),
    )
    invoice_recipient = SafeModelChoiceField(
        label=_("Invoice recipient"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("The payer"),
        help_text=_("Who receives the invoices, when that is someone else than the payer."),
    )

    def __init__(
        self, *args: Any, household: Household, people: Iterable[Person], **kwargs: Any
    ) -> None:
        if "initial" not in kwargs:
            kwargs["initial"] = {
                "name": household.name,
                **{name: getattr(household, name) for name in Household.ADDRESS_FIELDS},
                "payer": household.payer_id,
                "invoice_recipient": household.invoice_recipient_id,
            }
        super().__init__(*args, **kwargs)
        ids = [person.pk for person in people]
        for name in ("payer", "invoice_recipient"):
            model_choice(self, name).queryset = Person.objects.filter(
                organisation_id=household.organisation_id, household=household, pk__in=ids
            )
        choice(self, "country").choices = country_choices()

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            **{name: data.get(name) or "" for name in Household.ADDRESS_FIELDS},
            "payer": data.get("payer"),
            "invoice_recipient": data.get("invoice_recipient"),
        }
