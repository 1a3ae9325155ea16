"""Forms of My pages. They check the shape of the input; the register's services decide."""

from __future__ import annotations

from django import forms

from forening.core.forms_base import BootstrapMixin
from forening.core.models import Person
from forening.members.fields import PERSON, Use, names


class PersonContactForm(BootstrapMixin, forms.ModelForm[Person]):
    """The contact details a member may change for themselves and their wards."""

    class Meta:
        model = Person
        fields = list(names(PERSON, use=Use.MY_PAGES))  # members/fields.py
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}
