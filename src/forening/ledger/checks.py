"""The books' invariants, checked on the stored data (`forening check-ledger`).

Each check returns a list of violations in words; an empty list means the invariant holds.
Other apps add their own checks (billing: open invoices equal the receivables balance)
with `register`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Count, F, Max, Min, Q, Sum

from forening.core.models import Organisation
from forening.ledger.models import FiscalYear, Voucher, VoucherLine

Check = Callable[[Organisation], list[str]]
CHECKS: list[tuple[str, Check]] = []


def register(name: str) -> Callable[[Check], Check]:
    def add(check: Check) -> Check:
        CHECKS.append((name, check))
        return check

    return add


@register("every voucher balances")
def vouchers_balance(organisation: Organisation) -> list[str]:
    unbalanced = (
        VoucherLine.objects.filter(organisation=organisation)
        .values("voucher__series", "voucher__number", "voucher__fiscal_year__starts_on")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("voucher__fiscal_year__starts_on", "voucher__series", "voucher__number")
    )
    problems = [
        f"voucher {row['voucher__series']}{row['voucher__number']} "
        f"({row['voucher__fiscal_year__starts_on']:%Y}) is off by {row['total']} minor units"
        for row in unbalanced
    ]
    empty = (
        Voucher.objects.filter(organisation=organisation, lines__isnull=True)
        .order_by("fiscal_year__starts_on", "series", "number")
        .values_list("series", "number", "fiscal_year__starts_on")
    )
    problems += [
        f"voucher {series}{number} ({starts_on:%Y}) has no lines"
        for series, number, starts_on in empty
    ]
    zero = (
        VoucherLine.objects.filter(organisation=organisation, amount=0)
        .order_by("pk")
        .values_list("pk", "voucher__series", "voucher__number")
    )
    problems += [f"line {pk} of voucher {series}{number} is zero" for pk, series, number in zero]
    return problems


@register("voucher numbers have no gaps and no duplicates")
def voucher_numbers(organisation: Organisation) -> list[str]:
    groups = (
        Voucher.objects.filter(organisation=organisation)
        .values("fiscal_year__starts_on", "series")
        .annotate(
            count=Count("pk"),
            distinct=Count("number", distinct=True),
            low=Min("number"),
            high=Max("number"),
        )
        .order_by("fiscal_year__starts_on", "series")
    )
    problems = []
    for row in groups:
        where = f"series {row['series']} of the year from {row['fiscal_year__starts_on']}"
        if row["distinct"] != row["count"]:
            problems.append(f"{where} has duplicate numbers")
        if row["low"] != 1 or row["high"] != row["distinct"]:
            problems.append(
                f"{where} has gaps: {row['distinct']} vouchers numbered {row['low']}–{row['high']}"
            )
    return problems


@register("every voucher is dated within its fiscal year")
def vouchers_in_their_year(organisation: Organisation) -> list[str]:
    outside = (
        Voucher.objects.filter(organisation=organisation)
        .filter(
            Q(booked_on__lt=F("fiscal_year__starts_on"))
            | Q(booked_on__gt=F("fiscal_year__ends_on"))
        )
        .order_by("fiscal_year__starts_on", "series", "number")
        .values_list("series", "number", "booked_on", "fiscal_year__starts_on")
    )
    return [
        f"voucher {series}{number} is dated {booked_on}, outside its fiscal year from {starts_on}"
        for series, number, booked_on, starts_on in outside
    ]


@register("fiscal years do not overlap")
def years_do_not_overlap(organisation: Organisation) -> list[str]:
    problems = []
    latest: tuple[dt.date, dt.date] | None = None  # the year reaching furthest so far
    for starts, ends in (
        FiscalYear.objects.filter(organisation=organisation)
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    ):
        if latest is not None and starts <= latest[1]:
            problems.append(f"the year {latest[0]}–{latest[1]} overlaps the year from {starts}")
        if latest is None or ends > latest[1]:
            latest = (starts, ends)
    return problems


@register("every line and voucher refers to its own association's records")
def lines_in_their_association(organisation: Organisation) -> list[str]:
    own = F("organisation")
    problems = []
    for field, what in (
        ("voucher", "voucher"),
        ("account", "account"),
        ("cost_centre", "cost centre"),
        ("project", "project"),
        ("person", "person"),
    ):
        strays = (
            VoucherLine.objects.filter(organisation=organisation, **{f"{field}__isnull": False})
            .exclude(**{f"{field}__organisation": own})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        problems += [f"line {pk} belongs to another association's {what}" for pk in strays]
    for field, what in (("fiscal_year", "fiscal year"), ("reverses", "voucher")):
        vouchers = (
            Voucher.objects.filter(organisation=organisation, **{f"{field}__isnull": False})
            .exclude(**{f"{field}__organisation": own})
            .order_by("pk")
            .values_list("series", "number")
        )
        problems += [
            f"voucher {series}{number} refers to another association's {what}"
            for series, number in vouchers
        ]
    return problems


@register("no voucher is reversed more than once")
def reversed_once(organisation: Organisation) -> list[str]:
    twice = (
        Voucher.objects.filter(organisation=organisation, reverses__isnull=False)
        .values("reverses__series", "reverses__number", "reverses__fiscal_year__starts_on")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
        .order_by("reverses__fiscal_year__starts_on", "reverses__series", "reverses__number")
    )
    return [
        f"voucher {row['reverses__series']}{row['reverses__number']} "
        f"({row['reverses__fiscal_year__starts_on']:%Y}) is reversed {row['count']} times"
        for row in twice
    ]


def run(organisation: Organisation) -> dict[str, list[str]]:
    """Every registered check: name → violations."""
    return {name: check(organisation) for name, check in CHECKS}
