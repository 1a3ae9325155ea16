"""Credit notes (INV-04) and credit balances (INV-05).

A credit note reverses lines of an invoice: what is still open comes off receivables, what
was already paid goes to the payer's credit balance, which their next invoice uses (see
`issuing`). Credit balances are read from the journal, never stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.billing import locks
from forening.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from forening.billing.services.books import Books
from forening.billing.services.common import (
    INVOICE_SEQUENCE,
    BillingError,
    DraftLine,
    vat_part,
)
from forening.billing.services.recognition import (
    merge_lines,
    recognised,
    recognised_lines,
    revenue_lines,
    settled_minor,
)
from forening.core import audit, sequences
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.ledger import services as ledger
from forening.ledger.models import Series, VoucherLine, VoucherSource


def credit_balances(
    organisation: Organisation, person_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """What the association owes each person on their credit balance (positive), from the
    journal; only people with a credit. One query."""
    account = ledger.accounts_by_role(organisation).get("credit_balances")
    if account is None:
        return {}
    lines = VoucherLine.objects.filter(organisation=organisation, account=account)
    if person_ids is not None:
        ids = list(person_ids)
        if len(ids) <= 5000:
            lines = lines.filter(person_id__in=ids)
    rows = (
        lines.filter(person__isnull=False)
        .values("person_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .values_list("person_id", "total")
    )
    return {person_id: -int(total) for person_id, total in rows}


def _status(invoice: Invoice, credited: int) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return InvoiceStatus.CREDIT_NOTE
    if invoice.open_minor > 0:
        return InvoiceStatus.OPEN
    if credited >= invoice.total_minor:
        return InvoiceStatus.CREDITED
    return InvoiceStatus.PAID


def credited_minor(invoice: Invoice) -> int:
    """How much of `invoice` its credit notes have credited (positive)."""
    total = Invoice.objects.filter(
        organisation_id=invoice.organisation_id, credits=invoice
    ).aggregate(total=Sum("total_minor"))["total"]
    return -int(total or 0)


@transaction.atomic
def credit_invoice(
    invoice: Invoice,
    *,
    actor: Actor,
    amounts: dict[int, int] | None = None,
    reason: str = "",
    credited_on: dt.date | None = None,
) -> Invoice:
    """Issue a credit note for `invoice`: every line not yet credited (`amounts` None) or
    the given amounts per line id (positive, at most what is left of each line).

    The credit note gets the next invoice number and a voucher that reverses the credited
    lines: what is still open on the invoice is taken off receivables; what was already
    paid goes to the payer's credit balance. By the cash method the open part comes off
    the interim account (it never was revenue) and only the paid part takes revenue and
    VAT back. Nothing is written on a BillingError."""
    organisation = invoice.organisation
    invoice = locks.lock_invoice(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise BillingError(_("A credit note cannot be credited."))
    lines = list(invoice.lines.all())
    already: dict[int, int] = defaultdict(int)
    for line_id, amount in InvoiceLine.objects.filter(
        organisation=organisation, credits_line__invoice=invoice
    ).values_list("credits_line_id", "amount_minor"):
        already[line_id] -= amount
    left = {line.pk: line.amount_minor - already[line.pk] for line in lines}
    if amounts is None:
        chosen = {pk: amount for pk, amount in left.items() if amount}
    else:
        chosen = {}
        for line_id, amount in amounts.items():
            if line_id not in left:
                raise BillingError(_("Choose lines of this invoice to credit."))
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise BillingError(_("Credit amounts are positive whole numbers of öre/øre."))
            if amount > max(left[line_id], 0):
                raise BillingError(_("A credit note cannot credit more than is left of a line."))
            if amount:
                chosen[line_id] = amount
    total = sum(chosen.values())
    if not chosen or total <= 0:
        raise BillingError(_("Nothing is left to credit on this invoice."))
    if total > invoice.total_minor - sum(already.values()):
        raise BillingError(_("A credit note cannot be larger than its invoice."))
    credited_on = credited_on or timezone.localdate()
    by_pk = {line.pk: line for line in lines}
    note_lines = []
    for position, (line_id, amount) in enumerate(chosen.items(), start=1):
        original = by_pk[line_id]
        note_lines.append(
            InvoiceLine(
                organisation=organisation,
                position=position,
                kind=LineKind.CREDIT,
                description=original.description,
                reason=reason[:250],
                amount_minor=-amount,
                vat_rate=original.vat_rate,
                vat_minor=vat_part(-amount, original.vat_rate),
                account_id=original.account_id,
                cost_centre_id=original.cost_centre_id,
                project_id=original.project_id,
                person_id=original.person_id,
                household_id=original.household_id,
                category_id=original.category_id,
                starts_on=original.starts_on,
                ends_on=original.ends_on,
                credits_line=original,
            )
        )
    off_receivables = min(total, invoice.open_minor)
    to_credit_balance = total - off_receivables
    books = Books.load(organisation)
    number = sequences.take(organisation, INVOICE_SEQUENCE)[0]
    with translation.override(organisation.language):
        text = _("Credit note %(number)s for invoice %(invoice)s") % {
            "number": number,
            "invoice": invoice.number,
        }
    positive = [
        DraftLine(
            description=line.description,
            amount_minor=-line.amount_minor,
            account_id=line.account_id,
            vat_rate=line.vat_rate,
            cost_centre_id=line.cost_centre_id,
            project_id=line.project_id,
        )
        for line in note_lines
    ]
    entry_lines = books.voucher_lines(
        invoice.payer_id,
        positive,
        receivables=-off_receivables,
        credit_balance=-to_credit_balance,
        sign=-1,
    )
    if books.cash_method:
        entry_lines = merge_lines(
            [*entry_lines, *_credit_recognition(books, invoice, note_lines, off_receivables)]
        )
    try:
        voucher = ledger.post(
            organisation,
            ledger.Entry(
                booked_on=credited_on,
                text=text,
                lines=entry_lines,
                source=VoucherSource.CREDIT_NOTE,
                series=Series.INVOICES,
                reference=str(number),
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise BillingError(str(error)) from error
    note = Invoice.objects.create(
        organisation=organisation,
        kind=InvoiceKind.CREDIT_NOTE,
        number=number,
        payer_id=invoice.payer_id,
        household_id=invoice.household_id,
        recipient_name=invoice.recipient_name,
        recipient_care_of=invoice.recipient_care_of,
        recipient_street=invoice.recipient_street,
        recipient_postal_code=invoice.recipient_postal_code,
        recipient_city=invoice.recipient_city,
        recipient_country=invoice.recipient_country,
        recipient_email=invoice.recipient_email,
        language=invoice.language,
        currency=invoice.currency,
        issued_on=credited_on,
        due_on=credited_on,
        total_minor=-total,
        vat_minor=sum(line.vat_minor for line in note_lines),
        open_minor=0,
        status=InvoiceStatus.CREDIT_NOTE,
        credits=invoice,
        voucher=voucher,
        text=reason[:200],
        created_by=actor.user,
        created_by_label=str(actor)[:254],
    )
    for line in note_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(note_lines)
    invoice.open_minor -= off_receivables
    invoice.status = _status(invoice, sum(already.values()) + total)
    invoice.save(update_fields=["open_minor", "status", "updated_at"])
    audit.record(
        actor,
        "billing.invoice.credited",
        invoice,
        person=None,
        credit_note=note.number,
        amount_minor=total,
        to_credit_balance_minor=to_credit_balance,
        reason=reason,
    )
    return note


def _credit_recognition(
    books: Books, invoice: Invoice, note_lines: Sequence[InvoiceLine], off_receivables: int
) -> list[ledger.Line]:
    """Under the cash method, the lines that bring the invoice's recognised revenue to what
    is paid of what is left of it after the credit note (`note_lines`, negative)."""
    organisation = invoice.organisation
    revenue = revenue_lines(organisation, books, [invoice.pk])[invoice.pk]
    credited: dict[int, tuple[int, int]] = {
        line.credits_line_id: (line.amount_minor, line.vat_minor)
        for line in note_lines
        if line.credits_line_id is not None
    }
    left = [
        replace(
            line,
            amount_minor=line.amount_minor + credited.get(line.line_id, (0, 0))[0],
            vat_minor=line.vat_minor + credited.get(line.line_id, (0, 0))[1],
        )
        for line in revenue
    ]
    before = recognised(revenue, settled_minor(revenue, invoice.open_minor))
    after = recognised(left, settled_minor(left, invoice.open_minor - off_receivables))
    return recognised_lines(books, invoice.payer_id, before, after)
