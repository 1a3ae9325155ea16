"""What a fee run reads, set-wise: the active fee categories with their membership types,
groups and age bands, and the people it bills, as tuples (never model instances)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Q, QuerySet

from forening.core.models import Group, MemberStatus, Organisation, Person, PersonKind
from forening.fees.engine.texts import band_text
from forening.fees.models import (
    FeeAgeBand,
    FeeCategory,
    FeeCategoryGroup,
    FeeCategoryMembershipType,
    FeeKind,
)


class Band(NamedTuple):
    min_age: int
    max_age: int | None
    amount_minor: int
    text: str  # "junior 7–12 years"


@dataclass
class Category:
    id: int
    name: str
    kind: str
    pricing: str
    amount_minor: int
    charged_per: str
    account_id: int
    cost_centre_id: int | None
    project_id: int | None
    vat_rate: int
    section_id: int | None
    age_reference: str
    age_reference_month: int | None
    age_reference_day: int | None
    position: int
    type_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    bands: list[Band] = field(default_factory=list)


class PersonRow(NamedTuple):
    id: int
    kind: str
    first_name: str
    last_name: str
    organisation_name: str
    birth_date: dt.date | None
    joined_on: dt.date | None
    type_id: int | None
    type_kind: str | None
    type_name: str | None
    household_id: int | None
    household_payer_id: int | None
    household_name: str | None

    @property
    def name(self) -> str:
        if self.kind == PersonKind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()


PERSON_COLUMNS = (
    "id",
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "birth_date",
    "joined_on",
    "membership_type_id",
    "membership_type__kind",
    "membership_type__name",
    "household_id",
    "household__payer_id",
    "household__name",
)
_CATEGORY_COLUMNS = (  # the fields of Category, in its order
    "id",
    "name",
    "kind",
    "pricing",
    "amount_minor",
    "charged_per",
    "account_id",
    "cost_centre_id",
    "project_id",
    "vat_rate",
    "section_id",
    "age_reference",
    "age_reference_month",
    "age_reference_day",
    "position",
)


def load_categories(organisation: Organisation) -> tuple[list[Category], dict[int, str]]:
    """The active categories in their order, with types, groups and bands; and the names
    of the groups they charge (at most five queries)."""
    categories = [
        Category(**{**row, "amount_minor": row["amount_minor"] or 0})
        for row in FeeCategory.objects.filter(organisation=organisation, is_active=True)
        .order_by("position", "name", "pk")
        .values(*_CATEGORY_COLUMNS)
    ]
    if not categories:
        return [], {}
    by_id = {category.id: category for category in categories}
    active = {"organisation": organisation, "category__is_active": True}
    for category_id, type_id in (
        FeeCategoryMembershipType.objects.filter(**active)
        .order_by()
        .values_list("category_id", "membership_type_id")
    ):
        by_id[category_id].type_ids.add(type_id)
    for category_id, low, high, amount, label in (
        FeeAgeBand.objects.filter(**active)
        .order_by("min_age", "pk")
        .values_list("category_id", "min_age", "max_age", "amount_minor", "label")
    ):
        by_id[category_id].bands.append(Band(low, high, amount, band_text(low, high, label)))
    training = [category for category in categories if category.kind == FeeKind.TRAINING]
    if not training:
        return categories, {}
    named: dict[int, set[int]] = defaultdict(set)
    for category_id, group_id in (
        FeeCategoryGroup.objects.filter(**active).order_by().values_list("category_id", "group_id")
    ):
        named[category_id].add(group_id)
    explicit: set[int] = set().union(*named.values())
    sections = {category.section_id for category in training if category.section_id}
    groups = list(
        Group.objects.filter(organisation=organisation, is_archived=False)
        .filter(Q(pk__in=explicit) | Q(section_id__in=sections))
        .values_list("id", "name", "section_id")
    )
    live = {group_id for group_id, _name, _section in groups}
    for category in training:
        if named[category.id]:
            category.group_ids = named[category.id] & live
        elif category.section_id is not None:
            category.group_ids = {gid for gid, _n, sid in groups if sid == category.section_id}
    return categories, {group_id: name for group_id, name, _section in groups}


def billed_people(organisation: Organisation, people: QuerySet[Person] | None) -> QuerySet[Person]:
    """The people this run bills: the active members of `organisation` (among `people`)."""
    found = Person.objects.filter(organisation=organisation, status=MemberStatus.ACTIVE)
    if people is not None:
        found = found.filter(pk__in=people.values("pk"))
    return found
