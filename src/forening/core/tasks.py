"""Background tasks of the core app, and the one helper that enqueues."""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction
from django_tasks import task, task_backends


def enqueue(task_obj: Any, **kwargs: Any) -> None:
    """Enqueue a task as part of the current transaction.

    The database backend stores the task in our own transaction, so it is enqueued
    exactly when the change commits. A backend outside the database (RQ) is told only
    after the commit, so a worker never sees a task for a change that was rolled back.
    """
    backend = task_backends[task_obj.backend]
    module = type(backend).__module__
    if module.startswith(("django_tasks_db", "django_tasks.backends.immediate")):
        task_obj.enqueue(**kwargs)
    else:
        transaction.on_commit(lambda: task_obj.enqueue(**kwargs))


@task()
def deliver_email(from_email: str, recipients: list[str], message_b64: str) -> int:
    """Hand one rendered message to the delivery backend (SMTP in production)."""
    from forening.core.mail import deliver_raw

    return deliver_raw(from_email, recipients, base64.b64decode(message_b64))
