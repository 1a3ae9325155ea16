"""Who is acting in this request or task, for the audit log and the logs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forening.core.models import User


@dataclass(frozen=True)
class Actor:
    """The one who performs an action: a user, or the system (a command, a task)."""

    user: User | None = None
    label: str = ""
    ip_address: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, label=label)

    @classmethod
    def from_request(cls, request: Any) -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, label=user.email if user else "", ip_address=client_ip(request))

    def __str__(self) -> str:
        return self.label or (self.user.email if self.user else "system")


def client_ip(request: Any) -> str | None:
    from django.conf import settings

    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return str(forwarded.split(",")[-1].strip()) or None
    return request.META.get("REMOTE_ADDR") or None


_actor: ContextVar[Actor | None] = ContextVar("forening_actor", default=None)
_request_id: ContextVar[str | None] = ContextVar("forening_request_id", default=None)


def current_actor() -> Actor | None:
    return _actor.get()


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def acting_as(actor: Actor, request_id: str | None = None) -> Iterator[Actor]:
    token = _actor.set(actor)
    id_token = _request_id.set(request_id) if request_id else None
    try:
        yield actor
    finally:
        _actor.reset(token)
        if id_token is not None:
            _request_id.reset(id_token)
