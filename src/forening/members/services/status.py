"""Status changes (apply, approve, end, renew, record a death), one person or many at once,
with the status history and member numbers they imply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit, sequences
from forening.core.context import Actor
from forening.core.models import MemberStatus, Organisation, Person
from forening.members import locks
from forening.members import status as transitions
from forening.members.models import StatusChange
from forening.members.services.defaults import default_membership_type
from forening.members.services.errors import RegisterError
from forening.members.services.people import MEMBER_NUMBER_SEQUENCE
from forening.members.services.selection import id_set


@dataclass
class StatusResult:
    changed: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


@audit.in_name_of_actor
@transaction.atomic
def change_status(
    person: Person,
    to_status: str,
    *,
    actor: Actor,
    on: dt.date | None = None,
    reason: str = "",
) -> Person:
    """Move one person to `to_status` (approve, reject, end, renew, record a death)."""
    result = change_status_many(
        person.organisation, [person.pk], to_status, actor=actor, on=on, reason=reason
    )
    if result.refused:
        raise RegisterError(result.refused[0][1])
    return result.changed[0]


@audit.in_name_of_actor
@transaction.atomic
def change_status_many(
    organisation: Organisation,
    person_ids: Iterable[int],
    to_status: str,
    *,
    actor: Actor,
    on: dt.date | None = None,
    reason: str = "",
    skip_refused: bool = True,
) -> StatusResult:
    """Move many people at once, set-wise (a handful of queries for any number).

    People for whom the transition is not allowed are returned in `refused` with the
    reason; with `skip_refused=False` one refusal stops everything.
    """
    if to_status not in MemberStatus.values:
        raise RegisterError(_("Unknown status."))
    on = on or timezone.localdate()
    reason = (reason or "").strip()[:200]
    if to_status == MemberStatus.INACTIVE and not reason:
        raise RegisterError(_("Give a reason for ending the membership."))
    people = locks.lock_people_of(
        Person.objects.filter(organisation=organisation, pk__in=id_set(person_ids))
    )
    result = StatusResult()
    for person in people:
        if person.anonymised_at is not None:
            result.refused.append((person, _("The record has been anonymised.")))
        elif not transitions.allowed(person.status, to_status):
            result.refused.append((person, transitions.refusal(person.status, to_status)))
        else:
            result.changed.append(person)
    if result.refused and not skip_refused:
        raise RegisterError(result.refused[0][1])
    if not result.changed:
        return result
    needing_numbers = [
        p
        for p in result.changed
        if p.member_number is None and to_status in transitions.MEMBER_STATUSES
    ]
    numbered_ids = {p.pk for p in needing_numbers}
    numbers = iter(sequences.take(organisation, MEMBER_NUMBER_SEQUENCE, len(needing_numbers)))
    default_type = default_membership_type(organisation)
    history = []
    before = {p.pk: p.status for p in result.changed}
    for person in result.changed:
        history.append(
            StatusChange(
                organisation=organisation,
                person=person,
                from_status=person.status,
                to_status=to_status,
                effective_on=on,
                reason=reason,
                changed_by=actor.user,
                changed_by_label=str(actor)[:254],
            )
        )
        person.status = to_status
        person.status_since = on
        if person.pk in numbered_ids:
            person.member_number = next(numbers)
            person.search_text = person.compute_search_text()
        if to_status == MemberStatus.ACTIVE:
            if person.joined_on is None:
                person.joined_on = on
            person.left_on, person.leave_reason = None, ""
            if person.membership_type_id is None and default_type is not None:
                person.membership_type = default_type
        elif to_status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            person.left_on = on
            person.leave_reason = reason
    Person.objects.bulk_update(
        result.changed,
        [
            "status",
            "status_since",
            "member_number",
            "search_text",
            "joined_on",
            "left_on",
            "leave_reason",
            "membership_type",
            "updated_at",
        ],
        batch_size=500,
    )
    StatusChange.objects.bulk_create(history, batch_size=1000)
    audit.record_many(
        actor,
        "members.status.changed",
        list(result.changed),
        organisation=organisation,
        changes=lambda p: {"status": [before[p.pk], to_status]},
        reason=reason,
        effective_on=on,
    )
    return result
