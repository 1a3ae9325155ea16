"""Reading what payers owe: the member ledger (INV-05) from the journal, a person's
invoices, and amounts in the association's currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone, translation

from forening.billing.models import Invoice, InvoiceLine
from forening.billing.services.common import PERSONAL_ROLES
from forening.core import money
from forening.core.models import Organisation, Person
from forening.ledger import services as ledger
from forening.ledger.models import VoucherLine


@dataclass(frozen=True)
class LedgerRow:
    """One movement in a member's ledger: a voucher line on receivables or on the credit
    balance. `amount` is what it does to what the person owes (positive: owes more);
    `balance` is the running balance after it."""

    booked_on: dt.date
    voucher: str
    source: str
    text: str
    reference: str
    account: str
    amount: int
    balance: int


@dataclass
class MemberLedger:
    rows: list[LedgerRow]
    balance: int  # positive: the person owes; negative: the association owes them
    receivables: int
    credit: int  # their credit balance (positive)
    invoices: list[Invoice]
    overdue_minor: int


def member_ledger(
    organisation: Organisation, person: Person, *, today: dt.date | None = None
) -> MemberLedger:
    """The payer's ledger (INV-05), read from the journal: every line on receivables and
    on the credit-balance account with this person, in date order, with the running
    balance; and their invoices. Three queries."""
    today = today or timezone.localdate()
    books = ledger.accounts_by_role(organisation)
    accounts = [books[role] for role in PERSONAL_ROLES if role in books]
    lines = (
        VoucherLine.objects.filter(organisation=organisation, person=person, account__in=accounts)
        .select_related("voucher", "account")
        .order_by("voucher__booked_on", "voucher__created_at", "voucher_id", "pk")
    )
    rows = []
    balance = receivables = credit = 0
    receivables_pk = books["receivables"].pk if "receivables" in books else None
    for line in lines:
        balance += line.amount
        if line.account_id == receivables_pk:
            receivables += line.amount
        else:
            credit -= line.amount
        rows.append(
            LedgerRow(
                booked_on=line.voucher.booked_on,
                voucher=str(line.voucher),
                source=line.voucher.source,
                text=line.voucher.text,
                reference=line.voucher.reference,
                account=line.account.number,
                amount=line.amount,
                balance=balance,
            )
        )
    invoices = list(
        Invoice.objects.filter(organisation=organisation, payer=person).order_by(
            "-issued_on", "-number"
        )
    )
    overdue = sum(inv.open_minor for inv in invoices if inv.is_overdue(today))
    return MemberLedger(
        rows=rows,
        balance=balance,
        receivables=receivables,
        credit=credit,
        invoices=invoices,
        overdue_minor=overdue,
    )


def invoices_for(organisation: Organisation, person: Person) -> Any:
    """Invoices where `person` is the payer or has a line (a child billed to a parent).

    The invoices with the person's lines are looked up first (a few, by an index): an OR
    across the join to the lines, with DISTINCT, made PostgreSQL read every invoice of
    the association."""
    on_lines = list(
        InvoiceLine.objects.filter(organisation=organisation, person=person)
        .values_list("invoice_id", flat=True)
        .distinct()
    )
    return (
        Invoice.objects.filter(organisation=organisation)
        .filter(Q(payer=person) | Q(pk__in=on_lines))
        .select_related("payer")
        .order_by("-issued_on", "-number")
    )


def format_amount(organisation: Organisation, amount_minor: int) -> str:
    return money.format_money(
        amount_minor, organisation.currency, translation.get_language() or "sv"
    )
