"""Render and send our own e-mails, in the recipient's language."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated(template: str, *, to: str, language: str, context: dict[str, Any]) -> None:
    """Send `core/mail/<template>_subject.txt` + `<template>.txt` (+ `.html` if present)."""
    with translation.override(language):
        context = {"site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"{template}_subject.txt", context).strip()
        body = render_to_string(f"{template}.txt", context)
        message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
        message.send()
