"""Blanking personal data in the audit log when a person is anonymised: the one sanctioned
exception to the append-only log."""

from __future__ import annotations

from typing import Any

from django.db import models

from forening.core import audit
from forening.core.models import AuditEvent

# Keys of audit-event changes that hold no personal data (statuses, dates of membership,
# ids of settings rows, what a consent was for): a redacted event keeps their values and
# loses the values of every other key (the key itself stays, so the log still says which
# fields were changed and when).
KEPT_AUDIT_KEYS = frozenset(
    {
        "id",
        "organisation_id",
        "kind",
        "status",
        "status_since",
        "from_status",
        "to_status",
        "effective_on",
        "reason",
        "membership_type_id",
        "membership_type",
        "member_number",
        "joined_on",
        "left_on",
        "leave_reason",
        "gender",
        "language",
        "anonymised_at",
        "group",
        "role",
        "tag",
        "purpose",
        "source",
        "files",
        "format",
        "people",
        "removed",
        "attribute_id",
        "group_id",
        "person_id",
    }
)


def _blank(value: Any) -> Any:
    if isinstance(value, list):
        return [None for _item in value]
    return None


def redact_changes(changes: Any) -> dict[str, Any]:
    """An event's changes with the values of every key that may hold personal data blanked."""
    if not isinstance(changes, dict):
        return {}
    return {
        key: value if key in KEPT_AUDIT_KEYS else _blank(value) for key, value in changes.items()
    }


def redact_audit_events(
    redaction: audit.Redaction, events: models.QuerySet[AuditEvent], *, object_repr: str
) -> int:
    """Blank the personal data in audit events about anonymised people.

    The audit log is append-only (in the database too). Erasure is the one sanctioned
    exception, through `core.audit.redaction()`, which rewrites `changes` and `object_repr`
    only: who acted, when, and what kind of change it was stay as they were, so the log
    still accounts for every change.
    """
    batch: list[AuditEvent] = []
    count = 0
    for event in events.only("pk", "changes", "object_repr").order_by("pk").iterator(2000):
        event.changes = redact_changes(event.changes)
        event.object_repr = object_repr
        batch.append(event)
        if len(batch) >= 500:
            count += redaction.rewrite(batch, ["changes", "object_repr"])
            batch = []
    if batch:
        count += redaction.rewrite(batch, ["changes", "object_repr"])
    return count


def redact_guardian_names(
    redaction: audit.Redaction, event_ids: list[int], names: dict[int, str], label: str
) -> None:
    """Replace the anonymised people's names in their wards' and guardians' events (the
    sanctioned rewrite of the append-only log, as in `redact_audit_events`)."""
    if not event_ids:
        return
    erased = {name for name in names.values() if name}
    changed = []
    for event in AuditEvent.objects.filter(pk__in=event_ids).only("pk", "changes"):
        changes = event.changes if isinstance(event.changes, dict) else {}
        if changes.get("guardian") in erased:
            event.changes = {**changes, "guardian": label}
            changed.append(event)
    redaction.rewrite(changed, ["changes"])
