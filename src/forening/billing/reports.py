"""The financial reports of invoicing (ACC-03): income per fee category and per cost centre
and the ageing of receivables. `billing.report_book` puts them, and the sections other apps
add (payments per channel and month), on one page and in one .xlsx workbook.

Each report is one aggregate query whatever the number of invoices, lines or payments
(conditional sums, CASE WHEN on SQLite and FILTER on PostgreSQL), so the office page and the
export take the same few queries for a club with ten members and a federation with 100,000
open invoices. Amounts in the returned dataclasses are integers in minor units; only the
workbook turns them into numbers in major units.

Where the figures come from:
- income per fee category: the lines of invoices and credit notes issued in the period
  (credit notes' lines are negative), net of VAT; lines that use up a payer's credit balance
  settle money paid earlier and are not income, so they are left out;
- income per cost centre: the journal, lines on income accounts booked in the period, so
  manual vouchers and corrections count too;
- ageing: open invoices by days past their due date on `as_of`; the open amounts are those
  of today (payments after `as_of` are not undone), invoices issued after `as_of` are left out.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from forening.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from forening.billing.services import PERSONAL_ROLES, display_name
from forening.core.models import Organisation
from forening.ledger.models import AccountKind, VoucherLine

# The ageing buckets: (key, first and last day past due; None for no bound).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("current", None, 0),
    ("days_1_30", 1, 30),
    ("days_31_60", 31, 60),
    ("days_61_90", 61, 90),
    ("over_90", 91, None),
)
# The overdue payers the page lists, and the most the workbook lists.
PAYER_LIMIT = 20
EXPORT_PAYER_LIMIT = 1000


def bucket_labels() -> dict[str, str]:
    """The buckets' names in the active language."""
    return {
        "current": _("Not yet due"),
        "days_1_30": _("1–30 days overdue"),
        "days_31_60": _("31–60 days overdue"),
        "days_61_90": _("61–90 days overdue"),
        "over_90": _("More than 90 days overdue"),
    }


# --- income per fee category ------------------------------------------------------------


@dataclass(frozen=True)
class CategoryIncome:
    category_id: int | None  # None: lines without a fee category ("Other")
    name: str
    line_count: int
    net_minor: int  # excl. VAT
    vat_minor: int


@dataclass(frozen=True)
class IncomeByCategory:
    starts_on: dt.date
    ends_on: dt.date
    rows: list[CategoryIncome]
    line_count: int
    net_minor: int
    vat_minor: int


def income_by_category(
    organisation: Organisation, starts_on: dt.date, ends_on: dt.date
) -> IncomeByCategory:
    """What was invoiced per fee category, net of VAT, on invoices and credit notes issued
    from `starts_on` to `ends_on` (both included). Lines without a category are "Other"
    (last); lines on the member-ledger accounts (a credit balance used) are left out.
    One query."""
    found = (
        InvoiceLine.objects.filter(
            organisation=organisation,
            invoice__issued_on__gte=starts_on,
            invoice__issued_on__lte=ends_on,
        )
        .exclude(account__role__in=PERSONAL_ROLES)
        .values("category_id", "category__name")
        .annotate(
            lines=Count("pk"),
            gross=Sum("amount_minor", default=0),
            vat=Sum("vat_minor", default=0),
        )
        .order_by("category__name", "category_id")
    )
    rows = [
        CategoryIncome(
            category_id=row["category_id"],
            name=row["category__name"] if row["category_id"] is not None else _("Other"),
            line_count=row["lines"],
            net_minor=int(row["gross"]) - int(row["vat"]),
            vat_minor=int(row["vat"]),
        )
        for row in found
    ]
    rows.sort(key=lambda row: row.category_id is None)  # stable: "Other" last
    return IncomeByCategory(
        starts_on=starts_on,
        ends_on=ends_on,
        rows=rows,
        line_count=sum(row.line_count for row in rows),
        net_minor=sum(row.net_minor for row in rows),
        vat_minor=sum(row.vat_minor for row in rows),
    )


# --- income per cost centre -------------------------------------------------------------


@dataclass(frozen=True)
class AccountIncome:
    account_id: int
    number: str
    name: str
    amount_minor: int  # income positive


@dataclass(frozen=True)
class CostCentreIncome:
    cost_centre_id: int | None  # None: lines without a cost centre
    code: str
    name: str
    accounts: list[AccountIncome]
    total_minor: int

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()


@dataclass(frozen=True)
class IncomeByCostCentre:
    starts_on: dt.date
    ends_on: dt.date
    rows: list[CostCentreIncome]
    total_minor: int


def income_by_cost_centre(
    organisation: Organisation, starts_on: dt.date, ends_on: dt.date
) -> IncomeByCostCentre:
    """Income from the journal per cost centre and income account: the lines on income
    accounts of vouchers booked from `starts_on` to `ends_on`, credits shown as positive
    income. Lines without a cost centre come last, as "No cost centre". One query."""
    found = (
        VoucherLine.objects.filter(
            organisation=organisation,
            account__kind=AccountKind.INCOME,
            voucher__booked_on__gte=starts_on,
            voucher__booked_on__lte=ends_on,
        )
        .values(
            "cost_centre_id",
            "cost_centre__code",
            "cost_centre__name",
            "account_id",
            "account__number",
            "account__name",
        )
        .annotate(amount=Sum("amount", default=0))
        .order_by("cost_centre__code", "cost_centre_id", "account__number")
    )
    grouped: dict[int | None, list[AccountIncome]] = defaultdict(list)
    names: dict[int | None, tuple[str, str]] = {None: ("", _("No cost centre"))}
    for row in found:
        if not row["amount"]:
            continue
        key = row["cost_centre_id"]
        if key is not None:
            names[key] = (row["cost_centre__code"], row["cost_centre__name"])
        grouped[key].append(
            AccountIncome(
                account_id=row["account_id"],
                number=row["account__number"],
                name=row["account__name"],
                amount_minor=-int(row["amount"]),
            )
        )
    order = sorted(grouped, key=lambda key: (key is None, names[key][0], key or 0))
    rows = [
        CostCentreIncome(
            cost_centre_id=key,
            code=names[key][0],
            name=names[key][1],
            accounts=grouped[key],
            total_minor=sum(account.amount_minor for account in grouped[key]),
        )
        for key in order
    ]
    return IncomeByCostCentre(
        starts_on=starts_on,
        ends_on=ends_on,
        rows=rows,
        total_minor=sum(row.total_minor for row in rows),
    )


# --- ageing of receivables --------------------------------------------------------------


def _open_invoices(organisation: Organisation, as_of: dt.date) -> Any:
    return Invoice.objects.filter(
        organisation=organisation,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.OPEN,
        open_minor__gt=0,
        issued_on__lte=as_of,
    )


def _bucket_filters(as_of: dt.date) -> dict[str, Q]:
    """Each bucket as a condition on the due date (so the index on due_on serves it)."""
    filters = {}
    for key, first, last in BUCKETS:
        condition = Q()
        if first is not None:  # due at least `first` days before `as_of`
            condition &= Q(due_on__lte=as_of - dt.timedelta(days=first))
        if last is not None:
            condition &= Q(due_on__gte=as_of - dt.timedelta(days=last))
        filters[key] = condition
    return filters


@dataclass(frozen=True)
class AgeingBucket:
    key: str
    label: str
    count: int
    amount_minor: int


@dataclass(frozen=True)
class Ageing:
    as_of: dt.date
    buckets: list[AgeingBucket]
    count: int
    amount_minor: int
    overdue_count: int
    overdue_minor: int


def ageing(organisation: Organisation, as_of: dt.date) -> Ageing:
    """Open invoices on `as_of` (status open, something left to pay) by days past their due
    date: not yet due, 1–30, 31–60, 61–90 and more than 90 days. Count and amount left to
    pay per bucket. One aggregate query."""
    aggregates: dict[str, Any] = {}
    for key, condition in _bucket_filters(as_of).items():
        aggregates[f"{key}_count"] = Count("pk", filter=condition)
        aggregates[f"{key}_amount"] = Sum("open_minor", filter=condition, default=0)
    found = _open_invoices(organisation, as_of).aggregate(**aggregates)
    labels = bucket_labels()
    buckets = [
        AgeingBucket(
            key=key,
            label=labels[key],
            count=int(found[f"{key}_count"]),
            amount_minor=int(found[f"{key}_amount"]),
        )
        for key, _first, _last in BUCKETS
    ]
    overdue = [bucket for bucket in buckets if bucket.key != "current"]
    return Ageing(
        as_of=as_of,
        buckets=buckets,
        count=sum(bucket.count for bucket in buckets),
        amount_minor=sum(bucket.amount_minor for bucket in buckets),
        overdue_count=sum(bucket.count for bucket in overdue),
        overdue_minor=sum(bucket.amount_minor for bucket in overdue),
    )


@dataclass(frozen=True)
class PayerAgeing:
    person_id: int
    name: str
    count: int  # open invoices
    amounts: tuple[int, ...]  # per bucket, in the order of BUCKETS
    overdue_minor: int
    total_minor: int


def ageing_by_payer(
    organisation: Organisation, as_of: dt.date, *, limit: int | None = PAYER_LIMIT
) -> list[PayerAgeing]:
    """The payers who owe the most past due on `as_of`, largest first (at most `limit`;
    None for all), with what they owe per bucket. One grouped query."""
    filters = _bucket_filters(as_of)
    overdue = Q(due_on__lt=as_of)
    found = (
        _open_invoices(organisation, as_of)
        .values(
            "payer_id",
            "payer__kind",
            "payer__first_name",
            "payer__last_name",
            "payer__organisation_name",
        )
        .annotate(
            invoices=Count("pk"),
            recipient=Max("recipient_name"),
            total=Sum("open_minor", default=0),
            overdue=Sum("open_minor", filter=overdue, default=0),
            **{
                f"amount_{key}": Sum("open_minor", filter=condition, default=0)
                for key, condition in filters.items()
            },
        )
        .filter(overdue__gt=0)
        .order_by("-overdue", "payer_id")
    )
    if limit is not None:
        found = found[:limit]
    return [
        PayerAgeing(
            person_id=row["payer_id"],
            name=display_name(
                row["payer__kind"],
                row["payer__first_name"],
                row["payer__last_name"],
                row["payer__organisation_name"],
            )
            or row["recipient"],
            count=row["invoices"],
            amounts=tuple(int(row[f"amount_{key}"]) for key, _first, _last in BUCKETS),
            overdue_minor=int(row["overdue"]),
            total_minor=int(row["total"]),
        )
        for row in found
    ]
