"""Invoicing's invariants, added to `forening check-ledger` (see ledger.checks).

- the open amounts of a payer's invoices equal their receivables in the journal;
- invoice numbers (invoices and credit notes share the series) have no gaps or duplicates;
- every invoice's total is the sum of its lines, its open amount lies between 0 and its
  total, and its status agrees with its open amount;
- every invoice has its voucher;
- by the cash method, the interim account holds, payer by payer, what is invoiced and not
  yet revenue: for each invoice its open amount, at most what is left of its revenue
  lines after credit notes; by the invoice method it holds nothing.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Coalesce

from forening.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from forening.billing.services import CASH_INTERIM, PERSONAL_ROLES
from forening.core.models import Organisation
from forening.ledger import services as ledger
from forening.ledger.checks import register
from forening.ledger.models import AccountingMethod, VoucherLine

LIMIT = 50  # violations listed per check; the count says how many more


def capped(problems: list[str]) -> list[str]:
    """The first LIMIT violations, and how many more there are."""
    if len(problems) <= LIMIT:
        return problems
    return [*problems[:LIMIT], f"… and {len(problems) - LIMIT} more"]


@register("open invoices equal the receivables, payer by payer")
def open_invoices_are_receivables(organisation: Organisation) -> list[str]:
    account = ledger.accounts_by_role(organisation).get("receivables")
    if account is None:
        return []
    journal: dict[int | None, int] = defaultdict(int)
    for person_id, total in (
        VoucherLine.objects.filter(organisation=organisation, account=account)
        .values("person")
        .annotate(total=Sum("amount"))
        .values_list("person", "total")
    ):
        journal[person_id] += int(total or 0)
    invoiced: dict[int | None, int] = defaultdict(int)
    for payer_id, total in (
        Invoice.objects.filter(organisation=organisation, kind=InvoiceKind.INVOICE)
        .values("payer")
        .annotate(total=Sum("open_minor"))
        .values_list("payer", "total")
    ):
        invoiced[payer_id] += int(total or 0)
    problems = [
        f"payer {person_id}: open invoices {invoiced[person_id]}, receivables {journal[person_id]}"
        for person_id in sorted(set(journal) | set(invoiced), key=lambda p: p or 0)
        if journal[person_id] != invoiced[person_id]
    ]
    if None in journal and journal[None]:
        problems.append(f"{journal[None]} on receivables has no payer")
    return capped(problems)


@register("invoice numbers have no gaps and no duplicates")
def invoice_numbers(organisation: Organisation) -> list[str]:
    found = Invoice.objects.filter(organisation=organisation).aggregate(
        low=Min("number"), high=Max("number"), count=Count("pk")
    )
    if not found["count"]:
        return []
    problems = []
    if found["low"] != 1:
        problems.append(f"the first invoice number is {found['low']}, not 1")
    if found["high"] - found["low"] + 1 != found["count"]:
        numbers = set(
            Invoice.objects.filter(organisation=organisation).values_list("number", flat=True)
        )
        missing = sorted(set(range(found["low"], found["high"] + 1)) - numbers)
        problems += [f"invoice number {n} is missing" for n in missing]
    return capped(problems)


@register("every invoice adds up and its status fits its open amount")
def invoices_add_up(organisation: Organisation) -> list[str]:
    sums = dict(
        InvoiceLine.objects.filter(organisation=organisation)
        .values("invoice")
        .annotate(total=Sum("amount_minor"))
        .values_list("invoice", "total")
    )
    problems = []
    rows = Invoice.objects.filter(organisation=organisation).values_list(
        "pk", "number", "kind", "total_minor", "open_minor", "status", "voucher_id"
    )
    for pk, number, kind, total, open_minor, status, voucher_id in rows.iterator(chunk_size=5000):
        if sums.get(pk, 0) != total:
            problems.append(f"invoice {number}: total {total}, lines {sums.get(pk, 0)}")
        if voucher_id is None:
            problems.append(f"invoice {number} has no voucher")
        if kind == InvoiceKind.CREDIT_NOTE:
            if open_minor != 0 or status != InvoiceStatus.CREDIT_NOTE:
                problems.append(f"credit note {number} is {status} with {open_minor} open")
            continue
        if not 0 <= open_minor <= max(total, 0):
            problems.append(f"invoice {number}: {open_minor} open of {total}")
        if (status == InvoiceStatus.OPEN) != (open_minor > 0):
            problems.append(f"invoice {number} is {status} with {open_minor} open")
    return capped(problems)


@register("the cash method's interim account holds what is invoiced and not yet revenue")
def cash_method_interim(organisation: Organisation) -> list[str]:
    roles = ledger.accounts_by_role(organisation)
    account = roles.get(CASH_INTERIM)
    if account is None:
        return []
    journal: dict[int | None, int] = defaultdict(int)
    for person_id, total in (
        VoucherLine.objects.filter(organisation=organisation, account=account)
        .values("person")
        .annotate(total=Sum("amount"))
        .values_list("person", "total")
    ):
        journal[person_id] -= int(total or 0)  # credit balance: positive
    expected: dict[int | None, int] = defaultdict(int)
    if ledger.settings_for(organisation).accounting_method == AccountingMethod.CASH:
        personal = [roles[role].pk for role in PERSONAL_ROLES if role in roles]
        revenue = dict(
            InvoiceLine.objects.filter(organisation=organisation)
            .exclude(account_id__in=personal)
            .annotate(of=Coalesce("credits_line__invoice_id", "invoice_id"))
            .values("of")
            .annotate(total=Sum("amount_minor"))
            .values_list("of", "total")
        )
        for pk, payer_id, open_minor in (
            Invoice.objects.filter(organisation=organisation, kind=InvoiceKind.INVOICE)
            .filter(open_minor__gt=0)
            .values_list("pk", "payer", "open_minor")
            .iterator(chunk_size=5000)
        ):
            expected[payer_id] += max(0, min(open_minor, int(revenue.get(pk) or 0)))
    problems = [
        f"payer {person_id}: not yet revenue {expected[person_id]}, interim {journal[person_id]}"
        for person_id in sorted(set(journal) | set(expected), key=lambda p: p or 0)
        if journal[person_id] != expected[person_id]
    ]
    return capped(problems)
