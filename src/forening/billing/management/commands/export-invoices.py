"""`forening export-invoices --org SLUG [--period YYYY] --format csv|xlsx -o FILE`."""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import translation
from django_scopes import scope

from forening.billing.management.commands._common import organisation
from forening.billing.models import Invoice
from forening.core import audit
from forening.core.context import Actor
from forening.core.money import to_decimal

HEADERS = [
    "number",
    "kind",
    "ocr",
    "payer",
    "payer_id",
    "issue_date",
    "due_date",
    "total",
    "open",
    "status",
]


def rows(invoices: QuerySet[Invoice], currency: str) -> Any:
    for values in invoices.values_list(
        "number",
        "kind",
        "ocr",
        "recipient_name",
        "payer_id",
        "issued_on",
        "due_on",
        "total_minor",
        "open_minor",
        "status",
    ).iterator(chunk_size=5000):
        number, kind, ocr, name, payer_id, issued, due, total, open_, status = values
        yield [
            number,
            kind,
            ocr,
            name,
            payer_id,
            issued,
            due,
            to_decimal(total, currency),
            to_decimal(open_, currency),
            status,
        ]


def _safe(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written with a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


class Command(BaseCommand):
    help = (
        "Export invoices (number, OCR, payer, dates, total, open amount, status) to CSV or Excel."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG")
        parser.add_argument(
            "--period", type=int, metavar="YYYY", help="invoices issued in this year"
        )
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("-o", "--output", required=True, metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            org = organisation(options["org"])
            with scope(organisation=org.pk):
                invoices = Invoice.objects.filter(organisation=org).order_by("number")
                if options["period"]:
                    invoices = invoices.filter(issued_on__year=options["period"])
                target = Path(options["output"])
                try:
                    count = self._write(invoices, org.currency, options["format"], target)
                except OSError as error:
                    raise CommandError(
                        f"Cannot write {target}: {error.strerror or error}."
                    ) from None
                audit.record(
                    Actor.system("export-invoices command"),
                    "billing.invoices.exported",
                    None,
                    organisation=org,
                    rows=count,
                    format=options["format"],
                )
        self.stdout.write(f"Wrote {count} invoices to {target}.")

    def _write(self, invoices: QuerySet[Invoice], currency: str, fmt: str, target: Path) -> int:
        directory = target.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"Cannot write {target}: the folder does not exist.")
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".invoices-", suffix="." + fmt)
        count = 0
        try:
            if fmt == "csv":
                with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
                    writer = csv.writer(out, delimiter=";")
                    writer.writerow(HEADERS)
                    for row in rows(invoices, currency):
                        writer.writerow([_safe(value) for value in row])
                        count += 1
            else:
                os.close(handle)
                from openpyxl import Workbook

                book = Workbook(write_only=True)
                sheet = book.create_sheet("Invoices")
                sheet.append(HEADERS)
                for row in rows(invoices, currency):
                    sheet.append([_safe(value) for value in row])
                    count += 1
                book.save(temporary)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return count
