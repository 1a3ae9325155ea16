"""How an audit event reads to a person: its changes as items of field, old and new value.

The audit log page and the member page's history both show events this way.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.text import capfirst

from forening.core.models import AuditEvent


def _short(value: Any) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


# Columns every automatic diff carries; they say nothing to a reader of the log.
_NOISE_FIELDS = {"id", "organisation_id"}


@functools.cache
def _field_labels(object_type: str) -> dict[str, str]:
    """{attname or name: "Verbose name"} of the model an audit event is about."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return {}
    labels = {}
    for field in model._meta.concrete_fields:
        label = capfirst(field.verbose_name)
        labels[field.name] = labels[field.attname] = label
    return labels


def change_items(event: AuditEvent) -> list[dict[str, Any]]:
    """The changes of an event as rows of {field, old, new} or {field, value}."""
    changes = event.changes
    if not isinstance(changes, dict):
        return []
    created = event.action.endswith(".created")
    items = []
    labels = _field_labels(event.object_type)
    for key, value in changes.items():
        if key in _NOISE_FIELDS:
            continue
        label = labels.get(key, key)
        if isinstance(value, list) and len(value) == 2:
            if created:
                items.append({"field": label, "value": _short(value[1])})
            else:
                items.append({"field": label, "old": _short(value[0]), "new": _short(value[1])})
        else:
            items.append({"field": label, "value": _short(value)})
    return items


@dataclass(frozen=True)
class EventRow:
    """An event as a list shows it: the event and its changes in words."""

    event: AuditEvent
    change_items: list[dict[str, Any]]


def rows(events: Iterable[AuditEvent]) -> list[EventRow]:
    """The events with their changes, for `core/office/_audit_changes.html`."""
    return [EventRow(event, change_items(event)) for event in events]
