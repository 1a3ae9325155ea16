"""Automatic renewal (FEE-02, INV-01) and the daily work of one association.

Calendar-year and season memberships are renewed once a year, on the association's
renewal day: the run invoices the period under way `LOOKAHEAD` days later (renewing on
1 December invoices next year; on 15 January, this year). Rolling memberships are renewed
every day for the members whose anniversary falls within `renewal_lead_days`. Both are
ordinary billing runs, so running a day twice, or catching up a missed day, invoices
nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from forening.billing import reminders, runs, services
from forening.billing.services import BillingError
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.fees.models import FeeCategory, PeriodKind
from forening.fees.periods import current_settings, period_for

LOOKAHEAD = dt.timedelta(days=60)


def fee_year_on(organisation: Organisation, day: dt.date) -> int:
    """The fee year whose period contains `day`."""
    for year in (day.year, day.year - 1):
        period = period_for(organisation, year)
        if period.starts_on <= day <= period.ends_on:
            return year
    return day.year


def _anniversaries_until(organisation: Organisation, day: dt.date) -> QuerySet[Person]:
    """Members whose anniversary in `day`'s year falls on or before `day`."""
    return Person.objects.filter(organisation=organisation).filter(
        Q(joined_on__month__lt=day.month)
        | Q(joined_on__month=day.month, joined_on__day__lte=day.day)
    )


def renew(organisation: Organisation, today: dt.date, *, actor: Actor) -> int:
    """Run the renewal due on `today`, if any; returns the number of invoices."""
    found = services.settings_for(organisation)
    if not found.auto_renewal or not FeeCategory.objects.filter(organisation=organisation).exists():
        return 0
    fee_settings = current_settings(organisation)
    label = _("Automatic renewal")
    if fee_settings.period_kind == PeriodKind.ROLLING:
        horizon = today + dt.timedelta(days=found.renewal_lead_days)
        count = 0
        for year in sorted({today.year, horizon.year}):
            limit = horizon if year == horizon.year else dt.date(year, 12, 31)
            people = _anniversaries_until(organisation, limit)
            run, _plan = runs.commit(
                organisation,
                year,
                actor=actor,
                issued_on=today,
                automatic=True,
                people=people,
                selection_label=label,
            )
            count += run.invoice_count if run else 0
        return count
    if (today.month, today.day) != (found.renewal_month, found.renewal_day):
        return 0
    run, _plan = runs.commit(
        organisation,
        fee_year_on(organisation, today + LOOKAHEAD),
        actor=actor,
        issued_on=today,
        automatic=True,
        selection_label=label,
    )
    return run.invoice_count if run else 0


def daily_for(organisation: Organisation, today: dt.date) -> dict[str, int]:
    """Renewal, then reminders: each in its own transaction, so one failing does not stop
    the other; a failure is logged and retried the next day."""
    import logging

    log = logging.getLogger("forening.billing")
    actor = Actor.system("daily")
    done = {"renewal_invoices": 0, "reminders": 0}
    try:
        done["renewal_invoices"] = renew(organisation, today, actor=actor)
    except BillingError as error:
        log.warning("renewal of %s failed: %s", organisation.slug, error)
    try:
        done["reminders"] = reminders.send_due(organisation, today=today, actor=actor).sent
    except BillingError as error:
        log.warning("reminders of %s failed: %s", organisation.slug, error)
    return done
