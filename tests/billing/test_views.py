"""The office pages of invoicing: the invoice list and page, crediting an invoice, a manual
invoice, billing runs (preview, then commit) and the billing settings; bad input, who may
see and do what (the payment pages too), other associations' ids, escaping and the list
pages' query counts. The payment pages' own tests are in tests/payments/test_views.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from forening.billing import services
from forening.billing.models import (
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Reminder,
)
from forening.core.models import Person
from forening.members.models import MembershipKind
from tests.billing.pages import (
    EVIL,
    TODAY,
    counts,
    invoice_for,
    line_data,
    membership_fees_account,
    payment_data,
    reload,
    texts,
    url,
)
from tests.conftest import World
from tests.factories.billing import ACTOR, make_invoice, pay
from tests.factories.core import PersonFactory
from tests.factories.fees import make_category
from tests.factories.members import MembershipTypeFactory, SavedSearchFactory, make_member


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)  # the admin reads the pages in English
    return client


# --- every page renders --------------------------------------------------------------------


def test_every_page_renders_for_the_admin(admin_client: Any, world: World) -> None:
    # given: an invoice partly credited, paid in part, reminded; an unplaced payment
    invoice = invoice_for(world, 30000, 10000)
    with scope(organisation=world.org.pk):
        note = services.credit_invoice(
            invoice, actor=ACTOR, amounts={invoice.lines.first().pk: 5000}
        )
        placed = pay(world.org, 10000, invoice=invoice, reference="Betalning april")
        unplaced = pay(world.org, 2500, reference="okänd")
        Reminder.objects.create(
            organisation=world.org,
            invoice=invoice,
            step=1,
            sent_on=TODAY,
            due_on=TODAY + dt.timedelta(days=10),
            channels="email",
            open_minor=25000,
        )
    pages = [
        url(world, "invoices"),
        url(world, "invoice", invoice_id=invoice.pk),
        url(world, "invoice", invoice_id=note.pk),
        url(world, "invoice-create"),
        url(world, "payments"),
        url(world, "payment-create"),
        url(world, "payment", payment_id=placed.pk),
        url(world, "payment", payment_id=unplaced.pk),
        url(world, "billing-run"),
        url(world, "billing-settings"),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert 'href="' + url(world, "payments") + '"' in response.content.decode()  # the tabs

    # then: the invoice page shows what happened to the invoice
    body = admin_client.get(url(world, "invoice", invoice_id=invoice.pk)).content.decode()
    assert invoice.ocr in body
    assert url(world, "member", person_id=world.member_person.pk) in body
    assert url(world, "invoice", invoice_id=note.pk) in body  # its credit note
    assert url(world, "payment", payment_id=placed.pk) in body
    assert "Overdue" in body  # due in February
    assert "text-bg-danger" in body
    assert "Credit the whole invoice" in body
    assert "Register a payment" in body
    assert url(world, "invoice-pdf", invoice_id=invoice.pk) in body
    # the reminder names its channel, not the stored code
    page = admin_client.get(url(world, "invoice", invoice_id=invoice.pk))
    assert [row.channel_labels for row in page.context["reminders"]] == [["E-mail"]]
    note_body = admin_client.get(url(world, "invoice", invoice_id=note.pk)).content.decode()
    assert url(world, "invoice", invoice_id=invoice.pk) in note_body  # the invoice it credits
    assert "Credit the whole invoice" not in note_body


# --- the invoice list ----------------------------------------------------------------------


def test_the_invoice_list_filters_and_sums(admin_client: Any, world: World) -> None:
    anna = PersonFactory(organisation=world.org, first_name="Anna", last_name="Andersson")
    bo = PersonFactory(organisation=world.org, first_name="Bo", last_name="Berg")
    overdue = invoice_for(world, 30000, payer=anna)
    current = invoice_for(world, 20000, payer=bo, issued_on=TODAY)
    paid = invoice_for(world, 10000, payer=bo, issued_on=TODAY)
    with scope(organisation=world.org.pk):
        pay(world.org, 10000, invoice=paid)
        pay(world.org, 5000, invoice=current)

    def numbers(query: str) -> list[int]:
        response = admin_client.get(url(world, "invoices") + query)
        assert response.status_code == 200
        return [row.invoice.number for row in response.context["rows"]]

    assert numbers("") == [paid.number, current.number, overdue.number]
    assert numbers("?status=overdue") == [overdue.number]
    assert numbers("?status=open") == [current.number, overdue.number]
    assert numbers("?status=paid") == [paid.number]
    assert numbers("?q=berg") == [paid.number, current.number]
    assert numbers(f"?q={overdue.number}") == [overdue.number]
    assert numbers(f"?q={current.ocr}") == [current.number]
    assert numbers(f"?issued_to={(TODAY - dt.timedelta(days=1)).isoformat()}") == [overdue.number]
    assert numbers("?issued_from=not-a-date") == [paid.number, current.number, overdue.number]

    response = admin_client.get(url(world, "invoices") + "?q=berg")
    assert response.context["sums"] == {"count": 2, "total": 30000, "open": 15000}
    assert "2 invoices, total 300,00\xa0kr, left to pay 150,00\xa0kr" in response.content.decode()


def test_the_invoice_list_pages_by_fifty(admin_client: Any, world: World) -> None:
    with scope(organisation=world.org.pk):
        for _ in range(51):
            make_invoice(world.org, world.member_person, 100)
    first = admin_client.get(url(world, "invoices"))
    assert len(first.context["rows"]) == 50
    assert first.context["sums"]["count"] == 51
    second = admin_client.get(url(world, "invoices") + "?page=2")
    assert [row.invoice.number for row in second.context["rows"]] == [1]


@pytest.mark.parametrize("name", ["invoices", "payments"])
def test_list_pages_run_a_constant_number_of_queries(
    admin_client: Any, world: World, name: str, django_assert_max_num_queries: Any
) -> None:
    def add(count: int) -> None:
        with scope(organisation=world.org.pk):
            for _ in range(count):
                payer = PersonFactory(organisation=world.org)
                invoice = make_invoice(world.org, payer, 30000)
                pay(world.org, 10000, invoice=invoice)
                pay(world.org, 500)

    add(2)
    admin_client.get(url(world, name))  # warm the session and caches
    with django_assert_max_num_queries(20) as few:
        admin_client.get(url(world, name))
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(url(world, name))
    assert len(response.context["rows"]) >= 12


# --- crediting -----------------------------------------------------------------------------


def test_crediting_the_whole_invoice_issues_a_credit_note(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000, 10000)
    response = admin_client.post(
        url(world, "invoice-credit", invoice_id=invoice.pk),
        {"scope": "all", "all-reason": "Fel avgift"},
    )
    assert response.status_code == 302
    assert response["Location"] == url(world, "invoice", invoice_id=invoice.pk)
    with scopes_disabled():
        note = Invoice.objects.get(credits=invoice)
    assert (note.kind, note.total_minor, note.text) == (
        InvoiceKind.CREDIT_NOTE,
        -40000,
        "Fel avgift",
    )
    assert reload(invoice).status == InvoiceStatus.CREDITED
    assert reload(invoice).open_minor == 0
    assert texts(response) == [
        f"Credit note {note.number} of 400,00\xa0kr has been issued for invoice {invoice.number}."
    ]


def test_crediting_chosen_lines_credits_those_amounts(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000, 10000)
    with scopes_disabled():
        first, second = list(invoice.lines.order_by("position"))
    page = admin_client.get(url(world, "invoice", invoice_id=invoice.pk))
    form = page.context["credit_lines_form"]
    assert form[f"line_{first.pk}"].value() == "300,00"  # prefilled with what is left
    assert 'value="300,00"' in page.content.decode()

    response = admin_client.post(
        url(world, "invoice-credit", invoice_id=invoice.pk),
        {"scope": "lines", f"lines-line_{first.pk}": "120,50", f"lines-line_{second.pk}": ""},
    )
    assert response.status_code == 302
    with scopes_disabled():
        note = Invoice.objects.get(credits=invoice)
        assert [(ln.credits_line_id, ln.amount_minor) for ln in note.lines.all()] == [
            (first.pk, -12050)
        ]
    assert reload(invoice).open_minor == 40000 - 12050
    # what is left is offered next time
    page = admin_client.get(url(world, "invoice", invoice_id=invoice.pk))
    assert page.context["credit_lines_form"][f"line_{first.pk}"].value() == "179,50"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("300,01", "A credit note cannot credit more than is left of a line."),
        ("-10", "Credit amounts are positive whole numbers of öre/øre."),
        ("0", "Nothing is left to credit on this invoice."),
        ("tio kronor", "Enter an amount, such as 250 or 1 234,50."),
    ],
)
def test_a_bad_credit_writes_nothing(
    admin_client: Any, world: World, amount: str, message: str
) -> None:
    invoice = invoice_for(world, 30000)
    with scopes_disabled():
        line = invoice.lines.get()
    before = counts()
    response = admin_client.post(
        url(world, "invoice-credit", invoice_id=invoice.pk),
        {"scope": "lines", f"lines-line_{line.pk}": amount},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert texts(response)[0].startswith("The invoice has not been credited.")
    assert counts() == before
    assert reload(invoice).status == InvoiceStatus.OPEN


def test_a_credit_note_cannot_be_credited_or_paid(admin_client: Any, world: World) -> None:
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        note = services.credit_invoice(invoice, actor=ACTOR)
    before = counts()
    response = admin_client.post(url(world, "invoice-credit", invoice_id=note.pk), {"scope": "all"})
    assert response.status_code == 200
    assert "A credit note cannot be credited." in response.content.decode()
    response = admin_client.post(url(world, "invoice-payment", invoice_id=note.pk), payment_data())
    assert "A payment is registered on an invoice, not a credit note." in response.content.decode()
    assert counts() == before


# --- a manual invoice ----------------------------------------------------------------------


def test_a_manual_invoice_is_issued_to_the_chosen_payer(admin_client: Any, world: World) -> None:
    account = membership_fees_account(world)
    page = admin_client.get(url(world, "invoice-create") + "?q=gunnel")
    assert [p.pk for p in page.context["form"].fields["payer"].queryset] == [world.group_person.pk]
    response = admin_client.post(
        url(world, "invoice-create"),
        {
            "payer": world.group_person.pk,
            "text": "Cup 2026",
            "issued_on": TODAY.isoformat(),
            "due_on": "",
            **line_data(
                account,
                {"description": "Cupavgift", "amount": "450"},
                {"description": "Tröja", "amount": "125,00", "vat_rate": "25"},
            ),
        },
    )
    with scopes_disabled():
        invoice = Invoice.objects.get()
        lines = [(ln.description, ln.amount_minor, ln.vat_minor) for ln in invoice.lines.all()]
    assert response.status_code == 302
    assert response["Location"] == url(world, "invoice", invoice_id=invoice.pk)
    assert invoice.payer_id == world.group_person.pk
    assert invoice.total_minor == 57500
    assert invoice.text == "Cup 2026"
    assert lines == [("Cupavgift", 45000, 0), ("Tröja", 12500, 2500)]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "Add at least one line."),
        ([{"description": "Avgift", "amount": "0"}], "An invoice must come to more than zero."),
        ([{"description": "Avgift", "amount": "-50"}], "An invoice must come to more than zero."),
        ([{"description": "", "amount": "50"}], "This field is required."),
    ],
)
def test_a_bad_manual_invoice_writes_nothing(
    admin_client: Any, world: World, lines: list[dict[str, Any]], message: str
) -> None:
    account = membership_fees_account(world)
    before = counts()
    response = admin_client.post(
        url(world, "invoice-create"),
        {
            "payer": world.group_person.pk,
            **line_data(account, *lines),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert counts() == before


def test_a_payer_of_another_association_cannot_be_chosen(admin_client: Any, world: World) -> None:
    account = membership_fees_account(world)
    before = counts()
    response = admin_client.post(
        url(world, "invoice-create"),
        {
            "payer": world.stranger_person.pk,
            **line_data(account, {"description": "Avgift", "amount": "50"}),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert "Utomstående" not in response.content.decode()
    assert counts() == before


# --- billing runs --------------------------------------------------------------------------


@pytest.fixture
def members_to_bill(world: World) -> list[Person]:
    with scope(organisation=world.org.pk):
        ordinary = MembershipTypeFactory(
            organisation=world.org, kind=MembershipKind.ORDINARY, name="Ordinary"
        )
        honorary = MembershipTypeFactory(
            organisation=world.org, kind=MembershipKind.HONORARY, name="Honorary"
        )
        make_category(world.org, name="Membership fee", amount_minor=30000)
        billed = [
            make_member(world.org, membership_type=ordinary, joined_on=dt.date(2020, 1, 1))
            for _ in range(3)
        ]
        make_member(world.org, membership_type=honorary, joined_on=dt.date(2020, 1, 1))
    return billed


def test_a_billing_run_is_previewed_then_committed(
    admin_client: Any, world: World, members_to_bill: list[Person]
) -> None:
    # when: the office previews the run
    query = f"?fee_year=2026&selection=&issued_on={TODAY.isoformat()}&due_on="
    response = admin_client.get(url(world, "billing-run") + query)
    # then: it sees what would be invoiced, and nothing is written yet
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["invoice_count"] == 3
    assert preview["total_minor"] == 90000
    assert preview["plan"].already_billed == 0
    assert [(row.name, row.lines, row.amount_minor) for row in preview["plan"].totals] == [
        ("Membership fee", 3, 90000)
    ]
    assert ("Honorary members", 1) in preview["skipped"]
    assert {draft.payer_name for draft in preview["first"]} == {
        p.full_name for p in members_to_bill
    }
    assert preview["due_on"] == TODAY + dt.timedelta(days=30)
    body = response.content.decode()
    assert "Issue 3 invoices" in body
    assert counts() == (0, 0, 0, 0)

    # when: it commits with the same parameters
    response = admin_client.post(url(world, "billing-run"), preview["parameters"])
    # then: the invoices are issued, and the list shows the run's invoices
    with scopes_disabled():
        run = BillingRun.objects.get()
        invoices = list(Invoice.objects.filter(billing_run=run))
    assert response.status_code == 302
    assert response["Location"] == url(world, "invoices") + f"?run={run.pk}"
    assert len(invoices) == run.invoice_count == 3
    assert {invoice.payer_id for invoice in invoices} == {p.pk for p in members_to_bill}
    assert texts(response) == ["3 invoices of 900,00\xa0kr in all have been issued."]
    listing = admin_client.get(response["Location"])
    assert len(listing.context["rows"]) == 3
    assert listing.context["run"] == run

    # a second preview finds the fees already invoiced
    again = admin_client.get(url(world, "billing-run") + query).context["preview"]
    assert (again["invoice_count"], again["plan"].already_billed) == (0, 3)
    response = admin_client.post(url(world, "billing-run"), again["parameters"])
    assert texts(response) == ["There is nothing new to invoice for this year and selection."]
    assert counts()[3] == 1


def test_a_billing_run_offers_the_associations_saved_searches(
    admin_client: Any, world: World
) -> None:
    with scopes_disabled():
        mine = SavedSearchFactory(organisation=world.org, name="Juniorer")
        SavedSearchFactory(organisation=world.other_org, name="Deras sökning")
    response = admin_client.get(url(world, "billing-run"))
    assert list(response.context["form"].fields["selection"].queryset) == [mine]
    assert "Deras sökning" not in response.content.decode()


def test_a_bad_billing_run_writes_nothing(admin_client: Any, world: World) -> None:
    response = admin_client.post(
        url(world, "billing-run"),
        {"fee_year": "1999", "issued_on": TODAY.isoformat()},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["fee_year"]
    assert counts() == (0, 0, 0, 0)


# --- settings ------------------------------------------------------------------------------


def test_the_billing_settings_are_saved(admin_client: Any, world: World) -> None:
    response = admin_client.post(
        url(world, "billing-settings"),
        {
            "bankgiro": "5050-1055",
            "plusgiro": "",
            "swish_number": "123 456 78 90",
            "iban": "se45 5000 0000 0583 9825 7466",
            "payment_terms_days": "20",
            "reminder_steps": "2",
            "reminder_after_days": "10",
            "reminder_interval_days": "14",
            "reminder_terms_days": "10",
            "reminder_fee": "60",
            "invoice_note": "Frågor: kassor@example.se",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        found = BillingSettings.objects.get(organisation=world.org)
    assert (found.bankgiro, found.swish_number) == ("5050-1055", "1234567890")
    assert found.iban == "SE4550000000058398257466"
    assert (found.payment_terms_days, found.reminder_fee_minor) == (20, 6000)
    page = admin_client.get(url(world, "billing-settings"))
    assert page.context["form"]["reminder_fee"].value() == "60,00"
    assert 'value="60,00"' in page.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bankgiro", "5050-1056", "Bankgiro number is not valid: check the digits."),
        ("swish_number", "0701234567", "A Swish number for payments has 10 digits"),
        ("iban", "SE45 5000 0000 0583 9825 7467", "That is not a valid IBAN"),
        ("reminder_steps", "9", "At most five reminders can be sent for one invoice."),
        ("reminder_fee", "-5", "The amount cannot be negative."),
    ],
)
def test_bad_billing_settings_are_refused(
    admin_client: Any, world: World, field: str, value: str, message: str
) -> None:
    data = {
        "payment_terms_days": "30",
        "reminder_steps": "2",
        "reminder_after_days": "10",
        "reminder_interval_days": "14",
        "reminder_terms_days": "10",
        field: value,
    }
    response = admin_client.post(url(world, "billing-settings"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    with scopes_disabled():
        found = BillingSettings.objects.filter(organisation=world.org).first()
    assert found is None or (found.bankgiro, found.reminder_steps) == ("", 2)


# --- who may see and do what ---------------------------------------------------------------


@pytest.fixture
def rows(world: World) -> dict[str, Any]:
    invoice = invoice_for(world, 30000)
    with scope(organisation=world.org.pk):
        unplaced = pay(world.org, 30000)
    return {"invoice": invoice, "payment": unplaced}


def pages(world: World, rows: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(url, method, a payload the admin's page would accept) for every page and action."""
    invoice, payment = rows["invoice"], rows["payment"]
    account = membership_fees_account(world)
    return [
        (url(world, "invoices"), "get", {}),
        (url(world, "invoice", invoice_id=invoice.pk), "get", {}),
        (url(world, "invoice-create"), "get", {}),
        (
            url(world, "invoice-create"),
            "post",
            {
                "payer": world.member_person.pk,
                **line_data(account, {"description": "Avgift", "amount": "50"}),
            },
        ),
        (url(world, "invoice-credit", invoice_id=invoice.pk), "post", {"scope": "all"}),
        (url(world, "invoice-payment", invoice_id=invoice.pk), "post", payment_data()),
        (url(world, "payments"), "get", {}),
        (url(world, "payment-create"), "get", {}),
        (url(world, "payment-create"), "post", payment_data()),
        (url(world, "payment", payment_id=payment.pk), "get", {}),
        (
            url(world, "payment-place", payment_id=payment.pk),
            "post",
            {"invoice_number": invoice.number},
        ),
        (url(world, "payment-reverse", payment_id=payment.pk), "post", {"reason": "Fel"}),
        (url(world, "billing-run"), "get", {}),
        (url(world, "billing-run") + "?fee_year=2026", "get", {}),
        (url(world, "billing-run"), "post", {"fee_year": "2026"}),
        (url(world, "billing-settings"), "get", {}),
        (
            url(world, "billing-settings"),
            "post",
            {
                "payment_terms_days": "10",
                "reminder_steps": "1",
                "reminder_after_days": "1",
                "reminder_interval_days": "1",
                "reminder_terms_days": "1",
            },
        ),
    ]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("member", 403), ("leader", 403), ("outsider", 404), ("unit_admin", 404)],
)
def test_other_personas_are_refused_everywhere(
    client: Any, world: World, rows: dict[str, Any], persona: str, status: int
) -> None:
    client.force_login(world.persona(persona))
    before = counts()
    for page, method, data in pages(world, rows):
        response = getattr(client, method)(page, data)
        assert response.status_code == status, (persona, method, page)
    assert counts() == before
    with scopes_disabled():
        assert not BillingSettings.objects.filter(payment_terms_days=10).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, world: World) -> None:
    response = client.get(url(world, "invoices"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_actions_answer_only_post(
    admin_client: Any, world: World, rows: dict[str, Any]
) -> None:
    invoice, payment = rows["invoice"], rows["payment"]
    for name, kwargs in [
        ("invoice-credit", {"invoice_id": invoice.pk}),
        ("invoice-payment", {"invoice_id": invoice.pk}),
        ("payment-place", {"payment_id": payment.pk}),
        ("payment-reverse", {"payment_id": payment.pk}),
    ]:
        assert admin_client.get(url(world, name, **kwargs)).status_code == 405


def test_another_associations_invoices_and_payments_are_not_found(
    admin_client: Any, world: World
) -> None:
    with scope(organisation=world.other_org.pk):
        theirs = make_invoice(world.other_org, world.stranger_person, 30000)
        their_payment = pay(world.other_org, 500)
    before = counts()
    for name, kwargs, method, data in [
        ("invoice", {"invoice_id": theirs.pk}, "get", {}),
        ("invoice-credit", {"invoice_id": theirs.pk}, "post", {"scope": "all"}),
        ("invoice-payment", {"invoice_id": theirs.pk}, "post", payment_data()),
        ("payment", {"payment_id": their_payment.pk}, "get", {}),
        ("payment-place", {"payment_id": their_payment.pk}, "post", {"person": ""}),
        ("payment-reverse", {"payment_id": their_payment.pk}, "post", {"reason": "x"}),
    ]:
        response = getattr(admin_client, method)(url(world, name, **kwargs), data)
        assert response.status_code == 404, name
    assert counts() == before
    # nor can their invoice number be paid or searched from here
    response = admin_client.post(
        url(world, "payment-create"), payment_data(invoice_number=theirs.number)
    )
    assert "No invoice has this number." in response.content.decode()
    listing = admin_client.get(url(world, "invoices") + f"?q={theirs.ocr}")
    assert listing.context["rows"] == []
    assert counts() == before


# --- escaping ------------------------------------------------------------------------------


def test_names_are_escaped(admin_client: Any, world: World) -> None:
    evil = PersonFactory(organisation=world.org, first_name=EVIL, last_name="Ek")
    invoice = invoice_for(world, 30000, payer=evil)
    with scope(organisation=world.org.pk):
        payment = pay(world.org, 100, invoice=invoice)
        pay(world.org, 100, payer_name=EVIL)
    for page in [
        url(world, "invoices"),
        url(world, "invoice", invoice_id=invoice.pk),
        url(world, "payments"),
        url(world, "payment", payment_id=payment.pk),
        url(world, "invoice-create") + "?q=ek",
    ]:
        body = admin_client.get(page).content.decode()
        assert "<script>alert" not in body, page
        assert escape(EVIL) in body, page


def test_junk_in_the_query_string_is_not_an_error(admin_client: Any, world: World) -> None:
    huge = "9" * 30
    for page in [
        url(world, "invoices") + f"?run={huge}&status=nonsense&page=x",
        url(world, "invoices") + f"?q={huge}",
        url(world, "payments") + "?channel=cheque&paid_to=31.31.2026",
        url(world, "invoice-create") + f"?person={huge}&q=%00",
        url(world, "payment-create") + f"?person={huge}",
        url(world, "billing-run") + "?fee_year=tjugo",
    ]:
        assert admin_client.get(page).status_code == 200, page
