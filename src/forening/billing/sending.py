"""Invoices and reminders by e-mail (INV-03, INV-04), through the task worker.

Services enqueue; the tasks in `billing.tasks` render each PDF and hand the message to
Django's e-mail backend (which queues its delivery in turn). Each message carries the PDF
and a signed link that opens the invoice without signing in: the link is the invoice's
own, unguessable, and expires after `LINK_DAYS`.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from forening.billing.models import Invoice, Reminder
from forening.core.tasks import enqueue

LINK_SALT = "forening.billing.invoice-link"
LINK_DAYS = 400
BATCH = 100  # invoices per task


def link_token(invoice: Invoice) -> str:
    return signing.dumps({"o": invoice.organisation_id, "i": invoice.pk}, salt=LINK_SALT)


def read_token(token: str) -> tuple[int, int] | None:
    """(organisation id, invoice id) of a valid, unexpired link token; None otherwise."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_DAYS * 86400)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not {"o", "i"} <= set(data):
        return None
    return int(data["o"]), int(data["i"])


def link(invoice: Invoice) -> str:
    return settings.SITE_URL + reverse("invoice-link", kwargs={"token": link_token(invoice)})


def send_invoices(invoices: Sequence[Invoice]) -> int:
    """Queue an e-mail for every invoice with a recipient address; returns how many."""
    from forening.billing.tasks import email_invoices

    with_email = [invoice for invoice in invoices if invoice.recipient_email]
    for start in range(0, len(with_email), BATCH):
        chunk = with_email[start : start + BATCH]
        enqueue(
            email_invoices,
            organisation_id=chunk[0].organisation_id,
            invoice_ids=[invoice.pk for invoice in chunk],
        )
    return len(with_email)


def send_reminders(reminders: Sequence[Reminder]) -> int:
    from forening.billing.tasks import email_reminders

    for start in range(0, len(reminders), BATCH):
        chunk = reminders[start : start + BATCH]
        enqueue(
            email_reminders,
            organisation_id=chunk[0].organisation_id,
            reminder_ids=[reminder.pk for reminder in chunk],
        )
    return len(reminders)


def message(
    invoice: Invoice, pdf: bytes, *, reminder: Reminder | None = None
) -> EmailMultiAlternatives:
    """The e-mail for an invoice (or a reminder of it), in the invoice's language."""
    template = "billing/mail/reminder" if reminder else "billing/mail/invoice"
    with translation.override(invoice.language):
        context = {
            "invoice": invoice,
            "reminder": reminder,
            "organisation": invoice.organisation,
            "link": link(invoice),
        }
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
        name = f"{'reminder' if reminder else 'invoice'}-{invoice.number}.pdf"
    email = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [invoice.recipient_email],
    )
    email.attach(name, pdf, "application/pdf")
    return email


def mark_sent(invoice_ids: Sequence[int]) -> None:
    Invoice.objects.filter(pk__in=list(invoice_ids)).update(emailed_at=timezone.now())
