"""`forening rotate-keys`: re-encrypt every identity number with the newest key.

Run it after putting a new key first in FORENING_ENCRYPTION_KEYS and restarting; once it
reports nothing left under older keys, the old keys can be removed. Idempotent: numbers
already under the newest key are skipped, so it can be stopped and run again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scope

from forening.core import audit, crypto
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.members.services import reencrypt_identity_numbers


class Command(BaseCommand):
    help = (
        "Re-encrypt every identity number with the first key in FORENING_ENCRYPTION_KEYS "
        "(all associations, or one with --org)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", help="Only this association.")
        parser.add_argument(
            "--batch-size", type=int, default=1000, help="Rows per transaction (default 1000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        ring = crypto.keyring()
        key_id, _key = ring.current
        if ring.is_development:
            self.stderr.write(
                "Warning: FORENING_ENCRYPTION_KEYS or FORENING_SEARCH_KEY is not set; "
                "using the development keys derived from SECRET_KEY."
            )
        organisations = Organisation.objects.order_by("slug")
        if options["org"]:
            organisations = organisations.filter(slug=options["org"])
            if not organisations.exists():
                raise CommandError(f"--org: no organisation has the short name {options['org']!r}.")
        actor = Actor.system("rotate-keys")
        prefix = f"v1:{key_id}:"
        total = 0
        for organisation in organisations:
            with scope(organisation=organisation.pk):
                changed = reencrypt_identity_numbers(organisation, batch_size=options["batch_size"])
                people = Person.objects.filter(organisation=organisation).exclude(
                    identity_number_ciphertext=""
                )
                stored = people.count()
                left = people.exclude(identity_number_ciphertext__startswith=prefix).count()
                if changed:
                    audit.record(
                        actor,
                        "members.identity_numbers.reencrypted",
                        organisation,
                        key=key_id,
                        count=changed,
                    )
            total += changed
            line = (
                f"{organisation.slug}: {changed} re-encrypted, "
                f"{stored - left} of {stored} under key {key_id}"
            )
            if left:
                line += f", {left} still under older keys (run again)"
            self.stdout.write(line + ".")
        self.stdout.write(f"In all: {total} identity numbers re-encrypted with key {key_id}.")
