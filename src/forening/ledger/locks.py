"""The books' row locks, in the order of `core.locks` (which see):

- step 1: the association's ledger settings, while the accounting method is switched;
- step 6: vouchers that a new voucher reverses, so two reversals of one voucher cannot
  both pass. Voucher numbers are taken last through `core.sequences` (step 7).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from forening.core.locks import lock_row, lock_rows
from forening.core.models import Organisation
from forening.ledger.models import LedgerSettings, Voucher


def lock_settings(organisation: Organisation) -> LedgerSettings:
    """The association's ledger settings (which must exist), locked."""
    return lock_row(LedgerSettings.objects.all(), organisation=organisation)


def lock_vouchers(vouchers: QuerySet[Voucher, Any]) -> list[Voucher]:
    """The vouchers of `vouchers`, locked in primary-key order."""
    return lock_rows(vouchers)
