"""Locks on households and people, in the order of `core.locks` (which see): step 3, the
households first, then their people, each kind in primary-key order.

A household comes before its people because changing one person's address rewrites the
address of everyone in the household: two people of one household changing their address
at once would otherwise each hold their own row and wait for the other's. Services lock
people only through these helpers (the register's too), so every transaction that touches
a household and its people takes the same path.
"""

from __future__ import annotations

from collections.abc import Iterable

from forening.core.locks import lock_row, lock_rows
from forening.core.models import Person
from forening.households.models import Household


def lock_household(household: Household) -> Household:
    """`household` read again and locked."""
    return lock_row(
        Household.objects.all(), organisation_id=household.organisation_id, pk=household.pk
    )


def lock_people(
    people: Iterable[Person], *, households: Iterable[Household | None] = ()
) -> dict[int, Person]:
    """Lock the households these people are in, and `households` (where they are moving),
    then the people; return the people read again, by id.

    Someone moved into another household between the first read and the lock (by a
    transaction that has committed meanwhile) has that household locked after them: the
    one exception to the order, and harmless, since its mover is done."""
    people = list(people)
    if not people:
        return {}
    organisation_id = people[0].organisation_id
    ids = [person.pk for person in people]
    wanted = set(
        Person.objects.filter(organisation_id=organisation_id, pk__in=ids)
        .exclude(household=None)
        .values_list("household_id", flat=True)
    ) | {household.pk for household in households if household is not None}
    if wanted:
        lock_rows(Household.objects.filter(organisation_id=organisation_id, pk__in=wanted))
    locked = lock_rows(Person.objects.filter(organisation_id=organisation_id, pk__in=ids))
    late = {person.household_id for person in locked if person.household_id} - wanted
    if late:
        lock_rows(Household.objects.filter(organisation_id=organisation_id, pk__in=late))
    return {person.pk: person for person in locked}


def lock_person(person: Person, *, moving_to: Household | None = None) -> Person:
    """`person` read again and locked, after their household (and `moving_to`)."""
    try:
        return lock_people([person], households=[moving_to])[person.pk]
    except KeyError:
        raise Person.DoesNotExist from None
