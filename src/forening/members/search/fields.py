"""Form fields of the search form: dates and numbers as people in the Nordics write them,
check boxes of ids, and the custom-field filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from forening.members.dates import parse_date
from forening.members.models import AttributeDefinition, AttributeKind


class NordicDateField(forms.DateField):
    """A date as people in the Nordics write it (2026-03-15, 15.3.2026, 15/3/26)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise ValidationError(_("Enter a date, such as 2026-03-15."), code="invalid")
        return parsed


class NumberField(forms.CharField):
    """A decimal number with a comma or a point ("1,5" is one and a half)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            number = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if not number.is_finite() or abs(number) >= Decimal("1e14"):
            raise ValidationError(_("Enter a number."), code="invalid")
        return number


def ids_field(label: str, choices: Iterable[tuple[int, str]]) -> forms.TypedMultipleChoiceField:
    """Check boxes for several rows by id (membership types, groups, tags…)."""
    return forms.TypedMultipleChoiceField(
        label=label,
        required=False,
        coerce=int,
        choices=[(str(pk), name) for pk, name in choices],
        widget=forms.CheckboxSelectMultiple,
    )


@dataclass(frozen=True)
class AttributeFilter:
    """A custom field in the search form, and the names of its form fields."""

    definition: AttributeDefinition
    names: tuple[str, ...]

    @property
    def is_range(self) -> bool:
        return self.definition.kind in (AttributeKind.NUMBER, AttributeKind.DATE)
