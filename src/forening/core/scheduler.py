"""Jobs the task worker starts once a day, such as the daily billing work (reminders and
automatic renewal runs).

`forening worker` and `forening serve` call `tick()` about once a minute in a thread. A job
is due once the local time has passed its hour (`FORENING_DAILY_AT`, 05:00 unless set) and
it has not been started for today. Starting it inserts a `ScheduledRun` row for the job and
the day, unique, and enqueues the job's task in the same transaction: of several workers
exactly one starts it, and a worker that was stopped at the hour starts it when it comes
back. The work itself runs as an ordinary task, and every job is idempotent, so running
`forening daily` by hand as well does no harm.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from forening.core.models import ScheduledRun
from forening.core.tasks import enqueue

logger = logging.getLogger(__name__)

TICK_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # the dotted path of a task that takes `day` (an ISO date)


_jobs: dict[str, Job] = {}


def register(name: str, task: str) -> None:
    """Run the task `task` once a day (apps call this from `ready()`)."""
    _jobs[name] = Job(name, task)


def jobs() -> list[Job]:
    return list(_jobs.values())


def daily_at() -> dt.time:
    """The local time of day after which the daily jobs start (`FORENING_DAILY_AT`)."""
    return dt.time.fromisoformat(settings.FORENING_DAILY_AT)


def tick(now: dt.datetime | None = None) -> list[str]:
    """Start the jobs that are due; return their names."""
    local = timezone.localtime(now)
    if local.time() < daily_at():
        return []
    started = []
    for job in jobs():
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=job.name, day=local.date())
                enqueue(import_string(job.task), day=local.date().isoformat())
        except IntegrityError:
            continue  # already started today, here or by another worker
        logger.info("scheduled job %s started for %s", job.name, local.date())
        started.append(job.name)
    return started


def start_thread(interval: float = TICK_SECONDS) -> tuple[threading.Event, threading.Thread]:
    """Tick every `interval` seconds in a daemon thread until the event is set."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                tick()
            except Exception:
                logger.exception("scheduler tick failed; trying again in %.0f s", interval)
            finally:
                close_old_connections()
            stop.wait(interval)

    thread = threading.Thread(target=run, name="forening-scheduler", daemon=True)
    thread.start()
    return stop, thread
