"""Register, place and reverse payments (PAY-01).

A payment is placed, in this order: on the invoice it names (by invoice or OCR
reference), or on the open invoices of the person it names (oldest due first). What is
left after the invoices goes to the payer's credit balance, which their next invoice uses.
A payment nobody can place is kept as unplaced (its money on the "unplaced payments"
account) until the office places it: never lost, never guessed.

Each step is one voucher in series B; the allocations remember what each part settled,
so a reversal (a voucher, never a deletion) restores exactly that. By the cash method the
same voucher also moves the revenue and VAT of what a part pays from the interim account
(billing.services.recognise_payments), and a reversal moves it back.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.billing import locks as billing_locks
from forening.billing import ocr
from forening.billing.models import Invoice, InvoiceKind, InvoiceStatus
from forening.billing.services import (
    Books,
    credited_minor,
    merge_lines,
    recognise_payments,
)
from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.ledger import services as ledger
from forening.ledger.models import Series, Voucher, VoucherSource
from forening.payments import locks
from forening.payments.models import (
    CHANNEL_ROLES,
    AllocationKind,
    Channel,
    Payment,
    PaymentAllocation,
    PaymentStatus,
)

# Far above any payment an association receives; far below integer overflow.
MAX_PAYMENT = 10**12


class PaymentError(Exception):
    """A payment that cannot be registered, placed or reversed; str() is for the user."""


@dataclass(frozen=True)
class _Part:
    kind: str
    amount: int
    person_id: int | None = None
    invoice: Invoice | None = None


def find_invoice(organisation: Organisation, reference: str) -> Invoice | None:
    """The invoice with this OCR reference (spaces and dashes ignored), if any."""
    try:
        digits = ocr.normalise(reference)
    except ocr.OcrError:
        return None
    return Invoice.objects.filter(
        organisation=organisation, kind=InvoiceKind.INVOICE, ocr=digits
    ).first()


def _lock_open(organisation: Organisation, person_id: int) -> list[Invoice]:
    """The payer's open invoices, locked (in primary-key order), oldest due first."""
    found = billing_locks.lock_invoices(
        Invoice.objects.filter(
            organisation=organisation,
            payer_id=person_id,
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.OPEN,
        )
    )
    return sorted(found, key=lambda invoice: (invoice.due_on, invoice.number))


def _split(
    organisation: Organisation, amount: int, invoice: Invoice | None, person_id: int | None
) -> list[_Part]:
    """Where `amount` goes: the invoice, else the person's open invoices oldest first; the
    rest to the payer's credit balance; with neither, all of it unplaced."""
    if invoice is not None:
        invoice = billing_locks.lock_invoice(invoice)
        invoices = [invoice] if invoice.status == InvoiceStatus.OPEN else []
        person_id = invoice.payer_id
    elif person_id is not None:
        invoices = _lock_open(organisation, person_id)
    else:
        return [_Part(AllocationKind.UNPLACED, amount)]
    parts = []
    left = amount
    for candidate in invoices:
        take = min(left, candidate.open_minor)
        if take > 0:
            parts.append(_Part(AllocationKind.INVOICE, take, person_id, candidate))
            left -= take
        if not left:
            break
    if left:
        parts.append(_Part(AllocationKind.CREDIT_BALANCE, left, person_id))
    return parts


def _part_lines(books: Books, parts: list[_Part], sign: int = 1) -> list[ledger.Line]:
    """Credit each part to its account (receivables, credit balance, unplaced); `sign=-1`
    debits them (placing an unplaced payment takes it off that account)."""
    role: dict[str, str] = {
        AllocationKind.INVOICE: "receivables",
        AllocationKind.CREDIT_BALANCE: "credit_balances",
        AllocationKind.UNPLACED: "unplaced_payments",
    }
    merged: dict[tuple[str, int | None], int] = defaultdict(int)
    for part in parts:
        merged[(part.kind, part.person_id)] += part.amount
    return [
        ledger.Line(books.role(role[kind]), -sign * amount, person_id=person_id)
        for (kind, person_id), amount in merged.items()
        if amount
    ]


def _recognition(
    organisation: Organisation, books: Books, parts: list[_Part], sign: int = 1
) -> list[ledger.Line]:
    """Under the cash method, the revenue and VAT that the parts on invoices make paid
    (`sign=-1`: that a reversal makes unpaid again); see billing.services.recognised."""
    return recognise_payments(
        organisation,
        books,
        [(part.invoice, -sign * part.amount) for part in parts if part.invoice is not None],
    )


def _apply(
    organisation: Organisation,
    payment: Payment,
    parts: list[_Part],
    voucher: Voucher,
) -> None:
    """Record the parts and take them off the invoices' open amounts."""
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(
            organisation=organisation,
            payment=payment,
            kind=part.kind,
            invoice=part.invoice,
            person_id=part.person_id,
            amount_minor=part.amount,
            voucher=voucher,
        )
        for part in parts
    )
    for part in parts:
        if part.invoice is None:
            continue
        invoice = part.invoice
        invoice.open_minor -= part.amount
        if invoice.open_minor == 0:
            invoice.status = (
                InvoiceStatus.CREDITED
                if credited_minor(invoice) >= invoice.total_minor
                else InvoiceStatus.PAID
            )
        invoice.save(update_fields=["open_minor", "status", "updated_at"])


def _text(kind: str, **values: object) -> str:
    texts = {
        "payment": _("Payment %(channel)s %(reference)s"),
        "placed": _("Payment of %(date)s placed"),
        "reversed": _("Payment of %(date)s reversed: %(reason)s"),
    }
    return (texts[kind] % values).strip()


@transaction.atomic
def register_payment(
    organisation: Organisation,
    *,
    amount_minor: int,
    paid_on: dt.date,
    channel: str,
    actor: Actor,
    reference: str = "",
    invoice: Invoice | None = None,
    person: Person | None = None,
    payer_name: str = "",
    note: str = "",
    external_id: str = "",
) -> Payment:
    """Register money received and book it (see the module doc for where it goes).

    With `external_id` (a bank file line, a webhook id) a second call with the same id
    returns the first payment and books nothing. PaymentError names what is wrong."""
    if external_id:
        existing = Payment.objects.filter(
            organisation=organisation, external_id=external_id
        ).first()
        if existing is not None:
            return existing
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise PaymentError(_("Amounts are whole numbers of öre/øre."))
    if amount_minor <= 0:
        raise PaymentError(_("A payment must be more than zero."))
    if amount_minor >= MAX_PAYMENT:
        raise PaymentError(_("An amount is too large."))
    if channel not in Channel.values:
        raise PaymentError(_("Choose how the money was paid."))
    if paid_on > timezone.localdate() + dt.timedelta(days=1):
        raise PaymentError(_("A payment cannot be dated in the future."))
    if invoice is not None:
        if invoice.organisation_id != organisation.pk:
            raise PaymentError(_("Choose an invoice of this association."))
        if invoice.kind != InvoiceKind.INVOICE:
            raise PaymentError(_("A payment is registered on an invoice, not a credit note."))
    if person is not None and person.organisation_id != organisation.pk:
        raise PaymentError(_("Choose a person of this association."))
    if invoice is None and person is None and reference:
        invoice = find_invoice(organisation, reference)
    books = Books.load(organisation)
    channel_account = books.role(CHANNEL_ROLES[Channel(channel)])
    parts = _split(organisation, amount_minor, invoice, person.pk if person else None)
    with translation.override(organisation.language):
        text = _text("payment", channel=Channel(channel).label, reference=reference)
    try:
        voucher = ledger.post(
            organisation,
            ledger.Entry(
                booked_on=paid_on,
                text=text,
                lines=merge_lines(
                    [
                        ledger.Line(channel_account, amount_minor),
                        *_part_lines(books, parts),
                        *_recognition(organisation, books, parts),
                    ]
                ),
                source=VoucherSource.PAYMENT,
                series=Series.PAYMENTS,
                reference=(reference or (str(invoice.number) if invoice else ""))[:60],
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise PaymentError(str(error)) from error
    unplaced = all(part.kind == AllocationKind.UNPLACED for part in parts)
    payer_id = next((part.person_id for part in parts if part.person_id), None)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                organisation=organisation,
                channel=channel,
                amount_minor=amount_minor,
                paid_on=paid_on,
                reference=reference[:60],
                payer_name=payer_name[:200],
                person_id=payer_id,
                status=PaymentStatus.UNPLACED if unplaced else PaymentStatus.PLACED,
                note=note[:200],
                voucher=voucher,
                external_id=external_id[:120],
                created_by=actor.user,
                created_by_label=str(actor)[:254],
            )
    except IntegrityError as error:  # the same external id, registered at the same moment
        raise PaymentError(_("This payment has already been registered.")) from error
    _apply(organisation, payment, parts, voucher)
    audit.record(
        actor,
        "payments.payment.registered",
        payment,
        person=None,
        amount_minor=amount_minor,
        channel=channel,
        reference=reference,
        placed=[(p.kind, p.invoice.number if p.invoice else None, p.amount) for p in parts],
    )
    return payment


@transaction.atomic
def place_payment(
    payment: Payment,
    *,
    actor: Actor,
    invoice: Invoice | None = None,
    person: Person | None = None,
    placed_on: dt.date | None = None,
) -> Payment:
    """Place an unplaced payment on an invoice or a person, as `register_payment` would
    have: a voucher moves it from the unplaced account."""
    organisation = payment.organisation
    payment = locks.lock_payment(payment)
    if payment.status != PaymentStatus.UNPLACED:
        raise PaymentError(_("Only a payment that is not placed can be placed."))
    if invoice is None and person is None:
        raise PaymentError(_("Choose the invoice or the person the payment is from."))
    if invoice is not None and (
        invoice.organisation_id != organisation.pk or invoice.kind != InvoiceKind.INVOICE
    ):
        raise PaymentError(_("Choose an invoice of this association."))
    if person is not None and person.organisation_id != organisation.pk:
        raise PaymentError(_("Choose a person of this association."))
    books = Books.load(organisation)
    parts = _split(organisation, payment.amount_minor, invoice, person.pk if person else None)
    placed_on = placed_on or timezone.localdate()
    booked_on = max(placed_on, payment.paid_on)
    with translation.override(organisation.language):
        text = _text("placed", date=payment.paid_on.isoformat())
    lines = merge_lines(
        [
            ledger.Line(books.role("unplaced_payments"), payment.amount_minor),
            *_part_lines(books, parts),
            *_recognition(organisation, books, parts),
        ]
    )
    try:
        voucher = ledger.post(
            organisation,
            ledger.Entry(
                booked_on=booked_on,
                text=text,
                lines=lines,
                source=VoucherSource.PAYMENT,
                series=Series.PAYMENTS,
                reference=payment.reference,
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise PaymentError(str(error)) from error
    PaymentAllocation.objects.create(
        organisation=organisation,
        payment=payment,
        kind=AllocationKind.UNPLACED,
        amount_minor=-payment.amount_minor,
        voucher=voucher,
    )
    _apply(organisation, payment, parts, voucher)
    payment.status = PaymentStatus.PLACED
    payment.person_id = next((part.person_id for part in parts if part.person_id), None)
    payment.save(update_fields=["status", "person"])
    audit.record(
        actor,
        "payments.payment.placed",
        payment,
        person=None,
        placed=[(p.kind, p.invoice.number if p.invoice else None, p.amount) for p in parts],
    )
    return payment


@transaction.atomic
def reverse_payment(
    payment: Payment, *, actor: Actor, reason: str, reversed_on: dt.date | None = None
) -> Payment:
    """Undo a wrongly registered payment with a voucher that takes the money off the
    channel's account and puts back what each part settled: invoices open again, credit
    balances shrink (a credit already used leaves the payer owing it). Never a deletion."""
    organisation = payment.organisation
    payment = locks.lock_payment(payment)
    if payment.status == PaymentStatus.REVERSED:
        raise PaymentError(_("This payment has already been reversed."))
    if not reason.strip():
        raise PaymentError(_("Say why the payment is reversed."))
    books = Books.load(organisation)
    net: dict[tuple[str, int | None, int | None], int] = defaultdict(int)
    for allocation in payment.allocations.all():
        net[(allocation.kind, allocation.person_id, allocation.invoice_id)] += (
            allocation.amount_minor
        )
    invoices = {
        inv.pk: inv
        for inv in billing_locks.lock_invoices(
            Invoice.objects.filter(
                organisation=organisation, pk__in=[key[2] for key in net if key[2]]
            )
        )
    }
    parts = [
        _Part(kind, amount, person_id, invoices.get(invoice_id or 0))
        for (kind, person_id, invoice_id), amount in net.items()
        if amount
    ]
    reversed_on = reversed_on or timezone.localdate()
    booked_on = max(reversed_on, payment.paid_on)
    channel_account = books.role(CHANNEL_ROLES[Channel(payment.channel)])
    with translation.override(organisation.language):
        text = _text("reversed", date=payment.paid_on.isoformat(), reason=reason.strip())
    try:
        voucher = ledger.post(
            organisation,
            ledger.Entry(
                booked_on=booked_on,
                text=text[:200],
                lines=merge_lines(
                    [
                        ledger.Line(channel_account, -payment.amount_minor),
                        *_part_lines(books, parts, sign=-1),
                        *_recognition(organisation, books, parts, sign=-1),
                    ]
                ),
                source=VoucherSource.PAYMENT_REVERSAL,
                series=Series.PAYMENTS,
                reference=payment.reference,
                reverses=payment.voucher if payment.allocations.count() == len(parts) else None,
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise PaymentError(str(error)) from error
    PaymentAllocation.objects.bulk_create(
        PaymentAllocation(
            organisation=organisation,
            payment=payment,
            kind=part.kind,
            invoice=part.invoice,
            person_id=part.person_id,
            amount_minor=-part.amount,
            voucher=voucher,
        )
        for part in parts
    )
    for part in parts:
        if part.invoice is not None:
            part.invoice.open_minor += part.amount
            part.invoice.status = InvoiceStatus.OPEN
            part.invoice.save(update_fields=["open_minor", "status", "updated_at"])
    payment.status = PaymentStatus.REVERSED
    payment.reversal_voucher = voucher
    payment.reversed_at = timezone.now()
    payment.save(update_fields=["status", "reversal_voucher", "reversed_at"])
    audit.record(actor, "payments.payment.reversed", payment, person=None, reason=reason)
    return payment
