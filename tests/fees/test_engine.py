"""The fee engine: who pays what for a period, and why."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation
from django_scopes import scopes_disabled

from forening.core.context import Actor
from forening.core.models import GroupRole, MemberStatus, Person
from forening.fees import services
from forening.fees.engine import FeeLine, FeeResult, LineKind, SkipReason, compute, period_for
from forening.fees.models import AgeReference, ChargedPer, FeeKind, PeriodKind
from forening.fees.services import AgeBand
from tests.factories.core import (
    GroupFactory,
    GroupMembershipFactory,
    GuardianshipFactory,
    OrganisationFactory,
    PersonFactory,
    SectionFactory,
)
from tests.factories.fees import fee_account, make_category
from tests.factories.members import HouseholdFactory, MembershipTypeFactory
from tests.fees.conftest import Types

D = dt.date
SYSTEM = Actor.system("test")
BANDS = [
    AgeBand(0, 6, 0, "children"),
    AgeBand(7, 12, 20000, "junior"),
    AgeBand(13, 19, 30000, "youth"),
    AgeBand(20, None, 50000, "adult"),
]


def run(org: Any, year: int = 2027, **kwargs: Any) -> FeeResult:
    return compute(org, period_for(org, year), **kwargs)


def lines_for(result: FeeResult, person: Person) -> list[FeeLine]:
    return [line for line in result.lines() if line.person_id == person.pk]


def skip_of(result: FeeResult, person: Person) -> SkipReason | None:
    return next((s.reason for s in result.skipped if s.person_id == person.pk), None)


def member(org: Any, membership_type: Any, **fields: Any) -> Person:
    return PersonFactory(organisation=org, membership_type=membership_type, **fields)


# --- fixed and age-based prices ---------------------------------------------------------


def test_a_fixed_fee_is_one_line_on_the_categorys_account(org: Any, types: Types) -> None:
    fee = make_category(org, name="Membership fee", amount_minor=30000)
    anna = member(org, types.ordinary, first_name="Anna", last_name="Berg")

    result = run(org)

    [line] = lines_for(result, anna)
    assert line.amount_minor == 30000
    assert line.category_id == fee.pk
    assert line.account_id == fee_account(org).pk
    assert (line.cost_centre_id, line.project_id, line.vat_rate) == (None, None, 0)
    assert (line.starts_on, line.ends_on) == (D(2027, 1, 1), D(2027, 12, 31))
    assert line.description == "Membership fee 2027, Anna Berg"
    assert line.reason == "Membership fee 2027, membership type Ordinary"
    [bill] = result.bills
    assert (bill.payer_id, bill.household_id, bill.total_minor) == (anna.pk, None, 30000)


def test_age_bands_use_the_age_on_the_reference_day(org: Any, types: Types) -> None:
    make_category(org, name="Membership fee", bands=BANDS)
    nine = member(org, types.ordinary, birth_date=D(2018, 6, 1))
    # turns 13 on the reference day itself: youth, not junior
    thirteen_today = member(org, types.ordinary, birth_date=D(2014, 12, 31))
    twelve = member(org, types.ordinary, birth_date=D(2015, 1, 1))
    adult = member(org, types.ordinary, birth_date=D(1980, 5, 5))

    result = run(org)

    assert [line.amount_minor for line in lines_for(result, nine)] == [20000]
    assert lines_for(result, nine)[0].reason == (
        "Membership fee 2027, junior 7–12 years (age on 31 Dec 2027: 9)"
    )
    assert [line.amount_minor for line in lines_for(result, thirteen_today)] == [30000]
    assert [line.amount_minor for line in lines_for(result, twelve)] == [20000]
    assert lines_for(result, adult)[0].reason == (
        "Membership fee 2027, adult 20 years and older (age on 31 Dec 2027: 47)"
    )


def test_ages_are_counted_again_for_every_fee_year(org: Any, types: Types) -> None:
    make_category(org, bands=BANDS)
    child = member(org, types.ordinary, birth_date=D(2015, 1, 1))

    assert [line.amount_minor for line in lines_for(run(org, 2027), child)] == [20000]
    assert [line.amount_minor for line in lines_for(run(org, 2028), child)] == [30000]


def test_a_category_can_count_ages_on_its_own_day(org: Any, types: Types) -> None:
    make_category(
        org,
        bands=BANDS,
        age_reference=AgeReference.FIXED_DAY,
        age_reference_month=6,
        age_reference_day=30,
    )
    child = member(org, types.ordinary, birth_date=D(2014, 12, 31))  # 12 on 30 June 2027

    [line] = lines_for(run(org), child)

    assert line.amount_minor == 20000
    assert "(age on 30 Jun 2027: 12)" in line.reason


def test_the_reason_follows_the_active_language(org: Any, types: Types) -> None:
    make_category(org, name="Medlemsavgift", bands=BANDS)
    child = member(org, types.ordinary, birth_date=D(2018, 6, 1))

    with translation.override("sv"):
        [line] = lines_for(run(org), child)

    assert "31 dec. 2027" in line.reason


def test_free_bands_and_missing_birth_dates_are_reported_not_billed(org: Any, types: Types) -> None:
    make_category(org, name="Membership fee", bands=BANDS)
    toddler = member(org, types.ordinary, birth_date=D(2024, 3, 3))
    unknown = member(org, types.ordinary, birth_date=None)

    result = run(org)

    assert lines_for(result, toddler) == lines_for(result, unknown) == []
    assert skip_of(result, toddler) == SkipReason.FREE
    assert skip_of(result, unknown) == SkipReason.NO_BIRTH_DATE


def test_an_age_outside_every_band_is_reported(org: Any, types: Types) -> None:
    make_category(org, name="Youth fee", bands=[AgeBand(7, 19, 20000)])
    adult = member(org, types.ordinary, birth_date=D(1980, 1, 1))

    result = run(org)

    assert lines_for(result, adult) == []
    [skipped] = [s for s in result.skipped if s.person_id == adult.pk]
    assert skipped.reason == SkipReason.NO_CATEGORY
    assert "no age band of Youth fee covers age 47" in skipped.text


def test_a_line_carries_cost_centre_project_and_vat(org: Any, types: Types) -> None:
    from forening.ledger.models import CostCentre, Project

    centre = CostCentre.objects.create(organisation=org, code="10", name="Fotboll")
    project = Project.objects.create(organisation=org, code="P1", name="Lovaktivitet")
    make_category(org, cost_centre=centre, project=project, vat_rate=6)
    anna = member(org, types.ordinary)

    [line] = lines_for(run(org), anna)

    assert (line.cost_centre_id, line.project_id, line.vat_rate) == (centre.pk, project.pk, 6)


# --- periods ----------------------------------------------------------------------------


def test_a_season_runs_across_the_new_year(org: Any, types: Types) -> None:
    services.update_fee_settings(
        org, actor=SYSTEM, period_kind=PeriodKind.SEASON, season_start_month=8
    )
    make_category(org, name="Season fee", bands=BANDS, age_reference=AgeReference.PERIOD_START)
    # 12 on 1 August 2027 (the season's first day), 13 by its end
    child = member(org, types.ordinary, birth_date=D(2014, 12, 31))
    joins_in_spring = member(org, types.ordinary, joined_on=D(2028, 3, 1), birth_date=D(1990, 1, 1))
    joins_next_season = member(
        org, types.ordinary, joined_on=D(2028, 8, 1), birth_date=D(1990, 1, 1)
    )

    result = run(org)

    [line] = lines_for(result, child)
    assert (line.starts_on, line.ends_on) == (D(2027, 8, 1), D(2028, 7, 31))
    assert line.amount_minor == 20000
    assert line.reason.startswith("Season fee 2027/28, junior")
    assert len(lines_for(result, joins_in_spring)) == 1
    assert lines_for(result, joins_next_season) == []
    assert skip_of(result, joins_next_season) == SkipReason.NOT_YET_MEMBER


def test_rolling_memberships_renew_on_the_anniversary(org: Any, types: Types) -> None:
    services.update_fee_settings(org, actor=SYSTEM, period_kind=PeriodKind.ROLLING)
    make_category(org, name="Membership fee")
    march = member(org, types.ordinary, joined_on=D(2020, 3, 15))
    joined_this_year = member(org, types.ordinary, joined_on=D(2027, 5, 10))
    joined_next_year = member(org, types.ordinary, joined_on=D(2028, 1, 2))
    no_date = member(org, types.ordinary, joined_on=None)

    result = run(org)

    [line] = lines_for(result, march)
    assert (line.starts_on, line.ends_on) == (D(2027, 3, 15), D(2028, 3, 14))
    assert line.description.startswith("Membership fee 15 Mar 2027–14 Mar 2028")
    [first] = lines_for(result, joined_this_year)
    assert (first.starts_on, first.ends_on) == (D(2027, 5, 10), D(2028, 5, 9))
    assert lines_for(result, joined_next_year) == []
    assert skip_of(result, joined_next_year) == SkipReason.NOT_YET_MEMBER
    assert skip_of(result, no_date) == SkipReason.NO_JOIN_DATE


def test_a_29_february_joiner_renews_on_28_february_in_common_years(org: Any, types: Types) -> None:
    services.update_fee_settings(org, actor=SYSTEM, period_kind=PeriodKind.ROLLING)
    make_category(org)
    leap = member(org, types.ordinary, joined_on=D(2024, 2, 29))

    [common] = lines_for(run(org, 2027), leap)
    [leap_year] = lines_for(run(org, 2028), leap)

    # 2028 is a leap year: the 2027 period ends the day before 29 February 2028
    assert (common.starts_on, common.ends_on) == (D(2027, 2, 28), D(2028, 2, 28))
    assert (leap_year.starts_on, leap_year.ends_on) == (D(2028, 2, 29), D(2029, 2, 27))


def test_rolling_ages_are_counted_on_each_members_anniversary(org: Any, types: Types) -> None:
    services.update_fee_settings(
        org,
        actor=SYSTEM,
        period_kind=PeriodKind.ROLLING,
        age_reference=AgeReference.PERIOD_START,
    )
    make_category(org, bands=BANDS)
    # joined 1 March; turns 13 on 1 June 2027, after the anniversary
    child = member(org, types.ordinary, joined_on=D(2022, 3, 1), birth_date=D(2014, 6, 1))

    [line] = lines_for(run(org), child)

    assert line.amount_minor == 20000
    assert "(age on 1 Mar 2027: 12)" in line.reason


# --- membership types -------------------------------------------------------------------


def test_a_category_naming_a_type_replaces_the_general_one_for_that_type(
    org: Any, types: Types
) -> None:
    general = make_category(org, name="Membership fee", amount_minor=30000, position=1)
    supporting_fee = make_category(
        org,
        name="Supporting fee",
        amount_minor=10000,
        membership_types=[types.supporting],
        position=2,
    )
    insurance = make_category(
        org, name="Insurance", kind=FeeKind.OTHER, amount_minor=5000, position=3
    )
    ordinary = member(org, types.ordinary)
    supporter = member(org, types.supporting)

    result = run(org)

    assert [line.category_id for line in lines_for(result, ordinary)] == [general.pk, insurance.pk]
    assert [line.category_id for line in lines_for(result, supporter)] == [
        supporting_fee.pk,
        insurance.pk,
    ]


def test_honorary_members_pay_nothing_and_are_reported(org: Any, types: Types) -> None:
    make_category(org)
    make_category(org, kind=FeeKind.OTHER, amount_minor=5000)
    honorary = member(org, types.honorary)

    result = run(org)

    assert lines_for(result, honorary) == []
    [skipped] = [s for s in result.skipped if s.person_id == honorary.pk]
    assert skipped.reason == SkipReason.HONORARY
    assert skipped.text == "No fee: honorary member (Honorary)."


def test_members_without_a_type_or_a_matching_category_are_reported(org: Any, types: Types) -> None:
    make_category(org, membership_types=[types.ordinary])
    typeless = member(org, None)
    supporter = member(org, types.supporting)

    result = run(org)

    assert result.lines() == []
    assert skip_of(result, typeless) == SkipReason.NO_MEMBERSHIP_TYPE
    assert skip_of(result, supporter) == SkipReason.NO_CATEGORY


def test_only_active_members_are_billed(org: Any, types: Types) -> None:
    make_category(org)
    active = member(org, types.ordinary)
    others = [
        member(org, types.ordinary, status=status)
        for status in (
            MemberStatus.APPLIED,
            MemberStatus.CONTACT,
            MemberStatus.INACTIVE,
            MemberStatus.DECEASED,
            MemberStatus.REJECTED,
        )
    ]

    result = run(org)

    assert {line.person_id for line in result.lines()} == {active.pk}
    assert not {s.person_id for s in result.skipped} & {p.pk for p in others}


def test_inactive_categories_are_not_charged(org: Any, types: Types) -> None:
    make_category(org, is_active=False)
    anna = member(org, types.ordinary)

    result = run(org)

    assert result.lines() == []
    assert skip_of(result, anna) == SkipReason.NO_CATEGORY


# --- households -------------------------------------------------------------------------


def test_a_family_fee_is_charged_once_per_household_to_its_payer(org: Any, types: Types) -> None:
    family_fee = make_category(
        org,
        name="Family fee",
        amount_minor=60000,
        charged_per=ChargedPer.HOUSEHOLD,
        membership_types=[types.family],
    )
    make_category(org, name="Membership fee", amount_minor=30000)
    home = HouseholdFactory(organisation=org, name="The Bergs")
    parent = member(org, types.family, household=home, first_name="Anna", last_name="Berg")
    child = member(org, types.family, household=home, first_name="Bo", last_name="Berg")
    home.payer = parent
    home.save()
    alone = member(org, types.family)

    result = run(org)

    [bill] = result.bills_of(parent.pk)
    assert bill.household_id == home.pk
    [line] = bill.lines
    assert (line.category_id, line.amount_minor, line.person_id, line.household_id) == (
        family_fee.pk,
        60000,
        None,
        home.pk,
    )
    assert line.reason == (
        "Family fee 2027, one fee for the household The Bergs (Anna Berg, Bo Berg)"
    )
    assert skip_of(result, parent) is skip_of(result, child) is None
    # a family member without a household pays the family fee alone
    [own] = result.bills_of(alone.pk)
    assert [(x.category_id, x.person_id) for x in own.lines] == [(family_fee.pk, alone.pk)]


def test_the_family_cap_adds_a_negative_line_down_to_the_cap(org: Any, types: Types) -> None:
    services.update_fee_settings(org, actor=SYSTEM, family_cap_minor=100000)
    fee = make_category(org, name="Membership fee", amount_minor=50000)
    training = make_category(
        org,
        name="Training",
        kind=FeeKind.TRAINING,
        amount_minor=80000,
        groups=[GroupFactory(organisation=org)],
    )
    home = HouseholdFactory(organisation=org, name="The Bergs")
    people = [member(org, types.ordinary, household=home) for _ in range(3)]
    home.payer = people[0]
    home.save()
    for person in people:
        GroupMembershipFactory(organisation=org, group=training.groups.get(), person=person)
    small = HouseholdFactory(organisation=org)
    single = member(org, types.ordinary, household=small)
    small.payer = single
    small.save()

    result = run(org)

    [bill] = result.bills_of(people[0].pk)
    [cap] = [line for line in bill.lines if line.kind == LineKind.FAMILY_CAP]
    # training fees are not membership fees: only 3 × 500 kr is capped to 1 000 kr
    assert cap.amount_minor == -50000
    assert (cap.category_id, cap.account_id, cap.household_id) == (
        fee.pk,
        fee.account_id,
        home.pk,
    )
    assert cap.reason == (
        "Family cap 2027: a household pays at most 1\u00a0000,00\u00a0kr in membership fees "
        "per period; the fees of The Bergs come to 1\u00a0500,00\u00a0kr"
    )
    assert bill.lines[-1] == cap
    assert bill.total_minor == 100000 + 3 * 80000
    assert all(line.kind == LineKind.FEE for line in result.bills_of(single.pk)[0].lines)


def test_the_family_cap_is_split_over_the_fees_it_reduces(org: Any, types: Types) -> None:
    services.update_fee_settings(org, actor=SYSTEM, family_cap_minor=60000)
    club = make_category(org, name="Club fee", amount_minor=30000)
    federation = make_category(
        org,
        name="Federation fee",
        amount_minor=10000,
        account=fee_account(org, "gifts"),
    )
    home = HouseholdFactory(organisation=org)
    people = [member(org, types.ordinary, household=home) for _ in range(2)]
    home.payer = people[0]
    home.save()

    result = run(org)

    caps = {
        line.category_id: line.amount_minor
        for line in result.lines()
        if line.kind == LineKind.FAMILY_CAP
    }
    # 800 kr capped to 600 kr: 200 kr split 3:1
    assert caps == {club.pk: -15000, federation.pk: -5000}
    assert result.total_minor == 60000


# --- training fees ----------------------------------------------------------------------


def test_training_fees_go_to_the_participants_of_the_groups(org: Any, types: Types) -> None:
    p12 = GroupFactory(organisation=org, name="P12")
    f14 = GroupFactory(organisation=org, name="F14")
    other = GroupFactory(organisation=org, name="Seniors")
    fee = make_category(
        org, name="Training", kind=FeeKind.TRAINING, amount_minor=80000, groups=[p12, f14]
    )
    player = member(org, types.ordinary)
    both = member(org, types.ordinary)
    coach = member(org, types.ordinary)
    senior = member(org, types.ordinary)
    GroupMembershipFactory(organisation=org, group=p12, person=player)
    GroupMembershipFactory(organisation=org, group=p12, person=both)
    GroupMembershipFactory(organisation=org, group=f14, person=both)
    GroupMembershipFactory(organisation=org, group=p12, person=coach, role=GroupRole.LEADER)
    GroupMembershipFactory(organisation=org, group=other, person=senior)

    result = run(org)

    assert [(x.category_id, x.amount_minor) for x in lines_for(result, player)] == [(fee.pk, 80000)]
    [line] = lines_for(result, both)
    assert line.reason == "Training 2027, participant in F14, P12"
    assert lines_for(result, coach) == lines_for(result, senior) == []


def test_a_section_training_fee_covers_its_groups_but_not_archived_ones(
    org: Any, types: Types
) -> None:
    football = SectionFactory(organisation=org, name="Football")
    team = GroupFactory(organisation=org, section=football)
    archived = GroupFactory(organisation=org, section=football, is_archived=True)
    elsewhere = GroupFactory(organisation=org)
    make_category(org, kind=FeeKind.TRAINING, amount_minor=40000, section=football)
    people = [member(org, types.ordinary) for _ in range(3)]
    for person, group in zip(people, [team, archived, elsewhere], strict=True):
        GroupMembershipFactory(organisation=org, group=group, person=person)

    result = run(org)

    assert [line.person_id for line in result.lines()] == [people[0].pk]


def test_honorary_members_still_pay_training_fees(org: Any, types: Types) -> None:
    group = GroupFactory(organisation=org)
    make_category(org, kind=FeeKind.TRAINING, amount_minor=40000, groups=[group])
    honorary = member(org, types.honorary)
    GroupMembershipFactory(organisation=org, group=group, person=honorary)

    result = run(org)

    assert [line.amount_minor for line in lines_for(result, honorary)] == [40000]
    assert skip_of(result, honorary) == SkipReason.HONORARY


# --- payers -----------------------------------------------------------------------------


def test_who_pays(org: Any, types: Types) -> None:
    make_category(org)
    home = HouseholdFactory(organisation=org)
    payer = member(org, types.ordinary, household=home)
    home.payer = payer
    home.save()
    in_home = member(org, types.ordinary, household=home, birth_date=D(2015, 1, 1))
    mother = member(org, types.ordinary)
    father = member(org, types.ordinary)
    child = member(org, types.ordinary, birth_date=D(2015, 1, 1))
    GuardianshipFactory(organisation=org, guardian=father, ward=child)
    GuardianshipFactory(organisation=org, guardian=mother, ward=child)
    grown_up = member(org, types.ordinary, birth_date=D(2000, 1, 1))
    GuardianshipFactory(organisation=org, guardian=mother, ward=grown_up)
    no_payer_home = HouseholdFactory(organisation=org)
    ward_in_home = member(org, types.ordinary, household=no_payer_home, birth_date=D(2016, 1, 1))
    GuardianshipFactory(organisation=org, guardian=father, ward=ward_in_home)
    loner = member(org, types.ordinary)

    result = run(org)

    def paid_by(person: Person) -> tuple[int, int | None]:
        [bill] = [b for b in result.bills if any(x.person_id == person.pk for x in b.lines)]
        return bill.payer_id, bill.household_id

    first_guardian = min(mother.pk, father.pk)
    assert paid_by(in_home) == (payer.pk, home.pk)
    assert paid_by(child) == (first_guardian, None)
    assert paid_by(grown_up) == (grown_up.pk, None)
    assert paid_by(ward_in_home) == (father.pk, None)
    assert paid_by(loner) == (loner.pk, None)


def test_a_payer_who_is_not_a_member_still_gets_the_bill(org: Any, types: Types) -> None:
    make_category(org)
    home = HouseholdFactory(organisation=org)
    parent = member(org, None, status=MemberStatus.CONTACT, household=home)
    home.payer = parent
    home.save()
    child = member(org, types.ordinary, household=home)

    result = run(org)

    [bill] = result.bills
    assert (bill.payer_id, [x.person_id for x in bill.lines]) == (parent.pk, [child.pk])


# --- tenancy, subsets, order, totals ----------------------------------------------------


def test_another_associations_people_and_rules_are_never_included(org: Any, types: Types) -> None:
    make_category(org)
    mine = member(org, types.ordinary)
    with scopes_disabled():
        other = OrganisationFactory()
        other_type = MembershipTypeFactory(organisation=other, kind="ordinary")
        stranger = PersonFactory(organisation=other, membership_type=other_type)
        make_category(other, amount_minor=99900)
        everyone = Person.objects.all()

        result = compute(org, period_for(org, 2027), people=everyone)

    assert {line.person_id for line in result.lines()} == {mine.pk}
    assert stranger.pk not in {s.person_id for s in result.skipped}
    assert result.total_minor == 30000


def test_people_limits_the_run(org: Any, types: Types) -> None:
    make_category(org)
    anna, bo = member(org, types.ordinary), member(org, types.ordinary)

    result = run(org, people=Person.objects.filter(pk=bo.pk))

    assert [line.person_id for line in result.lines()] == [bo.pk]
    assert anna.pk not in {s.person_id for s in result.skipped}


def test_results_are_in_a_fixed_order_with_totals_per_category(org: Any, types: Types) -> None:
    second = make_category(org, name="B fee", amount_minor=1000, position=2)
    first = make_category(org, name="A fee", kind=FeeKind.OTHER, amount_minor=500, position=1)
    people = [member(org, types.ordinary) for _ in range(4)]

    result = run(org)

    assert [bill.payer_id for bill in result.bills] == sorted(p.pk for p in people)
    assert [line.category_id for line in result.bills[0].lines] == [first.pk, second.pk]
    assert [(t.category_id, t.lines, t.amount_minor) for t in result.totals] == [
        (first.pk, 4, 2000),
        (second.pk, 4, 4000),
    ]
    assert result.total_minor == 6000
    assert run(org) == result


@pytest.mark.parametrize("count", [5, 50])
def test_the_number_of_queries_does_not_grow_with_the_members(
    org: Any, types: Types, count: int, django_assert_max_num_queries: Any
) -> None:
    services.update_fee_settings(org, actor=SYSTEM, family_cap_minor=100000)
    group = GroupFactory(organisation=org)
    make_category(org, bands=BANDS)
    make_category(org, kind=FeeKind.TRAINING, amount_minor=40000, groups=[group])
    make_category(
        org,
        charged_per=ChargedPer.HOUSEHOLD,
        amount_minor=60000,
        membership_types=[types.family],
    )
    for i in range(count):
        home = HouseholdFactory(organisation=org)
        adult = member(org, types.family if i % 2 else types.ordinary, household=home)
        home.payer = adult
        home.save()
        kid = member(org, types.ordinary, birth_date=D(2016, 1, 1) if i % 3 else None)
        GuardianshipFactory(organisation=org, guardian=adult, ward=kid)
        GroupMembershipFactory(organisation=org, group=group, person=kid)
    period = period_for(org, 2027)

    with django_assert_max_num_queries(9) as captured:
        result = compute(org, period)

    assert len(result.lines()) >= 2 * count
    assert len(captured.captured_queries) == 9
