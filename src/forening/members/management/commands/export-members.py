"""`forening export-members`: write the people a search selects to .xlsx or .csv."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import QueryDict
from django.utils import translation
from django_scopes import scope

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members import exporting, search
from forening.members.models import SavedSearch


class Command(BaseCommand):
    help = (
        "Export the people of an association to a spreadsheet: everyone a saved search "
        "finds (--search), or the everyday list (active members and applicants). The "
        "export is recorded in the audit log; identity numbers are exported masked."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Short name of the association.")
        parser.add_argument("--search", default="", help="Name of a saved search.")
        parser.add_argument(
            "--query",
            default="",
            help="Search parameters as on the search page, e.g. 'status=all&tag=3'.",
        )
        parser.add_argument("--format", choices=exporting.FORMATS, help="xlsx or csv.")
        parser.add_argument(
            "--columns",
            default="",
            help=(
                "Comma-separated column keys (default: "
                f"{','.join(exporting.DEFAULT_COLUMNS)}). --list-columns shows them all."
            ),
        )
        parser.add_argument("--list-columns", action="store_true", help="List the columns.")
        parser.add_argument("-o", "--output", default="", help="The file to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
        # The file is for the association: headings and values in its language.
        with scope(organisation=organisation.pk), translation.override(organisation.language):
            self._export(organisation, options)

    def _export(self, organisation: Organisation, options: dict[str, Any]) -> None:
        if options["list_columns"]:
            for key, label in exporting.available_columns(organisation).items():
                self.stdout.write(f"{key}\t{label}")
            return
        if not options["format"]:
            raise CommandError("--format is required (xlsx or csv).")
        if not options["output"]:
            raise CommandError("-o FILE is required.")
        params: dict[str, list[str]] = {}
        saved_name = ""
        if options["search"]:
            saved = SavedSearch.objects.filter(
                organisation=organisation, name__iexact=options["search"].strip()
            ).first()
            if saved is None:
                raise CommandError(f"--search: there is no saved search {options['search']!r}.")
            params, saved_name = dict(saved.query), saved.name
        if options["query"]:
            params.update(dict(QueryDict(options["query"]).lists()))
        described = {"saved_search": saved_name, "query": search.clean_query(params)}
        form = search.SearchForm(params, organisation=organisation)
        if not form.is_valid():
            problems = "; ".join(
                f"{name}: {' '.join(str(error) for error in errors)}"
                for name, errors in form.errors.items()
            )
            raise CommandError(f"The search is not valid: {problems}")
        columns = [c.strip() for c in options["columns"].split(",") if c.strip()] or list(
            exporting.DEFAULT_COLUMNS
        )
        try:
            columns = exporting.check_columns(organisation, columns)
        except exporting.ExportError as error:
            raise CommandError(f"--columns: {error} (see --list-columns)") from None
        target = Path(options["output"])
        if not target.parent.is_dir():
            raise CommandError(f"-o: the folder {str(target.parent)!r} does not exist.")
        # Write beside the target and move it into place, so a failed export leaves no
        # half-written file behind.
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                rows = exporting.write_export(
                    form.people(),
                    organisation=organisation,
                    columns=columns,
                    fmt=options["format"],
                    out=out,
                    actor=Actor.system("export-members"),
                    search=described,
                )
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Exported {rows} people from {organisation.name} to {target}.")
