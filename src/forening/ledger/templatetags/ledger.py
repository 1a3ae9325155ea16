"""Money in templates: `{{ amount|money:currency }}` → "1 234,50 kr" in the active language."""

from __future__ import annotations

from django import template
from django.utils import translation

from forening.core.money import format_money

register = template.Library()


@register.filter
def money(amount: int | None, currency: str = "SEK") -> str:
    if amount is None:
        return ""
    return format_money(int(amount), currency or "SEK", translation.get_language() or "sv")


@register.filter
def negate(amount: int | None) -> int | None:
    """A credit line's amount as the positive number shown in the credit column."""
    return None if amount is None else -int(amount)
