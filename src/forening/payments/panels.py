"""The payments' panels on the invoice page: what paid the invoice, and a form to register
a payment of it. Registered with `core.panels` by `PaymentsConfig.ready()`; see that
module for the contract."""

from __future__ import annotations

from typing import Any

from forening.billing.models import Invoice, InvoiceKind, InvoiceStatus
from forening.core import panels, policy
from forening.payments.forms import PaymentForm
from forening.payments.models import PaymentAllocation


def invoice_payments(request: Any, invoice: Invoice, **state: Any) -> dict[str, Any] | None:
    """The payments (and reversals) placed on an invoice; one query."""
    if invoice.kind != InvoiceKind.INVOICE or not policy.can(
        request.access, "payments.view", invoice
    ):
        return None
    allocations = list(
        PaymentAllocation.objects.filter(organisation=request.organisation, invoice=invoice)
        .select_related("payment")
        .order_by("created_at", "pk")
    )
    return {"allocations": allocations}


def register_payment(
    request: Any, invoice: Invoice, *, payment_form: PaymentForm | None = None, **state: Any
) -> dict[str, Any] | None:
    """The form to register a payment of an open invoice (bound after a failed POST)."""
    if (
        invoice.kind != InvoiceKind.INVOICE
        or invoice.status != InvoiceStatus.OPEN
        or not policy.can(request.access, "payments.register", invoice)
    ):
        return None
    form = payment_form or PaymentForm(
        currency=invoice.currency, initial={"amount": invoice.open_minor}
    )
    return {"form": form}


panels.register(
    panels.Panel(
        page="invoice",
        name="payments",
        template="payments/_invoice_payments.html",
        context=invoice_payments,
        order=10,
    )
)
panels.register(
    panels.Panel(
        page="invoice-actions",
        name="payment",
        template="payments/_invoice_payment_form.html",
        context=register_payment,
        order=10,
    )
)
