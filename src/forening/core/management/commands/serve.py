"""`forening serve`: the one-process setup behind `make run`.

A database task worker runs in a daemon thread beside Django's development server, so a
small installation (or a laptop) needs a single command. Larger installations run
gunicorn and `forening worker` as separate processes (docs/operations.md).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connections
from django.utils.crypto import get_random_string

from forening.core import scheduler

logger = logging.getLogger(__name__)

# How long Ctrl-C waits for a task that is running (say, an SMTP delivery) to finish.
WORKER_STOP_TIMEOUT = 10.0


class Command(BaseCommand):
    help = "Serve the site with runserver and run the database task worker in a thread."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT") or 8000),
            help="Default: $PORT or 8000.",
        )
        parser.add_argument("--host", default="127.0.0.1", help="Default: 127.0.0.1.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not start the task worker thread."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = None
        thread = None
        if settings.TASK_BACKEND == "database" and not options["no_worker"]:
            worker, thread = _start_worker()
            scheduler.start_thread()
            self.stdout.write("Task worker started (database backend, in a thread).")
        elif settings.TASK_BACKEND == "rq":
            self.stdout.write("Tasks go to Redis: run `forening worker` in another terminal.")
        # runserver turns KeyboardInterrupt into a clean exit; SIGTERM (systemd, docker stop)
        # gets the same, and so does SIGINT when a non-interactive shell started us ignoring it.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
        try:
            call_command(
                "runserver",
                f"{options['host']}:{options['port']}",
                use_reloader=False,
                use_threading=True,
            )
        finally:
            if worker is not None and thread is not None:
                self.stdout.write("Stopping the task worker…")
                worker.running = False
                thread.join(WORKER_STOP_TIMEOUT)
                if thread.is_alive():
                    logger.warning(
                        "task worker still busy after %.0f s; exiting", WORKER_STOP_TIMEOUT
                    )


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _start_worker() -> tuple[Any, threading.Thread]:
    # The Worker class of `db_worker`, driven directly: its own signal handling only works
    # in the main thread, so stopping is done by clearing `running` from here.
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"serve-{get_random_string(16)}",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        except Exception:
            logger.exception("task worker thread stopped")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="forening-task-worker", daemon=True)
    thread.start()
    return worker, thread
