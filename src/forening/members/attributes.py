"""Custom fields: turning typed values into stored columns and back, and showing them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import formats
from django.utils.translation import gettext as _

from forening.members.dates import parse_date

if TYPE_CHECKING:
    from forening.members.models import AttributeDefinition, AttributeValue

TRUE_WORDS = {"1", "ja", "j", "yes", "y", "true", "sant", "x", "✓"}
FALSE_WORDS = {"0", "nej", "n", "no", "false", "falskt", "nei"}


class AttributeValueError(ValueError):
    """A value does not fit the field; str() is a message for the user."""


def empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == ()


def coerce(attribute: AttributeDefinition, raw: Any) -> Any:
    """Turn raw input (a form value, a spreadsheet cell) into the field's Python value.

    Returns None for an empty input. Raises AttributeValueError with a message.
    """
    from forening.members.models import AttributeKind

    if isinstance(raw, str):
        raw = raw.strip()
    if empty(raw):
        return None
    kind = attribute.kind
    if kind == AttributeKind.TEXT:
        return str(raw)
    if kind == AttributeKind.NUMBER:
        if isinstance(raw, bool):
            raise AttributeValueError(_("Enter a number."))
        try:
            number = Decimal(str(raw).replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise AttributeValueError(_("Enter a number.")) from None
        if not number.is_finite() or abs(number) >= Decimal("1e14"):
            raise AttributeValueError(_("Enter a number."))
        return number
    if kind == AttributeKind.DATE:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        parsed = parse_date(str(raw))
        if parsed is None:
            raise AttributeValueError(_("Enter a date, such as 2026-03-15."))
        return parsed
    if kind == AttributeKind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise AttributeValueError(_("Answer yes or no."))
    labels = attribute.option_labels
    by_label = {label.lower(): key for key, label in labels.items()}
    if isinstance(raw, str):
        items = [part.strip() for part in raw.replace(";", ",").split(",")]
        if kind == AttributeKind.CHOICE:
            items = [raw]
    else:
        items = [str(item) for item in raw]
    keys = []
    for item in items:
        if not item:
            continue
        key = item if item in labels else by_label.get(item.lower())
        if key is None:
            raise AttributeValueError(
                _("“%(value)s” is not one of the choices: %(choices)s.")
                % {"value": item, "choices": ", ".join(labels.values())}
            )
        if key not in keys:
            keys.append(key)
    if kind == AttributeKind.CHOICE:
        if len(keys) > 1:
            raise AttributeValueError(_("Choose only one."))
        return keys[0] if keys else None
    return keys or None


def write_value(row: AttributeValue, value: Any) -> None:
    """Store a coerced value in the row's column for its kind (the others are cleared)."""
    from forening.members.models import AttributeKind

    kind = row.attribute.kind
    row.text, row.number, row.date, row.boolean = "", None, None, None
    if kind == AttributeKind.TEXT:
        row.text = value
    elif kind == AttributeKind.NUMBER:
        row.number = value
    elif kind == AttributeKind.DATE:
        row.date = value
    elif kind == AttributeKind.BOOLEAN:
        row.boolean = value
    elif kind == AttributeKind.CHOICE:
        row.text = f",{value},"
    else:
        row.text = "," + ",".join(value) + ","


def read_value(attribute: AttributeDefinition, row: AttributeValue) -> Any:
    from forening.members.models import AttributeKind

    kind = attribute.kind
    if kind == AttributeKind.TEXT:
        return row.text
    if kind == AttributeKind.NUMBER:
        if row.number is None:
            return None
        number = row.number.normalize()
        # 100.0000 normalises to 1E+2; keep whole numbers written out.
        return number.quantize(Decimal(1)) if number == number.to_integral_value() else number
    if kind == AttributeKind.DATE:
        return row.date
    if kind == AttributeKind.BOOLEAN:
        return row.boolean
    keys = [key for key in row.text.strip(",").split(",") if key]
    if kind == AttributeKind.CHOICE:
        return keys[0] if keys else None
    return keys


def display(attribute: AttributeDefinition, value: Any) -> str:
    """The value as a person reads it, in the active language."""
    from forening.members.models import AttributeKind

    if empty(value):
        return ""
    kind = attribute.kind
    if kind == AttributeKind.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == AttributeKind.DATE:
        return str(value.isoformat())
    if kind == AttributeKind.NUMBER:
        return formats.number_format(value, use_l10n=True)
    if kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE_CHOICE):
        labels = attribute.option_labels
        keys = [value] if isinstance(value, str) else value
        return ", ".join(labels.get(key, key) for key in keys)
    return str(value)
