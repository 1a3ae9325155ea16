"""E-mail leaves through a task: queued with the change, delivered by the worker over SMTP."""

from __future__ import annotations

import contextlib
import email
import email.policy
import io
import signal
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from forening.env import parse_email_url

QUEUED = "forening.core.mail.QueuedEmailBackend"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def queued_mail(settings):
    # Django's test setup swaps EMAIL_BACKEND for locmem; put our queueing backend back.
    settings.EMAIL_BACKEND = QUEUED
    settings.FORENING_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return settings


@pytest.fixture
def database_tasks(queued_mail):
    # Changing TASKS sends setting_changed, on which django_tasks drops its cached backends.
    queued_mail.TASKS = DATABASE_TASKS
    return queued_mail


def run_worker_batch() -> None:
    """`forening worker --batch`, keeping pytest's own signal handlers (db_worker sets its own)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("worker", batch=True, verbosity=0, stdout=io.StringIO())
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_mail_waits_in_the_database_queue_until_the_worker_delivers_it(database_tasks):
    mail.send_mail("Välkommen", "Hej Anna!", "kansli@ik-demo.se", ["anna@example.com"])

    queued = DBTaskResult.objects.get()
    assert queued.status == TaskResultStatus.READY
    assert queued.task_path == "forening.core.tasks.deliver_email"
    assert mail.outbox == []

    run_worker_batch()

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert len(mail.outbox) == 1
    delivered = email.message_from_bytes(
        mail.outbox[0].message().as_bytes(), policy=email.policy.default
    )
    assert delivered["Subject"] == "Välkommen"
    assert delivered["To"] == "anna@example.com"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_sends_no_mail(database_tasks):
    with contextlib.suppress(RuntimeError), transaction.atomic():
        mail.send_mail("Faktura", "Att betala: 450 kr", "kansli@ik-demo.se", ["anna@example.com"])
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError("the change failed")

    assert DBTaskResult.objects.count() == 0
    run_worker_batch()
    assert mail.outbox == []


class Collector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.envelopes: list[object] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(queued_mail):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    queued_mail.FORENING_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    queued_mail.EMAIL_HOST = "127.0.0.1"
    queued_mail.EMAIL_PORT = controller.port
    queued_mail.EMAIL_HOST_USER = ""
    queued_mail.EMAIL_HOST_PASSWORD = ""
    queued_mail.EMAIL_USE_TLS = False
    queued_mail.EMAIL_USE_SSL = False
    try:
        yield collector
    finally:
        controller.stop()


@pytest.mark.django_db
def test_mail_is_delivered_over_smtp(smtp_server):
    message = mail.EmailMessage(
        subject="Träning inställd på fredag",
        body="Hej! Träningen för P2016 är inställd på fredag på grund av åska.",
        from_email="IK Demo <kansli@ik-demo.se>",
        to=["foralder@example.com", "anna@example.com"],
    )
    message.send()

    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.mail_from == "kansli@ik-demo.se"
    assert sorted(envelope.rcpt_tos) == ["anna@example.com", "foralder@example.com"]
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Subject"] == "Träning inställd på fredag"
    assert "anna@example.com" in received["To"]
    assert "inställd på fredag på grund av åska" in received.get_content()


@pytest.mark.django_db
def test_an_unreachable_smtp_server_fails_the_task_not_the_request(queued_mail, caplog):
    queued_mail.FORENING_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    queued_mail.EMAIL_HOST = "127.0.0.1"
    queued_mail.EMAIL_PORT = free_port()  # nothing listens here
    queued_mail.EMAIL_TIMEOUT = 2

    # The sender only enqueues; the task fails (and is logged) without raising into the caller.
    sent = mail.send_mail("Hej", "Text", "kansli@ik-demo.se", ["anna@example.com"])

    assert sent == 1
    failures = [
        r for r in caplog.records if r.name == "django_tasks" and "state=FAILED" in r.message
    ]
    assert len(failures) == 1


BASE = Path("/srv/forening")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://mailer:p%40ss%3Aword@mail.example.org:2525?tls=1&timeout=5",
            {
                "backend": "django.core.mail.backends.smtp.EmailBackend",
                "host": "mail.example.org",
                "port": 2525,
                "username": "mailer",
                "password": "p@ss:word",
                "use_tls": True,
                "use_ssl": False,
                "timeout": 5,
            },
        ),
        ("smtp://localhost", {"host": "localhost", "port": 25, "use_tls": False}),
        ("smtps://mail.example.org", {"port": 465, "use_ssl": True, "use_tls": False}),
        ("submission://mail.example.org", {"port": 587, "use_tls": True, "use_ssl": False}),
        ("smtp://mail.example.org?ssl=yes", {"port": 465, "use_ssl": True}),
        (
            "file:///var/spool/forening",
            {"backend": "forening.core.mail.EmlFileBackend", "file_path": "/var/spool/forening"},
        ),
        ("file://", {"file_path": str(BASE)}),
        ("console:", {"backend": "django.core.mail.backends.console.EmailBackend"}),
        ("locmem:", {"backend": "django.core.mail.backends.locmem.EmailBackend"}),
    ],
)
def test_email_url_becomes_django_settings(url, expected):
    parsed = parse_email_url(url, BASE)

    assert {key: parsed[key] for key in expected} == expected


@pytest.mark.parametrize(
    "url", ["smtps://mail.example.org?tls=1", "http://mail.example.org", "sendmail:"]
)
def test_email_url_refuses_what_it_cannot_honour(url):
    with pytest.raises(ImproperlyConfigured):
        parse_email_url(url, BASE)
