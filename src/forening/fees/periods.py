"""Fee periods (FEE-02) and the date rules of the fee engine: when a period starts and
ends, when a rolling membership renews, and the day a member's age is counted on.

Plain functions over dates and an unsaved-or-saved `FeeSettings`; only `period_for` and
`current_settings` read the database (one query).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from forening.core.models import Organisation
from forening.fees.models import AgeReference, FeeSettings, PeriodKind


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on `day`; a birthday on `day` counts as reached."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def day_in_year(year: int, month: int, day: int) -> dt.date:
    """The date, with a day past the month's end moved back to its last day
    (29 February in a common year is 28 February)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def anniversary(joined_on: dt.date, year: int) -> dt.date:
    """The anniversary of the join date in `year`: when a rolling membership renews."""
    return day_in_year(year, joined_on.month, joined_on.day)


def reference_date(
    rule: str, month: int, day: int, *, fee_year: int, starts_on: dt.date
) -> dt.date:
    """The day a member's age is counted on, for a period that starts on `starts_on`.

    A fixed day is its first occurrence on or after the start of the period (1 January in
    a season from 1 August is the one in the following year)."""
    if rule == AgeReference.PERIOD_START:
        return starts_on
    if rule == AgeReference.FIXED_DAY:
        found = day_in_year(starts_on.year, month, day)
        if found < starts_on:
            found = day_in_year(starts_on.year + 1, month, day)
        return found
    return dt.date(fee_year, 12, 31)


@dataclass(frozen=True)
class Period:
    """One fee period. For rolling memberships, `starts_on`…`ends_on` is the fee year in
    which the anniversaries fall; each member's own period runs from their anniversary.
    `age_reference_on` is the association's default day ages are counted on, None when it
    differs per member (rolling periods counted from their start)."""

    kind: str
    fee_year: int
    starts_on: dt.date
    ends_on: dt.date
    age_reference_on: dt.date | None
    label: str


def current_settings(organisation: Organisation) -> FeeSettings:
    """The association's fee settings, or the defaults (unsaved) when it has none yet."""
    found = FeeSettings.objects.filter(organisation=organisation).first()
    return found or FeeSettings(organisation=organisation)


def period_from_settings(fee_settings: FeeSettings, year: int) -> Period:
    """The period for fee year `year` under `fee_settings` (no database access)."""
    kind = fee_settings.period_kind
    if kind == PeriodKind.SEASON:
        month, day = fee_settings.season_start_month, fee_settings.season_start_day
        starts_on = day_in_year(year, month, day)
        ends_on = day_in_year(year + 1, month, day) - dt.timedelta(days=1)
        label = str(year) if (month, day) == (1, 1) else f"{year}/{(year + 1) % 100:02d}"
    else:
        starts_on, ends_on, label = dt.date(year, 1, 1), dt.date(year, 12, 31), str(year)
    rule = fee_settings.age_reference
    per_member = kind == PeriodKind.ROLLING and rule != AgeReference.END_OF_FEE_YEAR
    age_reference_on = None
    if not per_member:
        age_reference_on = reference_date(
            rule,
            fee_settings.age_reference_month,
            fee_settings.age_reference_day,
            fee_year=year,
            starts_on=starts_on,
        )
    return Period(kind, year, starts_on, ends_on, age_reference_on, label)


def period_for(organisation: Organisation, year: int) -> Period:
    """The association's fee period for `year` (a season: the one starting in `year`)."""
    return period_from_settings(current_settings(organisation), year)
