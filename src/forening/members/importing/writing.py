"""Writing: everything the planned rows change, set-wise (COPY for new rows, bulk_update
for changed ones), then their status history, custom fields, tags, groups, notes and
the audit rows. Runs inside the import's transaction, after every row was validated."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit, bulk, sequences
from forening.core.models import GroupMembership, MemberStatus, Person
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import services
from forening.members import status as transitions
from forening.members.importing.context import (
    ADDRESS_FIELDS,
    BATCH,
    CREATE,
    UPDATE,
    UPDATE_BATCH,
    ImportContext,
    Row,
    chunks,
)
from forening.members.importing.households import write_households
from forening.members.importing.planning import Stored
from forening.members.models import AttributeValue, Note, StatusChange, Tag, Tagging

# Not copied into the audit rows of created people: secrets, noise and what is obvious.
_NOT_AUDITED = {
    *Person.audit_exclude,
    *audit.IGNORED_FIELDS,
    "id",
    "organisation_id",
    "organisation",
    "status_since",
}


class Writer:
    """Writes the rows the planner left to create or update (`Row.action`), with what the
    planner read (`stored`) so that only missing values, tags and links are added."""

    def __init__(self, context: ImportContext, stored: Stored) -> None:
        self.context = context
        self.stored = stored
        self.organisation = context.organisation
        self.actor = context.actor
        self.today = context.today

    def write(self, rows: list[Row], new_households: list[Household]) -> None:
        reason = _("Imported")
        creates = [row for row in rows if row.action == CREATE]
        updates = [row for row in rows if row.action == UPDATE]
        self._number_members(creates, updates)
        bulk.create(new_households)
        moved_households = {
            row.household.pk: row.household
            for row in rows
            if row.household is not None and getattr(row.household, "_address_changed", False)
        }
        people = self._create_people(creates, reason)
        updated = self._update_people(updates, reason)
        write_households(self.context, rows, new_households, moved_households, people + updated)
        self._write_history(creates, updates, reason)
        self._write_attributes(creates + updates)
        self._write_links(creates + updates)
        self._audit(creates, updates, new_households)

    def _number_members(self, creates: list[Row], updates: list[Row]) -> None:
        """Member numbers: typed ones move the sequence on; the rest are taken in one go."""
        organisation = self.organisation
        explicit = [n for row in creates + updates if (n := row.fields.get("member_number"))]
        needing = [
            row
            for row in creates
            if row.fields.get("member_number") is None
            and row.new_status in transitions.MEMBER_STATUSES
        ] + [
            row
            for row in updates
            if row.person is not None
            and row.person.member_number is None
            and row.fields.get("member_number") is None
            and row.new_status in transitions.MEMBER_STATUSES
        ]
        floor = max(explicit, default=0)
        if needing:
            numbers = iter(
                sequences.take(
                    organisation, services.MEMBER_NUMBER_SEQUENCE, len(needing), floor=floor
                )
            )
            for row in needing:
                row.fields["member_number"] = next(numbers)
                if row.person is not None:
                    row.changes["member_number"] = [None, row.fields["member_number"]]
        elif floor > sequences.peek(organisation, services.MEMBER_NUMBER_SEQUENCE):
            sequences.take(organisation, services.MEMBER_NUMBER_SEQUENCE, floor=floor - 1)

    def _create_people(self, creates: list[Row], reason: str) -> list[Person]:
        organisation, today = self.organisation, self.today
        people: list[Person] = []
        for row in creates:
            fields = dict(row.fields)
            new_person = Person(
                organisation=organisation,
                status=row.new_status,
                status_since=today,
                **fields,
            )
            if row.identity is not None:
                for name, value in services.identity_number_columns(
                    organisation, row.identity
                ).items():
                    setattr(new_person, name, value)
            if new_person.status in transitions.MEMBER_STATUSES and new_person.joined_on is None:
                new_person.joined_on = today
            if new_person.membership_type is None and row.final_type is not None:
                new_person.membership_type = row.final_type
            if new_person.status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
                new_person.left_on = today
                new_person.leave_reason = reason
            new_person.household = row.household
            new_person.search_text = new_person.compute_search_text()
            row.person = new_person
            people.append(new_person)
        bulk.create(people)
        return people

    def _update_people(self, updates: list[Row], reason: str) -> list[Person]:
        organisation = self.organisation
        now = timezone.now()
        changed_fields: set[str] = set()
        updated: list[Person] = []
        for row in updates:
            person = row.person
            assert person is not None  # noqa: S101
            for name, value in row.fields.items():
                if name in row.changes or name in ADDRESS_FIELDS:
                    setattr(person, name, value)
                    changed_fields.add(name)
            if row.index and row.index != person.identity_number_index and row.identity:
                for name, value in services.identity_number_columns(
                    organisation, row.identity
                ).items():
                    setattr(person, name, value)
                    changed_fields.add(name)
            if row.household is not None and person.household_id != row.household.pk:
                person.household = row.household
                changed_fields.add("household")
            if row.new_status and row.new_status != person.status:
                self._apply_status(person, row.new_status, reason)
                changed_fields.update(
                    {"status", "status_since", "joined_on", "left_on", "leave_reason"}
                )
            person.search_text = person.compute_search_text()
            person.updated_at = now
            updated.append(person)
        if updated:
            Person.objects.bulk_update(
                updated,
                sorted(changed_fields | {"search_text", "updated_at"}),
                batch_size=UPDATE_BATCH,
            )
        return updated

    def _apply_status(self, person: Person, to_status: str, reason: str) -> None:
        """What change_status_many does to a row, without its queries."""
        row_from = person.status
        person._from_status = row_from  # type: ignore[attr-defined]
        person.status = to_status
        person.status_since = self.today
        if to_status == MemberStatus.ACTIVE:
            if person.joined_on is None:
                person.joined_on = self.today
            person.left_on, person.leave_reason = None, ""
        elif to_status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            person.left_on = self.today
            person.leave_reason = reason

    def _write_history(self, creates: list[Row], updates: list[Row], reason: str) -> None:
        user, label = self.actor.user, str(self.actor)[:254]
        history = [
            StatusChange(
                organisation=self.organisation,
                person=row.person,
                from_status="",
                to_status=row.person.status,
                effective_on=self.today,
                reason=reason,
                changed_by=user,
                changed_by_label=label,
            )
            for row in creates
            if row.person is not None
        ]
        history += [
            StatusChange(
                organisation=self.organisation,
                person=row.person,
                from_status=getattr(row.person, "_from_status", ""),
                to_status=row.person.status,
                effective_on=self.today,
                reason=reason,
                changed_by=user,
                changed_by_label=label,
            )
            for row in updates
            if row.person is not None and hasattr(row.person, "_from_status")
        ]
        bulk.create(history)

    def _write_attributes(self, rows: list[Row]) -> None:
        new_values: list[AttributeValue] = []
        changed: list[AttributeValue] = []
        for row in rows:
            person = row.person
            assert person is not None  # noqa: S101
            for attribute_id, value in row.attributes.items():
                stored = self.stored.values.get((person.pk, attribute_id))
                if stored is None:
                    stored = AttributeValue(
                        organisation=self.organisation,
                        person=person,
                        attribute=self.context.attributes[attribute_id],
                    )
                    attribute_values.write_value(stored, value)
                    new_values.append(stored)
                elif stored.value != value:
                    attribute_values.write_value(stored, value)
                    changed.append(stored)
        bulk.create(new_values)
        now = timezone.now()
        for stored in changed:
            stored.updated_at = now
        AttributeValue.objects.bulk_update(
            changed, ["text", "number", "date", "boolean", "updated_at"], batch_size=UPDATE_BATCH
        )

    def _write_links(self, rows: list[Row]) -> None:
        organisation = self.organisation
        names = {tag.lower(): tag for row in rows for tag in row.tags}
        tags: dict[str, Tag] = {}
        if names:
            for chunk in chunks(names):
                for tag in (
                    Tag.objects.filter(organisation=organisation)
                    .annotate(_name=Lower("name"))
                    .filter(_name__in=chunk)
                ):
                    tags[tag.name.lower()] = tag
            missing = [
                Tag(organisation=organisation, name=names[key]) for key in names if key not in tags
            ]
            Tag.objects.bulk_create(missing, batch_size=BATCH)
            tags.update({tag.name.lower(): tag for tag in missing})
        taggings, memberships, notes = [], [], []
        label = str(self.actor)[:254]
        for row in rows:
            person = row.person
            assert person is not None  # noqa: S101
            for name in row.tags:
                if (person.pk, name.lower()) not in self.stored.tagged:
                    taggings.append(
                        Tagging(organisation=organisation, tag=tags[name.lower()], person=person)
                    )
                    self.stored.tagged.add((person.pk, name.lower()))
            if row.group is not None and (person.pk, row.group.pk) not in self.stored.grouped:
                memberships.append(
                    GroupMembership(organisation=organisation, group=row.group, person=person)
                )
            if row.note and (person.pk, row.note) not in self.stored.noted:
                notes.append(
                    Note(
                        organisation=organisation,
                        person=person,
                        subject=_("Note from the import"),
                        body=row.note,
                        created_by=self.actor.user,
                        created_by_label=label,
                    )
                )
        bulk.create(taggings)
        bulk.create(memberships)
        bulk.create(notes)

    def _audit(self, creates: list[Row], updates: list[Row], households: list[Household]) -> None:
        organisation, actor = self.organisation, self.actor
        created = {row.person.pk: row for row in creates if row.person is not None}
        changed = {row.person.pk: row for row in updates if row.person is not None}
        names = [
            f.attname
            for f in Person._meta.concrete_fields
            if f.attname not in _NOT_AUDITED and f.name not in _NOT_AUDITED
        ]

        def created_changes(person: models.Model) -> dict[str, Any]:
            return {name: [None, value] for name in names if (value := getattr(person, name, None))}

        audit.record_many(
            actor,
            "core.person.created",
            [row.person for row in created.values() if row.person is not None],
            organisation=organisation,
            changes=created_changes,
            source="import",
        )
        audit.record_many(
            actor,
            "core.person.updated",
            [row.person for row in changed.values() if row.person is not None],
            organisation=organisation,
            changes=lambda person: changed[person.pk].changes,
            source="import",
        )
        audit.record_many(
            actor,
            "households.household.created",
            list(households),
            organisation=organisation,
            source="import",
        )
