"""Payments received (PAY-01) and where they went.

A payment is booked when it is registered: the channel's account (bank, PlusGiro, Swish,
cash …) against the invoices it settles (receivables), the payer's credit balance for
what is paid beyond them, or, when nobody can tell whose it is, "unplaced payments" until
the office places it. `PaymentAllocation` rows record each part, so a reversal restores
exactly what the payment settled. Payments are never deleted: a reversal is a voucher.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.billing.models import Invoice
from forening.core.models import Organisation, Person
from forening.ledger.models import Voucher


class Channel(models.TextChoices):
    """How the money came; each channel is booked on the account with that role."""

    BANKGIRO = "bankgiro", _("Bankgiro")
    PLUSGIRO = "plusgiro", _("PlusGiro")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    SWISH = "swish", _("Swish")
    MOBILEPAY = "mobilepay", _("MobilePay")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")


# The ledger role of the account each channel's money arrives on.
CHANNEL_ROLES = {
    Channel.BANKGIRO: "bank",
    Channel.PLUSGIRO: "plusgiro",
    Channel.BANK_TRANSFER: "bank",
    Channel.SWISH: "swish_clearing",
    Channel.MOBILEPAY: "mobilepay_clearing",
    Channel.CARD: "card_clearing",
    Channel.CASH: "cash",
}


class PaymentStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    UNPLACED = "unplaced", _("Not placed")
    REVERSED = "reversed", _("Reversed")


class Payment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    amount_minor = models.BigIntegerField(_("amount"))
    paid_on = models.DateField(_("payment date"))
    # What the payer wrote or the bank reported: an OCR reference or free text.
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    payer_name = models.CharField(_("paid by"), max_length=200, blank=True)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PLACED
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="+")
    reversal_voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    # Idempotency for imports and webhooks: one payment per (source, external id).
    external_id = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=254, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-paid_on", "-pk"]
        verbose_name = _("payment")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="payments_payment_external_once",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payments_payment_positive"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "paid_on"])]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount_minor}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("A payment is never deleted: reverse it instead.")


class AllocationKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_BALANCE = "credit_balance", _("Credit balance")
    UNPLACED = "unplaced", _("Not placed")


class PaymentAllocation(models.Model):
    """One part of a payment: on an invoice, on a person's credit balance, or unplaced.
    Placing an unplaced payment later adds a negative UNPLACED part and the new parts."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    kind = models.CharField(max_length=16, choices=AllocationKind.choices)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_minor = models.BigIntegerField()
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["payment", "pk"]
        indexes = [models.Index(fields=["organisation", "invoice"])]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.kind} {self.amount_minor}"
