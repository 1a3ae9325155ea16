"""Reminders (INV-04): overdue invoices get up to `reminder_steps` reminders, then go on the
collection list.

`send_due` is what the daily task runs. An invoice is due for its first reminder
`reminder_after_days` after its due date, and for each later one `reminder_interval_days`
after the one before. Each reminder is a `Reminder` row, unique per invoice and step, so a
step is never sent twice, not even by two workers at once. A reminder fee, when the
association charges one, is a new line on the invoice with its voucher. The message goes
by e-mail when the recipient has an address; otherwise the reminder is listed for post.
An SMS channel will add itself to `channels_for` when the SMS provider exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.billing import locks, services
from forening.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Reminder,
    ReminderChannel,
)
from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.ledger import services as ledger
from forening.ledger.models import Series, VoucherSource


@dataclass
class Outcome:
    sent: int = 0
    by_email: int = 0
    by_post: int = 0
    fees_minor: int = 0


def due(
    organisation: Organisation, today: dt.date, found: BillingSettings | None = None
) -> QuerySet[Invoice]:
    """Open invoices due for their next reminder on `today`."""
    found = found or services.settings_for(organisation)
    if found.reminder_steps == 0:
        return Invoice.objects.none()
    first = today - dt.timedelta(days=found.reminder_after_days)
    later = today - dt.timedelta(days=found.reminder_interval_days)
    return (
        Invoice.objects.filter(
            organisation=organisation,
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.OPEN,
            open_minor__gt=0,
            reminder_step__lt=found.reminder_steps,
        )
        .filter(
            Q(reminder_step=0, due_on__lte=first) | Q(reminder_step__gt=0, reminded_on__lte=later)
        )
        .order_by("due_on", "number")
    )


def collection_list(organisation: Organisation, today: dt.date) -> QuerySet[Invoice]:
    """Invoices still open after the last reminder's terms: for a collection agency or a
    phone call."""
    found = services.settings_for(organisation)
    last_terms = today - dt.timedelta(days=found.reminder_terms_days)
    return (
        Invoice.objects.filter(
            organisation=organisation,
            kind=InvoiceKind.INVOICE,
            status=InvoiceStatus.OPEN,
            open_minor__gt=0,
            reminder_step__gte=max(found.reminder_steps, 1),
            reminded_on__lt=last_terms,
        )
        .select_related("payer")
        .order_by("due_on", "number")
    )


def channels_for(invoice: Invoice) -> list[str]:
    return [ReminderChannel.EMAIL] if invoice.recipient_email else [ReminderChannel.POST]


@transaction.atomic
def send_due(
    organisation: Organisation,
    *,
    today: dt.date | None = None,
    actor: Actor | None = None,
    email: bool = True,
) -> Outcome:
    """Send every reminder due today, all or nothing; safe to run twice on the same day.

    With `email=False` the reminders, their fees and the audit event are recorded as sent
    but no e-mail is queued: for history written after the fact (the demo's past year).
    """
    today = today or timezone.localdate()
    actor = actor or Actor.system("reminders")
    # One sender at a time per association: a second one waits, then finds nothing due.
    found = locks.lock_settings(organisation)
    invoices = sorted(
        locks.lock_invoices(due(organisation, today, found)),
        key=lambda invoice: (invoice.due_on, invoice.number),
    )
    outcome = Outcome()
    if not invoices:
        return outcome
    fee = found.reminder_fee_minor
    books = services.Books.load(organisation) if fee else None
    fee_lines: dict[int, InvoiceLine] = {}
    if fee and books is not None:
        account = books.role("reminder_fees")
        entries = []
        with translation.override(organisation.language):
            label = _("Reminder fee")
            for invoice in invoices:
                entries.append(
                    ledger.Entry(
                        booked_on=today,
                        text=_("%(line)s, invoice %(number)s")
                        % {"line": label, "number": invoice.number},
                        lines=books.voucher_lines(
                            invoice.payer_id,
                            [
                                services.DraftLine(
                                    description=label, amount_minor=fee, account_id=account.pk
                                )
                            ],
                            receivables=fee,
                        ),
                        source=VoucherSource.REMINDER_FEE,
                        series=Series.INVOICES,
                        reference=str(invoice.number),
                    )
                )
        ledger.post_many(organisation, entries, actor=actor)
        positions = dict(
            InvoiceLine.objects.filter(invoice__in=invoices)
            .values("invoice")
            .annotate(last=Max("position"))
            .values_list("invoice", "last")
        )
        with translation.override(organisation.language):
            rows = [
                InvoiceLine(
                    organisation=organisation,
                    invoice=invoice,
                    position=(positions.get(invoice.pk) or 0) + 1,
                    kind=LineKind.REMINDER_FEE,
                    description=_("Reminder fee, reminder %(step)d")
                    % {"step": invoice.reminder_step + 1},
                    amount_minor=fee,
                    account=account,
                )
                for invoice in invoices
            ]
        InvoiceLine.objects.bulk_create(rows)
        fee_lines = {row.invoice_id: row for row in rows}
    new_due = today + dt.timedelta(days=found.reminder_terms_days)
    reminders = []
    for invoice in invoices:
        step = invoice.reminder_step + 1
        channels = channels_for(invoice)
        reminders.append(
            Reminder(
                organisation=organisation,
                invoice=invoice,
                step=step,
                sent_on=today,
                due_on=new_due,
                channels=",".join(channels),
                open_minor=invoice.open_minor + (fee if fee else 0),
                fee_line=fee_lines.get(invoice.pk),
            )
        )
        outcome.sent += 1
        if ReminderChannel.EMAIL in channels:
            outcome.by_email += 1
        else:
            outcome.by_post += 1
    try:
        with transaction.atomic():
            Reminder.objects.bulk_create(reminders)
    except IntegrityError:  # another sender got there first: send nothing twice
        transaction.set_rollback(True)
        return Outcome()
    ids = [invoice.pk for invoice in invoices]
    Invoice.objects.filter(organisation=organisation, pk__in=ids).update(
        reminder_step=F("reminder_step") + 1,
        reminded_on=today,
        total_minor=F("total_minor") + fee,
        open_minor=F("open_minor") + fee,
        updated_at=timezone.now(),
    )
    outcome.fees_minor = fee * len(invoices)
    if email:
        from forening.billing import sending

        sending.send_reminders([r for r in reminders if ReminderChannel.EMAIL in r.channels])
    audit.record(
        actor,
        "billing.reminders.sent",
        None,
        organisation=organisation,
        sent=outcome.sent,
        by_email=outcome.by_email,
        by_post=outcome.by_post,
        fees_minor=outcome.fees_minor,
    )
    return outcome
