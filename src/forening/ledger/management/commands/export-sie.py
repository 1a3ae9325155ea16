"""`forening export-sie --org SLUG --year YYYY -o FILE`: a fiscal year as a SIE 4E file."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation
from django_scopes import scope

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.ledger import sie_export
from forening.ledger.models import FiscalYear
from forening.ledger.services import LedgerError


class Command(BaseCommand):
    help = (
        "Export a fiscal year's vouchers, accounts, cost centres, projects and balances as "
        "a SIE 4E file (CP437) for the accountant's program."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG")
        parser.add_argument(
            "--year",
            required=True,
            metavar="YYYY",
            help=(
                "The fiscal year that starts in this calendar year; its first day "
                "(YYYY-MM-DD) when two years start in the same calendar year."
            ),
        )
        parser.add_argument("-o", "--output", required=True, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
        with scope(organisation=organisation.pk):
            year = _fiscal_year(organisation, options["year"])
            target = Path(options["output"])
            try:
                count = _export(organisation, year, target)
            except LedgerError as error:
                raise CommandError(str(error)) from None
            except OSError as error:
                raise CommandError(f"Cannot write {target}: {error.strerror or error}.") from None
        self.stdout.write(f"Wrote {count} vouchers of {year} to {target}.")


def _fiscal_year(organisation: Organisation, value: str) -> FiscalYear:
    years = FiscalYear.objects.filter(organisation=organisation)
    try:
        if len(value) == 4 and value.isdigit():
            candidates = list(years.filter(starts_on__year=int(value)))
        else:
            candidates = list(years.filter(starts_on=dt.date.fromisoformat(value)))
    except ValueError:
        raise CommandError(f"--year: {value!r} is neither YYYY nor YYYY-MM-DD.") from None
    if not candidates:
        raise CommandError(
            f"{organisation.slug} has no fiscal year starting in {value}: "
            "there are no vouchers to export."
        )
    if len(candidates) > 1:
        # After a change of the first month, a short year and a full one start in one year.
        starts = ", ".join(f"{y.starts_on:%Y-%m-%d}" for y in candidates)
        raise CommandError(
            f"Two fiscal years start in {value}; give the first day of one: --year {starts}."
        )
    return candidates[0]


def _export(organisation: Organisation, year: FiscalYear, target: Path) -> int:
    """Write beside the target and move into place: no half-written file on error."""
    connection = transaction.get_connection()
    snapshot = connection.vendor == "postgresql" and not connection.in_atomic_block
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".se.part")
    try:
        with os.fdopen(handle, "wb") as out, transaction.atomic():
            if snapshot:
                # One snapshot for the balances and the vouchers, which are separate queries:
                # a billing run committing meanwhile must not be half in the file.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            count = sie_export.export_year(
                organisation, year, out, actor=Actor.system("export-sie")
            )
        Path(temporary).replace(target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return count
