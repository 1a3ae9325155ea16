"""Planning: what each row does to the register (create or update, which fields change,
its status and membership type), checked against the rules that depend on what the
register holds (status transitions, read-only records, required custom fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from forening.core.models import READ_ONLY_STATUSES, GroupMembership, MemberStatus
from forening.members import attributes as attribute_values
from forening.members import status as transitions
from forening.members.importing.context import (
    ADDRESS_FIELDS,
    CREATE,
    UNCHANGED,
    UPDATE,
    ImportContext,
    Row,
    chunks,
)
from forening.members.importing.mapping import ATTRIBUTE_PREFIX, NAME_FIELDS
from forening.members.models import AttributeValue, Note, Tagging


@dataclass
class Stored:
    """What the register already holds for the matched people: the planner reads it to
    find what changes, the writer to add only what is missing."""

    values: dict[tuple[int, int], AttributeValue] = field(default_factory=dict)
    tagged: set[tuple[int, str]] = field(default_factory=set)
    grouped: set[tuple[int, int]] = field(default_factory=set)
    noted: set[tuple[int, str]] = field(default_factory=set)


class Planner:
    """`plan()` runs once the rows are matched; `finish()` once households are planned
    (they may fill in addresses), and finds the rows that change nothing."""

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self.stored = Stored()

    def plan(self, rows: list[Row]) -> None:
        """Decide what each valid row does (create or update, its status and membership
        type) and check the rules that depend on the register."""
        organisation = self.context.organisation
        matched = [row.person.pk for row in rows if row.person is not None]
        wanted = set(self.context.attributes)
        if matched and wanted:
            for chunk in chunks(matched):
                for value in AttributeValue.objects.filter(
                    organisation=organisation, person_id__in=chunk, attribute_id__in=wanted
                ).select_related("attribute"):
                    self.stored.values[(value.person_id, value.attribute_id)] = value
        for row in rows:
            if row.errors:
                continue
            if row.person is None:
                self._plan_new(row)
            else:
                self._plan_update(row)
            self._check_required(row)

    def _plan_new(self, row: Row) -> None:
        row.action = CREATE
        row.new_status = row.status or MemberStatus.ACTIVE
        type_ = row.fields.get("membership_type")
        if type_ is None and row.new_status != MemberStatus.CONTACT:
            type_ = self.context.default_type
        row.final_type = type_

    def _plan_update(self, row: Row) -> None:
        person = row.person
        assert person is not None  # noqa: S101 - only called for matched rows
        changes: dict[str, list[Any]] = {}
        for name, value in row.fields.items():
            current = getattr(person, name) if name != "membership_type" else None
            if name == "membership_type":
                if person.membership_type_id != value.pk:
                    changes[name] = [str(self.context.type_of(person) or ""), value.name]
            elif current != value:
                changes[name] = [current, value]
        if row.index and row.index != person.identity_number_index:
            changes["identity_number_masked"] = [
                person.identity_number_masked,
                row.identity.masked if row.identity else "",
            ]
        final_status = person.status
        if row.status and row.status != person.status:
            if not transitions.allowed(person.status, row.status):
                self.context.error(row, "status", transitions.refusal(person.status, row.status))
                return
            final_status = row.status
            row.new_status = row.status
            changes["status"] = [person.status, row.status]
        if person.status in READ_ONLY_STATUSES and final_status in READ_ONLY_STATUSES:
            edits = [name for name in changes if name != "status"]
            if edits:
                self.context.error(
                    row,
                    edits[0] if edits[0] in self.context.columns else NAME_FIELDS[0],
                    _("%(name)s is %(status)s: the record is read-only except for its status.")
                    % {
                        "name": person.full_name,
                        "status": MemberStatus(person.status).label.lower(),
                    },
                )
                return
        type_ = row.fields.get("membership_type") or self.context.type_of(person)
        if type_ is None and final_status == MemberStatus.ACTIVE:
            type_ = self.context.default_type
            if type_ is not None:
                row.fields["membership_type"] = type_
                changes["membership_type"] = ["", type_.name]
        row.final_type = type_
        row.changes = changes
        row.action = UPDATE

    def _check_required(self, row: Row) -> None:
        status = row.new_status or (row.person.status if row.person else MemberStatus.ACTIVE)
        if status == MemberStatus.CONTACT or row.final_type is None:
            return
        type_changed = row.person is None or "membership_type" in row.changes or row.new_status
        for attribute in self.context.required.get(row.final_type.pk, []):
            key = f"{ATTRIBUTE_PREFIX}{attribute.pk}"
            if not type_changed and key not in self.context.columns:
                continue
            value = row.attributes.get(attribute.pk)
            if attribute_values.empty(value) and row.person is not None:
                stored = self.stored.values.get((row.person.pk, attribute.pk))
                value = stored.value if stored is not None else None
            if attribute_values.empty(value):
                self.context.error(
                    row,
                    key,
                    _("%(field)s is required for %(type)s members.")
                    % {"field": attribute.name, "type": row.final_type.name},
                )

    def finish(self, rows: list[Row]) -> None:
        """Recompute the field changes of matched rows (households may have filled in
        addresses) and find rows that change nothing."""
        organisation, columns = self.context.organisation, self.context.columns
        matched = [row for row in rows if row.person is not None]
        ids = [row.person.pk for row in matched if row.person is not None]
        if ids and "tags" in columns:
            for chunk in chunks(ids):
                for person_id, name in Tagging.objects.filter(
                    organisation=organisation, person_id__in=chunk
                ).values_list("person_id", "tag__name"):
                    self.stored.tagged.add((person_id, name.lower()))
        if ids and "group" in columns:
            for chunk in chunks(ids):
                self.stored.grouped.update(
                    GroupMembership.objects.filter(
                        organisation=organisation, person_id__in=chunk
                    ).values_list("person_id", "group_id")
                )
        if ids and "note" in columns:
            for chunk in chunks(ids):
                self.stored.noted.update(
                    Note.objects.filter(organisation=organisation, person_id__in=chunk).values_list(
                        "person_id", "body"
                    )
                )
        for row in matched:
            person = row.person
            assert person is not None  # noqa: S101
            for name in ADDRESS_FIELDS:
                row.changes.pop(name, None)
                value = row.fields.get(name)
                if value and getattr(person, name) != value:
                    row.changes[name] = [getattr(person, name), value]
            if row.household is not None and person.household_id != row.household.pk:
                row.changes["household"] = [person.household_id, row.household.name]
            attribute_changes = self._attribute_changes(row)
            extra = (
                attribute_changes
                or any((person.pk, tag.lower()) not in self.stored.tagged for tag in row.tags)
                or (row.group is not None and (person.pk, row.group.pk) not in self.stored.grouped)
                or (row.note and (person.pk, row.note) not in self.stored.noted)
            )
            row.changes.update(attribute_changes)
            row.action = UPDATE if row.changes or extra else UNCHANGED

    def _attribute_changes(self, row: Row) -> dict[str, list[Any]]:
        changes = {}
        assert row.person is not None  # noqa: S101
        for attribute_id, value in row.attributes.items():
            stored = self.stored.values.get((row.person.pk, attribute_id))
            current = stored.value if stored is not None else None
            if current != value:
                attribute = self.context.attributes[attribute_id]
                changes[f"attribute:{attribute.name}"] = [
                    attribute_values.display(attribute, current),
                    attribute_values.display(attribute, value),
                ]
        return changes
