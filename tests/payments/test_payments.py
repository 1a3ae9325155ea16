"""Registering, placing and reversing payments (PAY-01), and what each books."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from forening.billing.models import InvoiceStatus
from forening.billing.services import credit_balances
from forening.ledger.models import Series, VoucherLine, VoucherSource
from forening.payments import services
from forening.payments.models import AllocationKind, Channel, PaymentStatus
from tests.factories.billing import ACTOR, make_invoice, pay
from tests.factories.core import PersonFactory


def booked(voucher: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in VoucherLine.objects.filter(voucher=voucher).select_related("account"):
        found[row.account.number] = found.get(row.account.number, 0) + row.amount
    return found


def test_payment_by_ocr_settles_the_invoice(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    payment = pay(org, 30000, reference=f" {invoice.ocr[:3]} {invoice.ocr[3:]} ")
    invoice.refresh_from_db()
    assert invoice.open_minor == 0
    assert invoice.status == InvoiceStatus.PAID
    assert payment.status == PaymentStatus.PLACED
    assert payment.person_id == payer.pk
    assert payment.voucher.series == Series.PAYMENTS
    assert booked(payment.voucher) == {"1930": 30000, "1510": -30000}


def test_partial_payment_leaves_the_rest_open(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    pay(org, 10000, invoice=invoice, channel=Channel.SWISH)
    invoice.refresh_from_db()
    assert invoice.open_minor == 20000
    assert invoice.status == InvoiceStatus.OPEN


def test_overpayment_becomes_a_credit_balance(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    payment = pay(org, 35000, invoice=invoice)
    assert booked(payment.voucher) == {"1930": 35000, "1510": -30000, "2420": -5000}
    assert credit_balances(org) == {payer.pk: 5000}


def test_payment_for_a_person_settles_the_oldest_invoices_first(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    older = make_invoice(org, payer, 10000, issued_on=dt.date(2026, 1, 1))
    newer = make_invoice(org, payer, 10000, issued_on=dt.date(2026, 1, 20))
    pay(org, 15000, person=payer)
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.open_minor, newer.open_minor) == (0, 5000)


def test_unknown_reference_is_kept_unplaced_and_can_be_placed(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    payment = pay(org, 30000, reference="9999999999", payer_name="K. Kvist")
    assert payment.status == PaymentStatus.UNPLACED
    assert booked(payment.voucher) == {"1930": 30000, "2891": -30000}
    invoice.refresh_from_db()
    assert invoice.open_minor == 30000
    services.place_payment(payment, actor=ACTOR, invoice=invoice, placed_on=dt.date(2026, 2, 3))
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert payment.status == PaymentStatus.PLACED
    with pytest.raises(services.PaymentError):
        services.place_payment(payment, actor=ACTOR, person=payer)


def test_reversal_reopens_the_invoice_with_a_voucher(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    payment = pay(org, 40000, invoice=invoice)
    services.reverse_payment(
        payment, actor=ACTOR, reason="Fel medlem", reversed_on=dt.date(2026, 2, 5)
    )
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == PaymentStatus.REVERSED
    assert invoice.open_minor == 30000
    assert invoice.status == InvoiceStatus.OPEN
    assert credit_balances(org) == {}
    assert payment.reversal_voucher.source == VoucherSource.PAYMENT_REVERSAL
    assert booked(payment.reversal_voucher) == {"1930": -40000, "1510": 30000, "2420": 10000}
    assert payment.reversal_voucher.reverses_id == payment.voucher_id
    with pytest.raises(services.PaymentError, match="already been reversed"):
        services.reverse_payment(payment, actor=ACTOR, reason="again")


def test_reversal_of_a_placed_unplaced_payment_nets_every_step(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    payment = pay(org, 30000, reference="okänd")
    services.place_payment(payment, actor=ACTOR, invoice=invoice)
    services.reverse_payment(payment, actor=ACTOR, reason="Återbetald av banken")
    payment.refresh_from_db()
    assert booked(payment.reversal_voucher) == {"1930": -30000, "1510": 30000}
    kinds = sorted(a.kind for a in payment.allocations.all())
    assert kinds.count(AllocationKind.UNPLACED) == 2


@pytest.mark.parametrize("amount", [0, -100])
def test_zero_or_negative_amount_is_refused(org: Any, amount: int) -> None:
    with pytest.raises(services.PaymentError, match="more than zero"):
        pay(org, amount)


def test_same_external_id_is_registered_once(org: Any) -> None:
    first = pay(org, 10000, external_id="bgmax:1:7")
    again = pay(org, 10000, external_id="bgmax:1:7")
    assert first.pk == again.pk
    assert VoucherLine.objects.filter(voucher__source=VoucherSource.PAYMENT).count() == 2


def test_another_associations_invoice_is_refused(world: Any) -> None:
    from django_scopes import scopes_disabled

    with scopes_disabled():
        stranger = make_invoice(world.other_org, world.stranger_person)
        with pytest.raises(services.PaymentError, match="this association"):
            pay(world.org, 100, invoice=stranger)
        with pytest.raises(services.PaymentError, match="this association"):
            pay(world.org, 100, person=world.stranger_person)
