"""`forening daily [--date YYYY-MM-DD]`: the daily work of every association (automatic
renewal runs and reminders). Schedule it once a day (cron, a systemd timer); running it
twice on a day does nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forening.billing.tasks import daily
from forening.core.tasks import enqueue


class Command(BaseCommand):
    help = "Renew memberships and send the reminders due today, for every association."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="run as on this day")
        parser.add_argument(
            "--enqueue", action="store_true", help="hand the work to the task worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"]
        if day:
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise CommandError(f"--date: {day!r} is not YYYY-MM-DD.") from None
        if options["enqueue"]:
            enqueue(daily, day=day)
            self.stdout.write("Queued the daily work for the task worker.")
            return
        totals = daily.call(day=day)
        self.stdout.write(
            f"Renewal invoices: {totals.get('renewal_invoices', 0)}; "
            f"reminders: {totals.get('reminders', 0)}."
        )
