"""What the fee engine returns: bills per payer with their lines, the members who owe
nothing and why, and totals per fee category (see fees.engine)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from forening.fees.periods import Period


class LineKind(StrEnum):
    FEE = "fee"
    FAMILY_CAP = "family_cap"


class SkipReason(StrEnum):
    HONORARY = "honorary"
    NO_MEMBERSHIP_TYPE = "no_membership_type"
    NO_CATEGORY = "no_category"
    NO_BIRTH_DATE = "no_birth_date"
    FREE = "free"
    NO_JOIN_DATE = "no_join_date"
    NOT_YET_MEMBER = "not_yet_member"


@dataclass(frozen=True)
class FeeLine:
    """One amount a payer owes. `person_id` is whom it is for (None for a fee charged per
    household and for a family-cap line); `household_id` is that person's household, or
    the household charged. `amount_minor` includes VAT at `vat_rate` per cent."""

    kind: LineKind
    category_id: int
    person_id: int | None
    household_id: int | None
    description: str
    reason: str
    amount_minor: int
    account_id: int
    cost_centre_id: int | None
    project_id: int | None
    vat_rate: int
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class Bill:
    """What one payer owes: for a household (`household_id`, when the payer is its
    payer) or for themself and the minors they are guardian of (`household_id` None)."""

    payer_id: int
    household_id: int | None
    lines: list[FeeLine] = field(default_factory=list)

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


@dataclass(frozen=True)
class Skipped:
    """An active member who owes no membership fee this period, and why."""

    person_id: int
    reason: SkipReason
    text: str


@dataclass(frozen=True)
class CategoryTotal:
    category_id: int
    name: str
    kind: str
    lines: int
    amount_minor: int


@dataclass
class FeeResult:
    organisation_id: int
    currency: str
    period: Period
    bills: list[Bill]
    skipped: list[Skipped]
    totals: list[CategoryTotal]

    @property
    def total_minor(self) -> int:
        return sum(bill.total_minor for bill in self.bills)

    def lines(self) -> list[FeeLine]:
        return [line for bill in self.bills for line in bill.lines]

    def bills_of(self, payer_id: int) -> list[Bill]:
        return [bill for bill in self.bills if bill.payer_id == payer_id]
