"""The payment pages: paying an invoice from its page, registering a payment (by OCR
reference, invoice number or person, or unplaced), placing and reversing it; bad input
writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from forening.billing import services
from forening.billing.models import InvoiceStatus
from forening.payments.models import Channel, Payment, PaymentStatus
from tests.billing.pages import (
    TODAY,
    counts,
    invoice_for,
    panel,
    payment_data,
    reload,
    texts,
    url,
)
from tests.conftest import World
from tests.factories.billing import pay


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)  # the admin reads the pages in English
    return client


# --- paying an invoice ---------------------------------------------------------------------


def test_a_payment_registered_on_the_invoice_pays_it(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000, 15000)
    page = admin_client.get(url(world, "invoice", invoice_id=invoice.pk))
    assert panel(page, "payment")["form"]["amount"].value() == "450,00"  # what is left to pay

    response = admin_client.post(
        url(world, "invoice-payment", invoice_id=invoice.pk),
        payment_data("450,00", channel=Channel.SWISH, reference="Swish 123"),
    )
    assert response.status_code == 302
    assert reload(invoice).status == InvoiceStatus.PAID
    with scopes_disabled():
        payment = Payment.objects.get()
        assert payment.channel == Channel.SWISH
        assert payment.person_id == world.member_person.pk
        assert payment.allocations.get().invoice_id == invoice.pk
    assert texts(response) == [
        f"A payment of 450,00\xa0kr has been registered on invoice {invoice.number}."
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "A payment must be more than zero."),
        ("-100", "A payment must be more than zero."),
        ("", "This field is required."),
        ("1,2,3", "Enter an amount, such as 250 or 1 234,50."),
        ("1000000000000", "An amount is too large."),
    ],
)
def test_a_bad_payment_writes_nothing(
    admin_client: Any, world: World, amount: str, message: str
) -> None:
    invoice = invoice_for(world, 30000)
    before = counts()
    response = admin_client.post(
        url(world, "invoice-payment", invoice_id=invoice.pk), payment_data(amount)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert texts(response)[0].startswith("The payment has not been registered.")
    assert counts() == before
    assert reload(invoice).open_minor == 30000


def test_a_payment_dated_in_the_future_is_refused(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000)
    before = counts()
    response = admin_client.post(
        url(world, "invoice-payment", invoice_id=invoice.pk),
        payment_data(paid_on=(TODAY + dt.timedelta(days=5)).isoformat()),
    )
    assert "A payment cannot be dated in the future." in response.content.decode()
    assert counts() == before


# --- registering, placing and reversing payments ------------------------------------------


def test_a_payment_with_an_ocr_reference_pays_its_invoice(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000)
    response = admin_client.post(
        url(world, "payment-create"), payment_data("300", reference=invoice.ocr)
    )
    with scopes_disabled():
        payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(world, "payment", payment_id=payment.pk)
    assert payment.status == PaymentStatus.PLACED
    assert reload(invoice).status == InvoiceStatus.PAID


def test_a_payment_by_invoice_number_or_person_is_placed(admin_client: Any, world: World) -> None:
    first = invoice_for(world, 30000)
    second = invoice_for(world, 20000, payer=world.group_person)
    admin_client.post(
        url(world, "payment-create"), payment_data("100", invoice_number=first.number)
    )
    assert reload(first).open_minor == 20000

    # the person is chosen from the search results
    page = admin_client.get(url(world, "payment-create") + "?q=lagspelare")
    assert [p.pk for p in page.context["form"].fields["person"].queryset] == [world.group_person.pk]
    response = admin_client.post(
        url(world, "payment-create"), payment_data("250", person=world.group_person.pk)
    )
    assert response.status_code == 302
    assert reload(second).status == InvoiceStatus.PAID
    # 50 kr beyond the invoice is the person's credit balance
    with scope(organisation=world.org.pk):
        assert services.credit_balances(world.org) == {world.group_person.pk: 5000}


def test_a_payment_nobody_can_place_is_kept_unplaced(admin_client: Any, world: World) -> None:
    response = admin_client.post(
        url(world, "payment-create"), payment_data("75", reference="Medlem?", payer_name="K. Ek")
    )
    with scopes_disabled():
        payment = Payment.objects.get()
    assert payment.status == PaymentStatus.UNPLACED
    assert payment.payer_name == "K. Ek"
    assert "registered but not placed" in texts(response)[0]
    listing = admin_client.get(url(world, "payments") + "?status=unplaced")
    assert [row.payment.pk for row in listing.context["rows"]] == [payment.pk]
    assert "table-warning" in listing.content.decode()


def test_payments_waiting_to_be_placed_head_the_list(admin_client: Any, world: World) -> None:
    # given: an unplaced payment older than two placed ones
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        waiting = pay(world.org, 2500, reference="okänd", paid_on=dt.date(2026, 1, 5))
        older = pay(world.org, 1000, invoice=invoice, paid_on=dt.date(2026, 1, 10))
        newer = pay(world.org, 1000, invoice=invoice, paid_on=dt.date(2026, 3, 1))
    assert waiting.status == PaymentStatus.UNPLACED
    # then: it comes first, the others newest first
    listing = admin_client.get(url(world, "payments"))
    assert [row.payment.pk for row in listing.context["rows"]] == [waiting.pk, newer.pk, older.pk]


def test_a_payment_cannot_name_both_an_invoice_and_a_person(
    admin_client: Any, world: World
) -> None:
    invoice = invoice_for(world, 30000)
    before = counts()
    response = admin_client.post(
        url(world, "payment-create"),
        payment_data(invoice_number=invoice.number, person=world.member_person.pk),
    )
    assert "Choose an invoice or a person, not both." in response.content.decode()
    response = admin_client.post(url(world, "payment-create"), payment_data(invoice_number=999))
    assert "No invoice has this number." in response.content.decode()
    assert counts() == before


def test_placing_an_unplaced_payment_pays_the_invoice(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        payment = pay(world.org, 30000, reference="okänd")
    page = admin_client.get(url(world, "payment", payment_id=payment.pk))
    assert "Place the payment" in page.content.decode()

    response = admin_client.post(
        url(world, "payment-place", payment_id=payment.pk), {"invoice_number": invoice.number}
    )
    assert response.status_code == 302
    assert reload(payment).status == PaymentStatus.PLACED
    assert reload(invoice).status == InvoiceStatus.PAID
    assert texts(response) == ["The payment of 300,00\xa0kr has been placed."]


def test_placing_needs_an_invoice_or_a_person(admin_client: Any, world: World) -> None:
    with scope(organisation=world.org.pk):
        payment = pay(world.org, 30000)
    before = counts()
    response = admin_client.post(url(world, "payment-place", payment_id=payment.pk), {})
    assert response.status_code == 200
    assert "Choose the invoice or the person the payment is from." in response.content.decode()
    assert counts() == before
    # a placed payment is not placed again
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        placed = pay(world.org, 100, invoice=invoice)
    before = counts()
    response = admin_client.post(
        url(world, "payment-place", payment_id=placed.pk), {"invoice_number": invoice.number}
    )
    assert "Only a payment that is not placed can be placed." in response.content.decode()
    assert counts() == before


def test_reversing_a_payment_opens_the_invoice_again(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        payment = pay(world.org, 30000, invoice=invoice)
    before = counts()
    response = admin_client.post(url(world, "payment-reverse", payment_id=payment.pk), {})
    assert response.status_code == 200
    assert "Say why the payment is reversed." in response.content.decode()
    assert counts() == before

    response = admin_client.post(
        url(world, "payment-reverse", payment_id=payment.pk), {"reason": "Fel medlem"}
    )
    assert response.status_code == 302
    assert reload(payment).status == PaymentStatus.REVERSED
    assert reload(invoice).status == InvoiceStatus.OPEN
    assert reload(invoice).open_minor == 30000
    page = admin_client.get(url(world, "payment", payment_id=payment.pk)).content.decode()
    assert "Reverse the payment" not in page
    response = admin_client.post(
        url(world, "payment-reverse", payment_id=payment.pk), {"reason": "Igen"}
    )
    assert "This payment has already been reversed." in response.content.decode()
