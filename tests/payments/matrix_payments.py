"""Permission-matrix rows for the payment pages (merged by
tests/core/test_permission_matrix.py). POSTs that change data are tried per persona in
tests/billing/test_views.py; here every page and action is checked for who may open it."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from forening.payments.models import Payment
from tests.billing import matrix_billing
from tests.conftest import World
from tests.factories.billing import pay

OFFICE: dict[str, Any] = {"admin": "ok", "federation_admin": "ok", "member": 403, "leader": 403}

NAMES = (
    "invoice-payment",
    "payments",
    "payment-create",
    "payment",
    "payment-place",
    "payment-reverse",
)
EXPECTED: dict[str, dict[str, Any]] = dict.fromkeys(NAMES, OFFICE)
POST_ONLY: set[str] = {"invoice-payment", "payment-place", "payment-reverse"}


def _payment(world: World) -> Payment:
    with scopes_disabled():
        found = Payment.objects.filter(organisation=world.org).first()
        return found or pay(world.org, 1000, reference="matrix")


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name == "invoice-payment":
        return {"invoice_id": matrix_billing.invoice(world).pk}
    if name.startswith("payment-") and name != "payment-create" or name == "payment":
        return {"payment_id": _payment(world).pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    return None
