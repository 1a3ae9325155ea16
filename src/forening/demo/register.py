"""Writing a planned demo register set-wise: sections and groups, households, people,
guardianships, group places, and the custom fields, tags, consents, status history and
notes, each kind of row in one insert (`bulk_create`), not through per-person service
calls. Member numbers and encrypted identity numbers are made as the services make them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from forening.core import sequences
from forening.core.models import (
    Group,
    GroupMembership,
    Guardianship,
    Organisation,
    Person,
    Section,
    User,
)
from forening.demo.details import ATTRIBUTES, CONSENT_PURPOSES, TAGS
from forening.demo.people import Draft, Plan, at_nine
from forening.demo.shapes import Shape
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import identity
from forening.members import services as register
from forening.members.models import (
    AttributeDefinition,
    AttributeValue,
    Consent,
    ConsentPurpose,
    ConsentSource,
    MembershipType,
    Note,
    StatusChange,
    Tag,
    Tagging,
)
from forening.members.status import MEMBER_STATUSES


@dataclass(frozen=True)
class Written:
    groups: dict[str, Group]
    counts: dict[str, Any]  # rows written, by kind (for the audit event)


def write_register(
    organisation: Organisation, shape: Shape, plan: Plan, *, admin: User, today: dt.date
) -> Written:
    """Write `plan` into `organisation`; `admin` is who made the history and the notes."""
    groups = _write_groups(organisation, shape)
    drafts = plan.drafts
    people = _write_people(organisation, drafts, today)
    guardianships = _guardianships(organisation, drafts)
    Guardianship.objects.bulk_create(guardianships)
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(organisation=organisation, group=groups[name], person=draft.person)
            for draft in drafts
            for name in draft.groups
        ]
        + [
            GroupMembership(
                organisation=organisation, group=groups[name], person=draft.person, role=role
            )
            for draft in drafts
            for name, role in draft.group_roles.items()
        ]
    )
    counts = _write_details(organisation, drafts, admin=admin)
    return Written(
        groups=groups,
        counts={
            "people": people,
            "groups": len(groups),
            "guardianships": len(guardianships),
            **counts,
        },
    )


def _write_groups(organisation: Organisation, shape: Shape) -> dict[str, Group]:
    sections = {
        section.name: section
        for section in Section.objects.bulk_create(
            Section(organisation=organisation, name=name, description=description)
            for name, description in shape.sections
        )
    }
    groups = Group.objects.bulk_create(
        Group(
            organisation=organisation,
            section=sections[plan.section],
            name=plan.name,
            description=plan.description,
        )
        for plan in shape.groups
    )
    return {group.name: group for group in groups}


def _write_people(organisation: Organisation, drafts: list[Draft], today: dt.date) -> int:
    """Households, people (member numbers in joining order, identity numbers encrypted
    like the services do) and each household's payer and invoice recipient."""
    households = list(
        {
            id(d.person.household): d.person.household
            for d in drafts
            if d.person.household is not None
        }.values()
    )
    Household.objects.bulk_create(households)
    types = {t.kind: t for t in MembershipType.objects.filter(organisation=organisation)}
    members = sorted(
        (d for d in drafts if d.status in MEMBER_STATUSES),
        key=lambda d: d.person.joined_on or today,
    )
    numbers = iter(sequences.take(organisation, register.MEMBER_NUMBER_SEQUENCE, len(members)))
    for draft in members:
        draft.person.member_number = next(numbers)
    for draft in drafts:
        person = draft.person
        person.membership_type = types.get(draft.membership_kind) if draft.membership_kind else None
        if draft.identity_number:
            number = identity.parse(draft.identity_number, "SE", today=today)
            for name, value in register.identity_number_columns(organisation, number).items():
                setattr(person, name, value)
        person.search_text = person.compute_search_text()
    Person.objects.bulk_create([draft.person for draft in drafts], batch_size=500)

    by_household: dict[int, list[Draft]] = {}
    for draft in drafts:
        if draft.person.household is not None:
            by_household.setdefault(id(draft.person.household), []).append(draft)
    for household in households:
        adults = [d for d in by_household[id(household)] if not d.is_child]
        household.payer = adults[0].person
        household.invoice_recipient = next((d.person for d in adults if d.receives_invoices), None)
    Household.objects.bulk_update(households, ["payer", "invoice_recipient"])
    return len(drafts)


def _write_details(
    organisation: Organisation, drafts: list[Draft], *, admin: User
) -> dict[str, Any]:
    """Custom fields, tags, consents, status history and notes, each in one insert."""
    definitions = AttributeDefinition.objects.bulk_create(
        AttributeDefinition(
            organisation=organisation,
            name=name,
            kind=kind,
            options=[{"key": key, "label": label} for key, label in options],
            help_text=help_text,
            position=position,
        )
        for position, (name, kind, options, help_text) in enumerate(ATTRIBUTES)
    )
    by_name = {definition.name: definition for definition in definitions}
    values = []
    for draft in drafts:
        for name, value in draft.attributes.items():
            row = AttributeValue(
                organisation=organisation, person=draft.person, attribute=by_name[name]
            )
            attribute_values.write_value(row, value)
            values.append(row)
    AttributeValue.objects.bulk_create(values, batch_size=1000)

    tags = {
        tag.name: tag
        for tag in Tag.objects.bulk_create(Tag(organisation=organisation, name=n) for n in TAGS)
    }
    taggings = [
        Tagging(organisation=organisation, tag=tags[name], person=draft.person)
        for draft in drafts
        for name in draft.tags
    ]
    Tagging.objects.bulk_create(taggings)

    purposes = {
        purpose.name: purpose
        for purpose in ConsentPurpose.objects.bulk_create(
            ConsentPurpose(
                organisation=organisation, name=name, description=text, position=position
            )
            for position, (name, text) in enumerate(CONSENT_PURPOSES)
        )
    }
    consents = [
        Consent(
            organisation=organisation,
            person=draft.person,
            purpose=purposes[consent.purpose],
            given_at=consent.given_at,
            given_source=consent.source,
            given_by_label=admin.email if consent.source == ConsentSource.OFFICE else "",
            withdrawn_at=consent.withdrawn_at,
            withdrawn_source=consent.withdrawn_source,
            withdrawn_by_label=(
                admin.email if consent.withdrawn_source == ConsentSource.OFFICE else ""
            ),
        )
        for draft in drafts
        for consent in draft.consents
    ]
    Consent.objects.bulk_create(consents, batch_size=1000)

    now = timezone.now()
    history = [
        StatusChange(
            organisation=organisation,
            person=draft.person,
            from_status=from_status,
            to_status=to_status,
            effective_on=on,
            reason=reason,
            changed_by=admin,
            changed_by_label=admin.email,
            created_at=min(now, at_nine(on)),
        )
        for draft in drafts
        for from_status, to_status, on, reason in draft.history
    ]
    StatusChange.objects.bulk_create(history, batch_size=1000)

    notes = [
        Note(
            organisation=organisation,
            person=draft.person,
            kind=kind,
            subject=subject,
            body=body,
            created_by=admin,
            created_by_label=admin.email,
            created_at=moment,
        )
        for draft in drafts
        for kind, subject, body, moment in draft.notes
    ]
    Note.objects.bulk_create(notes)
    return {
        "custom_field_values": len(values),
        "taggings": len(taggings),
        "consents": len(consents),
        "status_changes": len(history),
        "notes": len(notes),
    }


def _guardianships(organisation: Organisation, drafts: list[Draft]) -> list[Guardianship]:
    """Every adult in a household is guardian of its children (all of whom are under 18)."""
    by_household: dict[int, list[Draft]] = {}
    for draft in drafts:
        if draft.person.household is not None:
            by_household.setdefault(id(draft.person.household), []).append(draft)
    return [
        Guardianship(organisation=organisation, guardian=adult.person, ward=child.person)
        for members in by_household.values()
        for adult in members
        if not adult.is_child
        for child in members
        if child.is_child
    ]
