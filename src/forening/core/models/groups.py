"""Sections and groups of an association."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models.base import TimestampedModel, TrackedModel
from forening.core.models.organisations import Organisation


class Section(TrackedModel, TimestampedModel):
    """A branch of one association (football, gymnastics)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="section_unique_name_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Group(TrackedModel, TimestampedModel):
    """A team or class that meets and has leaders."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "section", "name"],
                name="group_unique_name_per_section",
            )
        ]

    def __str__(self) -> str:
        return self.name
