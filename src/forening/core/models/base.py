"""What every model of the kernel builds on: countries, languages, timestamps and the
tracking of changes that the audit log reads."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Self

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hexadecimal digits.")
)


class Country(models.TextChoices):
    SWEDEN = "SE", _("Sweden")
    DENMARK = "DK", _("Denmark")


class Language(models.TextChoices):
    SWEDISH = "sv", "Svenska"
    DANISH = "da", "Dansk"
    ENGLISH = "en", "English"


CURRENCY_BY_COUNTRY = {Country.SWEDEN: "SEK", Country.DENMARK: "DKK"}
TIME_ZONE_BY_COUNTRY = {Country.SWEDEN: "Europe/Stockholm", Country.DENMARK: "Europe/Copenhagen"}


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class TrackedModel(models.Model):
    """A model whose loaded field values are remembered, so the audit log can record diffs."""

    # The field values as loaded (set by from_db), and whether the service that saves or
    # deletes this instance records the audit event itself (see audit.skip_automatic).
    _loaded_values: dict[str, Any]
    _audit_recorded: bool = False

    class Meta:
        abstract = True

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance
