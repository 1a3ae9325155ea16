"""Reminders (INV-04), automatic renewal (FEE-02) and the daily task, and invoices by e-mail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import mail

from forening.billing import reminders, renewal, sending, services
from forening.billing.models import Invoice, LineKind, Reminder
from forening.billing.tasks import daily, email_invoices
from forening.core.context import Actor
from forening.fees import services as fees
from forening.fees.models import PeriodKind
from forening.ledger.models import VoucherSource
from forening.members.models import MembershipKind
from tests.factories.billing import make_invoice, pay
from tests.factories.core import PersonFactory
from tests.factories.fees import make_category
from tests.factories.members import MembershipTypeFactory

SYSTEM = Actor.system("test")
ISSUED = dt.date(2026, 1, 15)  # due 14 February with 30 days to pay
DUE = dt.date(2026, 2, 14)


def configure(org: Any, **fields: Any) -> None:
    defaults = {"reminder_steps": 2, "reminder_after_days": 10, "reminder_interval_days": 14}
    services.update_settings(org, actor=SYSTEM, **{**defaults, **fields})


def test_first_reminder_comes_days_after_the_due_date_and_never_twice(org: Any) -> None:
    configure(org)
    invoice = make_invoice(org, PersonFactory(organisation=org), issued_on=ISSUED)
    assert reminders.send_due(org, today=DUE + dt.timedelta(days=9)).sent == 0
    day = DUE + dt.timedelta(days=10)
    assert reminders.send_due(org, today=day).sent == 1
    assert reminders.send_due(org, today=day).sent == 0
    assert reminders.send_due(org, today=day + dt.timedelta(days=13)).sent == 0
    assert reminders.send_due(org, today=day + dt.timedelta(days=14)).sent == 1
    # two steps configured: no third
    assert reminders.send_due(org, today=day + dt.timedelta(days=60)).sent == 0
    invoice.refresh_from_db()
    assert invoice.reminder_step == 2
    assert list(Reminder.objects.filter(invoice=invoice).values_list("step", flat=True)) == [1, 2]
    assert list(reminders.collection_list(org, day + dt.timedelta(days=60))) == [invoice]


def test_paid_invoices_get_no_reminder(org: Any) -> None:
    configure(org)
    invoice = make_invoice(org, PersonFactory(organisation=org), issued_on=ISSUED)
    pay(org, invoice.total_minor, invoice=invoice, paid_on=DUE)
    assert reminders.send_due(org, today=DUE + dt.timedelta(days=30)).sent == 0


def test_reminder_fee_is_a_line_with_its_voucher(org: Any) -> None:
    configure(org, reminder_fee_minor=6000)
    invoice = make_invoice(org, PersonFactory(organisation=org), 30000, issued_on=ISSUED)
    outcome = reminders.send_due(org, today=DUE + dt.timedelta(days=10))
    assert outcome.fees_minor == 6000
    invoice.refresh_from_db()
    assert (invoice.total_minor, invoice.open_minor) == (36000, 36000)
    fee = invoice.lines.get(kind=LineKind.REMINDER_FEE)
    assert fee.amount_minor == 6000
    assert fee.description == "Påminnelseavgift, påminnelse 1"  # in the association's language
    reminder = invoice.reminders.get()
    assert reminder.fee_line == fee
    assert reminder.open_minor == 36000
    from forening.ledger import checks

    assert {name: p for name, p in checks.run(org).items() if p} == {}
    from forening.ledger.models import Voucher

    assert Voucher.objects.filter(source=VoucherSource.REMINDER_FEE).count() == 1


def test_reminders_go_by_email_with_the_pdf(org: Any, settings: Any) -> None:
    configure(org)
    payer = PersonFactory(organisation=org, email="betalare@example.se")
    make_invoice(org, payer, issued_on=ISSUED)
    no_email = PersonFactory(organisation=org, email="")
    make_invoice(org, no_email, issued_on=ISSUED)
    mail.outbox.clear()
    outcome = reminders.send_due(org, today=DUE + dt.timedelta(days=10))
    assert (outcome.by_email, outcome.by_post) == (1, 1)
    [message] = mail.outbox
    assert message.to == ["betalare@example.se"]
    assert message.subject.startswith("Påminnelse")  # in the recipient's language
    assert message.attachments[0][2] == "application/pdf"
    assert message.attachments[0][1][:4] == b"%PDF"


def test_invoice_email_has_the_pdf_and_a_link_that_opens_it(org: Any, client: Any) -> None:
    payer = PersonFactory(organisation=org, email="betalare@example.se")
    invoice = make_invoice(org, payer)
    mail.outbox.clear()
    assert sending.send_invoices([invoice]) == 1
    [message] = mail.outbox
    assert str(invoice.number) in message.subject
    assert invoice.ocr in message.body
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None
    # a second run of the task sends nothing again
    email_invoices.call(organisation_id=org.pk, invoice_ids=[invoice.pk])
    assert len(mail.outbox) == 1
    link = next(line for line in message.body.splitlines() if "/invoice/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    tampered = path.replace("invoice/eyJ", "invoice/eyK")
    assert tampered != path
    assert client.get("/" + tampered).status_code == 404


def test_automatic_renewal_runs_on_the_renewal_day(org: Any) -> None:
    ordinary = MembershipTypeFactory(organisation=org, kind=MembershipKind.ORDINARY)
    make_category(org, amount_minor=30000)
    PersonFactory(organisation=org, membership_type=ordinary)
    configure(org, auto_renewal=True, renewal_month=12, renewal_day=1)
    assert renewal.renew(org, dt.date(2026, 11, 30), actor=SYSTEM) == 0
    assert renewal.renew(org, dt.date(2026, 12, 1), actor=SYSTEM) == 1
    invoice = Invoice.objects.get()
    assert invoice.lines.get().starts_on == dt.date(2027, 1, 1)
    assert renewal.renew(org, dt.date(2026, 12, 1), actor=SYSTEM) == 0


def test_rolling_memberships_renew_before_each_anniversary(org: Any) -> None:
    ordinary = MembershipTypeFactory(organisation=org, kind=MembershipKind.ORDINARY)
    make_category(org, amount_minor=30000)
    fees.update_fee_settings(org, actor=SYSTEM, period_kind=PeriodKind.ROLLING)
    march = PersonFactory(
        organisation=org, membership_type=ordinary, joined_on=dt.date(2020, 3, 20)
    )
    PersonFactory(organisation=org, membership_type=ordinary, joined_on=dt.date(2020, 6, 1))
    configure(org, auto_renewal=True, renewal_lead_days=30)
    assert renewal.renew(org, dt.date(2026, 2, 10), actor=SYSTEM) == 0
    assert renewal.renew(org, dt.date(2026, 2, 20), actor=SYSTEM) == 1
    assert Invoice.objects.get().payer_id == march.pk
    assert renewal.renew(org, dt.date(2026, 2, 21), actor=SYSTEM) == 0


def test_the_daily_task_sends_reminders_for_every_association(org: Any) -> None:
    configure(org)
    make_invoice(org, PersonFactory(organisation=org), issued_on=ISSUED)
    # One task per association, run at once by the tests' task backend.
    assert daily.call(day=(DUE + dt.timedelta(days=10)).isoformat()) == 1
    assert Reminder.objects.filter(organisation=org, step=1).count() == 1
