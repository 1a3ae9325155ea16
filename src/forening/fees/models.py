"""Fee rules (FEE-01, FEE-02): how long a membership period is, which fee categories an
association charges, at what price, and on which account each is booked.

`fees.engine` reads these rules and works out what every payer owes for a period; the
billing run turns that into invoices. Amounts are integer minor units and include VAT.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models import Group, Organisation, Section, TimestampedModel, TrackedModel
from forening.ledger.models import Account, CostCentre, Project
from forening.members.models import MembershipType

MONTH_CHOICES = [(month, str(month)) for month in range(1, 13)]
DAY_CHOICES = [(day, str(day)) for day in range(1, 32)]


class PeriodKind(models.TextChoices):
    CALENDAR_YEAR = "calendar_year", _("Calendar year")
    SEASON = "season", _("Season (e.g. 1 August – 31 July)")
    ROLLING = "rolling", _("Rolling: one year from the join date, renewed on the anniversary")


class AgeReference(models.TextChoices):
    """The day on which a member's age is taken for age-based prices."""

    END_OF_FEE_YEAR = "end_of_fee_year", _("31 December of the fee year")
    PERIOD_START = "period_start", _("The first day of the membership period")
    FIXED_DAY = "fixed_day", _("A fixed day in the period")


class FeeKind(models.TextChoices):
    MEMBERSHIP = "membership", _("Membership fee")
    TRAINING = "training", _("Training fee")
    OTHER = "other", _("Other fee")


class Pricing(models.TextChoices):
    FIXED = "fixed", _("The same for everyone")
    AGE = "age", _("By age")


class ChargedPer(models.TextChoices):
    PERSON = "person", _("Per person")
    HOUSEHOLD = "household", _("Per household (one fee for the whole household)")


class VatRate(models.IntegerChoices):
    NONE = 0, _("No VAT")
    REDUCED_6 = 6, "6 %"
    REDUCED_12 = 12, "12 %"
    STANDARD_25 = 25, "25 %"


class FeeSettings(TrackedModel, TimestampedModel):
    """How an association's membership periods run, and the household rules."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.PROTECT, related_name="fee_settings"
    )
    period_kind = models.CharField(
        _("membership period"),
        max_length=20,
        choices=PeriodKind.choices,
        default=PeriodKind.CALENDAR_YEAR,
    )
    season_start_month = models.PositiveSmallIntegerField(
        _("season starts in month"), choices=MONTH_CHOICES, default=8
    )
    season_start_day = models.PositiveSmallIntegerField(
        _("season starts on day"), choices=DAY_CHOICES, default=1
    )
    age_reference = models.CharField(
        _("age is counted on"),
        max_length=20,
        choices=AgeReference.choices,
        default=AgeReference.END_OF_FEE_YEAR,
        help_text=_("Fee categories may choose their own day."),
    )
    age_reference_month = models.PositiveSmallIntegerField(
        _("fixed day: month"), choices=MONTH_CHOICES, default=12
    )
    age_reference_day = models.PositiveSmallIntegerField(
        _("fixed day: day"), choices=DAY_CHOICES, default=31
    )
    family_cap_minor = models.BigIntegerField(
        _("most a household pays in membership fees per period"),
        null=True,
        blank=True,
        help_text=_("Empty: no cap."),
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        verbose_name = _("fee settings")
        verbose_name_plural = _("fee settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(family_cap_minor__isnull=True)
                | models.Q(family_cap_minor__gte=0),
                name="fee_settings_cap_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_period_kind_display()}"


class FeeCategory(TrackedModel, TimestampedModel):
    """One fee the association charges (Medlemsavgift, Träningsavgift P12, Familjeavgift).

    Whom it applies to: membership and other fees go by membership type, training fees
    to the participants of the chosen groups (or of every group in the section). The
    price is fixed or depends on age (`bands`). Each fee is booked on its own revenue
    account, with an optional cost centre and project.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=FeeKind.choices, default=FeeKind.MEMBERSHIP
    )
    pricing = models.CharField(
        _("price"), max_length=10, choices=Pricing.choices, default=Pricing.FIXED
    )
    amount_minor = models.BigIntegerField(
        _("amount"), null=True, blank=True, help_text=_("Including VAT. For a fixed price.")
    )
    charged_per = models.CharField(
        _("charged"), max_length=10, choices=ChargedPer.choices, default=ChargedPer.PERSON
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("revenue account"),
        on_delete=models.PROTECT,
        related_name="fee_categories",
    )
    cost_centre = models.ForeignKey(
        CostCentre,
        verbose_name=_("cost centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_categories",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_categories",
    )
    vat_rate = models.PositiveSmallIntegerField(
        _("VAT rate"), choices=VatRate.choices, default=VatRate.NONE
    )
    membership_types = models.ManyToManyField(
        MembershipType,
        through="FeeCategoryMembershipType",
        verbose_name=_("membership types"),
        blank=True,
        related_name="fee_categories",
        help_text=_(
            "Empty: every paying membership type that no other fee of the same kind names."
        ),
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fee_categories",
        help_text=_("Training fees: the participants of every group in this section pay."),
    )
    groups = models.ManyToManyField(
        Group,
        through="FeeCategoryGroup",
        verbose_name=_("groups"),
        blank=True,
        related_name="fee_categories",
        help_text=_("Training fees: the participants of these groups pay."),
    )
    age_reference = models.CharField(
        _("age is counted on"),
        max_length=20,
        choices=AgeReference.choices,
        blank=True,
        help_text=_("Empty: as in the fee settings."),
    )
    age_reference_month = models.PositiveSmallIntegerField(
        _("fixed day: month"), choices=MONTH_CHOICES, null=True, blank=True
    )
    age_reference_day = models.PositiveSmallIntegerField(
        _("fixed day: day"), choices=DAY_CHOICES, null=True, blank=True
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("fee category")
        verbose_name_plural = _("fee categories")
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="fee_category_name_unique"),
            models.CheckConstraint(
                condition=models.Q(amount_minor__isnull=True) | models.Q(amount_minor__gte=0),
                name="fee_category_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(vat_rate__in=[0, 6, 12, 25]), name="fee_category_vat_rate"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FeeAgeBand(models.Model):
    """A price for ages `min_age` to `max_age` (inclusive; no upper end when empty).

    Bands change only together with their category (fees.services), which records the
    change in the audit log, so a band is not tracked on its own.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    category = models.ForeignKey(
        FeeCategory, verbose_name=_("fee category"), on_delete=models.CASCADE, related_name="bands"
    )
    label = models.CharField(_("name"), max_length=60, blank=True, help_text=_("E.g. junior."))
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"), null=True, blank=True)
    amount_minor = models.BigIntegerField(_("amount"), help_text=_("Including VAT."))

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["category", "min_age", "pk"]
        verbose_name = _("age band")
        verbose_name_plural = _("age bands")
        constraints = [
            models.UniqueConstraint(fields=["category", "min_age"], name="fee_age_band_unique"),
            models.CheckConstraint(
                condition=models.Q(max_age__isnull=True)
                | models.Q(max_age__gte=models.F("min_age")),
                name="fee_age_band_order",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0), name="fee_age_band_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        upper = "" if self.max_age is None else str(self.max_age)
        return f"{self.category_id}: {self.min_age}–{upper}"


class FeeCategoryMembershipType(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    category = models.ForeignKey(FeeCategory, on_delete=models.CASCADE)
    # PROTECT: a membership type a fee names is taken out of use, not deleted
    # (members.configuration.remove_membership_type).
    membership_type = models.ForeignKey(MembershipType, on_delete=models.PROTECT)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["category", "membership_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "membership_type"], name="fee_category_type_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_id} ⇐ {self.membership_type_id}"


class FeeCategoryGroup(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    category = models.ForeignKey(FeeCategory, on_delete=models.CASCADE)
    group = models.ForeignKey(Group, on_delete=models.PROTECT)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["category", "group"]
        constraints = [
            models.UniqueConstraint(fields=["category", "group"], name="fee_category_group_unique")
        ]

    def __str__(self) -> str:
        return f"{self.category_id} ⇐ {self.group_id}"
