"""Bookkeeping rows of the system itself: the daily jobs started, and gap-free counters."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from forening.core.models.organisations import Organisation


class ScheduledRun(models.Model):
    """That a scheduled job (core.scheduler) was started for a day. One row per job and
    day, unique, so that of several workers exactly one starts it."""

    name = models.CharField(max_length=80)
    day = models.DateField()
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="scheduled_run_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class NumberSequence(models.Model):
    """A per-association counter (member numbers, invoice numbers), see core.sequences."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(max_length=40)
    last_value = models.PositiveBigIntegerField(default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="number_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"
