"""Households: people who live together, share an address and are invoiced together."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models import Organisation, Person, TimestampedModel, TrackedModel


class Household(TrackedModel, TimestampedModel):
    """A family or other household. Its address is the address of everyone in it.

    `payer` is who owes the household's fees (the family fee and cap in the fees app read
    it); `invoice_recipient` is who receives the invoices, when that is someone else.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=200)
    care_of = models.CharField(_("c/o"), max_length=200, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    payer = models.ForeignKey(
        Person,
        verbose_name=_("payer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="paying_for_households",
    )
    invoice_recipient = models.ForeignKey(
        Person,
        verbose_name=_("invoice recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="receiving_invoices_for_households",
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name

    ADDRESS_FIELDS = ("care_of", "street", "postal_code", "city", "country")

    @property
    def address_lines(self) -> list[str]:
        lines = [f"c/o {self.care_of}" if self.care_of else "", self.street]
        lines.append(" ".join(part for part in (self.postal_code, self.city) if part))
        return [line for line in lines if line]
