"""Billing's panel on the member page (INV-05): the person's invoices and their ledger.

Registered with `core.panels` by `BillingConfig.ready()`; see that module for the contract.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from forening.billing import services
from forening.core import panels, policy
from forening.core.models import Person

MEMBER_INVOICES = 20


def member_panel(
    request: Any, person: Person, *, today: dt.date, **state: Any
) -> dict[str, Any] | None:
    """The invoices where the person is the payer or has a line, and their ledger; for
    those who may see invoicing. Three queries."""
    if not policy.can(request.access, "billing.view"):
        return None
    ledger = services.member_ledger(request.organisation, person, today=today)
    invoices = list(services.invoices_for(request.organisation, person)[:MEMBER_INVOICES])
    return {
        "ledger": ledger,
        "invoices": invoices,
        "overdue": {invoice.pk for invoice in invoices if invoice.is_overdue(today)},
    }


panels.register(
    panels.Panel(
        page="member",
        name="billing",
        template="billing/_member_panel.html",
        context=member_panel,
        order=30,
    )
)
