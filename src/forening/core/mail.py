"""E-mail: every message leaves through a task, so a slow SMTP server never holds a request.

`QueuedEmailBackend` is Django's EMAIL_BACKEND: it serialises each message and enqueues
`deliver_email`, which hands it to the real backend named by EMAIL_URL
(`FORENING_EMAIL_DELIVERY_BACKEND`). With the database task backend the message is
queued in the same transaction as the change that caused it: a rolled-back change
sends nothing.
"""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils import timezone

from forening.core.tasks import deliver_email, enqueue


class QueuedEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Any) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            raw = message.message().as_bytes(linesep="\r\n")
            enqueue(
                deliver_email,
                from_email=message.from_email,
                recipients=list(message.recipients()),
                message_b64=base64.b64encode(raw).decode("ascii"),
            )
            count += 1
        return count


class _ParsedMessage(email.message.EmailMessage):
    """A parsed message whose as_bytes() also takes Django's `linesep` (the SMTP backend
    passes "\r\n"; the standard library's signature has no such argument)."""

    def as_bytes(self, unixfrom: bool = False, policy: Any = None, linesep: Any = None) -> bytes:
        policy = policy or self.policy
        if linesep is not None:
            policy = policy.clone(linesep=linesep)
        return super().as_bytes(unixfrom, policy=policy)


class RawEmailMessage(EmailMessage):
    """An already-rendered RFC 5322 message, handed on unchanged.

    `subject` and `body` are read back from it, so code that inspects a sent message
    (the locmem backend in tests, logging) sees what the recipient sees.
    """

    def __init__(self, raw: bytes, from_email: str, recipients: list[str]) -> None:
        super().__init__(from_email=from_email, to=recipients)
        self.raw = raw
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.subject = str(parsed.get("Subject", ""))
        text = parsed.get_body(preferencelist=("plain",))
        self.body = text.get_content() if text is not None else ""

    def message(self, *, policy: Any = None) -> Any:
        return email.message_from_bytes(self.raw, _class=_ParsedMessage, policy=email.policy.SMTP)

    def recipients(self) -> list[str]:
        return list(self.to)


def deliver_raw(from_email: str, recipients: list[str], raw: bytes) -> int:
    connection = get_connection(settings.FORENING_EMAIL_DELIVERY_BACKEND, fail_silently=False)
    return connection.send_messages([RawEmailMessage(raw, from_email, recipients)])


class EmlFileBackend(BaseEmailBackend):
    """Development backend: one .eml file per message in var/mail/, readable by any mail app."""

    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Any) -> int:
        self.path.mkdir(parents=True, exist_ok=True)
        for index, message in enumerate(email_messages):
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            target = self.path / f"{stamp}-{index}.eml"
            target.write_bytes(message.message().as_bytes())
        return len(email_messages)
