"""One run of the fee engine, person by person: who pays for them, their membership period,
the price of each category for them (fixed or by age band) and the lines and skips that
follow. The household pass is in `households`; `run.compute` drives both."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from forening.core.models import Organisation, PersonKind
from forening.fees.engine.loading import Category, PersonRow
from forening.fees.engine.texts import active_language, format_day, translated_texts
from forening.fees.models import ChargedPer, FeeKind, FeeSettings, PeriodKind, Pricing
from forening.fees.periods import Period, age_on, anniversary, reference_date
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

# Guardians pay for members younger than this on the first day of the period.
ADULT_AGE = 18


class Price(NamedTuple):
    amount_minor: int
    detail: str  # the band and age, for age-based prices


class NoPrice(NamedTuple):
    reason: SkipReason
    text: str


BillKey = tuple[int, int | None]


class Computation:
    """One run of `compute()`: the loaded rows and the lines found so far."""

    def __init__(
        self,
        *,
        period: Period,
        fee_settings: FeeSettings,
        currency: str,
        categories: list[Category],
        group_names: dict[int, str],
        guardians: dict[int, int],
        participation: dict[int, set[int]],
    ) -> None:
        self.period = period
        self.settings = fee_settings
        self.currency = currency
        self.language = active_language()
        self.texts = translated_texts()
        self.categories = categories
        self.group_names = group_names
        self.guardians = guardians
        self.participation = participation
        self.bills: dict[BillKey, list[FeeLine]] = defaultdict(list)
        self.skipped: list[Skipped] = []
        # Categories charged per household: (category, household or -person) → members.
        self.shared: dict[tuple[int, int], list[tuple[PersonRow, dt.date, dt.date]]] = defaultdict(
            list
        )
        # For membership and other fees: the categories naming each type, and the
        # categories naming none, per kind.
        self.by_type: dict[tuple[str, int], list[Category]] = defaultdict(list)
        self.untyped: dict[str, list[Category]] = defaultdict(list)
        self.training: list[Category] = []
        for category in categories:
            if category.kind == FeeKind.TRAINING:
                self.training.append(category)
            elif category.type_ids:
                for type_id in category.type_ids:
                    self.by_type[(category.kind, type_id)].append(category)
            else:
                self.untyped[category.kind].append(category)

    # payers

    def payer(self, person: PersonRow) -> BillKey:
        if person.household_payer_id is not None:
            return person.household_payer_id, person.household_id
        guardian = self.guardians.get(person.id)
        if guardian is not None and self._is_minor(person):
            return guardian, None
        return person.id, None

    def _is_minor(self, person: PersonRow) -> bool:
        if person.kind == PersonKind.ORGANISATION:
            return False
        if person.birth_date is None:
            return True  # a guardian is registered; trust it over a missing date
        return age_on(person.birth_date, self.period.starts_on) < ADULT_AGE

    # periods

    def membership_period(self, person: PersonRow) -> tuple[dt.date, dt.date, str] | NoPrice:
        period = self.period
        if period.kind != PeriodKind.ROLLING:
            if person.joined_on is not None and person.joined_on > period.ends_on:
                return self._not_yet(person.joined_on)
            return period.starts_on, period.ends_on, period.label
        if person.joined_on is None:
            return NoPrice(
                SkipReason.NO_JOIN_DATE,
                self.texts.no_join_date,
            )
        if person.joined_on.year > period.fee_year:
            return self._not_yet(person.joined_on)
        starts_on = anniversary(person.joined_on, period.fee_year)
        ends_on = anniversary(person.joined_on, period.fee_year + 1) - dt.timedelta(days=1)
        label = f"{format_day(starts_on, self.language)}–{format_day(ends_on, self.language)}"
        return starts_on, ends_on, label

    def _not_yet(self, joined_on: dt.date) -> NoPrice:
        return NoPrice(
            SkipReason.NOT_YET_MEMBER,
            self.texts.not_yet_member % {"date": format_day(joined_on, self.language)},
        )

    # prices

    def price(self, category: Category, person: PersonRow, starts_on: dt.date) -> Price | NoPrice:
        if category.pricing != Pricing.AGE:
            return Price(category.amount_minor, "")
        if person.birth_date is None:
            return NoPrice(
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
                    "date": format_day(on, self.language),
                    "age": age,
                }
                return Price(band.amount_minor, detail)
        return NoPrice(
            SkipReason.NO_CATEGORY,
            self.texts.no_band
            % {"fee": category.name, "age": age, "date": format_day(on, self.language)},
        )

    # lines

    def add_line(
        self,
        key: BillKey,
        category: Category,
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

    def bill_person(self, person: PersonRow) -> None:
        key = self.payer(person)
        membership = self.membership_period(person)
        if isinstance(membership, NoPrice):
            self.skip(person, membership.reason, membership.text)
        elif person.type_id is None:
            self.skip(person, SkipReason.NO_MEMBERSHIP_TYPE, self.texts.no_membership_type)
        elif person.type_kind == MembershipKind.HONORARY:
            self.skip(person, SkipReason.HONORARY, self.texts.honorary % {"type": person.type_name})
        else:
            self.bill_membership(person, person.type_id, key, *membership)
        self.bill_training(person, key)

    def skip(self, person: PersonRow, reason: SkipReason, text: str) -> None:
        self.skipped.append(Skipped(person.id, reason, text))

    def bill_membership(
        self,
        person: PersonRow,
        type_id: int,
        key: BillKey,
        starts_on: dt.date,
        ends_on: dt.date,
        label: str,
    ) -> None:
        covered = False
        # Why no membership fee applied, when none did (the skip list says so).
        why_not: list[NoPrice] = []
        for kind in (FeeKind.MEMBERSHIP, FeeKind.OTHER):
            chosen = self.by_type.get((kind, type_id)) or self.untyped.get(kind, [])
            for category in chosen:
                if category.charged_per == ChargedPer.HOUSEHOLD:
                    price: Price | NoPrice = Price(category.amount_minor, "")
                else:
                    price = self.price(category, person, starts_on)
                if isinstance(price, NoPrice) or price.amount_minor == 0:
                    if kind == FeeKind.MEMBERSHIP:
                        why_not.append(
                            price if isinstance(price, NoPrice) else self._free(category, price)
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

    def _free(self, category: Category, price: Price) -> NoPrice:
        text = self.texts.free % {"fee": category.name}
        if price.detail:
            text = f"{text} ({price.detail})"
        return NoPrice(SkipReason.FREE, text)

    def _skip_uncovered(self, person: PersonRow, why_not: list[NoPrice]) -> None:
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

    def bill_training(self, person: PersonRow, key: BillKey) -> None:
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
            if isinstance(price, NoPrice) or price.amount_minor == 0:
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
            for key in sorted(self.bills, key=bill_order)
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


def bill_order(key: BillKey) -> tuple[int, bool, int]:
    return key[0], key[1] is not None, key[1] or 0
