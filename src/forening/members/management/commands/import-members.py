"""`forening import-members --org SLUG FILE [--dry-run] [--skip-invalid]`: the register's
import (REG-09) from the command line, with the same rules as the office pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django_scopes import scope

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members import importing


class Command(BaseCommand):
    help = (
        "Import members from an .xlsx or .csv file. Every row is checked first; with errors "
        "nothing is imported unless --skip-invalid is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Short name of the association.")
        parser.add_argument("file", help="The .xlsx or .csv file.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and skip the invalid ones.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's command: its messages are in English, whatever LANGUAGE_CODE says.
        with translation.override("en"):
            self._import(options)

    def _import(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        with scope(organisation=organisation.pk):
            try:
                report = importing.import_members(
                    organisation,
                    path,
                    filename=path.name,
                    actor=Actor.system("import-members"),
                    dry_run=options["dry_run"],
                    skip_invalid=options["skip_invalid"],
                )
            except importing.ImportFileError as error:
                raise CommandError(f"{path.name}: {error}") from None
        self._print(report, path.name)
        if report.stopped:
            raise CommandError(
                f"Nothing was imported: {report.invalid_rows} of {report.rows_total} rows have "
                "errors. Correct them, or run again with --skip-invalid."
            )

    def _print(self, report: importing.ImportReport, name: str) -> None:
        for error in report.errors:
            self.stderr.write(str(error))
        if report.dry_run:
            verb = "would be"
        elif report.committed:
            verb = "were"
        else:
            verb = "would have been"
        self.stdout.write(
            f"{name}: {report.rows_total} rows. "
            f"{report.created} {verb} added, {report.updated} {verb} updated, "
            f"{report.unchanged} unchanged, {report.skipped} skipped; "
            f"{report.households_created} new households."
        )
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
