# ruff: noqa: T201 - a command-line report
"""`make bench`, part two: invoicing and the books on the register benchmark's data (issue 4).

    python -m bench.billing

Runs on the 100,000-person association that `bench.register` builds (run that first; `make
bench` runs both). Inside one transaction that is rolled back at the end, so every run
starts from the same data:

- every one of the 100,000 people is made an active member, and 18,000 adults are moved
  out of their households: 60,000 payers (42,000 households + 18,000 on their own);
- fee rules: a membership fee by age bands, a family cap, and training fees for groups;
- billing run for the fee year: preview (`runs.plan`) and commit (`runs.commit`);
- receivables ageing over the open invoices (all issued a year ago, so they are overdue);
- SIE 4E export of the fiscal year after posting payments up to 200,000 vouchers; time
  and peak memory at about 100,000 and at 200,000 vouchers (it must not grow);
- invoice PDFs: one at a time, and as one batch document for post.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.register import DEFAULT_DATABASE_URL, Row, print_table

PREVIEW_S = 30
COMMIT_S = 60
AGEING_S = 2
SIE_S = 30
PDF_PER_S = 20
FEE_YEAR = 2026


class Rollback(Exception):
    pass


class TracedPeak:
    """The peak of memory allocated by Python (tracemalloc) while the block runs."""

    def __enter__(self) -> TracedPeak:
        tracemalloc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.mib = peak / 2**20


def main() -> int:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("FORENING_TESTING", "1")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forening.settings")
    import django

    django.setup()
    from django.db import transaction
    from django_scopes import scope

    from bench import dataset
    from forening.core.models import Organisation

    organisation = Organisation.objects.filter(slug=dataset.slug(0)).first()
    if organisation is None:
        print("Run `python -m bench.register` first: it builds the data.", file=sys.stderr)
        return 2
    rows: list[Row] = []
    try:
        with scope(organisation=organisation.pk), transaction.atomic():
            rows = measure(organisation)
            raise Rollback
    except Rollback:
        pass
    # The rolled-back work left dead rows (every person updated, half a million inserted):
    # clean up now, as autovacuum would in a while, so that the next run of the register
    # benchmark is not measured on them.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM ANALYZE core_person, households_household, billing_invoice,"
            " billing_invoiceline, ledger_voucher, ledger_voucherline, core_auditevent"
        )
    print_table(rows)
    return 0 if all(row.ok is not False for row in rows) else 1


def prepare(organisation: object) -> int:
    """Members, payers and fee rules (see the module doc); returns the number of payers."""
    from django.db.models import Min

    from forening.core.context import Actor
    from forening.core.models import Group, MemberStatus, Person
    from forening.fees import services as fees
    from forening.fees.models import FeeKind
    from forening.fees.services import AgeBand
    from forening.households.models import Household
    from forening.ledger.services import accounts_by_role
    from forening.members.models import MembershipType

    actor = Actor.system("bench")
    people = Person.objects.filter(organisation=organisation)
    people.update(status=MemberStatus.ACTIVE, joined_on=dt.date(2020, 1, 1))
    types = list(MembershipType.objects.filter(organisation=organisation))
    people.update(membership_type=types[0])
    # 18,000 adults leave their households and pay for themselves.
    payers = set(
        Household.objects.filter(organisation=organisation).values_list("payer_id", flat=True)
    )
    movable = (
        people.exclude(household=None)
        .exclude(pk__in=list(payers))
        .filter(birth_date__lt=dt.date(1990, 1, 1))
        .order_by("pk")
        .values_list("pk", flat=True)[:18_000]
    )
    people.filter(pk__in=list(movable)).update(household=None)
    # Every household has a payer (its oldest member when none is set).
    missing = Household.objects.filter(organisation=organisation, payer=None)
    for household_id, first in (
        people.filter(household__in=missing)
        .values("household")
        .annotate(first=Min("pk"))
        .values_list("household", "first")
    ):
        Household.objects.filter(pk=household_id).update(payer_id=first)
    accounts = accounts_by_role(organisation)
    fees.update_fee_settings(organisation, actor=actor, family_cap_minor=150_000)
    fees.create_fee_category(
        organisation,
        actor=actor,
        name="Medlemsavgift",
        kind=FeeKind.MEMBERSHIP,
        bands=[
            AgeBand(0, 6, 0, "barn"),
            AgeBand(7, 19, 30_000, "ungdom"),
            AgeBand(20, None, 45_000, "vuxen"),
        ],
        account=accounts["membership_fees"],
    )
    groups = list(Group.objects.filter(organisation=organisation).order_by("pk")[:40])
    fees.create_fee_category(
        organisation,
        actor=actor,
        name="Träningsavgift",
        kind=FeeKind.TRAINING,
        amount_minor=80_000,
        groups=groups,
        account=accounts["training_fees"],
    )
    return (
        people.filter(household=None).count()
        + Household.objects.filter(organisation=organisation, members__isnull=False)
        .distinct()
        .count()
    )


def measure(organisation: object) -> list[Row]:
    from forening.billing import pdf, reports, runs
    from forening.billing.models import Invoice
    from forening.core.context import Actor
    from forening.ledger import services as ledger
    from forening.ledger import sie_export
    from forening.ledger.models import FiscalYear, Series, VoucherSource

    actor = Actor.system("bench")
    rows: list[Row] = []
    print("Preparing 100,000 members and the fee rules …")
    payers = prepare(organisation)

    print("Billing run: preview …")
    started = time.perf_counter()
    plan = runs.plan(organisation, FEE_YEAR)
    seconds = time.perf_counter() - started
    rows.append(
        Row(
            f"Billing run preview: 100,000 members, {payers:,} payers",
            f"{seconds:.1f} s, {len(plan.drafts):,} invoices",
            f"< {PREVIEW_S} s",
            seconds < PREVIEW_S,
        )
    )
    print("Billing run: commit …")
    issued = dt.date(FEE_YEAR, 1, 15)
    started = time.perf_counter()
    run, _plan = runs.commit(organisation, FEE_YEAR, actor=actor, issued_on=issued)
    seconds = time.perf_counter() - started
    count = run.invoice_count if run else 0
    rows.append(
        Row(
            "Billing run commit (invoices, lines, vouchers)",
            f"{seconds:.1f} s, {count:,} invoices",
            f"< {COMMIT_S} s",
            seconds < COMMIT_S and count == len(plan.drafts),
        )
    )

    print("Receivables ageing …")
    as_of = dt.date(FEE_YEAR, 12, 31)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        found = reports.ageing(organisation, as_of)
        times.append(time.perf_counter() - started)
    worst = max(times)
    rows.append(
        Row(
            f"Receivables ageing ({count:,} open invoices)",
            f"worst of 5 {worst * 1000:.0f} ms, {found.overdue_count:,} overdue",
            f"< {AGEING_S} s",
            worst < AGEING_S,
        )
    )

    print("SIE export …")
    year = FiscalYear.objects.get(
        organisation=organisation, starts_on__lte=issued, ends_on__gte=issued
    )
    bank = "bank"
    fees_role = "membership_fees"

    def fill_to(target: int) -> None:
        have = year.vouchers.count()
        batch = []
        for index in range(max(0, target - have)):
            day = dt.date(FEE_YEAR, 1 + index % 12, 1 + index % 28)
            batch.append(
                ledger.Entry(
                    booked_on=day,
                    text=f"Inbetalning {index}",
                    lines=[ledger.Line(bank, 30_000), ledger.Line(fees_role, -30_000)],
                    source=VoucherSource.PAYMENT,
                    series=Series.PAYMENTS,
                )
            )
            if len(batch) == 20_000:
                ledger.post_many(organisation, batch, actor=actor)
                batch = []
        if batch:
            ledger.post_many(organisation, batch, actor=actor)

    results = {}
    for target in (100_000, 200_000):
        fill_to(target)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "year.se"
            started = time.perf_counter()
            with path.open("wb") as out:
                vouchers = sie_export.export_year(organisation, year, out, actor=actor)
            seconds = time.perf_counter() - started
            # Memory in a second, traced run: this process's resident size says nothing
            # here, as the billing run before left it plenty of freed memory to reuse.
            with TracedPeak() as memory, path.open("wb") as out:
                sie_export.export_year(organisation, year, out, actor=actor)
            results[target] = (vouchers, seconds, memory.mib, path.stat().st_size)
    vouchers, seconds, mib, size = results[200_000]
    small = results[100_000]
    rows.append(
        Row(
            f"SIE 4E export, {small[0]:,} vouchers",
            f"{small[1]:.1f} s, peak +{small[2]:.1f} MiB",
            "",
            None,
        )
    )
    rows.append(
        Row(
            f"SIE 4E export, {vouchers:,} vouchers",
            f"{seconds:.1f} s, peak +{mib:.1f} MiB, file {size / 2**20:.0f} MB",
            f"< {SIE_S} s, flat memory",
            seconds < SIE_S and mib <= small[2] * 1.25 + 1,
        )
    )

    print("Invoice PDFs …")
    invoices = list(Invoice.objects.filter(organisation=organisation).order_by("number")[:250])
    pdf.render_invoice(invoices[0])  # warm up fonts and templates
    started = time.perf_counter()
    for invoice in invoices[:50]:
        pdf.render_invoice(invoice)
    single = 50 / (time.perf_counter() - started)
    started = time.perf_counter()
    pdf.render_invoices(invoices[50:250])
    batch = 200 / (time.perf_counter() - started)
    rows.append(Row("Invoice PDF, one at a time (one core)", f"{single:.1f} per second", "", None))
    rows.append(
        Row(
            "Invoice PDF, batch of 200 for post (one core)",
            f"{batch:.1f} per second",
            f">= {PDF_PER_S} per second",
            batch >= PDF_PER_S,
        )
    )
    return rows


if __name__ == "__main__":
    sys.exit(main())
