"""Permission-matrix rows for invoicing and the financial reports (merged by
tests/core/test_permission_matrix.py). POSTs that change data are tried per persona in
tests/billing/test_views.py; here every page and action is checked for who may open it."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from forening.billing.models import Invoice
from tests.conftest import World
from tests.factories.billing import make_invoice

OFFICE: dict[str, Any] = {"admin": "ok", "federation_admin": "ok", "member": 403, "leader": 403}

NAMES = (
    "invoices",
    "invoice-create",
    "invoice",
    "invoice-credit",
    "invoice-pdf",
    "invoices-pdf",
    "billing-run",
    "billing-settings",
    "billing-reports",
    "billing-reports-xlsx",
)
EXPECTED: dict[str, dict[str, Any]] = dict.fromkeys(NAMES, OFFICE)
POST_ONLY: set[str] = {"invoice-credit"}


def invoice(world: World) -> Invoice:
    with scopes_disabled():
        found = Invoice.objects.filter(organisation=world.org).first()
        return found or make_invoice(world.org, world.member_person)


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name == "invoices-pdf":
        invoice(world)  # something to print
        return None
    if name.startswith("invoice-") and name != "invoice-create" or name == "invoice":
        return {"invoice_id": invoice(world).pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    return None
