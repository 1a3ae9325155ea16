"""Audit receivers for Django's authentication signals."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from forening.core import audit
from forening.core.context import Actor


@receiver(user_logged_in, dispatch_uid="forening.audit.login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    actor = Actor(user=user, label=user.email, ip_address=_ip(request))
    audit.record(actor, "core.login.succeeded", subject_user=user)


@receiver(user_logged_out, dispatch_uid="forening.audit.logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    actor = Actor(user=user, label=user.email, ip_address=_ip(request))
    audit.record(actor, "core.logout", subject_user=user)


def _ip(request: Any) -> str | None:
    from forening.core.context import client_ip

    return client_ip(request) if request is not None else None
