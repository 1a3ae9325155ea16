"""What the tests of the invoicing and payment pages share: addresses, rows, messages, and
the form data a browser sends."""

from __future__ import annotations

from typing import Any

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from forening.billing.models import BillingRun, Invoice
from forening.core.models import Person
from forening.ledger.services import accounts_by_role
from forening.payments.models import Channel, Payment, PaymentAllocation
from tests.conftest import World
from tests.factories.billing import make_invoice

EVIL = '<script>alert("x")</script>'
TODAY = timezone.localdate()


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def invoice_for(world: World, *amounts: int, payer: Person | None = None, **fields: Any) -> Invoice:
    with scope(organisation=world.org.pk):
        return make_invoice(world.org, payer or world.member_person, *amounts, **fields)


def reload(row: Any) -> Any:
    with scopes_disabled():
        row.refresh_from_db()
    return row


def texts(response: Any) -> list[str]:
    """The messages a redirect leaves, or the ones a rendered page shows."""
    if response.status_code == 302:
        return [str(message) for message in get_messages(response.wsgi_request)]
    return [str(message) for message in response.context["messages"]]


def counts() -> tuple[int, int, int, int]:
    """Rows the actions write: invoices, payments, allocations, billing runs."""
    with scopes_disabled():
        return (
            Invoice.objects.count(),
            Payment.objects.count(),
            PaymentAllocation.objects.count(),
            BillingRun.objects.count(),
        )


def payment_data(amount: str = "300", **fields: Any) -> dict[str, Any]:
    return {
        "amount": amount,
        "paid_on": TODAY.isoformat(),
        "channel": Channel.BANKGIRO,
        "reference": "",
        **fields,
    }


def line_data(account: int, *lines: dict[str, Any]) -> dict[str, Any]:
    """The five line forms as a browser sends them: untouched ones keep their defaults."""
    data: dict[str, Any] = {
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "5",
    }
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    for index in range(5):
        data.setdefault(f"lines-{index}-account", account)
        data.setdefault(f"lines-{index}-vat_rate", "0")
    return data


def membership_fees_account(world: World) -> int:
    with scope(organisation=world.org.pk):
        return accounts_by_role(world.org)["membership_fees"].pk


def panel(response: Any, name: str) -> dict[str, Any]:
    """The context of the panel `name` another app added to the page (core.panels)."""
    for key in ("panels", "action_panels"):
        for shown in response.context.get(key) or []:
            if shown.name == name:
                return dict(shown.context)
    raise KeyError(name)
