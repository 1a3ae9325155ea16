"""What the base template needs: the current organisation, its branding and the user's menu.

Nothing here queries a whole table; at most one small query for the organisation chooser.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from forening.core import navigation


def shell(request: HttpRequest) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    access = getattr(request, "access", None)
    return {
        "current_organisation": organisation,
        "access": access,
        # Built only when the template reads it (the menu bar, inside an association).
        "navigation": SimpleLazyObject(lambda: navigation.build(request)),
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "languages": settings.LANGUAGES,
        "site_url": settings.SITE_URL,
    }
