"""The date rules and the splitting of the family cap, without the database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forening.fees.engine import allocate
from forening.fees.models import AgeReference, FeeSettings, PeriodKind
from forening.fees.periods import (
    age_on,
    anniversary,
    day_in_year,
    period_from_settings,
    reference_date,
)

D = dt.date


def test_a_birthday_on_the_reference_day_counts_as_reached() -> None:
    assert age_on(D(2015, 12, 31), D(2027, 12, 31)) == 12
    assert age_on(D(2016, 1, 1), D(2027, 12, 31)) == 11


def test_someone_born_on_29_february_has_their_birthday_on_1_march_in_a_common_year() -> None:
    assert age_on(D(2012, 2, 29), D(2027, 2, 28)) == 14
    assert age_on(D(2012, 2, 29), D(2027, 3, 1)) == 15


def test_a_29_february_join_date_renews_on_28_february_in_common_years() -> None:
    assert anniversary(D(2024, 2, 29), 2027) == D(2027, 2, 28)
    assert anniversary(D(2024, 2, 29), 2028) == D(2028, 2, 29)
    assert anniversary(D(2020, 3, 15), 2027) == D(2027, 3, 15)


def test_day_in_year_moves_a_day_past_the_month_end_back() -> None:
    assert day_in_year(2027, 2, 29) == D(2027, 2, 28)
    assert day_in_year(2028, 2, 29) == D(2028, 2, 29)


def test_calendar_year_period() -> None:
    period = period_from_settings(FeeSettings(), 2027)
    assert (period.starts_on, period.ends_on, period.label) == (
        D(2027, 1, 1),
        D(2027, 12, 31),
        "2027",
    )
    assert period.age_reference_on == D(2027, 12, 31)


def test_a_season_crosses_the_new_year_and_is_named_after_both_years() -> None:
    settings = FeeSettings(period_kind=PeriodKind.SEASON, season_start_month=8)
    period = period_from_settings(settings, 2027)
    assert (period.starts_on, period.ends_on) == (D(2027, 8, 1), D(2028, 7, 31))
    assert period.label == "2027/28"
    # "end of the fee year" is 31 December of the year the season starts
    assert period.age_reference_on == D(2027, 12, 31)


def test_a_season_from_1_january_is_the_calendar_year() -> None:
    settings = FeeSettings(period_kind=PeriodKind.SEASON, season_start_month=1)
    period = period_from_settings(settings, 2027)
    assert (period.starts_on, period.ends_on, period.label) == (
        D(2027, 1, 1),
        D(2027, 12, 31),
        "2027",
    )


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (AgeReference.END_OF_FEE_YEAR, D(2027, 12, 31)),
        (AgeReference.PERIOD_START, D(2027, 8, 1)),
        # 1 January in a season from 1 August is the one in the following year
        (AgeReference.FIXED_DAY, D(2028, 1, 1)),
    ],
)
def test_the_age_reference_day_of_a_season(rule: str, expected: dt.date) -> None:
    settings = FeeSettings(
        period_kind=PeriodKind.SEASON,
        season_start_month=8,
        age_reference=rule,
        age_reference_month=1,
        age_reference_day=1,
    )
    assert period_from_settings(settings, 2027).age_reference_on == expected


def test_a_fixed_day_after_the_season_start_is_in_the_same_year() -> None:
    on = reference_date(AgeReference.FIXED_DAY, 9, 15, fee_year=2027, starts_on=D(2027, 8, 1))
    assert on == D(2027, 9, 15)


def test_rolling_periods_count_ages_per_member_unless_at_the_end_of_the_year() -> None:
    rolling = FeeSettings(period_kind=PeriodKind.ROLLING, age_reference=AgeReference.PERIOD_START)
    assert period_from_settings(rolling, 2027).age_reference_on is None
    rolling.age_reference = AgeReference.END_OF_FEE_YEAR
    assert period_from_settings(rolling, 2027).age_reference_on == D(2027, 12, 31)


def test_allocate_splits_in_proportion_and_gives_leftovers_to_the_largest_remainders() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(500, [50000, 30000]) == [313, 187]
    assert allocate(0, [5, 5]) == [0, 0]


def test_allocate_refuses_weights_without_a_positive_sum() -> None:
    with pytest.raises(ValueError, match="weights"):
        allocate(10, [0, 0])


@given(
    weights=st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=12).filter(
        lambda ws: sum(ws) > 0
    ),
    data=st.data(),
)
def test_allocated_parts_sum_to_the_total_and_never_exceed_their_weight(
    weights: list[int], data: st.DataObject
) -> None:
    total = data.draw(st.integers(min_value=0, max_value=sum(weights)))
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
