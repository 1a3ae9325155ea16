"""Bootstrap classes for our forms, so templates only lay fields out."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


class BootstrapMixin(forms.BaseForm):
    """Give each widget its Bootstrap class and mark invalid fields after validation."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            elif isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                continue
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            if css not in existing.split():
                widget.attrs["class"] = f"{css} {existing}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class QuickSelect(forms.Select):
    """A select written out in Python instead of a widget template per option: the same
    HTML, several times faster, for selects with many options on busy pages (the bulk
    bar of the member search renders every group of the association)."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = [
                format_html(
                    '<option value="{}"{}>{}</option>',
                    "" if option["value"] is None else str(option["value"]),
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            ]
            if group_name:
                parts.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        group_name,
                        mark_safe("".join(rendered)),  # noqa: S308
                    )
                )
            else:
                parts.extend(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(parts)),  # noqa: S308 - each part is built by format_html
        )


def add_validation_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (the rest above the form).

    A field the form itself already found wrong keeps its own message only."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            if target is not None and target in form.errors:
                continue  # the form already says what is wrong with this field
            form.add_error(target, errors)
    else:
        form.add_error(None, error)


_F = TypeVar("_F", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[_F]) -> _F:
    """A form's field with its type known (to set what depends on the association)."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """A form's model choice field (django-scopes' SafeModelChoiceField is one), typed."""
    return field_of(form, name, forms.ModelChoiceField)


def choice(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """A form's choice field, typed."""
    return field_of(form, name, forms.ChoiceField)
