"""What the steps of an import share: the `ImportContext` (the association, the file's
columns and the register's lists, read once) and the `Row` each step fills in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from forening.core.context import Actor
from forening.core.models import Group, Organisation, Person, PersonKind
from forening.households.models import Household
from forening.members import identity, services
from forening.members.fields import PERSON, Use, names
from forening.members.importing.mapping import (
    ATTRIBUTE_PREFIX,
    FIELDS_BY_KEY,
    active_attributes,
    check_mapping,
    normalise_header,
)
from forening.members.importing.reading import Cell, Sheet
from forening.members.importing.report import RowError
from forening.members.models import AttributeDefinition, AttributeRequirement, MembershipType

BATCH = 1000

# bulk_update writes one CASE per column and batch: small batches keep each statement cheap.
UPDATE_BATCH = 250

CREATE, UPDATE, UNCHANGED, INVALID = "create", "update", "unchanged", "invalid"
# Imported fields with a parser of their own (rows.py); the other imported optional text
# fields are taken as text (spaces collapsed, but in e-mail addresses).
PARSED_FIELDS = ("gender", "language", "country")
PERSON_TEXT_FIELDS = tuple(
    name
    for name in names(PERSON, use=Use.IMPORT)
    if name in services.TEXT_FIELDS and name not in PARSED_FIELDS
)
ADDRESS_FIELDS = services.ADDRESS_FIELDS


@dataclass(eq=False)
class Row:
    """One data row of the file: its cells, the values parsed from them, its problems, and
    what the later steps decide (the person it is, its household, what it changes)."""

    number: int
    cells: dict[str, Cell]
    fields: dict[str, Any] = field(default_factory=dict)
    identity: identity.IdentityNumber | None = None
    index: str = ""
    status: str = ""
    attributes: dict[int, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    group: Group | None = None
    note: str = ""
    household_key: str = ""
    household_label: str = ""
    errors: list[RowError] = field(default_factory=list)
    person: Person | None = None
    household: Household | None = None
    action: str = CREATE
    changes: dict[str, list[Any]] = field(default_factory=dict)
    new_status: str = ""
    final_type: MembershipType | None = None

    @property
    def kind(self) -> str:
        if self.fields.get("organisation_name") and not (
            self.fields.get("first_name") or self.fields.get("last_name")
        ):
            return PersonKind.ORGANISATION
        return PersonKind.PERSON

    @property
    def match_key(self) -> tuple[Any, ...]:
        email = str(self.fields.get("email", "")).lower()
        if self.kind == PersonKind.ORGANISATION:
            return ("o", email, str(self.fields.get("organisation_name", "")).lower(), None)
        return (
            "p",
            email,
            str(self.fields.get("first_name", "")).lower(),
            str(self.fields.get("last_name", "")).lower(),
            self.fields.get("birth_date"),
        )


def chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ImportContext:
    """The association, the actor and today; the checked column mapping; and the
    register's lists the rows are parsed against (membership types, custom fields and
    which types require them, groups), each read once."""

    def __init__(
        self,
        organisation: Organisation,
        sheet: Sheet,
        mapping: Mapping[int, str],
        actor: Actor,
    ) -> None:
        self.organisation = organisation
        self.sheet = sheet
        self.actor = actor
        self.today = timezone.localdate()
        attributes = active_attributes(organisation)
        self.mapping = check_mapping(organisation, mapping, sheet.headers, attributes)
        self.columns = {key: index for index, key in self.mapping.items()}
        self.attributes = {attr.pk: attr for attr in attributes}
        self.types = list(MembershipType.objects.filter(organisation=organisation))
        self.types_by_name = {normalise_header(t.name): t for t in self.types}
        self.types_by_pk = {t.pk: t for t in self.types}
        self.default_type = services.default_membership_type(organisation)
        self.required: dict[int, list[AttributeDefinition]] = defaultdict(list)
        for requirement in AttributeRequirement.objects.filter(
            organisation=organisation, attribute__is_active=True
        ).select_related("attribute"):
            self.required[requirement.membership_type_id].append(requirement.attribute)
        self.groups: dict[str, list[Group]] = defaultdict(list)
        if "group" in self.columns:
            for group in Group.objects.filter(organisation=organisation, is_archived=False):
                self.groups[normalise_header(group.name)].append(group)
        self.max_lengths = {
            name: getattr(Person._meta.get_field(name), "max_length", None)
            for name in PERSON_TEXT_FIELDS
        }

    def type_of(self, person: Person) -> MembershipType | None:
        return self.types_by_pk.get(person.membership_type_id or 0)

    def header(self, key: str) -> str:
        """The column's header text for a field key, else the field's name."""
        index = self.columns.get(key)
        if index is not None:
            return self.sheet.headers[index]
        if key.startswith(ATTRIBUTE_PREFIX):
            attribute = self.attributes.get(int(key[len(ATTRIBUTE_PREFIX) :]))
            return attribute.name if attribute else ""
        target = FIELDS_BY_KEY.get(key)
        return str(target.label) if target else ""

    def error(self, row: Row, key: str, message: str) -> None:
        """Report a problem with `row`, on the column of field `key`."""
        row.errors.append(RowError(row.number, self.header(key), str(message)))
