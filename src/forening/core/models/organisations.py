"""Associations: federations, clubs and local units, with their settings and branding."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from forening.core import orgnumbers
from forening.core.models.base import (
    CURRENCY_BY_COUNTRY,
    Country,
    Language,
    TimestampedModel,
    TrackedModel,
    colour_validator,
)


class Organisation(TrackedModel, TimestampedModel):
    """An association (the tenant), a federation, or a federation's local unit."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short name"),
        max_length=60,
        unique=True,
        help_text=_("Used in addresses, e.g. ik-demo. Lower-case letters, digits and hyphens."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("federation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(
        _("default language"), max_length=5, choices=Language.choices, default=Language.SWEDISH
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f5f8b", validators=[colour_validator]
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#f2a900", validators=[colour_validator]
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    require_admin_two_factor = models.BooleanField(
        _("admins must use two-factor authentication"), default=False
    )
    records_gender = models.BooleanField(
        _("record gender"),
        default=True,
        help_text=_("Grant reports count participants by gender."),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("keep former members' personal data for (years)"),
        null=True,
        blank=True,
        help_text=_("Empty: keep until removed by hand."),
    )
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.organisation_number:
            self.organisation_number = orgnumbers.validate(
                self.organisation_number, self.country, field="organisation_number"
            )
        if not self.currency and self.country:
            self.currency = CURRENCY_BY_COUNTRY[Country(self.country)]

    @property
    def is_local_unit(self) -> bool:
        return self.parent_id is not None
