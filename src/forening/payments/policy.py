"""Permission rules of payments, registered with core.policy.

Payments are office work, like invoicing: association admins (directly, or through a
federation above).
"""

from __future__ import annotations

from typing import Any

from forening.core.policy import Access, Rule, register


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


register(
    Rule(
        "payments.view",
        _admin,
        see="core.organisation.view",
        description="See payments received and where they went",
    ),
    Rule(
        "payments.register",
        _admin,
        see="payments.view",
        description="Register, place and reverse payments",
    ),
)
