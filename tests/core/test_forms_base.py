"""core.forms_base.QuickSelect writes the same HTML as Django's Select widget."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from forening.core.forms_base import QuickSelect

CHOICES: list[Any] = [
    ("", "—"),
    ("a", 'Anna <b>"&"</b>'),
    ("Sektion", [("1", "P12 · Blå"), ("2", "F10")]),
    (3, "Tre"),
]


@pytest.mark.parametrize("value", [None, "", "a", "2", 3, ["a"]])
@pytest.mark.parametrize(
    "attrs", [{}, {"class": "form-select", "form": "bulk-form", "required": True, "x": False}]
)
def test_the_html_is_the_same_as_djangos_select(value: Any, attrs: dict[str, Any]) -> None:
    ours = QuickSelect(attrs=dict(attrs), choices=CHOICES).render("group", value, {"id": "g"})
    django = forms.Select(attrs=dict(attrs), choices=CHOICES).render("group", value, {"id": "g"})

    assert parse_html(ours) == parse_html(django)
    assert "<b>" not in ours  # labels are escaped


def test_a_model_choice_field_with_an_empty_label(org: Any) -> None:
    from forening.core.models import Group
    from tests.factories.core import GroupFactory

    chosen = GroupFactory(organisation=org, name="<script>x</script>")
    GroupFactory(organisation=org, name="Ungdom")

    class Form(forms.Form):
        group = forms.ModelChoiceField(
            queryset=Group.objects.filter(organisation=org).order_by("name"),
            empty_label="Välj…",
            widget=QuickSelect,
        )

    class Plain(forms.Form):
        group = forms.ModelChoiceField(
            queryset=Group.objects.filter(organisation=org).order_by("name"), empty_label="Välj…"
        )

    ours = str(Form(initial={"group": chosen.pk})["group"])
    django = str(Plain(initial={"group": chosen.pk})["group"])

    assert parse_html(ours) == parse_html(django)
    assert "&lt;script&gt;" in ours
