"""Request-wide middleware: security headers, language, the acting user."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from forening.core.context import Actor, acting_as

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """Content-Security-Policy with a per-request nonce, and the headers Django does not set.

    Scripts and styles come only from our own static files; the nonce admits the one
    inline <style> block that carries the association's colours.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        policy = "; ".join(
            [
                "default-src 'self'",
                "script-src 'self'",
                f"style-src 'self' 'nonce-{nonce}'",
                "img-src 'self' data:",
                "font-src 'self'",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            ]
        )
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), geolocation=(), microphone=()"
        )
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class LanguageMiddleware:
    """Pick the UI language: the language cookie, else the signed-in user's, else Swedish.

    (Django's LocaleMiddleware would follow the browser's Accept-Language, but an
    association's default language should win over an English browser.)
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            user = getattr(request, "user", None)
            language = getattr(user, "language", None) if user and user.is_authenticated else None
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RequestContextMiddleware:
    """Make the acting user and a request id known to the audit log and the logs."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_active:
            user = None
        request.organisation = None  # type: ignore[attr-defined]
        request.access = None  # type: ignore[attr-defined]
        with acting_as(Actor.from_request(request), request_id=request_id):
            response = self.get_response(request)
        response.headers["X-Request-ID"] = request_id
        return response
