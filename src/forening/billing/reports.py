"""The financial reports (ACC-03): income per fee category and per cost centre, the ageing of
receivables, and payments per channel and month; and all of them as one .xlsx workbook.

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
  of today (payments after `as_of` are not undone), invoices issued after `as_of` are left out;
- payments: every payment dated in the period that has not been reversed, placed or not.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from forening.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from forening.billing.services import PERSONAL_ROLES, display_name
from forening.core import audit, money
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.ledger.models import AccountKind, VoucherLine
from forening.members.exporting import neutralise
from forening.payments.models import Channel, Payment, PaymentStatus

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
# A longer period lists only the months that had payments, not every month of it.
MAX_MONTHS = 120


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


# --- payments per channel and month -----------------------------------------------------


@dataclass(frozen=True)
class MonthPayments:
    month: dt.date  # the first day of the month
    amounts: tuple[int, ...]  # per channel, in the order of `PaymentsByChannel.channels`
    count: int
    total_minor: int


@dataclass(frozen=True)
class PaymentsByChannel:
    starts_on: dt.date
    ends_on: dt.date
    channels: list[tuple[str, str]]  # (value, label) of the channels that had payments
    months: list[MonthPayments]
    channel_totals: tuple[int, ...]
    count: int
    total_minor: int


def _months(starts_on: dt.date, ends_on: dt.date) -> list[dt.date]:
    months: list[dt.date] = []
    month = starts_on.replace(day=1)
    while month <= ends_on and len(months) <= MAX_MONTHS:
        months.append(month)
        days = calendar.monthrange(month.year, month.month)[1]
        month = month + dt.timedelta(days=days)
    return months


def payments_by_channel_month(
    organisation: Organisation, starts_on: dt.date, ends_on: dt.date
) -> PaymentsByChannel:
    """Payments dated from `starts_on` to `ends_on` that have not been reversed, summed
    per month and channel: every month of the period (only those with payments when it is
    longer than ten years) × the channels that had payments. One query."""
    found = (
        Payment.objects.filter(
            organisation=organisation, paid_on__gte=starts_on, paid_on__lte=ends_on
        )
        .exclude(status=PaymentStatus.REVERSED)
        .annotate(month=TruncMonth("paid_on"))
        .values("month", "channel")
        .annotate(payments=Count("pk"), total=Sum("amount_minor", default=0))
        .order_by("month", "channel")
    )
    cells: dict[tuple[dt.date, str], int] = {}
    counts: dict[dt.date, int] = defaultdict(int)
    for row in found:
        month = row["month"]
        if isinstance(month, dt.datetime):  # a backend that truncates to a datetime
            month = month.date()
        cells[(month, row["channel"])] = int(row["total"])
        counts[month] += row["payments"]
    used = {channel for _month, channel in cells}
    channels = [(value, str(label)) for value, label in Channel.choices if value in used]
    months = _months(starts_on, ends_on)
    if len(months) > MAX_MONTHS:
        months = sorted(counts)
    rows = []
    for month in months:
        amounts = tuple(cells.get((month, value), 0) for value, _label in channels)
        rows.append(
            MonthPayments(
                month=month, amounts=amounts, count=counts.get(month, 0), total_minor=sum(amounts)
            )
        )
    channel_totals = tuple(
        sum(cells.get((month, value), 0) for month in counts) for value, _label in channels
    )
    return PaymentsByChannel(
        starts_on=starts_on,
        ends_on=ends_on,
        channels=channels,
        months=rows,
        channel_totals=channel_totals,
        count=sum(counts.values()),
        total_minor=sum(channel_totals),
    )


# --- the workbook -----------------------------------------------------------------------

_FORBIDDEN_IN_TITLES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
_BOLD = Font(bold=True)


class _Sheet:
    """One write-only worksheet: text made safe, amounts as numbers with a format."""

    def __init__(self, book: Any, title: str, currency: str) -> None:
        # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
        self.sheet = book.create_sheet(title=title.translate(_FORBIDDEN_IN_TITLES)[:31])
        self.currency = currency
        places = money.exponent(currency)
        self.amount_format = "#,##0." + "0" * places if places else "#,##0"

    def cell(self, value: Any, *, bold: bool = False, number_format: str = "") -> Any:
        if isinstance(value, str):
            # A name typed by a user is text, never a formula (CWE-1236), and holds no
            # control characters (an .xlsx file cannot).
            value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        cell = WriteOnlyCell(self.sheet, value=value)
        if bold:
            cell.font = _BOLD
        if number_format:
            cell.number_format = number_format
        return cell

    def amount(self, amount_minor: int, *, bold: bool = False) -> Any:
        value: Decimal = money.to_decimal(amount_minor, self.currency)
        return self.cell(value, bold=bold, number_format=self.amount_format)

    def date(self, day: dt.date, number_format: str = "yyyy-mm-dd") -> Any:
        return self.cell(day, number_format=number_format)

    def row(self, *cells: Any) -> None:
        self.sheet.append(list(cells))

    def title(self, title: str, *facts: tuple[str, Any]) -> None:
        self.row(self.cell(title, bold=True))
        for label, value in facts:
            self.row(self.cell(label), value)
        self.row()

    def header(self, headings: Sequence[str]) -> None:
        self.row(*(self.cell(heading, bold=True) for heading in headings))


def workbook(
    organisation: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    as_of: dt.date,
    *,
    payer_limit: int | None = EXPORT_PAYER_LIMIT,
) -> bytes:
    """The reports as an .xlsx file, one sheet each, headings in the active language and
    amounts as numbers in major units (kronor). Five queries, whatever the data."""
    currency = organisation.currency
    categories = income_by_category(organisation, starts_on, ends_on)
    centres = income_by_cost_centre(organisation, starts_on, ends_on)
    aged = ageing(organisation, as_of)
    payers = ageing_by_payer(organisation, as_of, limit=payer_limit)
    payments = payments_by_channel_month(organisation, starts_on, ends_on)

    book = Workbook(write_only=True)

    def period(sheet: _Sheet) -> tuple[tuple[str, Any], ...]:
        return ((_("From"), sheet.date(starts_on)), (_("To"), sheet.date(ends_on)))

    sheet = _Sheet(book, _("Income by fee category"), currency)
    sheet.title(_("Income by fee category"), *period(sheet))
    sheet.header([_("Fee category"), _("Lines"), _("Excl. VAT"), _("VAT")])
    for row in categories.rows:
        sheet.row(
            sheet.cell(row.name),
            row.line_count,
            sheet.amount(row.net_minor),
            sheet.amount(row.vat_minor),
        )
    sheet.row(
        sheet.cell(_("Total"), bold=True),
        sheet.cell(categories.line_count, bold=True),
        sheet.amount(categories.net_minor, bold=True),
        sheet.amount(categories.vat_minor, bold=True),
    )

    sheet = _Sheet(book, _("Income by cost centre"), currency)
    sheet.title(_("Income by cost centre"), *period(sheet))
    sheet.header([_("Cost centre"), _("Account"), _("Account name"), _("Income")])
    for centre in centres.rows:
        for account in centre.accounts:
            sheet.row(
                sheet.cell(centre.label),
                sheet.cell(account.number),
                sheet.cell(account.name),
                sheet.amount(account.amount_minor),
            )
    sheet.row(
        sheet.cell(_("Total"), bold=True), None, None, sheet.amount(centres.total_minor, bold=True)
    )

    labels = bucket_labels()
    sheet = _Sheet(book, _("Receivables ageing"), currency)
    sheet.title(_("Receivables ageing"), (_("As of"), sheet.date(as_of)))
    sheet.header([_("Days past due"), _("Invoices"), _("Left to pay")])
    for bucket in aged.buckets:
        sheet.row(sheet.cell(bucket.label), bucket.count, sheet.amount(bucket.amount_minor))
    sheet.row(
        sheet.cell(_("Total"), bold=True),
        sheet.cell(aged.count, bold=True),
        sheet.amount(aged.amount_minor, bold=True),
    )

    sheet = _Sheet(book, _("Overdue payers"), currency)
    sheet.title(_("Overdue payers"), (_("As of"), sheet.date(as_of)))
    sheet.header(
        [
            _("Payer"),
            _("Invoices"),
            *(labels[key] for key, _first, _last in BUCKETS),
            _("Overdue"),
            _("Left to pay"),
        ]
    )
    for payer in payers:
        sheet.row(
            sheet.cell(payer.name),
            payer.count,
            *(sheet.amount(amount) for amount in payer.amounts),
            sheet.amount(payer.overdue_minor),
            sheet.amount(payer.total_minor),
        )

    sheet = _Sheet(book, _("Payments"), currency)
    sheet.title(_("Payments by channel and month"), *period(sheet))
    sheet.header([_("Month"), *(label for _value, label in payments.channels), _("Total")])
    for month in payments.months:
        sheet.row(
            sheet.date(month.month, "yyyy-mm"),
            *(sheet.amount(amount) for amount in month.amounts),
            sheet.amount(month.total_minor),
        )
    sheet.row(
        sheet.cell(_("Total"), bold=True),
        *(sheet.amount(amount, bold=True) for amount in payments.channel_totals),
        sheet.amount(payments.total_minor, bold=True),
    )

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_workbook(
    organisation: Organisation,
    starts_on: dt.date,
    ends_on: dt.date,
    as_of: dt.date,
    *,
    actor: Actor,
) -> bytes:
    """`workbook()` for a person who downloads it: the export is recorded in the audit log."""
    data = workbook(organisation, starts_on, ends_on, as_of)
    audit.record(
        actor,
        "billing.reports.exported",
        organisation,
        person=None,
        starts_on=starts_on,
        ends_on=ends_on,
        as_of=as_of,
    )
    return data
