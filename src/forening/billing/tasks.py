"""Background tasks of invoicing: e-mail invoices and reminders, and the daily work of every
association (one task each, retried with back-off)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_scopes import scope
from django_tasks import task, task_backends

from forening.core.models import Organisation
from forening.core.tasks import enqueue

logger = logging.getLogger(__name__)


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


def run_daily_for(organisation_id: int, today: dt.date) -> dict[str, int]:
    """The daily work of one association on `today` (renewal, then reminders), in its scope.

    Raises whatever the work raises; `renewal.daily_for` already logs and skips the expected
    `BillingError`s. An association that no longer exists has nothing to do.
    """
    from forening.billing import renewal

    with scope(organisation=organisation_id):
        organisation = Organisation.objects.filter(pk=organisation_id).first()
        if organisation is None:
            return {"renewal_invoices": 0, "reminders": 0}
        return renewal.daily_for(organisation, today)


def enqueue_daily(today: dt.date) -> int:
    """Enqueue `daily_for_organisation` for every association; returns how many.

    The day is fixed here, so a task (or a retry) that runs after midnight still does the
    work of the day it was meant for.
    """
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    for organisation_id in ids:
        enqueue(daily_for_organisation, organisation_id=organisation_id, day=today.isoformat())
    return len(ids)


@task()
def daily(day: str | None = None) -> int:
    """The daily job (core.scheduler starts it once a day): one task per association, so an
    error in one association neither stops nor delays the others. Returns their number."""
    return enqueue_daily(dt.date.fromisoformat(day) if day else timezone.localdate())


# django-tasks (0.12) has no retries of its own, so a failed association retries itself:
# attempt n+1 is enqueued RETRY_AFTER * 2**(n-1) later (1, 2, 4, 8 minutes), up to
# MAX_ATTEMPTS in all. Retrying is safe because the work is idempotent: a reminder is unique
# per (invoice, step), and a renewal run skips the billing keys already invoiced.
MAX_ATTEMPTS = 5
RETRY_AFTER = dt.timedelta(minutes=1)


def retry_delay(attempt: int) -> dt.timedelta:
    """How long to wait after failed attempt `attempt` (1-based) before the next one."""
    return RETRY_AFTER * int(2 ** (attempt - 1))


@task()
def daily_for_organisation(organisation_id: int, day: str, attempt: int = 1) -> dict[str, int]:
    """The daily work of one association on `day` (ISO date).

    On an unexpected error it logs the error with the organisation id, enqueues itself again
    after a back-off (`retry_delay`) and returns {"retry": the next attempt}. After
    MAX_ATTEMPTS, or where the task backend cannot run a task later (the immediate backend),
    it logs an error and re-raises, so the task is recorded as failed. The next day's run
    catches up on reminders and rolling renewals, but a calendar-year renewal is due on its
    day only: `forening daily --date <day>` does that day's work once the cause is fixed.
    """
    try:
        return run_daily_for(organisation_id, dt.date.fromisoformat(day))
    except Exception:
        context = {"organisation_id": organisation_id, "day": day, "attempt": attempt}
        backend = task_backends[daily_for_organisation.backend]
        if attempt >= MAX_ATTEMPTS or not backend.supports_defer:
            logger.error(
                "daily work of organisation %s for %s failed (attempt %s of %s); giving up: "
                "run `forening daily --date %s` once the cause is fixed",
                organisation_id,
                day,
                attempt,
                MAX_ATTEMPTS,
                day,
                exc_info=True,
                extra=context,
            )
            raise
        delay = retry_delay(attempt)
        logger.warning(
            "daily work of organisation %s for %s failed (attempt %s of %s); retrying in %s",
            organisation_id,
            day,
            attempt,
            MAX_ATTEMPTS,
            delay,
            exc_info=True,
            extra=context,
        )
        enqueue(
            daily_for_organisation.using(run_after=timezone.now() + delay),
            organisation_id=organisation_id,
            day=day,
            attempt=attempt + 1,
        )
        return {"retry": attempt + 1}
