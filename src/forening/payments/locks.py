"""The payments' row locks, in the order of `core.locks` (which see):

- step 2: a payment being placed or reversed, before the invoices it settles (those are
  locked through `billing.locks`, step 5).
"""

from __future__ import annotations

from forening.core.locks import lock_row
from forening.payments.models import Payment


def lock_payment(payment: Payment) -> Payment:
    """`payment` read again and locked until the transaction ends (step 2)."""
    return lock_row(Payment.objects.all(), organisation_id=payment.organisation_id, pk=payment.pk)
