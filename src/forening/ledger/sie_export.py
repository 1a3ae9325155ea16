"""SIE 4E export of one fiscal year (ACC-02): the database side of `ledger.sie`.

Balances are computed in one grouped query; vouchers and their lines are read in one
streamed query (`values_list`, no model instances) and handed to the streaming writer, so
memory stays flat for a year of 200,000 vouchers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import BinaryIO, cast

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from forening import __version__ as forening_version
from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.ledger import sie
from forening.ledger.models import (
    BALANCE_KINDS,
    Account,
    CostCentre,
    FiscalYear,
    Project,
    Voucher,
    VoucherLine,
)
from forening.ledger.services import LedgerError

CHUNK = 5000
COST_CENTRE_DIMENSION = 1
PROJECT_DIMENSION = 6


def file_name(organisation: Organisation, year: FiscalYear) -> str:
    return f"{organisation.slug}-{year.starts_on:%Y%m%d}-{year.ends_on:%Y%m%d}.se"


def _previous(year: FiscalYear) -> FiscalYear | None:
    return FiscalYear.objects.filter(
        organisation=year.organisation_id, ends_on=year.starts_on - dt.timedelta(days=1)
    ).first()


def _balances(
    organisation: Organisation, year: FiscalYear, previous: FiscalYear | None
) -> tuple[list[sie.Balance], list[sie.Balance], list[sie.Balance]]:
    """Opening (#IB) and closing (#UB) balances of balance accounts, and results (#RES) of
    income and expense accounts, for year 0 and (when it exists) year -1. The result of the
    years before is carried into the opening balance of the `retained_result` account."""
    start = previous.starts_on if previous else year.starts_on
    rows = (
        VoucherLine.objects.filter(organisation=organisation, voucher__booked_on__lte=year.ends_on)
        .values("account__number", "account__kind")
        .annotate(
            before=Sum("amount", filter=Q(voucher__booked_on__lt=start), default=0),
            previous=Sum(
                "amount",
                filter=Q(voucher__booked_on__gte=start, voucher__booked_on__lt=year.starts_on),
                default=0,
            ),
            current=Sum("amount", filter=Q(voucher__booked_on__gte=year.starts_on), default=0),
        )
        .order_by("account__number")
    )
    retained = (
        Account.objects.filter(organisation=organisation, role="retained_result")
        .values_list("number", flat=True)
        .first()
    )
    opening: dict[tuple[int, str], int] = defaultdict(int)
    closing: dict[tuple[int, str], int] = defaultdict(int)
    results: list[sie.Balance] = []
    result_before = {0: 0, -1: 0}  # the result of all years before year 0 / year -1
    for row in rows:
        number = row["account__number"]
        before, prior, current = row["before"], row["previous"], row["current"]
        if row["account__kind"] in BALANCE_KINDS:
            if previous is not None:
                opening[(-1, number)] += before
                closing[(-1, number)] += before + prior
            opening[(0, number)] += before + prior
            closing[(0, number)] += before + prior + current
        else:
            result_before[-1] += before
            result_before[0] += before + prior
            if current:
                results.append(sie.Balance(0, number, current))
            if previous is not None and prior:
                results.append(sie.Balance(-1, number, prior))
    if retained is not None:
        # A year's own result is not in its closing balances (it is #RES); it enters the
        # opening balance of the next year through the retained result.
        for index in (0, -1) if previous is not None else (0,):
            opening[(index, retained)] += result_before[index]
            closing[(index, retained)] += result_before[index]

    def listed(values: dict[tuple[int, str], int]) -> list[sie.Balance]:
        return [
            sie.Balance(index, number, amount)
            for (index, number), amount in sorted(
                values.items(), key=lambda kv: (-kv[0][0], kv[0][1])
            )
            if amount
        ]

    return listed(opening), listed(closing), results


def _vouchers(organisation: Organisation, year: FiscalYear) -> Iterator[sie.Voucher]:
    """The year's vouchers in series and number order, each with its lines: one query,
    streamed (a server-side cursor on PostgreSQL), grouped as the rows go by. One pass
    over the join keeps the time linear in the size of the year whatever the planner's
    statistics; chunks of `IN (…)` lists did not."""
    rows = (
        Voucher.objects.filter(organisation=organisation, fiscal_year=year)
        .order_by("series", "number", "lines__pk")
        .values_list(
            "pk",
            "series",
            "number",
            "booked_on",
            "text",
            "created_at",
            "lines__account__number",
            "lines__amount",
            "lines__cost_centre__code",
            "lines__project__code",
            "lines__text",
        )
    )
    tz = timezone.get_current_timezone()
    head: tuple[int, str, int, dt.date, str, dt.datetime] | None = None
    lines: list[sie.VoucherLine] = []
    for pk, series, number, booked_on, text, created_at, *line in rows.iterator(CHUNK):
        if head is None or head[0] != pk:
            if head is not None:
                yield _voucher(head, lines, tz)
            head, lines = (pk, series, number, booked_on, text, created_at), []
        account, amount, cost_centre, project, line_text = cast(
            "tuple[str | None, int, str | None, str | None, str]", tuple(line)
        )
        if account is None:
            continue
        objects: tuple[tuple[int, str], ...] = ()
        if cost_centre:
            objects += ((COST_CENTRE_DIMENSION, cost_centre),)
        if project:
            objects += ((PROJECT_DIMENSION, project),)
        lines.append(sie.VoucherLine(account, amount, objects, line_text or None))
    if head is not None:
        yield _voucher(head, lines, tz)


def _voucher(
    head: tuple[int, str, int, dt.date, str, dt.datetime],
    lines: list[sie.VoucherLine],
    tz: dt.tzinfo,
) -> sie.Voucher:
    _pk, series, number, booked_on, text, created_at = head
    return sie.Voucher(
        series=series,
        number=number,
        booked_on=booked_on,
        text=text,
        lines=tuple(lines),
        registered_on=created_at.astimezone(tz).date(),
    )


def export_year(
    organisation: Organisation, year: FiscalYear, out: BinaryIO, *, actor: Actor
) -> int:
    """Write the fiscal year as a SIE 4E file to `out`; return the number of vouchers.

    LedgerError when the year has no vouchers (nothing is written), or when its data cannot
    be written as SIE (a non-numeric account number): `out` is then incomplete, so write to
    a temporary file and discard it on error. For a consistent file under concurrent posting,
    call it in a transaction that sees one snapshot (REPEATABLE READ on PostgreSQL)."""
    if not Voucher.objects.filter(organisation=organisation, fiscal_year=year).exists():
        raise LedgerError(
            _("There are no vouchers in the fiscal year %(year)s to export.") % {"year": year}
        )
    previous = _previous(year)
    years = [sie.FiscalYear(0, year.starts_on, year.ends_on)]
    if previous is not None:
        years.append(sie.FiscalYear(-1, previous.starts_on, previous.ends_on))
    opening, closing, results = _balances(organisation, year, previous)
    accounts = [
        sie.Account(number, name, kind)
        for number, name, kind in Account.objects.filter(organisation=organisation)
        .order_by("number")
        .values_list("number", "name", "kind")
    ]
    objects = [
        sie.DimensionObject(COST_CENTRE_DIMENSION, code, name)
        for code, name in CostCentre.objects.filter(organisation=organisation)
        .order_by("code")
        .values_list("code", "name")
    ] + [
        sie.DimensionObject(PROJECT_DIMENSION, code, name)
        for code, name in Project.objects.filter(organisation=organisation)
        .order_by("code")
        .values_list("code", "name")
    ]
    number = organisation.organisation_number
    company = sie.Company(
        name=organisation.name,
        generated_on=timezone.localdate(),
        program="Forening",
        program_version=forening_version,
        organisation_number=number if organisation.country == "SE" and number else None,
        generated_by=str(actor)[:60],
        currency=organisation.currency,
    )
    try:
        written = sie.write_sie4e(
            out,
            company=company,
            years=years,
            accounts=accounts,
            dimensions=[
                sie.Dimension(COST_CENTRE_DIMENSION, _("Cost centre")),
                sie.Dimension(PROJECT_DIMENSION, _("Project")),
            ],
            objects=objects,
            opening_balances=opening,
            closing_balances=closing,
            results=results,
            vouchers=_vouchers(organisation, year),
        )
    except sie.SieError as error:
        # Data the format cannot hold, such as an account renumbered "19A0": say so rather
        # than fail with a traceback. `out` is then incomplete, as export_year's caller knows.
        raise LedgerError(
            _("The fiscal year %(year)s cannot be written as a SIE file: %(reason)s")
            % {"year": year, "reason": error}
        ) from error
    audit.record(actor, "ledger.sie.exported", year, organisation=organisation, vouchers=written)
    return written
