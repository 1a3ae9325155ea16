"""Invoices (INV-01 … INV-05): billing settings, billing runs, invoices and credit notes with
their lines, and the reminders sent for them.

An invoice's lines are what the payer owes; its issue voucher in the journal books them
(receivables against revenue and VAT). `total_minor` and `open_minor` are kept beside the
journal so lists and the ageing report read one row per invoice; `ledger.checks` proves
on the stored data that the open amounts equal the receivables in the journal, payer by
payer. Invoices and their lines are never deleted; a credit note corrects an invoice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_scopes import ScopedManager

from forening.core.models import Organisation, Person, TimestampedModel, TrackedModel
from forening.households.models import Household
from forening.ledger.models import Account, CostCentre, Project, Voucher
from forening.members.models import SavedSearch


class BillingSettings(TrackedModel, TimestampedModel):
    """How an association invoices: where members pay, payment terms and reminders."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="billing_settings"
    )
    bankgiro = models.CharField(_("Bankgiro number"), max_length=12, blank=True)
    plusgiro = models.CharField(_("PlusGiro number"), max_length=12, blank=True)
    swish_number = models.CharField(
        _("Swish number"), max_length=12, blank=True, help_text=_("123 456 78 90")
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("days to pay"), default=30)
    # Reminders (INV-04): the first when an invoice is this many days past due, the next
    # `reminder_interval_days` after the one before, up to `reminder_steps` reminders.
    reminder_steps = models.PositiveSmallIntegerField(_("number of reminders"), default=2)
    reminder_after_days = models.PositiveSmallIntegerField(
        _("first reminder, days after the due date"), default=10
    )
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=14
    )
    reminder_terms_days = models.PositiveSmallIntegerField(
        _("days to pay after a reminder"), default=10
    )
    reminder_fee_minor = models.PositiveIntegerField(
        _("reminder fee"), default=0, help_text=_("0 for no reminder fee.")
    )
    # Automatic renewal (FEE-02): each year on the renewal day, the period under way 60
    # days later is invoiced; rolling memberships are invoiced `renewal_lead_days` before
    # each member's anniversary, by the daily task.
    auto_renewal = models.BooleanField(_("renew memberships automatically"), default=False)
    renewal_month = models.PositiveSmallIntegerField(
        _("renewal month"), default=12, choices=[(m, str(m)) for m in range(1, 13)]
    )
    renewal_day = models.PositiveSmallIntegerField(
        _("renewal day"), default=1, choices=[(d, str(d)) for d in range(1, 29)]
    )
    renewal_lead_days = models.PositiveSmallIntegerField(
        _("days before the anniversary (rolling memberships)"), default=30
    )
    invoice_note = models.TextField(
        _("text on every invoice"),
        blank=True,
        max_length=1000,
        help_text=_("For example whom to ask about the invoice."),
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("billing settings")

    def __str__(self) -> str:
        return str(self.organisation)


class BillingRun(TimestampedModel):
    """One committed billing run: the fees of a period for a selection of members.

    Runs for the same period may be repeated (they bill only what is not yet billed);
    a run for a period that overlaps a different committed period is refused."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    fee_year = models.PositiveSmallIntegerField(_("fee year"))
    period_kind = models.CharField(max_length=20)
    starts_on = models.DateField(_("period starts"))
    ends_on = models.DateField(_("period ends"))
    selection = models.ForeignKey(
        SavedSearch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    selection_label = models.CharField(_("selection"), max_length=200)
    issued_on = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due date"))
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    total_minor = models.BigIntegerField(_("total"), default=0)
    automatic = models.BooleanField(_("automatic renewal"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=254, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("billing run")

    def __str__(self) -> str:
        return f"{self.fee_year} ({self.selection_label})"


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    """What the office sees; `open` invoices past their due date show as overdue."""

    OPEN = "open", pgettext_lazy("invoice status", "Open")
    PAID = "paid", _("Paid")
    CREDITED = "credited", _("Credited")
    CREDIT_NOTE = "credit_note", _("Credit note")


class Invoice(TimestampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    kind = models.CharField(
        _("kind"), max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    # Gap-free per association (core.sequences "invoice"); credit notes share the series.
    number = models.PositiveIntegerField(_("number"))
    # Bankgirot OCR reference (billing.ocr), unique per association; empty on credit notes.
    ocr = models.CharField(_("OCR reference"), max_length=25, blank=True)
    payer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="invoices")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    # The recipient as it was on the day of issue: an invoice is a document of that day.
    recipient_name = models.CharField(_("recipient"), max_length=250)
    recipient_care_of = models.CharField(max_length=200, blank=True)
    recipient_street = models.CharField(max_length=200, blank=True)
    recipient_postal_code = models.CharField(max_length=10, blank=True)
    recipient_city = models.CharField(max_length=100, blank=True)
    recipient_country = models.CharField(max_length=2, blank=True)
    recipient_email = models.EmailField(_("e-mail address"), blank=True)
    language = models.CharField(max_length=8, default="sv")
    currency = models.CharField(max_length=3)
    issued_on = models.DateField(_("invoice date"))
    due_on = models.DateField(_("due date"))
    # Incl. VAT; negative on a credit note. `open_minor` is what is left to pay.
    total_minor = models.BigIntegerField(_("total"))
    vat_minor = models.BigIntegerField(_("of which VAT"), default=0)
    open_minor = models.BigIntegerField(_("left to pay"))
    status = models.CharField(
        _("status"), max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN
    )
    credits = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        verbose_name=_("credits invoice"),
    )
    billing_run = models.ForeignKey(
        BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    voucher = models.ForeignKey(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.CharField(_("text"), max_length=200, blank=True)
    # Reminders (INV-04): the last step sent; the collection list holds invoices past it.
    reminder_step = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_on = models.DateField(_("last reminded"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=254, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-number"]
        verbose_name = _("invoice")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="billing_invoice_number_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "ocr"],
                condition=~models.Q(ocr=""),
                name="billing_invoice_ocr_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "payer", "issued_on"]),
            models.Index(fields=["organisation", "status", "due_on"]),
        ]

    def __str__(self) -> str:
        return str(self.number)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("An invoice is never deleted: credit it instead.")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == InvoiceStatus.OPEN and self.due_on < today

    @property
    def paid_minor(self) -> int:
        return self.total_minor - self.open_minor


class LineKind(models.TextChoices):
    FEE = "fee", _("Fee")
    FAMILY_CAP = "family_cap", _("Family cap")
    MANUAL = "manual", _("Other")
    REMINDER_FEE = "reminder_fee", _("Reminder fee")
    CREDIT_BALANCE = "credit_balance", _("Credit balance used")
    CREDIT = "credit", _("Credited")


class InvoiceLine(models.Model):
    """One line of an invoice. `amount_minor` includes VAT (`vat_minor` of it); a family
    cap, a credit balance used and a credit note's lines are negative."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=250)
    reason = models.CharField(_("reason"), max_length=250, blank=True)
    amount_minor = models.BigIntegerField(_("amount"))
    vat_rate = models.PositiveSmallIntegerField(_("VAT %"), default=0)
    vat_minor = models.BigIntegerField(_("VAT"), default=0)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    cost_centre = models.ForeignKey(
        CostCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Whom the line is for (a member of the payer's household), and the fee it charges.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        "fees.FeeCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    # What a fee line charges, once ever: category, person or household, period start.
    # Unique, so that no run, repeated or concurrent, bills the same fee twice.
    billing_key = models.CharField(max_length=80, blank=True)
    # On a credit note: the line it credits.
    credits_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credited_by"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["invoice", "position", "pk"]
        verbose_name = _("invoice line")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "billing_key"],
                condition=~models.Q(billing_key=""),
                name="billing_line_billed_once",
            )
        ]
        indexes = [models.Index(fields=["organisation", "person"])]

    def __str__(self) -> str:
        return self.description


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    POST = "post", _("Post")


class Reminder(models.Model):
    """A reminder sent for an invoice; one per step, ever (the unique constraint)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="reminders")
    step = models.PositiveSmallIntegerField(_("reminder"))
    sent_on = models.DateField(_("sent"))
    due_on = models.DateField(_("new due date"))
    channels = models.CharField(_("sent by"), max_length=40, blank=True)
    open_minor = models.BigIntegerField(_("left to pay"))
    fee_line = models.ForeignKey(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["invoice", "step"]
        verbose_name = _("reminder")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"], name="billing_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.step}"
