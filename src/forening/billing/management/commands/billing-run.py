"""`forening billing-run --org SLUG --period YYYY [--selection NAME] [--commit]` (INV-01)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django_scopes import scope

from forening.billing import runs
from forening.billing.management.commands._common import organisation
from forening.billing.services import BillingError
from forening.core.context import Actor
from forening.core.money import format_money
from forening.members.models import SavedSearch


class Command(BaseCommand):
    help = (
        "Invoice a fee period: without --commit, print what the run would invoice (totals "
        "per fee category and the first invoices); with --commit, issue the invoices. "
        "Repeating a run invoices only what is not yet invoiced."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG")
        parser.add_argument("--period", required=True, type=int, metavar="YYYY", help="fee year")
        parser.add_argument("--selection", metavar="NAME", help="a saved search's name")
        parser.add_argument("--commit", action="store_true", help="issue the invoices")
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="invoice date (default today)")
        parser.add_argument("--show", type=int, default=5, help="invoices to list (preview)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        org = organisation(options["org"])
        with scope(organisation=org.pk):
            selection = None
            if options["selection"]:
                selection = SavedSearch.objects.filter(
                    organisation=org, name=options["selection"]
                ).first()
                if selection is None:
                    raise CommandError(
                        f"--selection: no saved search is named {options['selection']!r}."
                    )
            issued_on = None
            if options["date"]:
                try:
                    issued_on = dt.date.fromisoformat(options["date"])
                except ValueError:
                    raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD.") from None
            try:
                if options["commit"]:
                    run, plan = runs.commit(
                        org,
                        options["period"],
                        selection,
                        actor=Actor.system("billing-run command"),
                        issued_on=issued_on,
                    )
                else:
                    run, plan = None, runs.plan(org, options["period"], selection)
            except BillingError as error:
                raise CommandError(str(error)) from None
            self._report(org, plan, run, options)

    def _report(self, org: Any, plan: runs.Plan, run: Any, options: dict[str, Any]) -> None:
        def money(amount: int) -> str:
            return format_money(amount, org.currency, "en")

        write = self.stdout.write
        write(
            f"Period {plan.period.label} ({plan.period.starts_on} – {plan.period.ends_on}), "
            f"{plan.selection_label}"
        )
        for total in plan.totals:
            write(f"  {total.name:<40} {total.lines:>7} fees  {money(total.amount_minor):>18}")
        write(f"  {'Invoices':<40} {len(plan.drafts):>7}       {money(plan.total_minor):>18}")
        if plan.already_billed:
            write(f"  Already invoiced, left out: {plan.already_billed} fees")
        if plan.skipped:
            write(f"  Members who owe nothing: {len(plan.skipped)}")
        if options["commit"]:
            if run is None:
                write("Nothing new to invoice.")
            else:
                write(f"Issued {run.invoice_count} invoices, {money(run.total_minor)}.")
            return
        for draft in plan.drafts[: options["show"]]:
            write(f"  payer {draft.payer_id}: {money(draft.total_minor)}")
            for line in draft.lines:
                write(f"      {line.description}: {money(line.amount_minor)}")
        write("Preview only: nothing was issued. Add --commit to issue the invoices.")
