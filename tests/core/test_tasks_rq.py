"""The RQ backend (FORENING_TASK_BACKEND=rq): tasks reach Redis only when the change commits.

Needs the Redis server on 127.0.0.1:6379 (database 15 is used and emptied; under pytest-xdist
one database per worker). Without it the tests skip, except where FORENING_REQUIRE_REDIS=1
(CI), where that is a failure.
"""

from __future__ import annotations

import contextlib
import os

import pytest
from django.core import mail
from django.db import transaction

# Every test empties the database, so each pytest-xdist worker takes its own (gw0: 15, gw1: 14).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_DATABASE = 15 - _WORKER % 16
REDIS_URL = os.environ.get("FORENING_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_DATABASE}")


@pytest.fixture
def rq_tasks(settings):
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError:
        message = f"Redis is not reachable at {REDIS_URL}"
        if os.environ.get("FORENING_REQUIRE_REDIS") == "1":
            pytest.fail(message + " (FORENING_REQUIRE_REDIS=1)")
        pytest.skip(message)
    connection.flushdb()
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django_rq", "django_tasks_rq"]
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    # Changing TASKS makes django_tasks drop its cached backends.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.EMAIL_BACKEND = "forening.core.mail.QueuedEmailBackend"
    settings.FORENING_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield connection
    connection.flushdb()


def queued_jobs() -> int:
    import django_rq

    return len(django_rq.get_queue("default"))


def run_worker_burst(*, with_scheduler: bool = False) -> None:
    """What `forening worker` runs for rq, in this process (no fork), until the queue is empty;
    with the scheduler, it first queues the scheduled jobs that are due."""
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    queue = django_rq.get_queue("default", job_class=Job)
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    # No pubsub channel for remote commands: with this redis-py, stopping its thread at the end
    # of a burst sometimes waits out its 60 s poll (rq/rq#1613).
    worker.subscribe = lambda: None
    worker.work(burst=True, with_scheduler=with_scheduler)


@pytest.mark.django_db(transaction=True)
def test_mail_goes_through_redis_after_the_commit(rq_tasks):
    with transaction.atomic():
        mail.send_mail("Kallelse", "Träning på tisdag", "ledare@ik-demo.se", ["anna@example.com"])
        assert queued_jobs() == 0  # not before the change is committed
    assert queued_jobs() == 1
    assert mail.outbox == []

    run_worker_burst()

    assert queued_jobs() == 0
    assert [message.subject for message in mail.outbox] == ["Kallelse"]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_puts_nothing_on_redis(rq_tasks):
    with contextlib.suppress(RuntimeError), transaction.atomic():
        mail.send_mail("Faktura", "Att betala", "kansli@ik-demo.se", ["anna@example.com"])
        raise RuntimeError("the change failed")
    assert queued_jobs() == 0
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failed_association_is_retried_through_rqs_scheduled_jobs(rq_tasks, monkeypatch):
    import datetime as dt

    import django_rq
    from django.utils import timezone
    from django_scopes import scopes_disabled
    from django_tasks_rq import Job

    from forening.billing import renewal, tasks
    from tests.factories.core import OrganisationFactory

    with scopes_disabled():
        organisation = OrganisationFactory()

    def fail(found, today):
        raise RuntimeError("the bank's file server is down")

    monkeypatch.setattr(renewal, "daily_for", fail)
    before = timezone.now().replace(microsecond=0)
    assert tasks.daily_for_organisation.call(organisation_id=organisation.pk, day="2026-12-01") == {
        "retry": 2
    }

    # Not on the queue: in RQ's scheduled-job registry, a minute from now.
    queue = django_rq.get_queue("default", job_class=Job)
    assert queued_jobs() == 0
    [job_id] = queue.scheduled_job_registry.get_job_ids()
    scheduled = queue.scheduled_job_registry.get_scheduled_time(job_id)
    assert before + dt.timedelta(minutes=1) <= scheduled
    assert scheduled <= timezone.now() + dt.timedelta(minutes=1)
    assert queue.fetch_job(job_id).kwargs == {
        "organisation_id": organisation.pk,
        "day": "2026-12-01",
        "attempt": 2,
    }

    # A worker without the scheduler leaves it there.
    run_worker_burst()
    assert queue.scheduled_job_registry.get_job_ids() == [job_id]

    # The minute passes and the outage is over: the worker's scheduler queues it, and it runs.
    monkeypatch.undo()
    queue.scheduled_job_registry.schedule(queue.fetch_job(job_id), timezone.now())
    run_worker_burst(with_scheduler=True)
    assert queue.scheduled_job_registry.get_job_ids() == []
    assert queued_jobs() == 0
    assert queue.fetch_job(job_id).return_value() == {"renewal_invoices": 0, "reminders": 0}
