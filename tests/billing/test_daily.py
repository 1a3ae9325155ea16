"""The daily job: one task per association, so one association's failure stops no other; a
failed association retries itself with back-off, then gives up with an error."""

from __future__ import annotations

import datetime as dt
import io
import logging
import signal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from forening.billing import renewal, services, tasks
from forening.billing.models import BillingRun, Reminder
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members.models import MembershipKind
from tests.factories.billing import make_invoice
from tests.factories.core import OrganisationFactory, PersonFactory
from tests.factories.fees import make_category
from tests.factories.members import MembershipTypeFactory

SYSTEM = Actor.system("test")
# The renewal day; an invoice issued 15 October (due 14 November) is then past its first
# reminder (ten days after the due date).
DAY = dt.date(2026, 12, 1)
PER_ASSOCIATION = "forening.billing.tasks.daily_for_organisation"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """The database backend, as in production (the tests otherwise run tasks at once)."""
    # Changing TASKS sends setting_changed, on which django_tasks drops its cached backends.
    settings.TASKS = DATABASE_TASKS


def association(slug: str) -> Organisation:
    """An association with one overdue invoice and one member to renew on DAY."""
    with scopes_disabled():
        organisation = OrganisationFactory(slug=slug, name=slug)
    with scope(organisation=organisation.pk):
        services.update_settings(
            organisation,
            actor=SYSTEM,
            reminder_steps=2,
            reminder_after_days=10,
            auto_renewal=True,
            renewal_month=DAY.month,
            renewal_day=DAY.day,
        )
        make_invoice(
            organisation,
            PersonFactory(organisation=organisation, email=""),
            issued_on=dt.date(2026, 10, 15),
        )
        ordinary = MembershipTypeFactory(organisation=organisation, kind=MembershipKind.ORDINARY)
        make_category(organisation, amount_minor=30000)
        PersonFactory(organisation=organisation, membership_type=ordinary, email="")
    return organisation


def reminders_of(organisation: Organisation) -> int:
    with scopes_disabled():
        return Reminder.objects.filter(organisation=organisation).count()


def renewal_runs_of(organisation: Organisation) -> int:
    with scopes_disabled():
        return BillingRun.objects.filter(organisation=organisation, automatic=True).count()


def fail_for(monkeypatch: Any, organisation: Organisation) -> None:
    """Make the daily work of this one association raise, as an outage would."""
    real = renewal.daily_for

    def daily_for(found: Organisation, today: dt.date) -> dict[str, int]:
        if found.pk == organisation.pk:
            raise RuntimeError("the bank's file server is down")
        return real(found, today)

    monkeypatch.setattr(renewal, "daily_for", daily_for)


def queued() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=PER_ASSOCIATION).order_by("enqueued_at"))


def run(row: DBTaskResult) -> Any:
    """Run one queued task in this process, as the worker would."""
    result = row.task_result
    return row.task.call(*result.args, **result.kwargs)


def run_worker_batch() -> None:
    """`forening worker --batch`, keeping pytest's own signal handlers (db_worker sets its own)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", batch=True, verbosity=0, stdout=io.StringIO())
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def failures(caplog: Any, level: int) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "forening.billing.tasks" and record.levelno == level
    ]


def test_the_daily_job_enqueues_one_task_per_association_from_one_query(
    db: Any, database_tasks: None
) -> None:
    with scopes_disabled():
        organisations = OrganisationFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        assert tasks.daily.call(day=DAY.isoformat()) == 3

    assert len([q for q in queries if '"core_organisation"' in q["sql"]]) == 1
    assert [row.task_result.kwargs for row in queued()] == [
        {"organisation_id": organisation.pk, "day": "2026-12-01"} for organisation in organisations
    ]
    assert {row.task.run_after for row in queued()} == {None}


def test_without_a_day_the_job_fixes_today_for_every_association(
    db: Any, database_tasks: None
) -> None:
    with scopes_disabled():
        OrganisationFactory()

    tasks.daily.call()

    [row] = queued()
    assert row.task_result.kwargs["day"] == timezone.localdate().isoformat()


@pytest.mark.django_db(transaction=True)
def test_a_failing_association_stops_no_other_and_retries_later_with_the_worker(
    database_tasks: None, monkeypatch: Any, caplog: Any
) -> None:
    # given: the first association's work fails, the second's works
    failing, working = association("failing"), association("working")
    fail_for(monkeypatch, failing)

    # when: the daily job is queued and the worker runs what is due
    call_command("daily", "--enqueue", "--date", DAY.isoformat(), stdout=io.StringIO())
    started = timezone.now()
    run_worker_batch()

    # then: the working association got its renewal run and its reminder
    assert renewal_runs_of(working) == 1
    assert reminders_of(working) == 1
    assert (renewal_runs_of(failing), reminders_of(failing)) == (0, 0)
    # the failure is logged with the organisation id and the exception
    [warning] = failures(caplog, logging.WARNING)
    assert warning.organisation_id == failing.pk
    assert warning.attempt == 1
    assert "the bank's file server is down" in caplog.text
    assert warning.exc_info is not None
    assert isinstance(warning.exc_info[1], RuntimeError)
    # and a second attempt waits a minute in the queue: the worker did not run it yet
    first, second, retry = queued()
    assert {first.status, second.status} == {TaskResultStatus.SUCCESSFUL}
    assert retry.status == TaskResultStatus.READY
    assert retry.task_result.kwargs == {
        "organisation_id": failing.pk,
        "day": "2026-12-01",
        "attempt": 2,
    }
    assert started + dt.timedelta(minutes=1) <= retry.run_after
    assert retry.run_after <= timezone.now() + dt.timedelta(minutes=1)

    # when: the outage is over and the minute has passed
    monkeypatch.undo()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker_batch()

    # then: the failing association is done too, and nothing was done twice
    assert (renewal_runs_of(failing), reminders_of(failing)) == (1, 1)
    assert (renewal_runs_of(working), reminders_of(working)) == (1, 1)
    assert len(queued()) == 3


def test_retries_back_off_1_2_4_8_minutes_then_give_up_with_an_error(
    db: Any, database_tasks: None, monkeypatch: Any, caplog: Any
) -> None:
    failing = association("failing")
    fail_for(monkeypatch, failing)
    tasks.daily.call(day=DAY.isoformat())

    for attempt, minutes in [(1, 1), (2, 2), (3, 4), (4, 8)]:
        row = queued()[-1]
        assert row.task_result.kwargs.get("attempt", 1) == attempt
        before = timezone.now()
        assert run(row) == {"retry": attempt + 1}
        after = timezone.now()
        retry = queued()[-1]
        assert retry.task_result.kwargs["attempt"] == attempt + 1
        assert before + dt.timedelta(minutes=minutes) <= retry.run_after
        assert retry.run_after <= after + dt.timedelta(minutes=minutes)

    assert len(failures(caplog, logging.WARNING)) == 4
    assert failures(caplog, logging.ERROR) == []

    last = queued()[-1]
    with pytest.raises(RuntimeError, match="file server is down"):
        run(last)

    assert len(queued()) == 5  # no sixth attempt
    [error] = failures(caplog, logging.ERROR)
    assert error.organisation_id == failing.pk
    assert error.attempt == tasks.MAX_ATTEMPTS
    assert "giving up" in error.getMessage()
    assert error.exc_info is not None


def test_the_immediate_backend_cannot_wait_so_a_failure_gives_up_and_the_others_run(
    db: Any, monkeypatch: Any, caplog: Any
) -> None:
    # The tests' own backend runs a task at once and cannot run one later.
    failing, working = association("failing"), association("working")
    fail_for(monkeypatch, failing)

    assert tasks.daily.call(day=DAY.isoformat()) == 2

    assert (renewal_runs_of(working), reminders_of(working)) == (1, 1)
    assert (renewal_runs_of(failing), reminders_of(failing)) == (0, 0)
    [error] = failures(caplog, logging.ERROR)
    assert error.organisation_id == failing.pk
    assert "giving up" in error.getMessage()


def test_an_association_that_is_gone_has_nothing_to_do(db: Any) -> None:
    assert tasks.daily_for_organisation.call(organisation_id=999_999, day="2026-12-01") == {
        "renewal_invoices": 0,
        "reminders": 0,
    }


def test_the_command_reports_a_failing_association_and_does_the_others(
    db: Any, monkeypatch: Any, caplog: Any
) -> None:
    failing, working = association("failing"), association("working")
    fail_for(monkeypatch, failing)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="failed for 1 association.*failing"):
        call_command("daily", "--date", DAY.isoformat(), stdout=out, stderr=err)

    assert (renewal_runs_of(working), reminders_of(working)) == (1, 1)
    assert "Renewal invoices: 1; reminders: 1." in out.getvalue()
    assert f"failing (id {failing.pk}): failed: RuntimeError" in err.getvalue()
    [error] = failures(caplog, logging.ERROR)
    assert error.organisation_id == failing.pk
    assert isinstance(error.exc_info[1], RuntimeError)

    # The outage is over: the same command does the rest, and nothing twice.
    monkeypatch.undo()
    out = io.StringIO()
    call_command("daily", "--date", DAY.isoformat(), stdout=out)
    assert "Renewal invoices: 1; reminders: 1." in out.getvalue()
    assert (renewal_runs_of(failing), reminders_of(failing)) == (1, 1)
    assert (renewal_runs_of(working), reminders_of(working)) == (1, 1)


def test_the_command_enqueues_one_task_per_association(db: Any, database_tasks: None) -> None:
    first, second = association("first"), association("second")
    out = io.StringIO()

    call_command("daily", "--enqueue", "--date", DAY.isoformat(), stdout=out)

    assert "Queued the daily work of 2 associations" in out.getvalue()
    assert [row.task_result.kwargs["organisation_id"] for row in queued()] == [first.pk, second.pk]
    assert (reminders_of(first), reminders_of(second)) == (0, 0)
