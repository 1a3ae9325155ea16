"""`forening check --deploy` refuses a configuration that is unsafe in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from forening import settings as forening_settings


@register(Tags.security, deploy=True)
def check_production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.DEBUG:
        errors.append(Error("DEBUG is on.", hint="Unset DEBUG in production.", id="forening.E001"))
    if settings.SECRET_KEY == forening_settings.DEV_SECRET_KEY or len(settings.SECRET_KEY) < 40:
        errors.append(
            Error(
                "SECRET_KEY is the development default or too short.",
                hint="Set SECRET_KEY to at least 50 random characters.",
                id="forening.E002",
            )
        )
    if not settings.FORENING_ENCRYPTION_KEYS:
        errors.append(
            Error(
                "FORENING_ENCRYPTION_KEYS is not set: identity numbers would be encrypted "
                "with a key derived from SECRET_KEY.",
                hint="Generate one with `forening generate-key` and keep a copy off this machine.",
                id="forening.E003",
            )
        )
    else:
        from forening.core.crypto import parse_keys

        try:
            parse_keys(settings.FORENING_ENCRYPTION_KEYS)
        except Exception as error:  # noqa: BLE001 - report any parse problem as a check error
            errors.append(Error(str(error), id="forening.E004"))
    if not settings.FORENING_SEARCH_KEY:
        errors.append(
            Error(
                "FORENING_SEARCH_KEY is not set (the key of the identity-number search index).",
                hint="Generate one with `forening generate-key`; never change it afterwards.",
                id="forening.E005",
            )
        )
    return errors
