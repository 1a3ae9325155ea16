"""The journal's write path (ACC-01): post balanced vouchers, reverse them, read balances.

Every financial event in Forening ends here. `post_many` is set-wise: a billing run posts
tens of thousands of vouchers with a handful of queries. Voucher numbers are gap-free per
association, fiscal year and series (core.sequences, inside the caller's transaction).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from forening.core import audit, bulk, sequences
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.ledger import chart, locks
from forening.ledger.models import (
    Account,
    AccountingMethod,
    CostCentre,
    FiscalYear,
    LedgerSettings,
    Project,
    Series,
    Voucher,
    VoucherLine,
    VoucherSource,
)


class LedgerError(ValueError):
    """A voucher or setting the books cannot take; str() is for the user."""


# Far above any association's books, far below where sums of BigIntegerField overflow.
MAX_AMOUNT = 10**15


@dataclass(frozen=True)
class Line:
    """One line of a voucher to post: `account` is an Account or a role name
    ("receivables"); `amount` in minor units, debit positive and credit negative."""

    account: Account | str
    amount: int
    cost_centre: CostCentre | None = None
    project: Project | None = None
    person_id: int | None = None
    text: str = ""


@dataclass
class Entry:
    """A voucher to post."""

    booked_on: dt.date
    text: str
    lines: Sequence[Line]
    source: str = VoucherSource.MANUAL
    series: str = Series.GENERAL
    reference: str = ""
    reverses: Voucher | None = None
    voucher: Voucher | None = field(default=None, init=False)


# --- settings, chart and fiscal years --------------------------------------------------


def settings_for(organisation: Organisation) -> LedgerSettings:
    found, _created = LedgerSettings.objects.get_or_create(organisation=organisation)
    return found


@transaction.atomic
def set_accounting_method(
    organisation: Organisation, method: str, *, actor: Actor
) -> LedgerSettings:
    """Book revenue by `method` (an AccountingMethod) from now on.

    Refused (LedgerError) while any invoice is unpaid, that is while receivables or the
    cash method's interim account are not zero: an open invoice's revenue was booked by
    the method it was issued under (at issue, or waiting for payment), and a switch would
    book it twice or never. Paid and credited invoices are settled either way, so the
    switch can come at any time once the open invoices are paid or credited."""
    if method not in AccountingMethod.values:
        raise LedgerError(_("Choose the invoice method or the cash method."))
    settings_for(organisation)
    found = locks.lock_settings(organisation)
    if found.accounting_method == method:
        return found
    roles = accounts_by_role(organisation)
    if any(
        balance(organisation, [roles[role]])
        for role in ("receivables", "cash_method_interim")
        if role in roles
    ):
        raise LedgerError(
            _(
                "The accounting method cannot be changed while invoices are unpaid: their "
                "revenue is booked by the method they were issued under. Wait until the open "
                "invoices are paid or credited."
            )
        )
    old = found.accounting_method
    found.accounting_method = method
    found.save(update_fields=["accounting_method"])
    audit.record(
        actor,
        "ledger.settings.accounting_method_changed",
        found,
        organisation=organisation,
        person=None,
        changes={"accounting_method": [old, method]},
    )
    return found


def ensure_chart(organisation: Organisation) -> int:
    """Seed the association's chart of accounts from the default for its country (BAS in
    Sweden) when it has none; return the number of accounts created."""
    if Account.objects.filter(organisation=organisation).exists():
        return 0
    language = "da" if organisation.country == "DK" else "sv"
    accounts = [
        Account(
            organisation=organisation,
            number=seed.number,
            name=getattr(seed, f"name_{language}"),
            kind=seed.kind,
            role=seed.role or "",
        )
        for seed in chart.chart_for(organisation.country)
    ]
    Account.objects.bulk_create(accounts)
    settings_for(organisation)
    return len(accounts)


def accounts_by_role(organisation: Organisation) -> dict[str, Account]:
    ensure_chart(organisation)
    return {
        account.role: account
        for account in Account.objects.filter(organisation=organisation).exclude(role="")
    }


def year_bounds(organisation: Organisation, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the fiscal year that `day` falls in."""
    month = settings_for(organisation).fiscal_year_start_month
    year = day.year if day.month >= month else day.year - 1
    starts = dt.date(year, month, 1)
    end_year, end_month = (year, 12) if month == 1 else (year + 1, month - 1)
    ends = dt.date(end_year, end_month, calendar.monthrange(end_year, end_month)[1])
    return starts, ends


def fiscal_year_for(organisation: Organisation, day: dt.date) -> FiscalYear:
    """The fiscal year holding `day`, created when it is the first voucher in it."""
    found = FiscalYear.objects.filter(
        organisation=organisation, starts_on__lte=day, ends_on__gte=day
    ).first()
    if found is not None:
        return found
    starts, ends = year_bounds(organisation, day)
    # A year already started on another day (the start month was changed): do not overlap.
    overlapping = FiscalYear.objects.filter(
        organisation=organisation, starts_on__lte=ends, ends_on__gte=starts
    )
    for other in overlapping:
        if other.ends_on < day:
            starts = max(starts, other.ends_on + dt.timedelta(days=1))
        else:
            ends = min(ends, other.starts_on - dt.timedelta(days=1))
    year, _created = FiscalYear.objects.get_or_create(
        organisation=organisation, starts_on=starts, defaults={"ends_on": ends}
    )
    return year


# --- posting ----------------------------------------------------------------------------


def _check(entry: Entry, roles: dict[str, Account], organisation: Organisation) -> None:
    if len(entry.lines) < 2:
        raise LedgerError(_("A voucher needs at least two lines."))
    if entry.series not in Series.values:
        raise LedgerError(_("Unknown voucher series “%(series)s”.") % {"series": entry.series})
    if entry.source not in VoucherSource.values:
        raise LedgerError(_("Unknown voucher source “%(source)s”.") % {"source": entry.source})
    if entry.reverses is not None and entry.reverses.organisation_id != organisation.pk:
        raise LedgerError(_("Choose a voucher of this association to reverse."))
    total = 0
    for line in entry.lines:
        if not isinstance(line.amount, int) or isinstance(line.amount, bool):
            raise LedgerError(_("Amounts are whole numbers of öre/øre."))
        if line.amount == 0:
            raise LedgerError(_("A voucher line cannot be zero."))
        if abs(line.amount) >= MAX_AMOUNT:
            raise LedgerError(_("An amount is too large."))
        total += line.amount
        account = line.account
        if isinstance(account, str):
            if account not in roles:
                raise LedgerError(
                    _("No account is set up for “%(role)s”: choose one in the chart of accounts.")
                    % {"role": account}
                )
        elif account.organisation_id != organisation.pk:
            raise LedgerError(_("Choose an account of this association."))
        for dimension in (line.cost_centre, line.project):
            if dimension is not None and dimension.organisation_id != organisation.pk:
                raise LedgerError(_("Choose a cost centre or project of this association."))
    if total != 0:
        raise LedgerError(
            _("The voucher does not balance: debit and credit differ by %(amount)s.")
            % {"amount": f"{abs(total) / 100:.2f}"}
        )
    if not (entry.text or "").strip():
        raise LedgerError(_("Give the voucher a text."))


def _check_references(organisation: Organisation, entries: Sequence[Entry]) -> None:
    """The checks that need the database: people of this association, and vouchers
    reversed at most once."""
    person_ids = {line.person_id for e in entries for line in e.lines if line.person_id}
    if person_ids:
        known = Person.objects.filter(organisation=organisation, pk__in=person_ids).count()
        if known != len(person_ids):
            raise LedgerError(_("Choose a person of this association."))
    reversed_ids = Counter(e.reverses.pk for e in entries if e.reverses is not None)
    if not reversed_ids:
        return
    # Locked, so that two concurrent reversals of one voucher cannot both pass.
    found = locks.lock_vouchers(
        Voucher.objects.filter(organisation=organisation, pk__in=list(reversed_ids))
    )
    if len(found) != len(reversed_ids):
        raise LedgerError(_("Choose a voucher of this association to reverse."))
    already = {pk for pk, count in reversed_ids.items() if count > 1} | set(
        Voucher.objects.filter(
            organisation=organisation, reverses__in=list(reversed_ids)
        ).values_list("reverses", flat=True)
    )
    if already:
        voucher = next(e.reverses for e in entries if e.reverses and e.reverses.pk in already)
        raise LedgerError(
            _("Voucher %(voucher)s has already been reversed.") % {"voucher": voucher}
        )


def _sequence_name(year: FiscalYear, series: str) -> str:
    return f"voucher:{year.starts_on:%Y%m%d}:{series}"


_LINE_COLUMNS = (
    "organisation_id",
    "voucher_id",
    "account_id",
    "amount",
    "cost_centre_id",
    "project_id",
    "person_id",
    "text",
)


@transaction.atomic
def post_many(
    organisation: Organisation, entries: Sequence[Entry], *, actor: Actor
) -> list[Voucher]:
    """Post every entry, or nothing (LedgerError names what is wrong). Sets `entry.voucher`
    and returns the vouchers in the order of `entries`."""
    if not entries:
        return []
    roles = accounts_by_role(organisation)
    for entry in entries:
        _check(entry, roles, organisation)
    _check_references(organisation, entries)
    years: dict[dt.date, FiscalYear] = {}
    by_key: dict[tuple[int, str], list[Entry]] = defaultdict(list)
    year_of: dict[int, FiscalYear] = {}
    for entry in entries:
        year = next((y for y in years.values() if y.contains(entry.booked_on)), None)
        if year is None:
            year = fiscal_year_for(organisation, entry.booked_on)
            years[year.starts_on] = year
        if year.closed_at is not None:
            raise LedgerError(
                _("The fiscal year %(year)s is closed: book on a date in an open year.")
                % {"year": year}
            )
        year_of[id(entry)] = year
        by_key[(year.pk, entry.series)].append(entry)
    vouchers: dict[int, Voucher] = {}
    user, label = actor.user, str(actor)[:254]
    for (_year_pk, series), group in by_key.items():
        year = year_of[id(group[0])]
        numbers = sequences.take(organisation, _sequence_name(year, series), len(group))
        # Within a series the numbers follow the dates, as readers of SIE files expect.
        ordered = sorted(group, key=lambda e: e.booked_on)
        for entry, number in zip(ordered, numbers, strict=True):
            vouchers[id(entry)] = Voucher(
                organisation=organisation,
                fiscal_year=year,
                series=series,
                number=number,
                booked_on=entry.booked_on,
                text=entry.text.strip()[:200],
                source=entry.source,
                reference=entry.reference[:60],
                reverses=entry.reverses,
                created_by=user,
                created_by_label=label,
            )
    ordered_vouchers = bulk.create([vouchers[id(entry)] for entry in entries])
    rows = []
    org_id = organisation.pk
    for entry, voucher in zip(entries, ordered_vouchers, strict=True):
        entry.voucher = voucher
        for line in entry.lines:
            account = roles[line.account] if isinstance(line.account, str) else line.account
            rows.append(
                (
                    org_id,
                    voucher.pk,
                    account.pk,
                    line.amount,
                    line.cost_centre.pk if line.cost_centre is not None else None,
                    line.project.pk if line.project is not None else None,
                    line.person_id,
                    line.text[:200],
                )
            )
    bulk.insert(VoucherLine, _LINE_COLUMNS, rows)
    return ordered_vouchers


def post(organisation: Organisation, entry: Entry, *, actor: Actor) -> Voucher:
    return post_many(organisation, [entry], actor=actor)[0]


@transaction.atomic
def reverse(
    voucher: Voucher, *, booked_on: dt.date, text: str, actor: Actor, source: str = ""
) -> Voucher:
    """A new voucher with every line of `voucher` negated: the way to undo a booking.
    LedgerError when the voucher has already been reversed."""
    lines = [
        Line(
            account=line.account,
            amount=-line.amount,
            cost_centre=line.cost_centre,
            project=line.project,
            person_id=line.person_id,
            text=line.text,
        )
        for line in voucher.lines.select_related("account", "cost_centre", "project")
    ]
    entry = Entry(
        booked_on=booked_on,
        text=text,
        lines=lines,
        source=source or voucher.source,
        series=voucher.series,
        reference=voucher.reference,
        reverses=voucher,
    )
    # post_many refuses a second reversal, with the original locked.
    return post(voucher.organisation, entry, actor=actor)


# --- reading ----------------------------------------------------------------------------


def balance(
    organisation: Organisation,
    accounts: Iterable[Account],
    *,
    person_id: int | None = None,
    until: dt.date | None = None,
) -> int:
    """The sum of the lines on `accounts` (debit positive), optionally for one person
    and up to a date."""
    lines = VoucherLine.objects.filter(organisation=organisation, account__in=list(accounts))
    if person_id is not None:
        lines = lines.filter(person_id=person_id)
    if until is not None:
        lines = lines.filter(voucher__booked_on__lte=until)
    return int(lines.aggregate(total=Sum("amount"))["total"] or 0)
