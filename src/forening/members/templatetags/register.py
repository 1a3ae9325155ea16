"""Template filters of the member register."""

from __future__ import annotations

from django import template

from forening.members.forms import phone_display

register = template.Library()


@register.filter
def phone(number: str, country: str = "SE") -> str:
    """`{{ person.phone|phone:organisation.country }}`: 070-123 45 67 for a home number."""
    return phone_display(number or "", country or "SE")
