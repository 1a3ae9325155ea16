"""`forening daily [--date YYYY-MM-DD] [--enqueue]`: the daily work of every association
(automatic renewal runs and reminders). The task worker starts it once a day by itself
(core.scheduler); running it by hand as well, or twice on a day, does nothing twice.

Without --enqueue it works through the associations in this process: an association whose
work fails is reported and logged, the others go on, and the command exits non-zero. With
--enqueue it hands one task per association to the worker, which retries a failed one with
back-off (`billing.tasks.daily_for_organisation`)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from forening.billing import tasks
from forening.core.models import Organisation

logger = logging.getLogger("forening.billing.tasks")


class Command(BaseCommand):
    help = "Renew memberships and send the reminders due today, for every association."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="run as on this day")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the work to the task worker, one task per association",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = timezone.localdate()
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD.") from None
        if options["enqueue"]:
            count = tasks.enqueue_daily(day)
            self.stdout.write(f"Queued the daily work of {count} associations for the task worker.")
            return
        totals = {"renewal_invoices": 0, "reminders": 0}
        failed = []
        for organisation_id, slug in Organisation.objects.order_by("pk").values_list("pk", "slug"):
            try:
                done = tasks.run_daily_for(organisation_id, day)
            except Exception as error:
                logger.exception(
                    "daily work of organisation %s for %s failed",
                    organisation_id,
                    day,
                    extra={"organisation_id": organisation_id, "day": day.isoformat()},
                )
                self.stderr.write(f"{slug} (id {organisation_id}): failed: {error!r}")
                failed.append(slug)
                continue
            for key, value in done.items():
                totals[key] = totals.get(key, 0) + value
        self.stdout.write(
            f"Renewal invoices: {totals['renewal_invoices']}; reminders: {totals['reminders']}."
        )
        if failed:
            raise CommandError(
                f"The daily work failed for {len(failed)} association(s): {', '.join(failed)}. "
                "The others are done; running the command again does nothing twice."
            )
