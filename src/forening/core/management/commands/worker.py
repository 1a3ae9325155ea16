"""`forening worker`: run background tasks with the configured backend (FORENING_TASK_BACKEND)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from forening.core import scheduler


class Command(BaseCommand):
    help = (
        "Run the task worker: django-tasks-db's db_worker for the database backend, "
        "django-rq's rqworker for the rq backend."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="default",
            help="Queues to work on, separated by commas (default: default).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between polls when the queue is empty (database backend).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run what is queued now, then exit."
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Exit after running this many tasks."
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="Do not start the daily jobs (reminders, renewal runs) from this worker.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.TASK_BACKEND
        if backend in ("database", "rq") and not (options["batch"] or options["no_scheduler"]):
            # Daily jobs (core.scheduler): any number of workers may tick, one starts a job.
            scheduler.start_thread()
        if backend == "database":
            worker_options: dict[str, Any] = {
                "queue_name": options["queue_name"],
                "interval": options["interval"],
                "batch": options["batch"],
                "reload": False,
                "verbosity": options["verbosity"],
            }
            if options["max_tasks"] is not None:
                worker_options["max_tasks"] = options["max_tasks"]
            call_command("db_worker", **worker_options)
        elif backend == "rq":
            queues = [name for name in options["queue_name"].split(",") if name]
            call_command(
                "rqworker",
                *queues,
                job_class="django_tasks_rq.Job",
                burst=options["batch"],
                # RQ runs a task enqueued with run_after (a retry with back-off) only once a
                # worker's scheduler moves it to the queue; RQ lets one worker at a time do so.
                with_scheduler=True,
                max_jobs=options["max_tasks"],
                verbosity=options["verbosity"],
            )
        else:
            self.stdout.write(
                f"FORENING_TASK_BACKEND is {backend!r}: tasks run inside the web process, "
                "so there is no worker to start."
            )
