"""The demo's year of fee invoicing (issue 4): rules, runs, payments, credit notes and
reminders, all made through the services, with books that check out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.utils import timezone, translation
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult
from stdnum import luhn

from forening.billing import reminders, runs, services
from forening.billing.models import (
    BillingRun,
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Reminder,
)
from forening.core.models import Organisation
from forening.demo import build as demo
from forening.demo.billing import _issue_day
from forening.fees.models import FeeCategory, FeeKind, FeeSettings, Pricing
from forening.fees.results import SkipReason
from forening.ledger import checks
from forening.ledger.models import Voucher
from forening.payments.models import AllocationKind, Channel, Payment, PaymentStatus

pytestmark = pytest.mark.django_db

# The tasks are queued as under `forening demo`: the tests' immediate backend would render
# and e-mail a PDF for every reminder while the demo is being built.
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Invoicing tests read messages in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def demo_org(django_db_setup, django_db_blocker) -> Iterator[Organisation]:
    """One demo for the whole module, rolled back at the end (as in tests/demo/test_demo.py)."""
    with (
        django_db_blocker.unblock(),
        override_settings(TASKS=DATABASE_TASKS),
        transaction.atomic(),
    ):
        result = demo.build_demo()
        assert result.created
        yield result.organisation
        transaction.set_rollback(True)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def first_run(org: Organisation) -> BillingRun:
    return BillingRun.objects.filter(organisation=org).order_by("pk").first()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_demo_has_billing_settings_and_fee_rules(demo_org):
    with scopes_disabled():
        found = BillingSettings.objects.get(organisation=demo_org)
        assert luhn.is_valid(found.bankgiro.replace("-", ""))
        assert found.swish_number.startswith("123")
        assert len(found.swish_number) == 10
        assert (found.payment_terms_days, found.reminder_steps) == (30, 2)
        assert (found.reminder_after_days, found.reminder_interval_days) == (10, 14)
        assert found.reminder_fee_minor == 6_000
        assert (found.renewal_month, found.renewal_day) == (12, 1)
        assert not found.auto_renewal
        assert FeeSettings.objects.get(organisation=demo_org).family_cap_minor == 150_000

        categories = FeeCategory.objects.filter(organisation=demo_org)
        by_age = categories.get(pricing=Pricing.AGE)
        assert [(b.min_age, b.max_age, b.amount_minor) for b in by_age.bands.all()] == [
            (0, 6, 0),
            (7, 12, 20_000),
            (13, 19, 30_000),
            (20, None, 45_000),
        ]
        training = categories.filter(kind=FeeKind.TRAINING)
        assert training.count() >= 2
        assert {c.account.role for c in training} == {"training_fees"}
        assert training.filter(cost_centre__isnull=False, project__isnull=False).exists()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_a_year_of_invoices_is_paid_open_overdue_and_credited(demo_org, today):
    with scopes_disabled():
        invoices = Invoice.objects.filter(organisation=demo_org, kind=InvoiceKind.INVOICE)
        statuses = dict(invoices.values_list("status").annotate(n=Count("pk")))
        assert statuses[InvoiceStatus.PAID] >= 0.7 * invoices.count()
        assert statuses[InvoiceStatus.CREDITED] >= 1
        open_ = invoices.filter(status=InvoiceStatus.OPEN)
        assert open_.filter(due_on__lt=today).exists()  # overdue
        assert open_.filter(due_on__gte=today).exists()  # not due yet (the second run)
        # The first run invoiced the members of its day; the second, those who joined since.
        run = first_run(demo_org)
        assert BillingRun.objects.filter(organisation=demo_org, fee_year=run.fee_year).count() == 2
        assert (today - run.issued_on).days >= 90
        assert not InvoiceLine.objects.filter(
            invoice__billing_run=run, person__joined_on__gt=run.issued_on
        ).exists()
        # Nothing is dated after today.
        assert not invoices.filter(issued_on__gt=today).exists()
        assert not Payment.objects.filter(organisation=demo_org, paid_on__gt=today).exists()
        assert not Voucher.objects.filter(organisation=demo_org, booked_on__gt=today).exists()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_credit_notes_credit_a_whole_invoice_and_single_lines(demo_org):
    with scopes_disabled():
        notes = list(
            Invoice.objects.filter(
                organisation=demo_org, kind=InvoiceKind.CREDIT_NOTE
            ).select_related("credits")
        )
        assert 2 <= len(notes) <= 3
        assert any(note.credits.status == InvoiceStatus.CREDITED for note in notes)
        single = [
            note
            for note in notes
            if note.lines.count() == 1 and note.credits.lines.filter(kind=LineKind.FEE).count() > 1
        ]
        assert single
        assert all(note.text for note in notes)  # the reason


@pytest.mark.slow  # the module's demo takes seconds to build
def test_payments_are_by_bankgiro_and_swish_and_some_unplaced_placed_or_reversed(demo_org):
    with scopes_disabled():
        found = Payment.objects.filter(organisation=demo_org)
        assert (
            found.filter(channel=Channel.BANKGIRO).count()
            >= 0.7 * first_run(demo_org).invoice_count
        )
        assert found.filter(channel=Channel.SWISH).exists()
        assert found.filter(channel=Channel.BANK_TRANSFER, person__isnull=False).count() >= 2
        assert found.filter(status=PaymentStatus.UNPLACED).count() == 1
        assert found.filter(status=PaymentStatus.REVERSED).count() == 1
        placed_later = found.filter(
            status=PaymentStatus.PLACED,
            allocations__kind=AllocationKind.UNPLACED,
            allocations__amount_minor__lt=0,
        )
        assert placed_later.count() == 1
        # Partly paid: some of it paid, some open.
        partly = Invoice.objects.filter(
            organisation=demo_org,
            status=InvoiceStatus.OPEN,
            allocations__payment__channel=Channel.SWISH,
        )
        assert partly.exists()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_some_payers_have_a_credit_balance(demo_org):
    with scopes_disabled():
        balances = services.credit_balances(demo_org)
        assert len(balances) >= 2
        assert all(amount > 0 for amount in balances.values())


@pytest.mark.slow  # the module's demo takes seconds to build
def test_unpaid_invoices_were_reminded_with_a_fee_and_some_are_for_collection(demo_org, today):
    with scopes_disabled():
        sent = Reminder.objects.filter(organisation=demo_org)
        assert set(sent.values_list("step", flat=True)) == {1, 2}
        assert not sent.filter(sent_on__gt=today).exists()
        assert not sent.filter(fee_line__isnull=True).exists()
        fees = InvoiceLine.objects.filter(organisation=demo_org, kind=LineKind.REMINDER_FEE)
        assert fees.count() == sent.count()
        assert set(fees.values_list("amount_minor", flat=True)) == {6_000}
        # Some paid after a reminder, fee included; some never paid.
        assert sent.filter(invoice__status=InvoiceStatus.PAID).exists()
        collection = reminders.collection_list(demo_org, today).count()
        assert 3 <= collection <= 0.15 * first_run(demo_org).invoice_count
        # Nothing is left for the daily task to send today.
        assert not reminders.due(demo_org, today).exists()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_the_years_mail_is_recorded_as_sent_and_nothing_is_queued(demo_org):
    with scopes_disabled():
        invoices = Invoice.objects.filter(organisation=demo_org, billing_run__isnull=False)
        with_address = list(invoices.exclude(recipient_email=""))
        assert len(with_address) > 100
        # E-mailed on their issue day, as the invoice-mail task would have recorded it.
        assert all(
            timezone.localtime(invoice.emailed_at).date() == invoice.issued_on
            for invoice in with_address
        )
        assert not invoices.filter(recipient_email="", emailed_at__isnull=False).exists()
        by_email = Reminder.objects.filter(organisation=demo_org, channels__contains="email")
        assert by_email.count() > 20
        # Neither the invoices nor the reminders wait for the worker to render and send.
        assert not DBTaskResult.objects.exists()


@pytest.mark.slow  # the module's demo takes seconds to build
def test_check_ledger_finds_nothing(demo_org):
    with scopes_disabled():
        assert {name: found for name, found in checks.run(demo_org).items() if found} == {}


@pytest.mark.slow  # the module's demo takes seconds to build
def test_next_years_run_can_be_previewed_and_refuses_nobody(demo_org):
    with scopes_disabled():
        fee_year = first_run(demo_org).fee_year
        plan = runs.plan(demo_org, fee_year + 1)
        assert len(plan.drafts) > 150
        assert plan.already_billed == 0
        # Only honorary members and the youngest (free by age) pay no membership fee.
        assert {skip.reason for skip in plan.skipped} <= {SkipReason.HONORARY, SkipReason.FREE}
        categories = {line.category_id for draft in plan.drafts for line in draft.lines}
        assert categories == set(
            FeeCategory.objects.filter(organisation=demo_org).values_list("pk", flat=True)
        )


@pytest.mark.parametrize(
    ("day", "fee_year", "issued_on"),
    [
        (dt.date(2026, 11, 23), 2026, dt.date(2026, 1, 23)),
        (dt.date(2026, 6, 1), 2026, dt.date(2025, 12, 1)),  # not before the renewal day
        (dt.date(2026, 3, 15), 2026, dt.date(2025, 12, 1)),
        (dt.date(2026, 3, 1), 2026, dt.date(2025, 12, 1)),  # 90 days before
        (dt.date(2026, 2, 28), 2025, dt.date(2025, 4, 28)),
        (dt.date(2027, 1, 31), 2026, dt.date(2026, 3, 28)),
    ],
)
def test_the_run_is_issued_about_ten_months_back_and_at_least_90_days_ago(day, fee_year, issued_on):
    assert _issue_day(day, fee_year) == issued_on
    assert (day - issued_on).days >= 90
