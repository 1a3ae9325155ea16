"""`forening apply-retention`: anonymise former members under an association's retention rule.

Idempotent (a second run finds nobody), so it suits a daily cron job or timer:
`forening apply-retention --all`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django_scopes import scope

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members import privacy


class Command(BaseCommand):
    help = (
        "Remove the personal data of former members whose association's retention rule says "
        "they left long enough ago. --dry-run only lists them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--org", metavar="SLUG", help="The association's short name.")
        which.add_argument(
            "--all", action="store_true", help="Every association that has a retention rule."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be anonymised; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's command: its messages are in English, whatever LANGUAGE_CODE says.
        with translation.override("en"):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        dry_run = options["dry_run"]
        if options["org"]:
            organisation = Organisation.objects.filter(slug=options["org"]).first()
            if organisation is None:
                raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
            if organisation.retention_years is None:
                raise CommandError(f"{organisation.slug} has no retention rule.")
            organisations = [organisation]
        else:
            organisations = list(
                Organisation.objects.filter(retention_years__isnull=False).order_by("slug")
            )
        actor = Actor.system("apply-retention")
        total = 0
        for organisation in organisations:
            with scope(organisation=organisation.pk):
                report = privacy.apply_retention(organisation, actor=actor, dry_run=dry_run)
            total += report.count
            verb = "would be anonymised" if dry_run else "anonymised"
            self.stdout.write(
                f"{organisation.slug}: {report.count} former members {verb} "
                f"(rule: {report.years} years, left before {report.cutoff})."
            )
            if options["verbosity"] >= 2 or dry_run:
                for row in report.people:
                    name = f" {row.name}" if row.name else ""
                    self.stdout.write(
                        f"  member number {row.member_number or '-'}{name}, "
                        f"{row.status}, left {row.left_on}"
                    )
        if len(organisations) != 1:
            verb = "would be anonymised" if dry_run else "anonymised"
            self.stdout.write(
                f"In all: {total} former members {verb} in {len(organisations)} associations."
            )
