"""Forms of My pages. They check the shape of the input; the register's services decide."""

from __future__ import annotations

from django import forms

from forening.core.forms_base import BootstrapMixin
from forening.core.models import Person


class PersonContactForm(BootstrapMixin, forms.ModelForm[Person]):
    """The contact details a member may change for themselves and their wards."""

    class Meta:
        model = Person
        fields = ["email", "phone", "street", "postal_code", "city"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}
