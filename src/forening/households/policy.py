"""Permission rules of households, registered with core.policy: office work, like the
register (association admins, directly or through a federation above)."""

from __future__ import annotations

from typing import Any

from forening.core.policy import Access, Rule, register


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


register(
    Rule(
        "households.change",
        _admin,
        see="core.organisation.view",
        description="Change a household's name, address, payer and invoice recipient",
    ),
)
