"""`forening apply-retention`: anonymise former members under an association's retention rule,
and delete uploaded member files that were left unimported for a day.

Idempotent (a second run finds nobody), so it suits a daily cron job or timer:
`forening apply-retention --all`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members import importing, privacy
from forening.members.models import ImportStatus, MemberImport


class Command(BaseCommand):
    help = (
        "Remove the personal data of former members whose association's retention rule says "
        "they left long enough ago, and delete member spreadsheets uploaded for import but left "
        "unimported for a day. --dry-run only lists them."
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

        self._stale_imports(options, dry_run=dry_run, actor=actor)

    def _stale_imports(self, options: dict[str, Any], *, dry_run: bool, actor: Actor) -> None:
        if options["org"]:
            return  # uploads are cleared for every association at once, by --all
        if dry_run:
            with scopes_disabled():
                cutoff = timezone.now() - importing.STALE_IMPORT_AGE
                count = MemberImport.objects.filter(
                    status=ImportStatus.UPLOADED, created_at__lt=cutoff
                ).count()
            self.stdout.write(f"{count} unimported uploads older than a day would be deleted.")
            return
        count = importing.discard_stale_imports(actor=actor)
        self.stdout.write(f"{count} unimported uploads older than a day deleted.")
