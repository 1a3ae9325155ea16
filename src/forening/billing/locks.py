"""Invoicing's row locks, in the order of `core.locks` (which see):

- step 1: the association's billing settings row serialises billing runs and reminder runs
  (one at a time per association; a second waits, then finds the first one's work done);
- step 5: invoices, of a payer or of a reminder run, always in primary-key order.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from forening.billing.models import BillingSettings, Invoice
from forening.core.locks import lock_row, lock_rows
from forening.core.models import Organisation


def lock_settings(organisation: Organisation) -> BillingSettings:
    """The association's billing settings, created when missing, locked (step 1)."""
    BillingSettings.objects.get_or_create(organisation=organisation)
    return lock_row(BillingSettings.objects.all(), organisation=organisation)


def lock_invoice(invoice: Invoice) -> Invoice:
    """`invoice` read again and locked until the transaction ends (step 5)."""
    return lock_row(Invoice.objects.all(), organisation_id=invoice.organisation_id, pk=invoice.pk)


def lock_invoices(invoices: QuerySet[Invoice, Any]) -> list[Invoice]:
    """The invoices of `invoices` locked in primary-key order (step 5); sort them in
    Python if the caller needs another order."""
    return lock_rows(invoices)
