"""Issuing invoices and credit notes, and what they book (INV-02, INV-04 credit notes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from forening.billing import ocr, services
from forening.billing.models import InvoiceKind, InvoiceStatus, LineKind
from forening.ledger.models import Series, VoucherLine
from forening.ledger.services import accounts_by_role, balance
from tests.factories.billing import ACTOR, line, make_invoice, pay
from tests.factories.core import PersonFactory


def lines_of(voucher: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in VoucherLine.objects.filter(voucher=voucher).select_related("account"):
        found[row.account.number] = found.get(row.account.number, 0) + row.amount
    return found


def test_invoice_books_receivables_against_revenue(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000, 15000)
    assert invoice.total_minor == invoice.open_minor == 45000
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.voucher.series == Series.INVOICES
    assert lines_of(invoice.voucher) == {"1510": 45000, "3010": -45000}
    assert ocr.is_valid(invoice.ocr)
    assert ocr.invoice_number_from_reference(invoice.ocr, prefix="", width=8) == invoice.number
    assert invoice.due_on == invoice.issued_on + dt.timedelta(days=30)


def test_invoice_numbers_are_gap_free(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    numbers = [make_invoice(org, payer).number for _ in range(3)]
    assert numbers == [1, 2, 3]
    with pytest.raises(services.BillingError):
        services.issue_invoice(org, payer, [line(org, 0)], actor=ACTOR)
    assert make_invoice(org, payer).number == 4


def test_vat_lines_book_output_vat(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = services.issue_invoice(
        org, payer, [line(org, 12500, "Tröja", role="membership_fees", vat_rate=25)], actor=ACTOR
    )
    assert invoice.vat_minor == 2500
    assert lines_of(invoice.voucher) == {"1510": 12500, "3010": -10000, "2611": -2500}


def test_credit_note_for_an_open_invoice_takes_it_off_receivables(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000, 10000)
    note = services.credit_invoice(invoice, actor=ACTOR, reason="Fel avgift")
    invoice.refresh_from_db()
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number == invoice.number + 1
    assert note.total_minor == -40000
    assert invoice.open_minor == 0
    assert invoice.status == InvoiceStatus.CREDITED
    assert lines_of(note.voucher) == {"1510": -40000, "3010": 40000}
    receivables = accounts_by_role(org)["receivables"]
    assert balance(org, [receivables], person_id=payer.pk) == 0


def test_credit_note_after_payment_goes_to_the_credit_balance(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    pay(org, 20000, invoice=invoice)
    first = invoice.lines.get()
    services.credit_invoice(invoice, actor=ACTOR, amounts={first.pk: 30000})
    invoice.refresh_from_db()
    assert invoice.open_minor == 0
    assert invoice.status == InvoiceStatus.CREDITED
    assert services.credit_balances(org) == {payer.pk: 20000}
    # … which the next invoice uses
    later = make_invoice(org, payer, 50000)
    assert later.total_minor == 30000
    used = later.lines.get(kind=LineKind.CREDIT_BALANCE)
    assert used.amount_minor == -20000
    assert services.credit_balances(org) == {}
    assert lines_of(later.voucher) == {"1510": 30000, "2420": 20000, "3010": -50000}


def test_credit_note_cannot_exceed_the_invoice(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    first = invoice.lines.get()
    with pytest.raises(services.BillingError, match="more than is left"):
        services.credit_invoice(invoice, actor=ACTOR, amounts={first.pk: 30001})
    services.credit_invoice(invoice, actor=ACTOR, amounts={first.pk: 10000})
    with pytest.raises(services.BillingError, match="more than is left"):
        services.credit_invoice(invoice, actor=ACTOR, amounts={first.pk: 20001})
    services.credit_invoice(invoice, actor=ACTOR)
    with pytest.raises(services.BillingError, match="Nothing is left"):
        services.credit_invoice(invoice, actor=ACTOR)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED


def test_reminder_fee_line_adds_to_the_invoice(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    services.add_line(
        invoice,
        line(org, 6000, "Påminnelseavgift", role="reminder_fees", kind=LineKind.REMINDER_FEE),
        actor=ACTOR,
        booked_on=dt.date(2026, 3, 1),
    )
    invoice.refresh_from_db()
    assert invoice.total_minor == invoice.open_minor == 36000


def test_member_ledger_runs_the_balance(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000, issued_on=dt.date(2026, 1, 10))
    pay(org, 50000, invoice=invoice, paid_on=dt.date(2026, 1, 20))
    found = services.member_ledger(org, payer, today=dt.date(2026, 3, 1))
    assert [row.amount for row in found.rows] == [30000, -30000, -20000]
    assert found.balance == -20000
    assert found.credit == 20000
    assert found.receivables == 0
    assert found.invoices[0].status == InvoiceStatus.PAID
