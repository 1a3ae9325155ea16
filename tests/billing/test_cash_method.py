"""Invoicing by the cash method (kontantmetoden): revenue and output VAT are booked when an
invoice is paid, not when it is issued; until then the invoice waits on receivables (with
its payer, as by the invoice method) against the interim account 1517."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Sum
from django_scopes import scope

from forening.billing import reminders, reports, services
from forening.billing.models import InvoiceStatus, LineKind
from forening.core.models import AuditEvent
from forening.ledger import checks
from forening.ledger import services as ledger
from forening.ledger.models import Account, AccountingMethod, VoucherLine
from forening.payments import services as payments
from forening.payments.models import PaymentStatus
from tests.factories.billing import ACTOR, line, make_invoice, pay, use_cash_method
from tests.factories.core import OrganisationFactory, PersonFactory

ISSUED = dt.date(2026, 1, 15)
# The accounts of the Swedish chart these tests read.
RESULT_AND_VAT = ("3010", "3020", "3030", "3930", "2611", "2621", "2631")


@pytest.fixture
def cash(org: Any) -> Any:
    use_cash_method(org)
    return org


def booked(voucher: Any) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in VoucherLine.objects.filter(voucher=voucher).select_related("account"):
        found[row.account.number] = found.get(row.account.number, 0) + row.amount
    return found


def totals(org: Any, *numbers: str) -> dict[str, int]:
    """The journal's balance of each account, by number."""
    rows = (
        VoucherLine.objects.filter(organisation=org, account__number__in=numbers)
        .values("account__number")
        .annotate(total=Sum("amount"))
    )
    found = dict.fromkeys(numbers, 0)
    for row in rows:
        found[row["account__number"]] = int(row["total"])
    return found


def no_problems(org: Any) -> dict[str, list[str]]:
    return {name: found for name, found in checks.run(org).items() if found}


def vat_invoice(org: Any, payer: Any) -> Any:
    """125 kr at 25 % VAT on membership fees and 106 kr at 6 % on training fees."""
    return services.issue_invoice(
        org,
        payer,
        [
            line(org, 12500, "Tröja", vat_rate=25),
            line(org, 10600, "Bok", role="training_fees", vat_rate=6),
        ],
        actor=ACTOR,
        issued_on=ISSUED,
    )


def test_issuing_books_receivables_against_interim_and_no_revenue(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = make_invoice(cash, payer, 30000, 15000)
    assert booked(invoice.voucher) == {"1510": 45000, "1517": -45000}
    assert (invoice.total_minor, invoice.open_minor) == (45000, 45000)
    assert services.member_ledger(cash, payer).balance == 45000
    assert totals(cash, *RESULT_AND_VAT) == dict.fromkeys(RESULT_AND_VAT, 0)
    assert no_problems(cash) == {}


def test_partial_payment_recognises_its_share_and_the_rest_all_of_it(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = vat_invoice(cash, payer)
    assert booked(invoice.voucher) == {"1510": 23100, "1517": -23100}

    half = pay(cash, 11550, invoice=invoice)

    assert booked(half.voucher) == {
        "1930": 11550,
        "1510": -11550,
        "1517": 11550,
        "3010": -5000,
        "2611": -1250,
        "3020": -5000,
        "2631": -300,
    }
    assert no_problems(cash) == {}

    rest = pay(cash, 11550, invoice=invoice)

    assert booked(rest.voucher) == booked(half.voucher)
    # Fully paid: exactly what the invoice method books at issue, VAT as on the invoice.
    assert totals(cash, "1510", "1517", "3010", "2611", "3020", "2631") == {
        "1510": 0,
        "1517": 0,
        "3010": -10000,
        "2611": -2500,
        "3020": -10000,
        "2631": -600,
    }
    invoice.refresh_from_db()
    assert invoice.vat_minor == 3100
    assert invoice.status == InvoiceStatus.PAID
    assert no_problems(cash) == {}


def test_awkward_payments_recognise_exactly_what_is_paid_without_drift(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = services.issue_invoice(
        cash,
        payer,
        [
            line(cash, 9999, vat_rate=25),
            line(cash, 3333, role="training_fees", vat_rate=6),
            line(cash, 1, role="course_fees"),
        ],
        actor=ACTOR,
    )
    paid = 0
    for amount in (1, 2, 4000, 9329, 1):
        pay(cash, amount, invoice=invoice)
        paid += amount
        found = totals(cash, "1517", "3010", "3020", "3030", "2611", "2631")
        assert found.pop("1517") == -(13333 - paid)
        assert sum(found.values()) == -paid
        # each line has its share of what is paid, to the öre
        assert abs(-(found["3010"] + found["2611"]) - 9999 * paid / 13333) <= 1
        assert abs(-(found["3020"] + found["2631"]) - 3333 * paid / 13333) <= 1
    # 9999 incl. 2000 VAT, 3333 incl. 189 VAT, 1 without
    assert totals(cash, "3010", "2611", "3020", "2631", "3030") == {
        "3010": -7999,
        "2611": -2000,
        "3020": -3144,
        "2631": -189,
        "3030": -1,
    }
    assert no_problems(cash) == {}


def test_reversing_a_payment_takes_its_revenue_back(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)
    payment = pay(cash, 5000, invoice=invoice)
    assert totals(cash, "3010", "2611") == {"3010": -4000, "2611": -1000}

    payments.reverse_payment(payment, actor=ACTOR, reason="Fel", reversed_on=dt.date(2026, 2, 2))

    payment.refresh_from_db()
    assert booked(payment.reversal_voucher) == {
        "1930": -5000,
        "1510": 5000,
        "1517": -5000,
        "3010": 4000,
        "2611": 1000,
    }
    assert totals(cash, "3010", "2611", "1517") == {"3010": 0, "2611": 0, "1517": -12500}
    invoice.refresh_from_db()
    assert (invoice.open_minor, invoice.status) == (12500, InvoiceStatus.OPEN)
    assert no_problems(cash) == {}


def test_a_payment_placed_later_recognises_revenue_when_it_is_placed(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = make_invoice(cash, payer, 30000)
    payment = pay(cash, 30000, reference="okänd")
    assert booked(payment.voucher) == {"1930": 30000, "2891": -30000}

    payments.place_payment(payment, actor=ACTOR, invoice=invoice, placed_on=dt.date(2026, 2, 3))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PLACED
    placing = payment.allocations.exclude(voucher=payment.voucher).first().voucher
    assert booked(placing) == {"2891": 30000, "1510": -30000, "1517": 30000, "3010": -30000}
    assert no_problems(cash) == {}


def test_a_payment_for_a_person_recognises_each_invoice_it_settles(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    make_invoice(cash, payer, 10000, issued_on=dt.date(2026, 1, 1))
    services.issue_invoice(
        cash, payer, [line(cash, 10000, role="training_fees")], actor=ACTOR, issued_on=ISSUED
    )
    payment = pay(cash, 15000, person=payer)
    assert booked(payment.voucher) == {
        "1930": 15000,
        "1510": -15000,
        "1517": 15000,
        "3010": -10000,
        "3020": -5000,
    }
    assert no_problems(cash) == {}


def test_crediting_an_unpaid_invoice_touches_no_revenue(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = make_invoice(cash, payer, 30000)
    note = services.credit_invoice(invoice, actor=ACTOR, reason="Fel avgift")
    assert booked(note.voucher) == {"1510": -30000, "1517": 30000}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CREDITED
    assert totals(cash, "3010", "1517") == {"3010": 0, "1517": 0}
    assert no_problems(cash) == {}


def test_crediting_a_paid_invoice_takes_revenue_back_to_the_credit_balance(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)
    pay(cash, 12500, invoice=invoice)
    note = services.credit_invoice(invoice, actor=ACTOR, reason="Återbetalas")
    assert booked(note.voucher) == {"3010": 10000, "2611": 2500, "2420": -12500}
    assert services.credit_balances(cash) == {payer.pk: 12500}
    assert no_problems(cash) == {}


def test_crediting_a_partly_paid_invoice_splits_open_and_paid_parts(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)
    pay(cash, 5000, invoice=invoice)
    note = services.credit_invoice(invoice, actor=ACTOR, reason="Fel")
    # open 7 500 off receivables against interim; the 5 000 paid back to the credit balance
    assert booked(note.voucher) == {
        "1510": -7500,
        "1517": 7500,
        "3010": 4000,
        "2611": 1000,
        "2420": -5000,
    }
    assert totals(cash, "3010", "2611", "1517") == {"3010": 0, "2611": 0, "1517": 0}
    assert no_problems(cash) == {}


def test_crediting_one_line_leaves_the_payment_on_the_lines_that_are_left(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = services.issue_invoice(
        cash,
        payer,
        [line(cash, 10000), line(cash, 10000, "Träning", role="training_fees")],
        actor=ACTOR,
    )
    pay(cash, 10000, invoice=invoice)
    assert totals(cash, "3010", "3020") == {"3010": -5000, "3020": -5000}
    membership = invoice.lines.get(account__number="3010")

    note = services.credit_invoice(invoice, actor=ACTOR, amounts={membership.pk: 10000})

    # What is left is the training fee, and it is paid: it is the revenue now.
    assert booked(note.voucher) == {"1510": -10000, "1517": 10000, "3010": 5000, "3020": -5000}
    assert totals(cash, "3010", "3020") == {"3010": 0, "3020": -10000}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert no_problems(cash) == {}


def test_a_reminder_fee_waits_and_is_paid_after_the_invoice_itself(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = make_invoice(cash, payer, 30000)
    pay(cash, 10000, invoice=invoice)
    fee = line(cash, 6000, "Påminnelseavgift", role="reminder_fees", kind=LineKind.REMINDER_FEE)

    services.add_line(invoice, fee, actor=ACTOR, booked_on=dt.date(2026, 2, 20))

    added = VoucherLine.objects.filter(organisation=cash, voucher__source="reminder_fee")
    assert booked(added.first().voucher) == {"1510": 6000, "1517": -6000}
    pay(cash, 20000, invoice=invoice)
    assert totals(cash, "3010", "3930", "1517") == {"3010": -30000, "3930": 0, "1517": -6000}
    pay(cash, 6000, invoice=invoice)
    assert totals(cash, "3010", "3930", "1517") == {"3010": -30000, "3930": -6000, "1517": 0}
    assert no_problems(cash) == {}


def test_reminders_book_their_fee_on_the_interim_account(cash: Any) -> None:
    services.update_settings(
        cash,
        actor=ACTOR,
        reminder_steps=1,
        reminder_after_days=10,
        reminder_fee_minor=6000,
    )
    invoice = make_invoice(cash, PersonFactory(organisation=cash), 30000, issued_on=ISSUED)
    outcome = reminders.send_due(cash, today=invoice.due_on + dt.timedelta(days=10))
    assert outcome.fees_minor == 6000
    assert totals(cash, "1510", "1517", "3930") == {"1510": 36000, "1517": -36000, "3930": 0}
    assert no_problems(cash) == {}
    pay(cash, 36000, invoice=invoice)
    assert totals(cash, "1517", "3010", "3930") == {"1517": 0, "3010": -30000, "3930": -6000}


def test_a_credit_balance_used_is_revenue_at_issue(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    pay(cash, 10000, person=payer)
    assert services.credit_balances(cash) == {payer.pk: 10000}

    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)

    assert (invoice.total_minor, invoice.open_minor) == (2500, 2500)
    assert booked(invoice.voucher) == {
        "1510": 2500,
        "2420": 10000,
        "1517": -2500,
        "3010": -8000,
        "2611": -2000,
    }
    assert no_problems(cash) == {}
    pay(cash, 2500, invoice=invoice)
    assert totals(cash, "3010", "2611", "1517") == {"3010": -10000, "2611": -2500, "1517": 0}


def test_crediting_an_invoice_that_used_a_credit_balance_gives_it_back(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    pay(cash, 10000, person=payer)
    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)

    note = services.credit_invoice(invoice, actor=ACTOR, reason="Fel")

    assert booked(note.voucher) == {
        "1510": -2500,
        "2420": -10000,
        "1517": 2500,
        "3010": 8000,
        "2611": 2000,
    }
    assert services.credit_balances(cash) == {payer.pk: 10000}
    assert totals(cash, "3010", "2611", "1517") == {"3010": 0, "2611": 0, "1517": 0}
    assert no_problems(cash) == {}


def test_a_credit_balance_that_pays_all_of_an_invoice_makes_it_all_revenue(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    pay(cash, 20000, person=payer)
    invoice = services.issue_invoice(cash, payer, [line(cash, 12500, vat_rate=25)], actor=ACTOR)
    assert invoice.status == InvoiceStatus.PAID
    assert booked(invoice.voucher) == {"2420": 12500, "3010": -10000, "2611": -2500}
    assert no_problems(cash) == {}


def test_check_ledger_finds_an_interim_account_that_does_not_match(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    make_invoice(cash, payer, 30000)
    roles = ledger.accounts_by_role(cash)
    ledger.post(
        cash,
        ledger.Entry(
            booked_on=ISSUED,
            text="Fel",
            lines=[
                ledger.Line(roles["cash_method_interim"], 100, person_id=payer.pk),
                ledger.Line(roles["bank"], -100),
            ],
        ),
        actor=ACTOR,
    )
    problems = no_problems(cash)
    assert list(problems) == [
        "the cash method's interim account holds what is invoiced and not yet revenue"
    ]
    assert problems[next(iter(problems))] == [
        f"payer {payer.pk}: not yet revenue 30000, interim 29900"
    ]


def test_income_per_cost_centre_counts_only_what_is_paid(cash: Any) -> None:
    payer = PersonFactory(organisation=cash)
    invoice = make_invoice(cash, payer, 30000)
    pay(cash, 10000, invoice=invoice)
    found = reports.income_by_cost_centre(cash, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert found.total_minor == 10000


def test_the_method_cannot_change_while_invoices_are_unpaid(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    with pytest.raises(ledger.LedgerError, match="while invoices are unpaid"):
        use_cash_method(org)
    assert ledger.settings_for(org).accounting_method == AccountingMethod.INVOICE

    pay(org, 30000, invoice=invoice)
    use_cash_method(org)

    assert ledger.settings_for(org).accounting_method == AccountingMethod.CASH
    event = AuditEvent.objects.get(action="ledger.settings.accounting_method_changed")
    assert event.changes["accounting_method"] == ["invoice", "cash"]
    make_invoice(org, payer, 20000)
    with pytest.raises(ledger.LedgerError, match="while invoices are unpaid"):
        ledger.set_accounting_method(org, AccountingMethod.INVOICE, actor=ACTOR)
    with pytest.raises(ledger.LedgerError, match="Choose"):
        ledger.set_accounting_method(org, "accrual", actor=ACTOR)


def test_a_danish_association_books_by_the_cash_method_too(db: Any) -> None:
    danish = OrganisationFactory(slug="dansk-kontant", country="DK", currency="DKK")
    with scope(organisation=danish.pk):
        use_cash_method(danish)
        payer = PersonFactory(organisation=danish)
        invoice = services.issue_invoice(
            danish, payer, [line(danish, 12500, "Kontingent", vat_rate=25)], actor=ACTOR
        )
        assert booked(invoice.voucher) == {"1510": 12500, "1517": -12500}
        payment = pay(danish, 12500, invoice=invoice)
        assert booked(payment.voucher) == {
            "1930": 12500,
            "1510": -12500,
            "1517": 12500,
            "3010": -10000,
            "2611": -2500,
        }
        assert no_problems(danish) == {}


def test_the_migration_adds_the_interim_account_to_existing_associations(org: Any) -> None:
    migration = importlib.import_module(
        "forening.ledger.migrations.0004_cash_method_interim_account"
    )
    ledger.ensure_chart(org)
    Account.objects.filter(organisation=org, role="cash_method_interim").delete()
    other = OrganisationFactory(slug="egen-1517")
    with scope(organisation=other.pk):
        ledger.ensure_chart(other)
        Account.objects.filter(organisation=other, number="1517").update(role="")

    migration.add_account(apps, None)
    migration.add_account(apps, None)  # a second run changes nothing

    added = Account.objects.get(organisation=org, role="cash_method_interim")
    assert (added.number, added.name, added.kind) == (
        "1517",
        "Fakturerat, ej betalt (kontantmetoden)",
        "T",
    )
    with scope(organisation=other.pk):
        assert Account.objects.get(organisation=other, number="1517").role == (
            "cash_method_interim"
        )
