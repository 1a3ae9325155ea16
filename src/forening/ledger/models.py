"""The journal (ACC-01): accounts, cost centres, projects, fiscal years and vouchers.

Amounts are integers in minor units; a line's amount is positive for a debit and negative
for a credit (as in SIE), so every voucher's lines sum to zero. Vouchers and their lines
are never changed or deleted: a correction is a new voucher (`Voucher.reverses`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models import Organisation, Person, TimestampedModel, TrackedModel


class AccountKind(models.TextChoices):
    """SIE's account types (#KTYP)."""

    ASSET = "T", _("Asset")
    LIABILITY = "S", _("Liability or equity")
    INCOME = "I", _("Income")
    EXPENSE = "K", _("Expense")


# What the system uses an account for (Account.role; the roles of ledger.chart).
ACCOUNT_ROLE_LABELS = {
    "receivables": _("Receivables (invoices not yet paid)"),
    "retained_result": _("Result of earlier years"),
    "bank": _("Bank account (Bankgiro payments)"),
    "cash": _("Cash"),
    "plusgiro": _("PlusGiro"),
    "card_clearing": _("Card payments on their way"),
    "swish_clearing": _("Swish"),
    "mobilepay_clearing": _("MobilePay payments on their way"),
    "credit_balances": _("Credit balances owed to members"),
    "unplaced_payments": _("Payments not yet placed"),
    "cash_method_interim": _("Invoiced, not yet paid (cash method)"),
    "membership_fees": _("Membership fees"),
    "course_fees": _("Course fees"),
    "training_fees": _("Training fees"),
    "reminder_fees": _("Reminder fees"),
    "grants_state": _("State grants (e.g. LOK-stöd)"),
    "grants_municipal": _("Municipal grants"),
    "rounding": _("Rounding"),
    "vat_out_25": _("Output VAT 25 %"),
    "vat_out_12": _("Output VAT 12 %"),
    "vat_out_6": _("Output VAT 6 %"),
    "prepaid_income": _("Fees paid in advance"),
    "gifts": _("Gifts and donations"),
    "bad_debts": _("Bad debts"),
    "bank_fees": _("Bank charges"),
    "card_fees": _("Card fees"),
}

BALANCE_KINDS = (AccountKind.ASSET, AccountKind.LIABILITY)
RESULT_KINDS = (AccountKind.INCOME, AccountKind.EXPENSE)


class AccountingMethod(models.TextChoices):
    """When revenue is booked: when invoiced (faktureringsmetoden) or when paid
    (kontantmetoden, allowed for small associations)."""

    INVOICE = "invoice", _("Invoice method (book when invoiced)")
    CASH = "cash", _("Cash method (book when paid)")


class LedgerSettings(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="ledger_settings"
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        choices=[(month, str(month)) for month in range(1, 13)],
        help_text=_("1 for a calendar year; 7 for a year from 1 July to 30 June."),
    )
    accounting_method = models.CharField(
        _("accounting method"),
        max_length=10,
        choices=AccountingMethod.choices,
        default=AccountingMethod.INVOICE,
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("bookkeeping settings")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_accounting_method_display()}"


class Account(TrackedModel, TimestampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    number = models.CharField(_("account number"), max_length=6)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=1, choices=AccountKind.choices)
    # What the system posts here on its own (see ledger.chart.ROLES); "" for none.
    role = models.CharField(_("used for"), max_length=30, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["number"]
        verbose_name = _("account")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="account_number_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=~models.Q(role=""),
                name="account_role_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def role_label(self) -> str:
        return str(ACCOUNT_ROLE_LABELS.get(self.role, self.role))


class CostCentre(TrackedModel, TimestampedModel):
    """SIE dimension 1 (kostnadsställe), e.g. a section."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["code"]
        verbose_name = _("cost centre")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="cost_centre_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Project(TrackedModel, TimestampedModel):
    """SIE dimension 6 (projekt), e.g. a grant-funded project."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["code"]
        verbose_name = _("project")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="project_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalYear(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["starts_on"]
        verbose_name = _("fiscal year")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "starts_on"], name="fiscal_year_start_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="fiscal_year_order"
            ),
        ]

    def __str__(self) -> str:
        if self.starts_on.year == self.ends_on.year:
            return str(self.starts_on.year)
        return f"{self.starts_on.year}/{self.ends_on.year % 100:02d}"

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class VoucherSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    PAYMENT = "payment", _("Payment")
    PAYMENT_REVERSAL = "payment_reversal", _("Payment reversed")
    REMINDER_FEE = "reminder_fee", _("Reminder fee")
    CREDIT_BALANCE = "credit_balance", _("Credit balance used")
    CORRECTION = "correction", _("Correction")


class Series(models.TextChoices):
    """Voucher series; each is numbered 1, 2, 3 … per fiscal year."""

    GENERAL = "A", _("A – general")
    INVOICES = "F", _("F – invoices and credit notes")
    PAYMENTS = "B", _("B – payments")


class ImmutableQuerySet(models.QuerySet[Any]):
    """The journal is append-only: no bulk update or delete."""

    def update(self, **kwargs: Any) -> int:
        raise TypeError("The journal is append-only: post a correcting voucher instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("The journal is append-only: post a correcting voucher instead.")


_JournalManager = models.Manager.from_queryset(ImmutableQuerySet)


class Voucher(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="vouchers")
    series = models.CharField(_("series"), max_length=4, choices=Series.choices)
    number = models.PositiveIntegerField(_("number"))
    booked_on = models.DateField(_("date"))
    text = models.CharField(_("text"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=VoucherSource.choices)
    # What the voucher books, as people know it (an invoice number, a payment reference).
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=254, blank=True)

    objects = ScopedManager(_manager_class=_JournalManager, organisation="organisation")

    class Meta:
        ordering = ["fiscal_year", "series", "number"]
        verbose_name = _("voucher")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fiscal_year", "series", "number"],
                name="voucher_number_unique",
            )
        ]
        indexes = [models.Index(fields=["organisation", "booked_on"])]

    def __str__(self) -> str:
        return f"{self.series}{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("A voucher is never changed: post a correcting voucher instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("A voucher is never deleted: post a correcting voucher instead.")


class VoucherLine(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    voucher = models.ForeignKey(Voucher, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    # Minor units; debit positive, credit negative.
    amount = models.BigIntegerField(_("amount"))
    cost_centre = models.ForeignKey(
        CostCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    # Whose balance the line moves (receivables, credit balances): the member ledger.
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher_lines"
    )
    text = models.CharField(_("text"), max_length=200, blank=True)

    objects = ScopedManager(_manager_class=_JournalManager, organisation="organisation")

    class Meta:
        ordering = ["voucher", "pk"]
        verbose_name = _("voucher line")
        indexes = [
            models.Index(fields=["organisation", "account", "voucher"]),
            models.Index(fields=["organisation", "person", "account"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("A voucher line is never changed: post a correcting voucher instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("A voucher line is never deleted: post a correcting voucher instead.")
