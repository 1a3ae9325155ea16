"""The retention rule: former members are anonymised a number of years after they left."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import MemberStatus, Organisation, Person
from forening.members import locks
from forening.members.privacy.anonymisation import anonymise_people

# Former members the retention rule applies to.
RETENTION_STATUSES = (MemberStatus.INACTIVE, MemberStatus.REJECTED)


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """The day `years` years before `today` (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def retention_candidates(
    organisation: Organisation, today: dt.date | None = None
) -> models.QuerySet[Person]:
    """Former members (inactive or rejected), not yet anonymised, who left more than
    `organisation.retention_years` years before `today` (no rule: nobody). Each row has
    `left_date`: the leave date, or the date of the status when no leave date is known."""
    years = organisation.retention_years
    if years is None:
        return Person.objects.none()
    cutoff = retention_cutoff(today or timezone.localdate(), years)
    return (
        Person.objects.filter(
            organisation=organisation,
            status__in=RETENTION_STATUSES,
            anonymised_at__isnull=True,
        )
        .annotate(left_date=Coalesce("left_on", "status_since"))
        .filter(left_date__lt=cutoff)
        .order_by("left_date", "pk")
    )


@dataclass(frozen=True)
class RetentionRow:
    person_id: int
    member_number: int | None
    name: str  # empty in the report of an applied rule: the name is gone
    status: str
    left_on: dt.date | None


@dataclass
class RetentionReport:
    years: int | None
    cutoff: dt.date | None
    dry_run: bool
    count: int = 0
    people: list[RetentionRow] = field(default_factory=list)


@audit.in_name_of_actor
@transaction.atomic
def apply_retention(
    organisation: Organisation,
    *,
    actor: Actor,
    dry_run: bool,
    today: dt.date | None = None,
    limit: int | None = None,
) -> RetentionReport:
    """Anonymise every retention candidate (or, with `dry_run`, only report them).

    Set-wise and idempotent: a second run finds nobody. `limit` caps the rows listed in the
    report (the count is always complete).
    """
    today = today or timezone.localdate()
    years = organisation.retention_years
    report = RetentionReport(
        years=years,
        cutoff=retention_cutoff(today, years) if years is not None else None,
        dry_run=dry_run,
    )
    if years is None:
        return report
    candidates = retention_candidates(organisation, today)
    if dry_run:
        report.count = candidates.count()
        listed = candidates[:limit] if limit is not None else candidates
    else:
        locks.lock_people_of(candidates)
        listed = candidates
    rows = list(
        listed.only(
            "pk", "kind", "first_name", "last_name", "organisation_name", "member_number", "status"
        )
    )
    report.people = [
        RetentionRow(
            person_id=p.pk,
            member_number=p.member_number,
            name=p.full_name if dry_run else "",
            status=p.get_status_display(),
            left_on=p.left_date,  # type: ignore[attr-defined]
        )
        for p in rows
    ]
    if dry_run:
        return report
    report.count = len(rows)
    if limit is not None:
        report.people = report.people[:limit]
    if rows:
        with translation.override(organisation.language):
            reason = _("Retention rule: former members' data is kept for %(years)d years.") % {
                "years": years
            }
        anonymise_people(organisation, [p.pk for p in rows], actor=actor, reason=reason)
        audit.record(
            actor,
            "members.retention.applied",
            organisation,
            years=years,
            cutoff=report.cutoff,
            people=len(rows),
        )
    return report
