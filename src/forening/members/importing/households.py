"""Households: rows that share a household (a household column) or an address (street +
postal code) go into one household; after the people are written, households get a
payer and people who moved stop paying for their old one."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core.models import Person
from forening.households.models import Household
from forening.members.importing.cells import postal_key, postal_variants, street_key
from forening.members.importing.context import (
    ADDRESS_FIELDS,
    UPDATE_BATCH,
    ImportContext,
    Row,
    chunks,
)
from forening.members.importing.mapping import normalise_header


def plan_households(context: ImportContext, rows: list[Row]) -> list[Household]:
    """Put rows that share a household (column) or an address (street + postal code)
    in one household: the one they are already in, one of that name or address, or a
    new one (returned, not yet saved)."""
    by_column = "household" in context.columns
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        person = row.person
        read_only = person is not None and person.is_read_only and not row.new_status
        if row.household_key and not read_only:
            groups[row.household_key].append(row)
    if not by_column:
        groups = {key: members for key, members in groups.items() if len(members) > 1}
    if not groups:
        return []
    current_ids = {
        row.person.household_id
        for members in groups.values()
        for row in members
        if row.person is not None and row.person.household_id
    }
    households = {
        h.pk: h
        for h in Household.objects.filter(organisation=context.organisation, pk__in=current_ids)
    }
    # A household column names the household: the one the people are already in if it
    # has that name, else a new one (another family may well have the same name).
    # Without one, the address does: a household already at it is the one.
    existing: dict[str, Household] = {}
    if not by_column:
        codes = {variant for key in groups for variant in postal_variants(key.rsplit("|", 1)[1])}
        for chunk in chunks(codes):
            for candidate in Household.objects.filter(
                organisation=context.organisation, postal_code__in=chunk
            ).order_by("pk"):
                key = f"a:{street_key(candidate.street)}|{postal_key(candidate.postal_code)}"
                existing.setdefault(key, candidate)
    created: list[Household] = []
    for key, members in groups.items():
        counts = Counter(
            r.person.household_id
            for r in members
            if r.person
            and r.person.household_id in households
            and (
                not by_column
                or "h:" + normalise_header(households[r.person.household_id].name) == key
            )
        )
        household: Household | None = None
        if counts:
            household = households.get(counts.most_common(1)[0][0])
        if household is None:
            household = existing.get(key)
        address = _group_address(members)
        if household is None:
            last_name = next(
                (r.fields.get("last_name") for r in members if r.fields.get("last_name")),
                "",
            )
            name = members[0].household_label or (
                _("%(name)s household") % {"name": last_name}
                if last_name
                else address.get("street", "")
            )
            household = Household(
                organisation=context.organisation, name=name[:200] or _("Household"), **address
            )
            created.append(household)
        else:
            for name, value in address.items():
                if value and getattr(household, name) != value:
                    setattr(household, name, value)
                    household._address_changed = True  # type: ignore[attr-defined]
        for row in members:
            row.household = household
            for name in ADDRESS_FIELDS:
                value = getattr(household, name)
                if value:
                    row.fields[name] = value
    return created


def _group_address(members: list[Row]) -> dict[str, str]:
    address: dict[str, str] = {}
    source = next((r for r in members if r.fields.get("street")), members[0])
    for name in ADDRESS_FIELDS:
        value = source.fields.get(name) or next(
            (r.fields.get(name) for r in members if r.fields.get(name)), ""
        )
        if value:
            address[name] = value
    return address


def write_households(
    context: ImportContext,
    rows: list[Row],
    new_households: list[Household],
    moved: dict[int, Household],
    written: list[Person],
) -> None:
    """After the people are written: a payer (the first adult) for new households and
    those without one; a changed household address copied to its other members (`moved`;
    `written` are the people already written with it)."""
    members: dict[int, list[Person]] = defaultdict(list)
    for row in rows:
        if row.household is not None and row.person is not None:
            members[row.household.pk].append(row.person)
    new_ids = {household.pk for household in new_households}
    needs_payer = list(new_households)
    needs_payer += [
        household
        for household in {row.household.pk: row.household for row in rows if row.household}.values()
        if household.payer_id is None and household.pk not in new_ids
    ]
    adult_before = context.today.replace(year=context.today.year - 18)
    for household in needs_payer:
        people = members.get(household.pk, [])
        if people:
            household.payer = next(
                (p for p in people if p.birth_date is None or p.birth_date <= adult_before),
                people[0],
            )
    if needs_payer:
        Household.objects.bulk_update(needs_payer, ["payer"], batch_size=UPDATE_BATCH)
    if moved:
        now = timezone.now()
        for household in moved.values():
            household.updated_at = now
        Household.objects.bulk_update(
            list(moved.values()), [*ADDRESS_FIELDS, "updated_at"], batch_size=UPDATE_BATCH
        )
        written_ids = {p.pk for p in written}
        others = [
            p
            for p in Person.objects.filter(
                organisation=context.organisation, household_id__in=list(moved)
            )
            if p.pk not in written_ids
        ]
        for person in others:
            for name in ADDRESS_FIELDS:
                setattr(person, name, getattr(moved[person.household_id or 0], name))
        Person.objects.bulk_update(others, [*ADDRESS_FIELDS], batch_size=UPDATE_BATCH)
    # Someone who moved to another household stops paying for the old one.
    moved_people = {
        row.person.pk: row.household.pk
        for row in rows
        if row.person is not None and row.household is not None and "household" in row.changes
    }
    if moved_people:
        stale = []
        for household in Household.objects.filter(
            organisation=context.organisation, payer_id__in=list(moved_people)
        ):
            if moved_people.get(household.payer_id or 0) != household.pk:
                household.payer = None
                stale.append(household)
        Household.objects.bulk_update(stale, ["payer"], batch_size=UPDATE_BATCH)
