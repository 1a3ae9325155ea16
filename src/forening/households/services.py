"""The households' write path (REG-04): who lives together, at which address, and who pays.

A household's address is the address of everyone in it: moving a person moves the
household, and changing the household's address moves everyone. `payer` owes the
household's fees (the fees app's family fee and cap read it) and `invoice_recipient`
receives the invoices when that is someone else; both are always people of the household.
Each function is one transaction and records its changes in the audit log in the name
of `actor`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit, locks
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.households import locks as household_locks
from forening.households.models import Household

ADDRESS_FIELDS = Household.ADDRESS_FIELDS


class HouseholdError(Exception):
    """A household rule refused the change; the message is translated and safe to show."""


def join_household(person: Person, household: Household) -> None:
    """Put `person` (not saved here) in `household`, at the household's address."""
    if household.organisation_id != person.organisation_id:
        raise HouseholdError(_("Choose a household in this association."))
    person.household = household
    for name in ADDRESS_FIELDS:
        setattr(person, name, getattr(household, name))


def share_address(person: Person) -> None:
    """A person in a household moved: the household's address, and everyone's in it, follow.

    The caller has locked the person through `households.locks.lock_person`, which locked
    the household first."""
    assert person.household_id is not None  # noqa: S101 - the caller checked
    household = locks.lock_row(Household.objects.all(), pk=person.household_id)
    for name in ADDRESS_FIELDS:
        setattr(household, name, getattr(person, name))
    household.save()
    _copy_address(household)


def _copy_address(household: Household) -> int:
    people = list(Person.objects.filter(organisation=household.organisation, household=household))
    for member in people:
        for name in ADDRESS_FIELDS:
            setattr(member, name, getattr(household, name))
    Person.objects.bulk_update(people, [*ADDRESS_FIELDS, "updated_at"])
    return len(people)


@audit.in_name_of_actor
@transaction.atomic
def create_household(
    organisation: Organisation,
    *,
    actor: Actor,
    name: str,
    people: Iterable[Person] = (),
    **address: Any,
) -> Household:
    """A new household. Without an address given it takes the first person's."""
    people = list(people)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the household a name.")})
    # Everyone's present household, then everyone, before anything moves (core.locks).
    household_locks.lock_people(people)
    if not address and people:
        address = {field_name: getattr(people[0], field_name) for field_name in ADDRESS_FIELDS}
    household = Household(organisation=organisation, name=name, **address)
    if people:
        ages = [p.age_on(timezone.localdate()) for p in people]
        household.payer = next(
            (p for p, age in zip(people, ages, strict=True) if age is None or age >= 18),
            people[0],
        )
    household.full_clean()
    household.save()
    for person in people:
        move_to_household(person, household, actor=actor)
    return household


@audit.in_name_of_actor
@transaction.atomic
def update_household(household: Household, *, actor: Actor, **fields: Any) -> Household:
    """Change the name, the address (everyone in it moves along), the payer or the invoice
    recipient (both must be people of the household)."""
    allowed_fields = {"name", *ADDRESS_FIELDS, "payer", "invoice_recipient"}
    unknown = set(fields) - allowed_fields
    if unknown:
        raise ValueError(f"update_household cannot set {sorted(unknown)}")
    household = household_locks.lock_household(household)
    for role in ("payer", "invoice_recipient"):
        person = fields.get(role)
        if (
            person is not None
            and not Person.objects.filter(pk=person.pk, household=household).exists()
        ):
            raise ValidationError({role: _("Choose someone in the household.")})
    for name, value in fields.items():
        setattr(household, name, value.strip() if isinstance(value, str) else value)
    household.full_clean()
    household.save()
    if set(fields) & set(ADDRESS_FIELDS):
        _copy_address(household)
    return household


@audit.in_name_of_actor
@transaction.atomic
def move_to_household(person: Person, household: Household | None, *, actor: Actor) -> Person:
    """Move someone into `household` (taking its address), or out of any (None).

    A payer or invoice recipient who leaves stops being one; a household that loses its
    payer gets another adult (or nobody) so invoices always have somewhere to go."""
    person = household_locks.lock_person(person, moving_to=household)
    previous_id = person.household_id
    if household is not None:
        join_household(person, household)
    else:
        person.household = None
    person.save()
    if previous_id and previous_id != person.household_id:
        previous = locks.lock_row(Household.objects.all(), pk=previous_id)
        changed = []
        for role in ("payer", "invoice_recipient"):
            if getattr(previous, f"{role}_id") == person.pk:
                replacement = None
                if role == "payer":
                    replacement = _adult_in(previous)
                setattr(previous, role, replacement)
                changed.append(role)
        if changed:
            previous.save()
    if household is not None and household.payer_id is None:
        household.payer = person
        household.save()
    return person


def _adult_in(household: Household) -> Person | None:
    today = timezone.localdate()
    try:
        adult_born_before = today.replace(year=today.year - 18)
    except ValueError:  # 29 February; 18 years back is a common year
        adult_born_before = today.replace(year=today.year - 18, day=28)
    return (
        Person.objects.filter(
            organisation=household.organisation,
            household=household,
            birth_date__lte=adult_born_before,
        )
        .order_by("birth_date", "pk")
        .first()
    )
