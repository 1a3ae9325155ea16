"""`forening check-ledger --org SLUG`: verify the books' invariants on the stored data.

Exit status 1 with a list of every violation; 0 when all hold."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scope

from forening.core.models import Organisation
from forening.ledger import checks


class Command(BaseCommand):
    help = (
        "Check that every voucher balances, that voucher and invoice numbers have no gaps or "
        "duplicates, and that the open invoices equal the receivables in the journal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
        with scope(organisation=organisation.pk):
            results = checks.run(organisation)
        failed = 0
        for name, problems in results.items():
            if problems:
                failed += len(problems)
                self.stdout.write(f"FAIL  {name}")
                for problem in problems:
                    self.stdout.write(f"      {problem}")
            else:
                self.stdout.write(f"ok    {name}")
        if failed:
            raise CommandError(f"{failed} violation(s) in {organisation.slug}.", returncode=1)
        self.stdout.write(f"All {len(results)} checks hold for {organisation.slug}.")
