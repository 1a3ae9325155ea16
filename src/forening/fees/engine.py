"""The fee engine (FEE-01, FEE-02): what every payer owes for one period, and why.

`compute()` reads the association's fee rules and its active members set-wise, with a
fixed number of queries whatever the number of people (rows come as tuples, never as model
instances), and returns bills per payer with one line per fee and a reason for each
amount, totals per fee category, and the members who owe nothing with the reason why.
It writes nothing; the billing run turns the result into invoices.

Rules, in the order the engine applies them:

- Only active members (MemberStatus.ACTIVE) are billed.
- The membership period is the calendar year, a season (fee year 2027 = the season that
  starts in 2027), or rolling: the year from each member's anniversary of the join date
  that falls in the fee year (the join date itself in the year they joined; 29 February
  joiners renew on 28 February in common years). Training fees follow the fee year.
- Membership and other fees go by membership type: a member pays the categories of that
  kind that name their type, or, when none does, those that name no type. Honorary members
  pay none of them. Training fees go to the participants of the category's groups.
- Age is counted on the category's reference day (or the association's default).
- A category charged per household is charged once per household, to its payer.
- The payer is the household's payer, else for a minor the first guardian (by id), else
  the member.
- The family cap: when a household's membership fees come to more than the cap, negative
  "family cap" lines bring them down to it, split over its fees in proportion.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from babel.dates import format_date
from django.conf import settings as django_settings
from django.db.models import Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from forening.core import money
from forening.core.models import (
    Group,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.fees.models import (
    ChargedPer,
    FeeAgeBand,
    FeeCategory,
    FeeCategoryGroup,
    FeeCategoryMembershipType,
    FeeKind,
    FeeSettings,
    PeriodKind,
    Pricing,
)
from forening.fees.periods import (
    Period,
    age_on,
    anniversary,
    current_settings,
    period_for,
    reference_date,
)
from forening.fees.results import (
    Bill,
    CategoryTotal,
    FeeLine,
    FeeResult,
    LineKind,
    Skipped,
    SkipReason,
)
from forening.members.models import MembershipKind

__all__ = [
    "Bill",
    "CategoryTotal",
    "FeeLine",
    "FeeResult",
    "LineKind",
    "Period",
    "SkipReason",
    "Skipped",
    "allocate",
    "compute",
    "period_for",
]

# Guardians pay for members younger than this on the first day of the period.
ADULT_AGE = 18


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` (not negative, not all zero) so that the
    parts sum to `total` exactly; the leftover units go to the largest remainders, ties to
    the earlier weight. A part never exceeds its weight when `total` ≤ sum(weights)."""
    whole = sum(weights)
    if whole <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    parts = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


# --- loading ----------------------------------------------------------------------------


class _Band(NamedTuple):
    min_age: int
    max_age: int | None
    amount_minor: int
    text: str  # "junior 7–12 years"


@dataclass
class _Category:
    id: int
    name: str
    kind: str
    pricing: str
    amount_minor: int
    charged_per: str
    account_id: int
    cost_centre_id: int | None
    project_id: int | None
    vat_rate: int
    section_id: int | None
    age_reference: str
    age_reference_month: int | None
    age_reference_day: int | None
    position: int
    type_ids: set[int] = field(default_factory=set)
    group_ids: set[int] = field(default_factory=set)
    bands: list[_Band] = field(default_factory=list)


class _Person(NamedTuple):
    id: int
    kind: str
    first_name: str
    last_name: str
    organisation_name: str
    birth_date: dt.date | None
    joined_on: dt.date | None
    type_id: int | None
    type_kind: str | None
    type_name: str | None
    household_id: int | None
    household_payer_id: int | None
    household_name: str | None

    @property
    def name(self) -> str:
        if self.kind == PersonKind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()


_PERSON_COLUMNS = (
    "id",
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "birth_date",
    "joined_on",
    "membership_type_id",
    "membership_type__kind",
    "membership_type__name",
    "household_id",
    "household__payer_id",
    "household__name",
)
_CATEGORY_COLUMNS = (  # the fields of _Category, in its order
    "id",
    "name",
    "kind",
    "pricing",
    "amount_minor",
    "charged_per",
    "account_id",
    "cost_centre_id",
    "project_id",
    "vat_rate",
    "section_id",
    "age_reference",
    "age_reference_month",
    "age_reference_day",
    "position",
)


def _load_categories(organisation: Organisation) -> tuple[list[_Category], dict[int, str]]:
    """The active categories in their order, with types, groups and bands; and the names
    of the groups they charge (at most five queries)."""
    categories = [
        _Category(**{**row, "amount_minor": row["amount_minor"] or 0})
        for row in FeeCategory.objects.filter(organisation=organisation, is_active=True)
        .order_by("position", "name", "pk")
        .values(*_CATEGORY_COLUMNS)
    ]
    if not categories:
        return [], {}
    by_id = {category.id: category for category in categories}
    active = {"organisation": organisation, "category__is_active": True}
    for category_id, type_id in (
        FeeCategoryMembershipType.objects.filter(**active)
        .order_by()
        .values_list("category_id", "membership_type_id")
    ):
        by_id[category_id].type_ids.add(type_id)
    for category_id, low, high, amount, label in (
        FeeAgeBand.objects.filter(**active)
        .order_by("min_age", "pk")
        .values_list("category_id", "min_age", "max_age", "amount_minor", "label")
    ):
        by_id[category_id].bands.append(_Band(low, high, amount, _band_text(low, high, label)))
    training = [category for category in categories if category.kind == FeeKind.TRAINING]
    if not training:
        return categories, {}
    named: dict[int, set[int]] = defaultdict(set)
    for category_id, group_id in (
        FeeCategoryGroup.objects.filter(**active).order_by().values_list("category_id", "group_id")
    ):
        named[category_id].add(group_id)
    explicit: set[int] = set().union(*named.values())
    sections = {category.section_id for category in training if category.section_id}
    groups = list(
        Group.objects.filter(organisation=organisation, is_archived=False)
        .filter(Q(pk__in=explicit) | Q(section_id__in=sections))
        .values_list("id", "name", "section_id")
    )
    live = {group_id for group_id, _name, _section in groups}
    for category in training:
        if named[category.id]:
            category.group_ids = named[category.id] & live
        elif category.section_id is not None:
            category.group_ids = {gid for gid, _n, sid in groups if sid == category.section_id}
    return categories, {group_id: name for group_id, name, _section in groups}


def _billed(organisation: Organisation, people: QuerySet[Person] | None) -> QuerySet[Person]:
    """The people this run bills: the active members of `organisation` (among `people`)."""
    found = Person.objects.filter(organisation=organisation, status=MemberStatus.ACTIVE)
    if people is not None:
        found = found.filter(pk__in=people.values("pk"))
    return found


# --- texts ------------------------------------------------------------------------------


def _language() -> str:
    return (translation.get_language() or django_settings.LANGUAGE_CODE)[:2]


@functools.lru_cache(maxsize=4096)
def _format_day(day: dt.date, language: str) -> str:
    return str(format_date(day, "medium", locale=money.LOCALE_BY_LANGUAGE.get(language, "sv_SE")))


@functools.lru_cache(maxsize=4096)
def _format_money(amount_minor: int, currency: str, language: str) -> str:
    return money.format_money(amount_minor, currency, language)


@dataclass(frozen=True)
class _Texts:
    """The messages of one run, translated once: gettext per line would cost more than
    the rest of the computation."""

    membership_type: str
    participant_in: str
    age_detail: str
    household_fee: str
    honorary: str
    no_membership_type: str
    no_category: str
    no_band: str
    no_birth_date: str
    free: str
    no_join_date: str
    not_yet_member: str


def _texts() -> _Texts:
    return _Texts(
        membership_type=_("membership type %(type)s"),
        participant_in=_("participant in %(groups)s"),
        age_detail=_("%(band)s (age on %(date)s: %(age)d)"),
        household_fee=_("one fee for the household %(household)s (%(names)s)"),
        honorary=_("No fee: honorary member (%(type)s)."),
        no_membership_type=_("No membership fee: no membership type."),
        no_category=_(
            "No membership fee: no fee category applies to the membership type %(type)s."
        ),
        no_band=_("No membership fee: no age band of %(fee)s covers age %(age)d on %(date)s."),
        no_birth_date=_(
            "No membership fee: %(fee)s depends on age and the date of birth is missing."
        ),
        free=_("No membership fee: %(fee)s is free for them."),
        no_join_date=_(
            "No membership fee: the membership renews on the join date, which is missing."
        ),
        not_yet_member=_("No membership fee: joined on %(date)s, after this period."),
    )


def _band_text(low: int, high: int | None, label: str) -> str:
    if high is None:
        ages = _("%(low)d years and older") % {"low": low}
    else:
        ages = _("%(low)d–%(high)d years") % {"low": low, "high": high}
    return f"{label} {ages}" if label else ages


# --- the computation --------------------------------------------------------------------


class _Price(NamedTuple):
    amount_minor: int
    detail: str  # the band and age, for age-based prices


class _NoPrice(NamedTuple):
    reason: SkipReason
    text: str


_BillKey = tuple[int, int | None]


class _Computation:
    """One run of `compute()`: the loaded rows and the lines found so far."""

    def __init__(
        self,
        *,
        period: Period,
        fee_settings: FeeSettings,
        currency: str,
        categories: list[_Category],
        group_names: dict[int, str],
        guardians: dict[int, int],
        participation: dict[int, set[int]],
    ) -> None:
        self.period = period
        self.settings = fee_settings
        self.currency = currency
        self.language = _language()
        self.texts = _texts()
        self.categories = categories
        self.group_names = group_names
        self.guardians = guardians
        self.participation = participation
        self.bills: dict[_BillKey, list[FeeLine]] = defaultdict(list)
        self.skipped: list[Skipped] = []
        # Categories charged per household: (category, household or -person) → members.
        self.shared: dict[tuple[int, int], list[tuple[_Person, dt.date, dt.date]]] = defaultdict(
            list
        )
        # For membership and other fees: the categories naming each type, and the
        # categories naming none, per kind.
        self.by_type: dict[tuple[str, int], list[_Category]] = defaultdict(list)
        self.untyped: dict[str, list[_Category]] = defaultdict(list)
        self.training: list[_Category] = []
        for category in categories:
            if category.kind == FeeKind.TRAINING:
                self.training.append(category)
            elif category.type_ids:
                for type_id in category.type_ids:
                    self.by_type[(category.kind, type_id)].append(category)
            else:
                self.untyped[category.kind].append(category)

    # payers

    def payer(self, person: _Person) -> _BillKey:
        if person.household_payer_id is not None:
            return person.household_payer_id, person.household_id
        guardian = self.guardians.get(person.id)
        if guardian is not None and self._is_minor(person):
            return guardian, None
        return person.id, None

    def _is_minor(self, person: _Person) -> bool:
        if person.kind == PersonKind.ORGANISATION:
            return False
        if person.birth_date is None:
            return True  # a guardian is registered; trust it over a missing date
        return age_on(person.birth_date, self.period.starts_on) < ADULT_AGE

    # periods

    def membership_period(self, person: _Person) -> tuple[dt.date, dt.date, str] | _NoPrice:
        period = self.period
        if period.kind != PeriodKind.ROLLING:
            if person.joined_on is not None and person.joined_on > period.ends_on:
                return self._not_yet(person.joined_on)
            return period.starts_on, period.ends_on, period.label
        if person.joined_on is None:
            return _NoPrice(
                SkipReason.NO_JOIN_DATE,
                self.texts.no_join_date,
            )
        if person.joined_on.year > period.fee_year:
            return self._not_yet(person.joined_on)
        starts_on = anniversary(person.joined_on, period.fee_year)
        ends_on = anniversary(person.joined_on, period.fee_year + 1) - dt.timedelta(days=1)
        label = f"{_format_day(starts_on, self.language)}–{_format_day(ends_on, self.language)}"
        return starts_on, ends_on, label

    def _not_yet(self, joined_on: dt.date) -> _NoPrice:
        return _NoPrice(
            SkipReason.NOT_YET_MEMBER,
            self.texts.not_yet_member % {"date": _format_day(joined_on, self.language)},
        )

    # prices

    def price(self, category: _Category, person: _Person, starts_on: dt.date) -> _Price | _NoPrice:
        if category.pricing != Pricing.AGE:
            return _Price(category.amount_minor, "")
        if person.birth_date is None:
            return _NoPrice(
                SkipReason.NO_BIRTH_DATE,
                self.texts.no_birth_date % {"fee": category.name},
            )
        settings = self.settings
        rule = category.age_reference or settings.age_reference
        if category.age_reference:
            month = category.age_reference_month or 12
            day = category.age_reference_day or 31
        else:
            month, day = settings.age_reference_month, settings.age_reference_day
        on = reference_date(rule, month, day, fee_year=self.period.fee_year, starts_on=starts_on)
        age = age_on(person.birth_date, on)
        for band in category.bands:
            if band.min_age <= age and (band.max_age is None or age <= band.max_age):
                detail = self.texts.age_detail % {
                    "band": band.text,
                    "date": _format_day(on, self.language),
                    "age": age,
                }
                return _Price(band.amount_minor, detail)
        return _NoPrice(
            SkipReason.NO_CATEGORY,
            self.texts.no_band
            % {"fee": category.name, "age": age, "date": _format_day(on, self.language)},
        )

    # lines

    def add_line(
        self,
        key: _BillKey,
        category: _Category,
        *,
        person_id: int | None,
        household_id: int | None,
        description: str,
        reason: str,
        amount_minor: int,
        starts_on: dt.date,
        ends_on: dt.date,
        kind: LineKind = LineKind.FEE,
    ) -> None:
        self.bills[key].append(
            FeeLine(
                kind=kind,
                category_id=category.id,
                person_id=person_id,
                household_id=household_id,
                description=description,
                reason=reason,
                amount_minor=amount_minor,
                account_id=category.account_id,
                cost_centre_id=category.cost_centre_id,
                project_id=category.project_id,
                vat_rate=category.vat_rate,
                starts_on=starts_on,
                ends_on=ends_on,
            )
        )

    def bill_person(self, person: _Person) -> None:
        key = self.payer(person)
        membership = self.membership_period(person)
        if isinstance(membership, _NoPrice):
            self.skip(person, membership.reason, membership.text)
        elif person.type_id is None:
            self.skip(person, SkipReason.NO_MEMBERSHIP_TYPE, self.texts.no_membership_type)
        elif person.type_kind == MembershipKind.HONORARY:
            self.skip(person, SkipReason.HONORARY, self.texts.honorary % {"type": person.type_name})
        else:
            self.bill_membership(person, person.type_id, key, *membership)
        self.bill_training(person, key)

    def skip(self, person: _Person, reason: SkipReason, text: str) -> None:
        self.skipped.append(Skipped(person.id, reason, text))

    def bill_membership(
        self,
        person: _Person,
        type_id: int,
        key: _BillKey,
        starts_on: dt.date,
        ends_on: dt.date,
        label: str,
    ) -> None:
        covered = False
        # Why no membership fee applied, when none did (the skip list says so).
        why_not: list[_NoPrice] = []
        for kind in (FeeKind.MEMBERSHIP, FeeKind.OTHER):
            chosen = self.by_type.get((kind, type_id)) or self.untyped.get(kind, [])
            for category in chosen:
                if category.charged_per == ChargedPer.HOUSEHOLD:
                    price: _Price | _NoPrice = _Price(category.amount_minor, "")
                else:
                    price = self.price(category, person, starts_on)
                if isinstance(price, _NoPrice) or price.amount_minor == 0:
                    if kind == FeeKind.MEMBERSHIP:
                        why_not.append(
                            price if isinstance(price, _NoPrice) else self._free(category, price)
                        )
                    continue
                covered = covered or kind == FeeKind.MEMBERSHIP
                if category.charged_per == ChargedPer.HOUSEHOLD:
                    group_key = person.household_id or -person.id
                    self.shared[(category.id, group_key)].append((person, starts_on, ends_on))
                    continue
                head = f"{category.name} {label}"
                parts = [head]
                if category.type_ids or category.pricing == Pricing.FIXED:
                    parts.append(self.texts.membership_type % {"type": person.type_name})
                if price.detail:
                    parts.append(price.detail)
                self.add_line(
                    key,
                    category,
                    person_id=person.id,
                    household_id=person.household_id,
                    description=f"{head}, {person.name}",
                    reason=", ".join(parts),
                    amount_minor=price.amount_minor,
                    starts_on=starts_on,
                    ends_on=ends_on,
                )
        if not covered:
            self._skip_uncovered(person, why_not)

    def _free(self, category: _Category, price: _Price) -> _NoPrice:
        text = self.texts.free % {"fee": category.name}
        if price.detail:
            text = f"{text} ({price.detail})"
        return _NoPrice(SkipReason.FREE, text)

    def _skip_uncovered(self, person: _Person, why_not: list[_NoPrice]) -> None:
        for reason in (SkipReason.NO_BIRTH_DATE, SkipReason.FREE, SkipReason.NO_CATEGORY):
            found = next((item for item in why_not if item.reason == reason), None)
            if found is not None:
                self.skip(person, found.reason, found.text)
                return
        self.skip(
            person,
            SkipReason.NO_CATEGORY,
            self.texts.no_category % {"type": person.type_name},
        )

    def bill_training(self, person: _Person, key: _BillKey) -> None:
        in_groups = self.participation.get(person.id)
        if not in_groups:
            return
        period = self.period
        for category in self.training:
            groups = category.group_ids & in_groups
            if not groups:
                continue
            if category.type_ids and person.type_id not in category.type_ids:
                continue
            if category.charged_per == ChargedPer.HOUSEHOLD:
                if category.amount_minor:
                    group_key = person.household_id or -person.id
                    self.shared[(category.id, group_key)].append(
                        (person, period.starts_on, period.ends_on)
                    )
                continue
            price = self.price(category, person, period.starts_on)
            if isinstance(price, _NoPrice) or price.amount_minor == 0:
                continue
            head = f"{category.name} {period.label}"
            names = ", ".join(sorted(self.group_names[group_id] for group_id in groups))
            parts = [head, self.texts.participant_in % {"groups": names}]
            if price.detail:
                parts.append(price.detail)
            self.add_line(
                key,
                category,
                person_id=person.id,
                household_id=person.household_id,
                description=f"{head}, {person.name}",
                reason=", ".join(parts),
                amount_minor=price.amount_minor,
                starts_on=period.starts_on,
                ends_on=period.ends_on,
            )

    def bill_households(self) -> None:
        """One line per household for the categories charged per household."""
        by_id = {category.id: category for category in self.categories}
        for (category_id, _group_key), members in sorted(self.shared.items()):
            category = by_id[category_id]
            members.sort(key=lambda item: (item[1], item[0].id))
            first, starts_on, ends_on = members[0]
            key = self.payer(first)
            names = ", ".join(person.name for person, _start, _end in members)
            label = self.period.label
            if self.period.kind == PeriodKind.ROLLING and category.kind != FeeKind.TRAINING:
                label = (
                    f"{_format_day(starts_on, self.language)}–{_format_day(ends_on, self.language)}"
                )
            head = f"{category.name} {label}"
            if first.household_id is None:
                description = f"{head}, {first.name}"
                type_text = self.texts.membership_type % {"type": first.type_name}
                reason = f"{head}, {type_text}"
            else:
                description = f"{head}, {first.household_name}"
                reason = ", ".join(
                    [
                        head,
                        self.texts.household_fee
                        % {"household": first.household_name, "names": names},
                    ]
                )
            self.add_line(
                key,
                category,
                person_id=first.id if first.household_id is None else None,
                household_id=first.household_id,
                description=description,
                reason=reason,
                amount_minor=category.amount_minor,
                starts_on=starts_on,
                ends_on=ends_on,
            )

    def apply_family_cap(self, household_names: dict[int, str]) -> None:
        cap = self.settings.family_cap_minor
        if cap is None:
            return
        membership = {c.id for c in self.categories if c.kind == FeeKind.MEMBERSHIP}
        # household → (bill, category) → amount, in a fixed order
        fees: dict[int, dict[tuple[_BillKey, int], int]] = defaultdict(lambda: defaultdict(int))
        for key in sorted(self.bills, key=_bill_order):
            for line in self.bills[key]:
                if line.household_id is not None and line.category_id in membership:
                    fees[line.household_id][(key, line.category_id)] += line.amount_minor
        by_id = {category.id: category for category in self.categories}
        period = self.period
        for household_id in sorted(fees):
            groups = fees[household_id]
            total = sum(groups.values())
            if total <= cap:
                continue
            name = household_names[household_id]
            head = _("Family cap %(period)s") % {"period": period.label}
            reason = _(
                "%(head)s: a household pays at most %(cap)s in membership fees per period; "
                "the fees of %(household)s come to %(total)s"
            ) % {
                "head": head,
                "cap": _format_money(cap, self.currency, self.language),
                "household": name,
                "total": _format_money(total, self.currency, self.language),
            }
            keys = list(groups)
            parts = allocate(total - cap, [groups[k] for k in keys])
            for (key, category_id), part in zip(keys, parts, strict=True):
                if part:
                    self.add_line(
                        key,
                        by_id[category_id],
                        person_id=None,
                        household_id=household_id,
                        description=f"{head}, {name}",
                        reason=reason,
                        amount_minor=-part,
                        starts_on=period.starts_on,
                        ends_on=period.ends_on,
                        kind=LineKind.FAMILY_CAP,
                    )

    def result(self, organisation: Organisation) -> FeeResult:
        order = {category.id: i for i, category in enumerate(self.categories)}

        def line_order(line: FeeLine) -> tuple[int, int, int, int]:
            return (
                line.kind != LineKind.FEE,
                line.person_id is not None,
                line.person_id or 0,
                order[line.category_id],
            )

        bills = [
            Bill(key[0], key[1], sorted(self.bills[key], key=line_order))
            for key in sorted(self.bills, key=_bill_order)
        ]
        amounts: dict[int, int] = defaultdict(int)
        counts: dict[int, int] = defaultdict(int)
        for bill in bills:
            for line in bill.lines:
                amounts[line.category_id] += line.amount_minor
                counts[line.category_id] += line.kind == LineKind.FEE
        totals = [
            CategoryTotal(c.id, c.name, c.kind, counts[c.id], amounts[c.id])
            for c in self.categories
            if counts[c.id]
        ]
        return FeeResult(
            organisation_id=organisation.pk,
            currency=self.currency,
            period=self.period,
            bills=bills,
            skipped=sorted(self.skipped, key=lambda item: item.person_id),
            totals=totals,
        )


def _bill_order(key: _BillKey) -> tuple[int, bool, int]:
    return key[0], key[1] is not None, key[1] or 0


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
    categories, group_names = _load_categories(organisation)
    rows = [
        _Person(*row)
        for row in _billed(organisation, people).order_by("pk").values_list(*_PERSON_COLUMNS)
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
    run = _Computation(
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
    run.bill_households()
    run.apply_family_cap(
        {row.household_id: row.household_name or "" for row in rows if row.household_id}
    )
    return run.result(organisation)
