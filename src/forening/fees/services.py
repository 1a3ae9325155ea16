"""The fee rules' write path (FEE-01, FEE-02): fee settings and fee categories.

Every view, command and import that changes a fee rule calls these functions. Each is one
transaction and checks everything before it writes: bad input raises `FeeError` with a
message in the user's language and writes nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Group, Organisation
from forening.fees import locks
from forening.fees.models import (
    AgeReference,
    ChargedPer,
    FeeAgeBand,
    FeeCategory,
    FeeCategoryGroup,
    FeeCategoryMembershipType,
    FeeKind,
    FeeSettings,
    PeriodKind,
    Pricing,
    VatRate,
)
from forening.ledger.models import Account, AccountKind
from forening.members.models import MembershipKind, MembershipType

# What create_fee_category / update_fee_category may set directly.
CATEGORY_FIELDS = frozenset(
    {
        "name",
        "kind",
        "amount_minor",
        "charged_per",
        "account",
        "cost_centre",
        "project",
        "vat_rate",
        "section",
        "age_reference",
        "age_reference_month",
        "age_reference_day",
        "is_active",
        "position",
    }
)
SETTINGS_FIELDS = frozenset(
    {
        "period_kind",
        "season_start_month",
        "season_start_day",
        "age_reference",
        "age_reference_month",
        "age_reference_day",
        "family_cap_minor",
    }
)
MAX_AGE = 150


class FeeError(ValueError):
    """A fee rule refused; str() is for the user, `field` names the input it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class AgeBand:
    """A price for ages `min_age` to `max_age` inclusive (None: no upper end)."""

    min_age: int
    max_age: int | None
    amount_minor: int
    label: str = ""


# --- checks -----------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_amount(value: Any, *, field: str = "amount_minor") -> int:
    """`value` as an amount in minor units: a whole number, 0 or more."""
    if not _is_int(value) or value < 0:
        raise FeeError(_("Amounts are whole numbers of öre/øre, 0 or more."), field=field)
    return int(value)


def check_day(month: Any, day: Any, *, field: str) -> None:
    """A day of the year that exists every year (so not 29 February)."""
    if not (_is_int(month) and _is_int(day) and 1 <= month <= 12 and day >= 1):
        raise FeeError(_("Choose a day and a month."), field=field)
    if day > calendar.monthrange(2001, month)[1]:  # 2001: a common year
        raise FeeError(_("Choose a day that exists every year (not 29 February)."), field=field)


def check_bands(bands: Sequence[AgeBand]) -> list[AgeBand]:
    """The bands in age order, each with whole ages and amounts, none overlapping."""
    if not bands:
        raise FeeError(_("Add at least one age band."), field="bands")
    cleaned = []
    for band in bands:
        if not _is_int(band.min_age) or not 0 <= band.min_age <= MAX_AGE:
            raise FeeError(_("Ages are whole years from 0 to 150."), field="bands")
        if band.max_age is not None and (
            not _is_int(band.max_age) or not band.min_age <= band.max_age <= MAX_AGE
        ):
            raise FeeError(
                _("An age band ends at or after the age it starts at, and at most at 150."),
                field="bands",
            )
        label = (band.label or "").strip()
        if len(label) > 60:
            raise FeeError(_("Keep an age band's name to 60 characters."), field="bands")
        amount = check_amount(band.amount_minor, field="bands")
        cleaned.append(AgeBand(band.min_age, band.max_age, amount, label))
    cleaned.sort(key=lambda band: band.min_age)
    for lower, upper in zip(cleaned, cleaned[1:], strict=False):
        if lower.max_age is None or lower.max_age >= upper.min_age:
            raise FeeError(
                _("The age bands from %(first)d and from %(second)d overlap.")
                % {"first": lower.min_age, "second": upper.min_age},
                field="bands",
            )
    return cleaned


def _check_account(category: FeeCategory) -> None:
    organisation_id = category.organisation_id
    account: Account | None = category.account if category.account_id else None
    if account is None:
        raise FeeError(_("Choose the revenue account the fee is booked on."), field="account")
    if account.organisation_id != organisation_id:
        raise FeeError(_("Choose an account of this association."), field="account")
    if account.kind != AccountKind.INCOME:
        raise FeeError(_("Choose an income account: fees are booked as revenue."), field="account")
    if not account.is_active:
        raise FeeError(
            _("The account %(account)s is not in use.") % {"account": account}, field="account"
        )
    for name in ("cost_centre", "project"):
        value = getattr(category, name)
        if value is None:
            continue
        if value.organisation_id != organisation_id:
            raise FeeError(_("Choose a cost centre or project of this association."), field=name)
        if not value.is_active:
            raise FeeError(_("%(object)s is not in use.") % {"object": value}, field=name)


def _check_whom(category: FeeCategory, types: list[MembershipType], groups: list[Group]) -> None:
    organisation_id = category.organisation_id
    if any(t.organisation_id != organisation_id for t in types):
        raise FeeError(_("Choose membership types of this association."), field="membership_types")
    section = category.section
    if category.kind != FeeKind.TRAINING:
        if section is not None or groups:
            raise FeeError(_("Only training fees are charged by group or section."), field="groups")
        if any(t.kind == MembershipKind.HONORARY for t in types):
            raise FeeError(
                _("Honorary members pay no membership fee; leave the honorary type out."),
                field="membership_types",
            )
        return
    if section is None and not groups:
        raise FeeError(
            _("Choose the section or the groups whose participants pay this training fee."),
            field="groups",
        )
    if section is not None and section.organisation_id != organisation_id:
        raise FeeError(_("Choose a section of this association."), field="section")
    for group in groups:
        if group.organisation_id != organisation_id:
            raise FeeError(_("Choose groups of this association."), field="groups")
        if section is not None and group.section_id != section.pk:
            raise FeeError(
                _("The group %(group)s is not in the section %(section)s.")
                % {"group": group, "section": section},
                field="groups",
            )


def _check_category(
    category: FeeCategory,
    *,
    bands: list[AgeBand] | None,
    types: list[MembershipType],
    groups: list[Group],
) -> list[AgeBand] | None:
    """Check every rule of `category` (normalising it in place); return the clean bands."""
    category.name = " ".join((category.name or "").split())
    if not category.name:
        raise FeeError(_("Enter a name."), field="name")
    if len(category.name) > 100:
        raise FeeError(_("Keep the name to 100 characters."), field="name")
    taken = (
        FeeCategory.objects.filter(
            organisation_id=category.organisation_id, name__iexact=category.name
        )
        .exclude(pk=category.pk)
        .exists()
    )
    if taken:
        raise FeeError(
            _("There is already a fee category called “%(name)s”.") % {"name": category.name},
            field="name",
        )
    if category.kind not in FeeKind.values:
        raise FeeError(_("Choose a kind of fee."), field="kind")
    if category.charged_per not in ChargedPer.values:
        raise FeeError(_("Choose whether the fee is charged per person or per household."))
    _check_account(category)
    if not _is_int(category.vat_rate) or category.vat_rate not in VatRate.values:
        raise FeeError(_("The VAT rate must be 0, 6, 12 or 25 %."), field="vat_rate")
    if bands is not None:
        if category.charged_per == ChargedPer.HOUSEHOLD:
            raise FeeError(_("A fee charged per household cannot depend on age."), field="bands")
        bands = check_bands(bands)
        category.pricing, category.amount_minor = Pricing.AGE, None
    else:
        if category.amount_minor is None:
            raise FeeError(_("Enter the amount, or prices by age."), field="amount_minor")
        category.amount_minor = check_amount(category.amount_minor)
        category.pricing = Pricing.FIXED
    if category.age_reference not in ("", *AgeReference.values):
        raise FeeError(_("Choose the day ages are counted on."), field="age_reference")
    if category.age_reference == AgeReference.FIXED_DAY:
        check_day(category.age_reference_month, category.age_reference_day, field="age_reference")
    else:
        category.age_reference_month = category.age_reference_day = None
    _check_whom(category, types, groups)
    if not _is_int(category.position) or category.position < 0:
        raise FeeError(_("The order is a whole number, 0 or more."), field="position")
    category.is_active = bool(category.is_active)
    return bands


# --- writing ----------------------------------------------------------------------------


def _band_rows(bands: Iterable[AgeBand]) -> list[list[Any]]:
    return [[b.min_age, b.max_age, b.amount_minor, b.label] for b in bands]


def _stored_bands(category: FeeCategory) -> list[AgeBand]:
    return [
        AgeBand(band.min_age, band.max_age, band.amount_minor, band.label)
        for band in FeeAgeBand.objects.filter(category=category).order_by("min_age")
    ]


def _write_rules(
    category: FeeCategory,
    *,
    bands: list[AgeBand] | None,
    types: list[MembershipType] | None,
    groups: list[Group] | None,
    actor: Actor,
    verb: str,
    changes: dict[str, list[Any]],
) -> None:
    """Replace the category's bands, types and groups (where given) and log the change."""
    organisation_id = category.organisation_id
    old_bands = _stored_bands(category)
    if bands is None:
        bands = [] if category.pricing == Pricing.FIXED else old_bands
    if bands != old_bands:
        FeeAgeBand.objects.filter(category=category).delete()
        FeeAgeBand.objects.bulk_create(
            FeeAgeBand(
                organisation_id=organisation_id,
                category=category,
                label=band.label,
                min_age=band.min_age,
                max_age=band.max_age,
                amount_minor=band.amount_minor,
            )
            for band in bands
        )
        changes["bands"] = [_band_rows(old_bands), _band_rows(bands)]
    if types is not None:
        links = FeeCategoryMembershipType.objects.filter(category=category)
        old = sorted(links.values_list("membership_type_id", flat=True))
        new = sorted({t.pk for t in types})
        if old != new:
            links.delete()
            FeeCategoryMembershipType.objects.bulk_create(
                FeeCategoryMembershipType(
                    organisation_id=organisation_id, category=category, membership_type_id=pk
                )
                for pk in new
            )
            changes["membership_types"] = [old, new]
    if groups is not None:
        group_links = FeeCategoryGroup.objects.filter(category=category)
        old = sorted(group_links.values_list("group_id", flat=True))
        new = sorted({g.pk for g in groups})
        if old != new:
            group_links.delete()
            FeeCategoryGroup.objects.bulk_create(
                FeeCategoryGroup(organisation_id=organisation_id, category=category, group_id=pk)
                for pk in new
            )
            changes["groups"] = [old, new]
    if changes:
        audit.record(actor, f"fees.feecategory.{verb}", category, person=None, changes=changes)


def _unknown(fields: dict[str, Any], allowed: frozenset[str], service: str) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{service} cannot set {sorted(unknown)}")


@audit.in_name_of_actor
@transaction.atomic
def create_fee_category(
    organisation: Organisation,
    *,
    actor: Actor,
    bands: Sequence[AgeBand] | None = None,
    membership_types: Iterable[MembershipType] = (),
    groups: Iterable[Group] = (),
    **fields: Any,
) -> FeeCategory:
    """Add a fee category.

    The price is fixed (`amount_minor`) or by age (`bands`), never both. `account` (an
    income account of the association) is required; `cost_centre` and `project` are
    optional. Training fees name a `section` or `groups`. Raises FeeError, writing
    nothing, when a rule is broken.
    """
    _unknown(fields, CATEGORY_FIELDS, "create_fee_category")
    if bands is not None and fields.get("amount_minor") is not None:
        raise FeeError(_("Give either an amount or prices by age, not both."), field="bands")
    category = FeeCategory(organisation=organisation, **fields)
    types, group_list = list(membership_types), list(groups)
    band_list = list(bands) if bands is not None else None
    clean_bands = _check_category(category, bands=band_list, types=types, groups=group_list)
    audit.skip_automatic(category)
    category.save()
    _write_rules(
        category,
        bands=clean_bands,
        types=types,
        groups=group_list,
        actor=actor,
        verb="created",
        changes=audit.diff(category),
    )
    return category


@audit.in_name_of_actor
@transaction.atomic
def update_fee_category(
    category: FeeCategory,
    *,
    actor: Actor,
    bands: Sequence[AgeBand] | None = None,
    membership_types: Iterable[MembershipType] | None = None,
    groups: Iterable[Group] | None = None,
    **fields: Any,
) -> FeeCategory:
    """Change a fee category and return it as saved.

    Only what is given changes. Giving `bands` makes the price age-based; giving
    `amount_minor` makes it fixed (and drops the bands). `membership_types` and `groups`
    replace the current ones. Raises FeeError, writing nothing, when a rule is broken.
    """
    _unknown(fields, CATEGORY_FIELDS, "update_fee_category")
    if bands is not None and fields.get("amount_minor") is not None:
        raise FeeError(_("Give either an amount or prices by age, not both."), field="bands")
    stored = locks.lock_category(category)
    for name, value in fields.items():
        setattr(stored, name, value)
    types = list(membership_types) if membership_types is not None else None
    group_list = list(groups) if groups is not None else None
    band_list = list(bands) if bands is not None else None
    if band_list is None and stored.pricing == Pricing.AGE and "amount_minor" not in fields:
        band_list = _stored_bands(stored)
    clean_bands = _check_category(
        stored,
        bands=band_list,
        types=types if types is not None else list(stored.membership_types.all()),
        groups=group_list if group_list is not None else list(stored.groups.all()),
    )
    changes = audit.diff(stored)
    audit.skip_automatic(stored)
    stored.save()
    _write_rules(
        stored,
        bands=clean_bands,
        types=types,
        groups=group_list,
        actor=actor,
        verb="updated",
        changes=changes,
    )
    return stored


# --- settings ---------------------------------------------------------------------------


def settings_for(organisation: Organisation) -> FeeSettings:
    """The association's fee settings, created with the defaults on first use."""
    found, _created = FeeSettings.objects.get_or_create(organisation=organisation)
    return found


@audit.in_name_of_actor
@transaction.atomic
def update_fee_settings(organisation: Organisation, *, actor: Actor, **fields: Any) -> FeeSettings:
    """Change how membership periods run, the default day ages are counted on, and the
    family cap (`family_cap_minor`, None for no cap). Raises FeeError, writing nothing."""
    _unknown(fields, SETTINGS_FIELDS, "update_fee_settings")
    settings_for(organisation)
    found = locks.lock_settings(organisation)
    for name, value in fields.items():
        setattr(found, name, value)
    if found.period_kind not in PeriodKind.values:
        raise FeeError(_("Choose how membership periods run."), field="period_kind")
    check_day(found.season_start_month, found.season_start_day, field="season_start")
    if found.age_reference not in AgeReference.values:
        raise FeeError(_("Choose the day ages are counted on."), field="age_reference")
    check_day(found.age_reference_month, found.age_reference_day, field="age_reference")
    if found.family_cap_minor is not None:
        found.family_cap_minor = check_amount(found.family_cap_minor, field="family_cap_minor")
    if fields:
        found.save(update_fields=[*fields, "updated_at"])
    return found
