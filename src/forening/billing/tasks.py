"""Background tasks of invoicing: e-mail invoices and reminders, and the daily run."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_scopes import scope
from django_tasks import task

from forening.core.models import Organisation


@task()
def email_invoices(organisation_id: int, invoice_ids: list[int]) -> int:
    """Render and e-mail these invoices; skips any already e-mailed (a task may run twice)."""
    from forening.billing import pdf, sending
    from forening.billing.models import Invoice

    with scope(organisation=organisation_id):
        invoices = list(
            Invoice.objects.filter(
                organisation_id=organisation_id, pk__in=invoice_ids, emailed_at__isnull=True
            )
            .exclude(recipient_email="")
            .select_related("organisation")
            .order_by("number")
        )
        sent = 0
        for invoice in invoices:
            sending.message(invoice, pdf.render_invoice(invoice)).send()
            sending.mark_sent([invoice.pk])
            sent += 1
        return sent


@task()
def email_reminders(organisation_id: int, reminder_ids: list[int]) -> int:
    from forening.billing import pdf, sending
    from forening.billing.models import Reminder

    with scope(organisation=organisation_id):
        reminders = list(
            Reminder.objects.filter(organisation_id=organisation_id, pk__in=reminder_ids)
            .select_related("invoice", "invoice__organisation")
            .order_by("invoice__number")
        )
        for reminder in reminders:
            invoice = reminder.invoice
            if not invoice.recipient_email:
                continue
            document = pdf.render_invoice(invoice, reminder=reminder)
            sending.message(invoice, document, reminder=reminder).send()
        return len(reminders)


@task()
def daily(day: str | None = None) -> dict[str, int]:
    """The daily work of every association: reminders and automatic renewal runs."""
    from forening.billing import renewal

    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    totals = {"reminders": 0, "renewal_invoices": 0}
    for organisation in Organisation.objects.order_by("pk"):
        with scope(organisation=organisation.pk):
            done = renewal.daily_for(organisation, today)
        for key, value in done.items():
            totals[key] = totals.get(key, 0) + value
    return totals
