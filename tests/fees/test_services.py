"""Fee rules are checked before anything is written, and every change is logged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent
from forening.fees import services
from forening.fees.models import (
    AgeReference,
    ChargedPer,
    FeeAgeBand,
    FeeCategory,
    FeeKind,
    FeeSettings,
    PeriodKind,
    Pricing,
)
from forening.fees.services import AgeBand, FeeError
from forening.ledger.models import Account, AccountKind
from tests.factories.core import GroupFactory, OrganisationFactory, SectionFactory
from tests.factories.fees import fee_account, make_category
from tests.factories.members import MembershipTypeFactory
from tests.fees.conftest import Types

SYSTEM = Actor.system("test")


def create(org: Any, **fields: Any) -> FeeCategory:
    fields.setdefault("name", "Membership fee")
    if "account" not in fields:
        fields["account"] = fee_account(org)
    if fields.get("bands") is None:
        fields.setdefault("amount_minor", 30000)
    return services.create_fee_category(org, actor=SYSTEM, **fields)


def refused(org: Any, field: str | None, message: str, **fields: Any) -> FeeError:
    fee_account(org)  # seed the chart first, so the count below is only fee rows
    events = AuditEvent.objects.count()
    with pytest.raises(FeeError, match=message) as caught:
        create(org, **fields)
    assert caught.value.field == field
    assert FeeCategory.objects.count() == 0
    assert FeeAgeBand.objects.count() == 0
    assert AuditEvent.objects.count() == events
    return caught.value


def test_a_category_without_an_account_is_refused_and_nothing_is_written(org: Any) -> None:
    error = refused(org, "account", "Choose the revenue account", account=None)
    assert isinstance(error, ValueError)


def test_the_account_must_be_an_income_account_of_this_association(org: Any) -> None:
    refused(org, "account", "income account", account=fee_account(org, "bank"))
    with scopes_disabled():
        other = OrganisationFactory()
        foreign = fee_account(other)
    refused(org, "account", "account of this association", account=foreign)


def test_an_account_out_of_use_is_refused(org: Any) -> None:
    fee_account(org)  # the chart is seeded only into an empty ledger
    closed = Account.objects.create(
        organisation=org, number="3099", name="Old fees", kind=AccountKind.INCOME, is_active=False
    )
    refused(org, "account", "not in use", account=closed)


@pytest.mark.parametrize("amount", [-1, 10.5, Decimal("100"), True, "300"])
def test_amounts_are_whole_minor_units_not_negative(org: Any, amount: Any) -> None:
    refused(org, "amount_minor", "whole numbers", amount_minor=amount)


def test_a_fixed_price_needs_an_amount(org: Any) -> None:
    refused(org, "amount_minor", "Enter the amount", amount_minor=None)


@pytest.mark.parametrize("rate", [10, 24, -6, "25"])
def test_only_swedish_vat_rates_are_allowed(org: Any, rate: Any) -> None:
    refused(org, "vat_rate", "0, 6, 12 or 25", vat_rate=rate)


@pytest.mark.parametrize("rate", [0, 6, 12, 25])
def test_the_allowed_vat_rates(org: Any, rate: int) -> None:
    assert create(org, vat_rate=rate).vat_rate == rate


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ([AgeBand(0, 12, 100), AgeBand(12, 19, 200)], "from 0 and from 12 overlap"),
        ([AgeBand(20, None, 100), AgeBand(30, 40, 200)], "from 20 and from 30 overlap"),
        ([AgeBand(10, 5, 100)], "ends at or after"),
        ([AgeBand(-1, 5, 100)], "whole years"),
        ([AgeBand(0, 5, -100)], "whole numbers"),
        ([], "at least one age band"),
    ],
)
def test_age_bands_are_checked(org: Any, bands: list[AgeBand], message: str) -> None:
    refused(org, "bands", message, bands=bands)


def test_a_price_is_either_fixed_or_by_age(org: Any) -> None:
    refused(org, "bands", "not both", amount_minor=100, bands=[AgeBand(0, None, 100)])


def test_a_household_fee_cannot_depend_on_age(org: Any) -> None:
    refused(
        org,
        "bands",
        "per household cannot depend on age",
        charged_per=ChargedPer.HOUSEHOLD,
        bands=[AgeBand(0, None, 100)],
    )


def test_names_are_unique_whatever_the_case(org: Any) -> None:
    create(org, name="Membership fee")
    with pytest.raises(FeeError, match="already a fee category") as caught:
        create(org, name="  membership   FEE ")
    assert caught.value.field == "name"


def test_a_training_fee_needs_a_section_or_groups_of_this_association(org: Any) -> None:
    refused(org, "groups", "section or the groups", kind=FeeKind.TRAINING)
    with scopes_disabled():
        foreign = GroupFactory(organisation=OrganisationFactory())
    refused(org, "groups", "groups of this association", kind=FeeKind.TRAINING, groups=[foreign])
    football = SectionFactory(organisation=org)
    stray = GroupFactory(organisation=org)
    refused(
        org,
        "groups",
        "is not in the section",
        kind=FeeKind.TRAINING,
        section=football,
        groups=[stray],
    )


def test_only_training_fees_are_charged_by_group(org: Any) -> None:
    refused(org, "groups", "Only training fees", groups=[GroupFactory(organisation=org)])


def test_a_membership_fee_cannot_name_the_honorary_type(org: Any, types: Types) -> None:
    refused(org, "membership_types", "Honorary members", membership_types=[types.honorary])
    with scopes_disabled():
        foreign = MembershipTypeFactory(organisation=OrganisationFactory())
    refused(org, "membership_types", "of this association", membership_types=[foreign])


def test_a_fixed_age_day_must_exist_every_year(org: Any) -> None:
    refused(
        org,
        "age_reference",
        "not 29 February",
        bands=[AgeBand(0, None, 100)],
        age_reference=AgeReference.FIXED_DAY,
        age_reference_month=2,
        age_reference_day=29,
    )


def test_creating_a_category_writes_it_with_its_rules_and_logs_it(org: Any, types: Types) -> None:
    category = create(
        org,
        name=" Junior fee ",
        bands=[AgeBand(13, 19, 30000, "youth"), AgeBand(7, 12, 20000, "junior")],
        membership_types=[types.ordinary, types.family],
    )

    category.refresh_from_db()
    assert (category.name, category.pricing, category.amount_minor) == (
        "Junior fee",
        Pricing.AGE,
        None,
    )
    bands = list(category.bands.values_list("min_age", "max_age", "amount_minor", "label"))
    assert bands == [(7, 12, 20000, "junior"), (13, 19, 30000, "youth")]
    assert set(category.membership_types.all()) == {types.ordinary, types.family}
    [event] = AuditEvent.objects.filter(object_type="fees.feecategory")
    assert event.action == "fees.feecategory.created"
    assert event.actor_label == "test"
    assert event.changes["bands"] == [[], [[7, 12, 20000, "junior"], [13, 19, 30000, "youth"]]]
    assert event.changes["membership_types"][1] == sorted([types.ordinary.pk, types.family.pk])
    assert event.changes["name"] == [None, "Junior fee"]


def test_updating_switches_between_fixed_and_age_prices(org: Any) -> None:
    category = create(org, amount_minor=30000)

    aged = services.update_fee_category(category, actor=SYSTEM, bands=[AgeBand(0, None, 25000)])
    assert (aged.pricing, aged.amount_minor, aged.bands.count()) == (Pricing.AGE, None, 1)

    renamed = services.update_fee_category(aged, actor=SYSTEM, name="Renamed")
    assert (renamed.pricing, renamed.bands.count()) == (Pricing.AGE, 1)

    fixed = services.update_fee_category(renamed, actor=SYSTEM, amount_minor=40000)
    assert (fixed.pricing, fixed.amount_minor, fixed.bands.count()) == (Pricing.FIXED, 40000, 0)
    actions = list(
        AuditEvent.objects.filter(object_type="fees.feecategory")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["fees.feecategory.created"] + ["fees.feecategory.updated"] * 3


def test_a_refused_update_changes_nothing(org: Any) -> None:
    category = create(org, amount_minor=30000)
    events = AuditEvent.objects.count()

    with pytest.raises(FeeError, match="0, 6, 12 or 25"):
        services.update_fee_category(category, actor=SYSTEM, amount_minor=1, vat_rate=7)

    category.refresh_from_db()
    assert (category.amount_minor, category.vat_rate) == (30000, 0)
    assert AuditEvent.objects.count() == events


def test_an_update_without_changes_logs_nothing(org: Any) -> None:
    category = create(org)
    events = AuditEvent.objects.count()

    services.update_fee_category(category, actor=SYSTEM, name="Membership fee")

    assert AuditEvent.objects.count() == events


def test_services_need_an_actor(org: Any) -> None:
    with pytest.raises(TypeError, match="actor"):
        services.create_fee_category(org, name="x", account=fee_account(org), amount_minor=1)  # type: ignore[call-arg]


def test_fee_settings_are_checked_and_saved(org: Any) -> None:
    saved = services.update_fee_settings(
        org,
        actor=SYSTEM,
        period_kind=PeriodKind.SEASON,
        season_start_month=7,
        season_start_day=1,
        family_cap_minor=150000,
    )
    assert FeeSettings.objects.get(organisation=org) == saved
    assert (saved.period_kind, saved.family_cap_minor) == (PeriodKind.SEASON, 150000)

    for fields, message in [
        ({"family_cap_minor": -1}, "whole numbers"),
        ({"season_start_month": 2, "season_start_day": 30}, "exists every year"),
        ({"period_kind": "monthly"}, "how membership periods run"),
        ({"age_reference": "birthday"}, "day ages are counted on"),
    ]:
        with pytest.raises(FeeError, match=message):
            services.update_fee_settings(org, actor=SYSTEM, **fields)
    saved.refresh_from_db()
    assert (saved.season_start_month, saved.family_cap_minor) == (7, 150000)


def test_the_factory_helper_makes_valid_categories(org: Any) -> None:
    training = make_category(org, kind=FeeKind.TRAINING, groups=[GroupFactory(organisation=org)])
    assert training.account.role == "training_fees"
