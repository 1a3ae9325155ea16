"""Permission-matrix rows for the books' pages (merged by tests/core/test_permission_matrix.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django_scopes import scopes_disabled

from forening.ledger.models import FiscalYear
from tests.conftest import World

OFFICE: dict[str, Any] = {"admin": "ok", "federation_admin": "ok", "member": 403, "leader": 403}

EXPECTED: dict[str, dict[str, Any]] = {
    "books": OFFICE,
    "accounts": OFFICE,
    "journal": OFFICE,
    "sie-export": OFFICE,
    "accounting-method": OFFICE,
}
POST_ONLY: set[str] = {"sie-export", "accounting-method"}


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name == "sie-export":
        with scopes_disabled():
            year, _created = FiscalYear.objects.get_or_create(
                organisation=world.org,
                starts_on=dt.date(2026, 1, 1),
                defaults={"ends_on": dt.date(2026, 12, 31)},
            )
        return {"year_id": year.pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    # An empty year: the download is refused with a message and a redirect to the books.
    if name == "accounting-method":
        return {"accounting_method": "invoice"}
    return {} if name == "sie-export" else None
