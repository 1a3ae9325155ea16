"""The financial reports (ACC-03): income per fee category and cost centre, the ageing of
receivables, payments per channel and month; the office page and its Excel download."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scope, scopes_disabled

from forening.billing import report_book, reports, services
from forening.billing.models import Invoice, LineKind
from forening.core.models import AuditEvent, Organisation, Person
from forening.fees.models import FeeCategory
from forening.ledger.models import CostCentre
from forening.ledger.services import year_bounds
from forening.payments import reports as payment_reports
from forening.payments import services as payments
from forening.payments.models import Channel
from tests.conftest import World
from tests.factories.billing import ACTOR, line, pay
from tests.factories.core import PersonFactory
from tests.factories.fees import FeeCategoryFactory, fee_account

START, END, AS_OF = dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2026, 6, 30)
PERIOD = {"starts_on": START.isoformat(), "ends_on": END.isoformat(), "as_of": AS_OF.isoformat()}


@dataclass
class Scenario:
    membership: FeeCategory
    training: FeeCategory
    football: CostCentre
    anna: Person
    bertil: Person
    cecilia: Person
    david: Person


def fee(org: Organisation, amount: int, category: FeeCategory, **fields: Any) -> Any:
    role = "training_fees" if category.account.role == "training_fees" else "membership_fees"
    return line(
        org,
        amount,
        category.name,
        role=role,
        kind=LineKind.FEE,
        category_id=category.pk,
        **fields,
    )


def invoice(
    org: Organisation, payer: Person, lines: list[Any], issued: dt.date, due: dt.date
) -> Invoice:
    return services.issue_invoice(org, payer, lines, actor=ACTOR, issued_on=issued, due_on=due)


def build(org: Organisation) -> Scenario:
    """Invoices and payments of 2026 (and one of 2025, outside every period asked for)."""
    football = CostCentre.objects.create(organisation=org, code="10", name="Fotboll")
    membership = FeeCategoryFactory(organisation=org, name="Medlemsavgift")
    training = FeeCategoryFactory(
        organisation=org,
        name="Träningsavgift P12",
        account=fee_account(org, "training_fees"),
        cost_centre=football,
    )
    anna = PersonFactory(organisation=org, first_name="Anna", last_name="Andersson")
    bertil = PersonFactory(organisation=org, first_name="Bertil", last_name="Berg")
    cecilia = PersonFactory(organisation=org, first_name="Cecilia", last_name="Carlsson")
    david = PersonFactory(organisation=org, first_name="David", last_name="Dahl")
    erik = PersonFactory(organisation=org, first_name="Erik", last_name="Ek")

    # Anna: two categories and a shirt with VAT; part of the training fee credited, then a
    # partial payment. 325 kr left, due in February: more than 90 days overdue in June.
    first = invoice(
        org,
        anna,
        [
            fee(org, 30000, membership),
            fee(org, 50000, training, cost_centre_id=football.pk),
            line(org, 12500, "Tröja", vat_rate=25),
        ],
        dt.date(2026, 1, 15),
        dt.date(2026, 2, 14),
    )
    training_line = first.lines.get(category=training)
    services.credit_invoice(
        first, actor=ACTOR, amounts={training_line.pk: 20000}, credited_on=dt.date(2026, 2, 1)
    )
    pay(org, 40000, invoice=first, paid_on=dt.date(2026, 2, 10), channel=Channel.BANKGIRO)

    # Bertil overpays by Swish; his next invoice uses the 50 kr credit balance (a line
    # that is not income) and is not yet due in June.
    second = invoice(
        org, bertil, [fee(org, 30000, membership)], dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    )
    pay(org, 35000, invoice=second, paid_on=dt.date(2026, 3, 10), channel=Channel.SWISH)
    third = invoice(
        org, bertil, [fee(org, 30000, membership)], dt.date(2026, 6, 20), dt.date(2026, 7, 20)
    )
    assert third.total_minor == 25000

    # Cecilia: 15 and 46 days overdue.
    invoice(org, cecilia, [fee(org, 10000, membership)], dt.date(2026, 5, 1), dt.date(2026, 6, 15))
    invoice(org, cecilia, [fee(org, 20000, membership)], dt.date(2026, 4, 1), dt.date(2026, 5, 15))

    # David: 81 days overdue; his payment was reversed, so it counts nowhere.
    fourth = invoice(
        org,
        david,
        [fee(org, 40000, training, cost_centre_id=football.pk)],
        dt.date(2026, 3, 15),
        dt.date(2026, 4, 10),
    )
    wrong = pay(org, 40000, invoice=fourth, paid_on=dt.date(2026, 5, 5))
    payments.reverse_payment(
        wrong, actor=ACTOR, reason="Fel betalare", reversed_on=dt.date(2026, 5, 6)
    )

    # Money nobody could place, in March.
    pay(org, 7000, paid_on=dt.date(2026, 3, 20), channel=Channel.BANKGIRO)

    # Erik: invoiced and paid by card in 2025.
    old = invoice(
        org, erik, [fee(org, 30000, membership)], dt.date(2025, 12, 1), dt.date(2025, 12, 31)
    )
    pay(org, 30000, invoice=old, paid_on=dt.date(2025, 12, 28), channel=Channel.CARD)
    return Scenario(membership, training, football, anna, bertil, cecilia, david)


@pytest.fixture
def scenario(org: Organisation) -> Scenario:
    return build(org)


# --- the figures --------------------------------------------------------------------------


def test_income_by_category_is_net_of_vat_with_credit_notes_deducted(org, scenario):
    report = reports.income_by_category(org, START, END)
    assert [(row.name, row.line_count, row.net_minor, row.vat_minor) for row in report.rows] == [
        ("Medlemsavgift", 5, 120000, 0),
        ("Träningsavgift P12", 3, 70000, 0),
        ("Other", 1, 10000, 2500),
    ]
    assert report.rows[-1].category_id is None
    assert (report.line_count, report.net_minor, report.vat_minor) == (9, 200000, 2500)


def test_income_by_category_counts_only_the_period(org, scenario):
    report = reports.income_by_category(org, dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert [(row.name, row.net_minor) for row in report.rows] == [("Medlemsavgift", 30000)]
    # the credit note of 1 February is in February, its invoice in January
    january = reports.income_by_category(org, START, dt.date(2026, 1, 31))
    february = reports.income_by_category(org, dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert [(row.name, row.net_minor) for row in january.rows][1] == ("Träningsavgift P12", 50000)
    assert [(row.name, row.line_count, row.net_minor) for row in february.rows] == [
        ("Träningsavgift P12", 1, -20000)
    ]


def test_income_by_cost_centre_reads_the_journal(org, scenario):
    report = reports.income_by_cost_centre(org, START, END)
    assert [
        (row.label, [(acc.number, acc.amount_minor) for acc in row.accounts], row.total_minor)
        for row in report.rows
    ] == [
        ("10 Fotboll", [("3020", 70000)], 70000),
        ("No cost centre", [("3010", 130000)], 130000),
    ]
    assert report.rows[-1].cost_centre_id is None
    assert report.total_minor == 200000
    # the same income as the fee categories, from the other side of the books
    assert report.total_minor == reports.income_by_category(org, START, END).net_minor


def test_ageing_buckets_open_invoices_by_days_past_due(org, scenario):
    report = reports.ageing(org, AS_OF)
    assert [(b.key, b.count, b.amount_minor) for b in report.buckets] == [
        ("current", 1, 25000),
        ("days_1_30", 1, 10000),
        ("days_31_60", 1, 20000),
        ("days_61_90", 1, 40000),
        ("over_90", 1, 32500),
    ]
    assert (report.count, report.amount_minor) == (5, 127500)
    assert (report.overdue_count, report.overdue_minor) == (4, 102500)
    assert report.buckets[0].label == "Not yet due"


def test_ageing_leaves_out_invoices_issued_after_the_day(org, scenario):
    report = reports.ageing(org, dt.date(2026, 3, 31))
    # Anna's invoice (45 days overdue) and David's (not yet due); Cecilia's and Bertil's
    # later ones do not exist yet, and Bertil's March invoice is paid.
    assert [(b.key, b.count, b.amount_minor) for b in report.buckets if b.count] == [
        ("current", 1, 40000),
        ("days_31_60", 1, 32500),
    ]


def test_ageing_bucket_edges(org):
    payer = PersonFactory(organisation=org)
    for days in (-1, 0, 1, 30, 31, 60, 61, 90, 91):
        due = AS_OF - dt.timedelta(days=days)
        invoice(org, payer, [line(org, 1000 + days)], due - dt.timedelta(days=30), due)
    report = reports.ageing(org, AS_OF)
    assert {b.key: b.amount_minor for b in report.buckets} == {
        "current": 999 + 1000,
        "days_1_30": 1001 + 1030,
        "days_31_60": 1031 + 1060,
        "days_61_90": 1061 + 1090,
        "over_90": 1091,
    }


def test_ageing_by_payer_lists_the_largest_overdue_payers(org, scenario):
    payers = reports.ageing_by_payer(org, AS_OF)
    assert [(p.name, p.count, p.amounts, p.overdue_minor, p.total_minor) for p in payers] == [
        ("David Dahl", 1, (0, 0, 0, 40000, 0), 40000, 40000),
        ("Anna Andersson", 1, (0, 0, 0, 0, 32500), 32500, 32500),
        ("Cecilia Carlsson", 2, (0, 10000, 20000, 0, 0), 30000, 30000),
    ]
    # Bertil owes only what is not yet due: not an overdue payer
    assert [p.name for p in reports.ageing_by_payer(org, AS_OF, limit=2)] == [
        "David Dahl",
        "Anna Andersson",
    ]


def test_payments_by_channel_and_month_leave_out_reversed_payments(org, scenario):
    report = payment_reports.payments_by_channel_month(org, START, END)
    assert report.channels == [("bankgiro", "Bankgiro"), ("swish", "Swish")]
    assert len(report.months) == 12
    months = {row.month: (row.amounts, row.count, row.total_minor) for row in report.months}
    assert months[dt.date(2026, 2, 1)] == ((40000, 0), 1, 40000)
    assert months[dt.date(2026, 3, 1)] == ((7000, 35000), 2, 42000)
    assert months[dt.date(2026, 5, 1)] == ((0, 0), 0, 0)  # the reversed payment
    assert report.channel_totals == (47000, 35000)
    assert (report.count, report.total_minor) == (3, 82000)


def test_reports_of_an_empty_period_are_zero(org, scenario):
    day = dt.date(2024, 6, 1)
    assert reports.income_by_category(org, day, day).rows == []
    assert reports.income_by_cost_centre(org, day, day).total_minor == 0
    empty = payment_reports.payments_by_channel_month(org, day, day)
    assert (empty.channels, len(empty.months), empty.total_minor) == ([], 1, 0)
    assert reports.ageing(org, day).amount_minor == 0


def test_reports_see_only_their_own_association(org, scenario):
    with scopes_disabled():
        other = Organisation.objects.create(
            name="Andra IF", slug="andra-if", country="SE", currency="SEK", language="sv"
        )
    with scope(organisation=other.pk):
        stranger = PersonFactory(organisation=other)
        invoice(other, stranger, [line(other, 99900)], dt.date(2026, 1, 10), dt.date(2026, 1, 20))
        pay(other, 500, paid_on=dt.date(2026, 2, 1))
    with scopes_disabled():
        assert reports.income_by_category(org, START, END).net_minor == 200000
        assert reports.income_by_cost_centre(org, START, END).total_minor == 200000
        assert reports.ageing(org, AS_OF).amount_minor == 127500
        assert payment_reports.payments_by_channel_month(org, START, END).total_minor == 82000
        assert reports.income_by_category(other, START, END).net_minor == 99900


# --- the workbook -------------------------------------------------------------------------


def rows_of(sheet: Any) -> list[tuple[Any, ...]]:
    """The cells' values; dates, which openpyxl reads as datetimes, as dates."""
    return [
        tuple(c.value.date() if isinstance(c.value, dt.datetime) else c.value for c in row)
        for row in sheet.iter_rows()
    ]


def find(rows: list[tuple[Any, ...]], first: Any) -> tuple[Any, ...]:
    return next(row for row in rows if row and row[0] == first)


def test_workbook_holds_every_report_in_kronor(org, scenario):
    data = report_book.workbook(org, report_book.Period(START, END, AS_OF))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Income by fee category",
        "Income by cost centre",
        "Receivables ageing",
        "Overdue payers",
        "Payments",
    ]
    categories = rows_of(book["Income by fee category"])
    assert find(categories, "Fee category") == ("Fee category", "Lines", "Excl. VAT", "VAT")
    assert find(categories, "Medlemsavgift") == ("Medlemsavgift", 5, 1200, 0)
    assert find(categories, "Other") == ("Other", 1, 100, 25)
    assert find(categories, "Total") == ("Total", 9, 2000, 25)
    assert find(categories, "From")[1] == START

    centres = rows_of(book["Income by cost centre"])
    assert find(centres, "10 Fotboll") == ("10 Fotboll", "3020", "Träningsavgifter", 700)
    assert find(centres, "Total")[3] == 2000

    ageing = rows_of(book["Receivables ageing"])
    assert find(ageing, "More than 90 days overdue") == ("More than 90 days overdue", 1, 325)
    assert find(ageing, "Total") == ("Total", 5, 1275)

    payers = rows_of(book["Overdue payers"])
    assert find(payers, "Cecilia Carlsson") == ("Cecilia Carlsson", 2, 0, 100, 200, 0, 0, 300, 300)

    paid = rows_of(book["Payments"])
    assert find(paid, "Month") == ("Month", "Bankgiro", "Swish", "Total")
    assert find(paid, dt.date(2026, 3, 1)) == (dt.date(2026, 3, 1), 70, 350, 420)
    assert find(paid, "Total") == ("Total", 470, 350, 820)

    cell = next(c for row in book["Payments"].iter_rows() for c in row if c.value == 420)
    assert cell.number_format == "#,##0.00"
    assert isinstance(cell.value, int | float)


def test_workbook_text_cannot_be_a_formula(org, scenario):
    FeeCategory.objects.filter(pk=scenario.membership.pk).update(name='=HYPERLINK("http://x")')
    CostCentre.objects.filter(pk=scenario.football.pk).update(code="+1", name="@SUM(A1)")
    Person.objects.filter(pk=scenario.david.pk).update(first_name="-2+3", last_name="Dahl\x07")
    book = openpyxl.load_workbook(
        io.BytesIO(report_book.workbook(org, report_book.Period(START, END, AS_OF)))
    )
    texts = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    assert '\'=HYPERLINK("http://x")' in texts
    assert "'+1 @SUM(A1)" in texts
    assert "'-2+3 Dahl" in texts
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)
    assert all(cell.data_type != "f" for s in book.worksheets for r in s.iter_rows() for cell in r)


def test_workbook_headings_follow_the_language(org, scenario):
    with translation.override("sv"):
        data = report_book.workbook(org, report_book.Period(START, END, AS_OF))
        expected = [gettext("Income by fee category")[:31], gettext("Income by cost centre")[:31]]
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:2] == expected


# --- the page -----------------------------------------------------------------------------


def url(world: World, name: str = "billing-reports") -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug})


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


@pytest.fixture
def world_scenario(world: World) -> Scenario:
    with scope(organisation=world.org.pk):
        return build(world.org)


def test_the_page_shows_the_reports_to_an_admin(admin_client, world, world_scenario):
    response = admin_client.get(url(world), PERIOD)
    assert response.status_code == 200
    assert response.context["categories"].net_minor == 200000
    assert response.context["ageing"].amount_minor == 127500
    assert response.context["payments"].total_minor == 82000
    html = response.content.decode()
    for name in ("Träningsavgift P12", "Fotboll", "David Dahl", "Swish", "table-responsive"):
        assert name in html
    with scope(organisation=world.org.pk):
        for amount in (200000, 127500, 82000, 32500):
            assert services.format_amount(world.org, amount) in html
    assert "Bertil Berg" not in html  # nothing overdue
    assert url(world, "billing-reports-xlsx") in html


def test_the_page_defaults_to_this_fiscal_year_and_today(admin_client, world):
    response = admin_client.get(url(world))
    assert response.status_code == 200
    today = timezone.localdate()
    with scope(organisation=world.org.pk):
        assert (response.context["starts_on"], response.context["ends_on"]) == year_bounds(
            world.org, today
        )
    assert response.context["as_of"] == today


def test_a_period_that_ends_before_it_starts_is_refused(admin_client, world):
    response = admin_client.get(
        url(world), {"starts_on": "2026-12-31", "ends_on": "2026-01-01", "as_of": "2026-06-30"}
    )
    assert response.status_code == 200
    assert "categories" not in response.context
    assert response.context["form"].errors["ends_on"]
    export = admin_client.get(url(world, "billing-reports-xlsx"), {"starts_on": "not a date"})
    assert export.status_code == 302
    assert export["Location"].startswith(url(world))


def test_the_excel_download_is_a_workbook_and_is_logged(admin_client, world, world_scenario):
    response = admin_client.get(url(world, "billing-reports-xlsx"), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == reports_xlsx_type()
    assert response["Content-Disposition"] == (
        'attachment; filename="ik-test-reports-2026-01-01-2026-12-31.xlsx"'
    )
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 5
    with scopes_disabled():
        event = AuditEvent.objects.get(action="billing.reports.exported")
    assert event.organisation_id == world.org.pk
    assert event.actor_id == world.admin.pk
    assert event.changes == {
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "as_of": "2026-06-30",
    }


def reports_xlsx_type() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("name", ["billing-reports", "billing-reports-xlsx"])
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("federation_admin", 200),
        ("member", 403),
        ("leader", 403),
        ("unit_admin", 404),
        ("outsider", 404),
    ],
)
def test_only_the_associations_admins_see_the_reports(client, world, name, persona, expected):
    client.force_login(world.persona(persona))
    response = client.get(url(world, name), PERIOD)
    assert response.status_code == expected
    if expected != 200:
        with scopes_disabled():
            assert not AuditEvent.objects.filter(action="billing.reports.exported").exists()


@pytest.mark.parametrize("name", ["billing-reports", "billing-reports-xlsx"])
def test_anonymous_users_are_sent_to_sign_in(client, world, name):
    response = client.get(url(world, name), PERIOD)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_page_takes_the_same_number_of_queries_for_more_data(
    admin_client, world, django_assert_max_num_queries
):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(url(world), PERIOD).status_code == 200
        return len(queries)

    with scope(organisation=world.org.pk):
        build(world.org)
    admin_client.get(url(world), PERIOD)  # settings rows created on first sight
    small = count()
    with scope(organisation=world.org.pk):
        membership = FeeCategory.objects.get(name="Medlemsavgift")
        for number in range(15):
            payer = PersonFactory(organisation=world.org, first_name=f"Extra{number}")
            due = dt.date(2026, 1, 31) + dt.timedelta(days=7 * number)
            made = invoice(world.org, payer, [fee(world.org, 10000, membership)], due, due)
            pay(world.org, 3000, invoice=made, paid_on=due, channel=Channel.SWISH)
    more = count()
    assert more == small
    with django_assert_max_num_queries(15):
        admin_client.get(url(world), PERIOD)
