"""A fee run from start to end: load the rules and the people, bill each person, then the
households, and return the result (`compute`)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from forening.core.models import GroupMembership, GroupRole, Guardianship, Organisation, Person
from forening.fees.engine.computation import Computation
from forening.fees.engine.households import apply_family_cap, bill_households
from forening.fees.engine.loading import PERSON_COLUMNS, PersonRow, billed_people, load_categories
from forening.fees.periods import Period, current_settings
from forening.fees.results import FeeResult


def compute(
    organisation: Organisation, period: Period, people: QuerySet[Person] | None = None
) -> FeeResult:
    """What every payer owes `organisation` for `period`, line by line with reasons.

    `people` limits the run to those people (the association's active members among them);
    fees charged per household and the family cap then see only them, so pass whole
    households. Reasons and descriptions are in the active language. At most nine queries,
    whatever the number of people; nothing is written.
    """
    fee_settings = current_settings(organisation)
    categories, group_names = load_categories(organisation)
    rows = [
        PersonRow(*row)
        for row in billed_people(organisation, people).order_by("pk").values_list(*PERSON_COLUMNS)
    ]
    guardians: dict[int, int] = {}
    # Rows of people this run does not bill are loaded too, and never looked at: filtering
    # them in the database needs a join to Person that costs more than the extra rows.
    wardships = Guardianship.objects.filter(organisation=organisation)
    if people is not None:
        wardships = wardships.filter(ward__in=people.values("pk"))
    for ward_id, guardian_id in wardships.order_by().values_list("ward_id", "guardian_id"):
        guardians[ward_id] = min(guardian_id, guardians.get(ward_id, guardian_id))
    participation: dict[int, set[int]] = defaultdict(set)
    if group_names:
        taking_part = GroupMembership.objects.filter(
            organisation=organisation, role=GroupRole.PARTICIPANT, group_id__in=list(group_names)
        )
        if people is not None:
            taking_part = taking_part.filter(person__in=people.values("pk"))
        for person_id, group_id in taking_part.order_by().values_list("person_id", "group_id"):
            participation[person_id].add(group_id)
    run = Computation(
        period=period,
        fee_settings=fee_settings,
        currency=organisation.currency,
        categories=categories,
        group_names=group_names,
        guardians=guardians,
        participation=participation,
    )
    for row in rows:
        run.bill_person(row)
    bill_households(run)
    apply_family_cap(
        run,
        {row.household_id: row.household_name or "" for row in rows if row.household_id},
    )
    return run.result(organisation)
