"""Permission rules of the books, registered with core.policy.

The books are office work: association admins (directly, or through a federation above).
"""

from __future__ import annotations

from typing import Any

from forening.core.policy import Access, Rule, register


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


register(
    Rule(
        "ledger.view",
        _admin,
        see="core.organisation.view",
        description="See the chart of accounts, the journal and the fiscal years",
    ),
    Rule(
        "ledger.manage",
        _admin,
        see="ledger.view",
        description="Choose how the books are kept (the invoice or the cash method)",
    ),
    Rule(
        "ledger.export",
        _admin,
        see="ledger.view",
        description="Download a fiscal year as a SIE file for the accountant",
    ),
)
