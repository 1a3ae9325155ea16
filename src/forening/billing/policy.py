"""Permission rules of invoicing, registered with core.policy (payments have their own).

Invoicing is office work: association admins (directly, or through a federation above).
"""

from __future__ import annotations

from typing import Any

from forening.core.policy import Access, Rule, register


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


register(
    Rule(
        "billing.view",
        _admin,
        see="core.organisation.view",
        description="See invoices, member ledgers and the financial reports",
    ),
    Rule(
        "billing.manage",
        _admin,
        see="billing.view",
        description="Run billing, issue and credit invoices, send reminders, change settings",
    ),
)
