"""Liveness and readiness for load balancers and monitoring."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from forening import __version__
from forening.core.views.base import public_view

logger = logging.getLogger(__name__)


@public_view
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with {"status": "ok"} when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "version": __version__})
