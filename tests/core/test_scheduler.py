"""core.scheduler: the worker starts the daily jobs once a day, whatever the number of workers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django_scopes import scopes_disabled
from django_tasks_db.models import DBTaskResult

from forening.billing import services
from forening.billing.models import Reminder
from forening.core import scheduler
from forening.core.context import Actor
from forening.core.models import ScheduledRun
from tests.factories.billing import make_invoice
from tests.factories.core import OrganisationFactory, PersonFactory

STOCKHOLM = ZoneInfo("Europe/Stockholm")
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DAY = dt.date(2026, 3, 2)  # 16 days after the due date of an invoice issued 15 January


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=STOCKHOLM)


def overdue_invoice(org: Any) -> Any:
    services.update_settings(
        org, actor=Actor.system("test"), reminder_steps=2, reminder_after_days=10
    )
    return make_invoice(org, PersonFactory(organisation=org), issued_on=dt.date(2026, 1, 15))


def test_billing_registers_its_daily_job() -> None:
    assert "forening.billing.tasks.daily" in [job.task for job in scheduler.jobs()]


def test_nothing_starts_before_the_hour(org: Any, settings: Any) -> None:
    settings.FORENING_DAILY_AT = "05:00"
    overdue_invoice(org)

    assert scheduler.tick(at(DAY, 4, 59)) == []
    assert not ScheduledRun.objects.exists()
    assert not Reminder.objects.exists()


def test_the_daily_billing_work_runs_once_a_day(org: Any, settings: Any) -> None:
    settings.FORENING_DAILY_AT = "05:00"
    invoice = overdue_invoice(org)

    assert scheduler.tick(at(DAY, 5, 1)) == ["billing.daily"]
    # The task ran (tests run tasks at once): the overdue invoice got its first reminder.
    assert Reminder.objects.filter(invoice=invoice, step=1).count() == 1

    # Another tick that day, here or in a second worker, starts nothing.
    assert scheduler.tick(at(DAY, 5, 2)) == []
    assert scheduler.tick(at(DAY, 23, 59)) == []
    assert ScheduledRun.objects.filter(name="billing.daily", day=DAY).count() == 1

    # The next day it runs again (nothing new is due, so nothing is sent twice).
    assert scheduler.tick(at(DAY + dt.timedelta(days=1), 9, 0)) == ["billing.daily"]
    assert Reminder.objects.filter(invoice=invoice).count() == 1


def test_the_daily_job_is_queued_once_a_day_and_queues_one_task_per_association(
    org: Any, settings: Any
) -> None:
    settings.FORENING_DAILY_AT = "05:00"
    settings.TASKS = DATABASE_TASKS  # queued as in production, not run at once
    with scopes_disabled():
        other = OrganisationFactory()

    assert scheduler.tick(at(DAY, 5, 1)) == ["billing.daily"]
    assert scheduler.tick(at(DAY, 5, 2)) == []
    [job] = DBTaskResult.objects.all()
    assert job.task_path == "forening.billing.tasks.daily"
    assert job.task_result.kwargs == {"day": DAY.isoformat()}

    # The worker runs the job: it queues one task per association, for that day.
    job.task.call(**job.task_result.kwargs)
    queued = DBTaskResult.objects.filter(
        task_path="forening.billing.tasks.daily_for_organisation"
    ).order_by("enqueued_at")
    assert [row.task_result.kwargs for row in queued] == [
        {"organisation_id": org.pk, "day": DAY.isoformat()},
        {"organisation_id": other.pk, "day": DAY.isoformat()},
    ]


def test_a_worker_that_was_stopped_at_the_hour_starts_the_job_when_it_comes_back(
    org: Any, settings: Any
) -> None:
    settings.FORENING_DAILY_AT = "05:00"
    overdue_invoice(org)

    assert scheduler.tick(at(DAY, 14, 30)) == ["billing.daily"]
    assert Reminder.objects.count() == 1


def test_the_hour_is_a_setting(org: Any, settings: Any) -> None:
    settings.FORENING_DAILY_AT = "07:30"

    assert scheduler.tick(at(DAY, 7, 29)) == []
    assert scheduler.tick(at(DAY, 7, 30)) == ["billing.daily"]


def test_a_batch_worker_does_not_start_the_scheduler(monkeypatch: Any, settings: Any) -> None:
    started = []
    monkeypatch.setattr(scheduler, "start_thread", lambda *a, **k: started.append(True))
    monkeypatch.setattr(
        "forening.core.management.commands.worker.call_command", lambda *a, **k: None
    )
    settings.TASK_BACKEND = "database"

    call_command("worker", "--batch")
    assert started == []
    call_command("worker")
    assert started == [True]


def test_the_rq_worker_runs_the_scheduler_that_starts_delayed_retries(
    monkeypatch: Any, settings: Any
) -> None:
    # A task enqueued with run_after (a retry with back-off) waits in RQ's scheduled-job
    # registry until a worker started with the scheduler moves it to the queue.
    calls = []
    monkeypatch.setattr(scheduler, "start_thread", lambda *a, **k: None)
    monkeypatch.setattr(
        "forening.core.management.commands.worker.call_command",
        lambda *args, **kwargs: calls.append((args, kwargs)),
    )
    settings.TASK_BACKEND = "rq"

    call_command("worker")

    [(args, kwargs)] = calls
    assert args == ("rqworker", "default")
    assert kwargs["with_scheduler"] is True
