"""Payments per channel and month (ACC-03), a section of the financial reports page and its
workbook (`billing.report_book`): every payment dated in the period that has not been
reversed, placed or not. One aggregate query whatever the number of payments."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from forening.billing.report_book import Book, Period, ReportSection, register
from forening.core.models import Organisation
from forening.payments.models import Channel, Payment, PaymentStatus

# A longer period lists only the months that had payments, not every month of it.
MAX_MONTHS = 120


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


def _context(organisation: Organisation, period: Period) -> dict[str, Any]:
    return {"payments": payments_by_channel_month(organisation, period.starts_on, period.ends_on)}


def _write(book: Book, organisation: Organisation, period: Period) -> None:
    payments = payments_by_channel_month(organisation, period.starts_on, period.ends_on)
    sheet = book.sheet(_("Payments"))
    sheet.title(_("Payments by channel and month"), *sheet.period(period))
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


register(
    ReportSection(
        name="payments",
        template="payments/_report_payments.html",
        context=_context,
        write=_write,
        order=40,
    )
)
