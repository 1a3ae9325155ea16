"""The member page (REG-01 … REG-06, GDPR-01): the person, the panels other apps add, and
the parts of the register (household, guardians, groups, tags, custom fields, consents,
status history, notes, the audit history). It runs a fixed number of queries, however many
groups, notes, consents or history rows the person has; the photo is served from here too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import panels, policy
from forening.core.audit_changes import change_items
from forening.core.badges import member_status_badge
from forening.core.countries import country_name
from forening.core.models import (
    AuditEvent,
    Gender,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Person,
    PersonKind,
)
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import attributes as attribute_values
from forening.members.forms import (
    NoteForm,
    StatusForm,
    TagAddForm,
    available_groups,
    group_label,
    phone_display,
)
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    ConsentPurpose,
    Note,
    NoteAttachment,
    StatusChange,
    Tag,
    Tagging,
)
from forening.members.views.member.access import get_person

HISTORY_LIMIT = 50


@organisation_view("members.register.view")
def member_detail(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = get_person(request, person_id)
    return render(request, "members/member/detail.html", _member_page(request, person))


def _member_page(request: OrganisationRequest, person: Person) -> dict[str, Any]:
    organisation = request.organisation
    access = request.access
    today = timezone.localdate()
    editable = policy.can(access, "members.person.change") and not person.is_read_only
    context: dict[str, Any] = {
        "person": person,
        "status_badge": member_status_badge(person.status),
        "age": person.age_on(today)
        if person.kind == PersonKind.PERSON and person.status != MemberStatus.DECEASED
        else None,
        "is_organisation": person.kind == PersonKind.ORGANISATION,
        "country_label": country_name(person.country) if person.country else "",
        "gender_label": Gender(person.gender).label if person.gender else "",
        "phone_label": phone_display(person.phone, organisation.country),
        "phone_secondary_label": phone_display(person.phone_secondary, organisation.country),
        "can_edit": editable,
        "can_change_status": policy.can(access, "members.status.change"),
        "can_reveal": policy.can(access, "members.identity.reveal")
        and bool(person.identity_number_masked),
        "can_manage_privacy": policy.can(access, "members.privacy.manage"),
        "can_withdraw_consent": policy.can(access, "members.person.change"),
        "can_view_audit": policy.can(access, "core.audit.view"),
        "records_gender": organisation.records_gender,
    }
    context.update(household_part(person))
    context["panels"] = panels.collect("member", request, person, today=today)
    context.update(guardian_part(organisation, person))
    context.update(_group_part(organisation, person, editable))
    context.update(_tag_part(organisation, person, editable))
    fields = _attributes(organisation, person)
    context["attribute_rows"] = fields.rows
    context["consent_rows"] = _consent_rows(organisation, person)
    context.update(_status_part(organisation, person))
    context["notes"] = list(
        Note.objects.filter(organisation=organisation, person=person)
        .prefetch_related(
            Prefetch(
                "attachments", queryset=NoteAttachment.objects.filter(organisation=organisation)
            )
        )
        .order_by("-created_at", "-pk")
    )
    context["note_form"] = NoteForm() if editable else None
    events = list(
        AuditEvent.objects.filter(organisation=organisation, person=person)
        .select_related("actor")
        .order_by("-created_at", "-pk")[: HISTORY_LIMIT + 1]
    )
    context["history"] = _history(events[:HISTORY_LIMIT], person, fields)
    context["history_has_more"] = len(events) > HISTORY_LIMIT
    return context


def household_part(person: Person) -> dict[str, Any]:
    household = person.household
    if household is None:
        return {"household": None, "household_people": []}
    people = list(
        Person.objects.filter(organisation_id=person.organisation_id, household=household)
        .exclude(pk=person.pk)
        .order_by("birth_date", "pk")
    )
    return {"household": household, "household_people": people}


def guardian_part(organisation: Any, person: Person) -> dict[str, Any]:
    links = list(
        Guardianship.objects.filter(organisation=organisation)
        .filter(Q(ward=person) | Q(guardian=person))
        .select_related("guardian", "ward")
        .order_by("pk")
    )
    return {
        "guardians": [link for link in links if link.ward_id == person.pk],
        "wards": [link for link in links if link.guardian_id == person.pk],
    }


def _group_part(organisation: Any, person: Person, editable: bool) -> dict[str, Any]:
    memberships = list(
        GroupMembership.objects.filter(organisation=organisation, person=person)
        .select_related("group", "group__section")
        .order_by("group__section__name", "group__name", "pk")
    )
    groups = available_groups(organisation, person) if editable else []
    return {
        "group_memberships": memberships,
        "group_choices": [(group, group_label(group)) for group in groups],
        "group_roles": GroupRole.choices,
    }


def _tag_part(organisation: Any, person: Person, editable: bool) -> dict[str, Any]:
    taggings = list(
        Tagging.objects.filter(organisation=organisation, person=person)
        .select_related("tag")
        .order_by("tag__name", "pk")
    )
    other_tags: list[str] = []
    if editable:
        other_tags = list(
            Tag.objects.filter(organisation=organisation)
            .exclude(pk__in=[tagging.tag_id for tagging in taggings])
            .order_by("name")
            .values_list("name", flat=True)
        )
    return {
        "tags": [tagging.tag for tagging in taggings],
        "tag_form": TagAddForm() if editable else None,
        "other_tag_names": other_tags,
    }


@dataclass
class _Attributes:
    """The custom fields of one person: rows to show, and what the history needs to name
    the field an attribute-value event is about."""

    rows: list[dict[str, Any]]
    definitions: dict[int, AttributeDefinition]
    attribute_of_value: dict[int, int]


def _attributes(organisation: Any, person: Person) -> _Attributes:
    values = {
        row.attribute_id: row
        for row in AttributeValue.objects.filter(organisation=organisation, person=person)
    }
    definitions = {
        attribute.pk: attribute
        for attribute in AttributeDefinition.objects.filter(organisation=organisation).order_by(
            "position", "name", "pk"
        )
    }
    rows = []
    for attribute in definitions.values():
        row = values.get(attribute.pk)
        if not attribute.is_active and row is None:
            continue  # a retired field still shows the value the person has
        value = attribute_values.read_value(attribute, row) if row is not None else None
        rows.append({"attribute": attribute, "display": attribute_values.display(attribute, value)})
    return _Attributes(
        rows=rows,
        definitions=definitions,
        attribute_of_value={row.pk: row.attribute_id for row in values.values()},
    )


VALUE_COLUMNS = ("text", "number", "date", "boolean")


@dataclass(frozen=True)
class HistoryRow:
    """An audit event on the member page: what it is about (empty when it is the person
    itself) and its changes as rows of {field, old, new} or {field, value}."""

    event: AuditEvent
    subject: str
    change_items: list[dict[str, Any]]


def _history(events: list[AuditEvent], person: Person, fields: _Attributes) -> list[HistoryRow]:
    """The audit events with their changes in words; a custom field's value change reads
    "Allergies: — → Gluten" instead of naming the columns it is stored in."""
    return [_history_row(event, person, fields) for event in events]


def _history_row(event: AuditEvent, person: Person, fields: _Attributes) -> HistoryRow:
    if event.object_type != "members.attributevalue":
        subject = event.object_repr if event.object_repr != person.full_name else ""
        return HistoryRow(event=event, subject=subject, change_items=change_items(event))
    changes = event.changes if isinstance(event.changes, dict) else {}
    attribute_id = _side(changes.get("attribute_id"), 1)
    if attribute_id is None and event.object_id.isdigit():
        attribute_id = fields.attribute_of_value.get(int(event.object_id))
    attribute = fields.definitions.get(attribute_id) if attribute_id else None
    old = _first_value(changes, 0)
    new = _first_value(changes, 1)
    is_boolean = attribute is not None and attribute.kind == AttributeKind.BOOLEAN
    if is_boolean and new is None and event.action.endswith(".created"):
        new = False  # a new row records only its non-empty columns
    subject = attribute.name if attribute is not None else _("Custom field")
    items = [
        {
            "field": subject,
            "old": _attribute_text(attribute, old),
            "new": _attribute_text(attribute, new),
        }
    ]
    return HistoryRow(event=event, subject=subject, change_items=items)


def _side(pair: Any, index: int) -> Any:
    return pair[index] if isinstance(pair, list) and len(pair) == 2 else None


def _first_value(changes: dict[str, Any], index: int) -> Any:
    for column in VALUE_COLUMNS:
        value = _side(changes.get(column), index)
        if value not in (None, ""):
            return value
    return None


def _attribute_text(attribute: AttributeDefinition | None, stored: Any) -> str:
    if stored is None or stored == "":
        return "—"
    if attribute is not None and attribute.kind in (
        AttributeKind.CHOICE,
        AttributeKind.MULTIPLE_CHOICE,
    ):
        labels = attribute.option_labels
        keys = [key for key in str(stored).strip(",").split(",") if key]
        text = ", ".join(labels.get(key, key) for key in keys)
    elif attribute is not None and attribute.kind == AttributeKind.BOOLEAN:
        text = _("Yes") if stored is True or stored == "True" else _("No")
    else:
        text = str(stored)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _consent_rows(organisation: Any, person: Person) -> list[dict[str, Any]]:
    consents = list(
        Consent.objects.filter(organisation=organisation, person=person)
        .select_related("purpose")
        .order_by("-given_at", "-pk")
    )
    purposes = list(
        ConsentPurpose.objects.filter(organisation=organisation, is_active=True).order_by(
            "position", "name", "pk"
        )
    )
    listed = {purpose.pk for purpose in purposes}
    for consent in consents:  # retired purposes with history stay visible
        if consent.purpose_id not in listed:
            purposes.append(consent.purpose)
            listed.add(consent.purpose_id)
    rows = []
    for purpose in purposes:
        history = [consent for consent in consents if consent.purpose_id == purpose.pk]
        current = next((consent for consent in history if consent.withdrawn_at is None), None)
        rows.append(
            {
                "purpose": purpose,
                "current": current,
                "latest": history[0] if history else None,
                "history": history,
            }
        )
    return rows


def _status_part(organisation: Any, person: Person) -> dict[str, Any]:
    history = list(
        StatusChange.objects.filter(organisation=organisation, person=person).order_by(
            "-created_at", "-pk"
        )
    )
    return {"status_history": history, "status_form": StatusForm(person=person)}


@organisation_view("members.register.view")
def member_photo(request: OrganisationRequest, person_id: int) -> FileResponse:
    """A member's photo, for those who may see the register (media is never public)."""
    person: Person = get_object_or_404(
        Person.objects.filter(organisation=request.organisation).only("pk", "photo"),
        pk=person_id,
    )
    if not person.photo:
        raise Http404
    try:
        handle = person.photo.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    suffix = (person.photo.name or "").rsplit(".", 1)[-1].lower()
    content_type = {"png": "image/png", "webp": "image/webp", "gif": "image/gif"}.get(
        suffix, "image/jpeg"
    )
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response
