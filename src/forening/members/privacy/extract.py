"""The register extract (GDPR art. 15): everything the register holds about one person,
JSON-serialisable, with labels in the active language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import AuditEvent, GroupMembership, Guardianship, Person
from forening.members import attributes as attribute_values
from forening.members.fields import PERSON, Use, names
from forening.members.models import AttributeValue, Consent, Note, StatusChange, Tagging
from forening.members.services import decrypt_identity_number

# Person columns that are not shown as such (members/fields.py): the tenant, the row id, the
# search column and the encrypted identity number with its index (the extract shows the
# number in full, next to its masked form).
EXTRACT_SKIPPED_FIELDS = frozenset(PERSON) - frozenset(names(PERSON, use=Use.EXTRACT))


def _iso(value: dt.date | dt.datetime | None) -> str:
    """A date as 2026-03-15, a time as 2026-03-15 14:05 (local time): unambiguous in every
    language, and readable."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _in_words(person: Person, model_field: models.Field[Any, Any]) -> Any:
    """A field's value as a reader understands it (JSON-serialisable)."""
    value = getattr(person, model_field.name)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(getattr(person, f"get_{model_field.name}_display")())
    if isinstance(model_field, models.FileField):
        return value.name.rsplit("/", 1)[-1] if value else ""
    if isinstance(model_field, models.ForeignKey):
        related = value
        if model_field.name == "user":
            return related.email
        return str(related)
    if isinstance(value, dt.date | dt.datetime):
        return _iso(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value if isinstance(value, int | str) else str(value)


# Shown last: when the record was made, changed and anonymised.
_RECORD_FIELDS = ("created_at", "updated_at", "anonymised_at")


def _person_rows(person: Person) -> list[dict[str, Any]]:
    rows = []
    # sorted() is stable: the model's order, with the record's own dates moved last.
    fields = sorted(Person._meta.concrete_fields, key=lambda f: f.name in _RECORD_FIELDS)
    for model_field in fields:
        if model_field.name in EXTRACT_SKIPPED_FIELDS:
            continue
        label = capfirst(str(model_field.verbose_name))
        if model_field.name == "identity_number_masked":
            rows.append(
                {
                    "field": "identity_number",
                    "label": label,
                    "value": decrypt_identity_number(person),
                }
            )
            label = _("Identity number as shown in lists")
        rows.append(
            {"field": model_field.name, "label": label, "value": _in_words(person, model_field)}
        )
    return rows


def _brief(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"name": person.full_name, "member_number": person.member_number}


@audit.in_name_of_actor
@transaction.atomic
def register_extract(person: Person, *, actor: Actor, output: str = "json") -> dict[str, Any]:
    """Everything the register holds about `person`, JSON-serialisable, with labels in the
    active language (GDPR art. 15). The identity number is shown in full: it is the
    person's own data. Every extract is in the audit log ("members.privacy.extract").
    """
    audit.record(actor, "members.privacy.extract", person, format=output)
    person = (
        Person.objects.select_related("organisation", "membership_type", "household", "user")
        .select_related("household__payer", "household__invoice_recipient")
        .get(pk=person.pk, organisation_id=person.organisation_id)
    )
    organisation = person.organisation
    extract: dict[str, Any] = {
        "organisation": {
            "name": organisation.name,
            "organisation_number": organisation.organisation_number,
        },
        "generated_at": _iso(timezone.now()),
        "generated_by": str(actor),
        "person": _person_rows(person),
        "household": _household_of(person),
        "guardians": [
            _brief(row.guardian)
            for row in Guardianship.objects.filter(ward=person).select_related("guardian")
        ],
        "wards": [
            _brief(row.ward)
            for row in Guardianship.objects.filter(guardian=person).select_related("ward")
        ],
        "groups": [
            {
                "group": row.group.name,
                "section": row.group.section.name if row.group.section else "",
                "role": row.get_role_display(),
                "since": _iso(row.created_at),
            }
            for row in GroupMembership.objects.filter(person=person).select_related(
                "group", "group__section"
            )
        ],
        "tags": sorted(
            Tagging.objects.filter(person=person).values_list("tag__name", flat=True),
            key=str.lower,
        ),
        "custom_fields": [
            {
                "field": row.attribute.name,
                "value": attribute_values.display(row.attribute, row.value),
            }
            for row in AttributeValue.objects.filter(person=person)
            .select_related("attribute")
            .order_by("attribute__position", "attribute__name")
        ],
        "consents": [
            {
                "purpose": row.purpose.name,
                "given_at": _iso(row.given_at),
                "given_through": row.get_given_source_display(),
                "given_recorded_by": row.given_by_label,
                "withdrawn_at": _iso(row.withdrawn_at),
                "withdrawn_through": (
                    row.get_withdrawn_source_display() if row.withdrawn_source else ""
                ),
                "withdrawal_recorded_by": row.withdrawn_by_label,
                "in_force": row.is_active,
            }
            for row in Consent.objects.filter(person=person)
            .select_related("purpose")
            .order_by("given_at", "pk")
        ],
        "status_history": [
            {
                "from": row.get_from_status_display() if row.from_status else "",
                "to": row.get_to_status_display(),
                "effective_on": _iso(row.effective_on),
                "reason": row.reason,
                "by": row.changed_by_label,
                "recorded_at": _iso(row.created_at),
            }
            for row in StatusChange.objects.filter(person=person).order_by("created_at", "pk")
        ],
        "notes": [
            {
                "kind": note.get_kind_display(),
                "subject": note.subject,
                "text": note.body,
                "by": note.created_by_label,
                "time": _iso(note.created_at),
                "attachments": [
                    {
                        "name": attachment.original_name,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                    }
                    for attachment in note.attachments.all()
                ],
            }
            for note in Note.objects.filter(person=person)
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        ],
        "logins": _logins_of(person),
        "audit_events": _audit_events_of(person),
    }
    return extract


def _household_of(person: Person) -> dict[str, Any] | None:
    household = person.household
    if household is None:
        return None
    others = Person.objects.filter(organisation_id=person.organisation_id, household=household)
    return {
        "name": household.name,
        "address": household.address_lines,
        "people": [_brief(p) for p in others.order_by("birth_date", "pk")],
        "payer": _brief(household.payer),
        "invoice_recipient": _brief(household.invoice_recipient),
    }


def _logins_of(person: Person) -> list[dict[str, Any]]:
    user = person.user
    if user is None:
        return []
    return [
        {
            "email": user.email,
            "name": user.full_name,
            "language": user.get_language_display(),
            "created_at": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_verified_at": _iso(user.email_verified_at),
            "active": user.is_active,
        }
    ]


def _audit_events_of(person: Person) -> list[dict[str, Any]]:
    """Events about the person, and the sign-ins of their login (not what the login did
    in other associations)."""
    about = models.Q(person=person)
    if person.user_id is not None:
        about |= models.Q(subject_user_id=person.user_id) & (
            models.Q(organisation__isnull=True) | models.Q(organisation_id=person.organisation_id)
        )
    # Named escape hatch (docs/architecture.md § Tenancy): sign-ins and other events of the
    # person's login belong to no organisation, so the tenant scope would hide them; `about`
    # limits the query to this person and to events of this organisation or of none.
    with scopes_disabled():
        events = AuditEvent.objects.filter(about).order_by("created_at", "pk")
    return [
        {
            "time": _iso(event.created_at),
            "action": event.action,
            "what": event.action_label,
            "by": event.actor_label,
            "object": event.object_repr,
            "changes": event.changes,
            "details": _details(event.changes),
        }
        for event in events
    ]


def _details(changes: Any) -> list[str]:
    """An event's changes as lines a person reads ("email: — → sara@example.se")."""
    if not isinstance(changes, dict):
        return []

    def word(value: Any) -> str:
        return "—" if value in (None, "") else str(value)

    lines = []
    for key, value in changes.items():
        if key in ("id", "organisation_id"):
            continue
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{key}: {word(value[0])} → {word(value[1])}")
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(word(item) for item in value)}")
        else:
            lines.append(f"{key}: {word(value)}")
    return lines
