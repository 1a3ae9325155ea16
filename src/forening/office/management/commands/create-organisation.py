"""`forening create-organisation`: an association with its first administrator."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.utils import translation

from forening.core.context import Actor
from forening.core.models import Country, Organisation
from forening.office import onboarding


class Command(BaseCommand):
    help = (
        "Create an association (or a local unit) and print its administrator's set-password link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Display name, e.g. 'IK Test'.")
        parser.add_argument("--slug", required=True, help="Short name used in URLs, e.g. ik-test.")
        parser.add_argument("--country", required=True, help="SE or DK.")
        parser.add_argument("--admin-email", required=True, help="The first administrator.")
        parser.add_argument(
            "--organisation-number", default="", help="Swedish orgnr (NNNNNN-NNNN) or Danish CVR."
        )
        parser.add_argument("--parent", default="", help="Slug of the federation above it.")

    def handle(self, *args: Any, **options: Any) -> None:
        # An operator's command: its messages are in English, whatever LANGUAGE_CODE says.
        with translation.override("en"):
            self._create(options)

    def _create(self, options: dict[str, Any]) -> None:
        name = options["name"].strip()
        country = options["country"].strip().upper()
        email = options["admin_email"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        if country not in Country.values:
            raise CommandError(f"--country must be one of {', '.join(Country.values)}.")
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"--admin-email {email!r} is not a valid e-mail address.") from None
        parent = None
        if options["parent"]:
            parent = Organisation.objects.filter(slug=options["parent"]).first()
            if parent is None:
                raise CommandError(
                    f"--parent: no organisation has the short name {options['parent']!r}."
                )
        try:
            created = onboarding.create_organisation(
                name=name,
                slug=options["slug"].strip(),
                country=country,
                admin_email=email,
                organisation_number=options["organisation_number"].strip(),
                parent=parent,
                actor=Actor.system("create-organisation"),
            )
        except ValidationError as error:
            raise CommandError(_describe(error)) from None
        organisation = created.organisation
        number = f", {organisation.organisation_number}" if organisation.organisation_number else ""
        self.stdout.write(
            f"Created {organisation.name} ({organisation.slug}, {organisation.country}{number})."
        )
        if parent is not None:
            self.stdout.write(f"Local unit of {parent.name} ({parent.slug}).")
        self.stdout.write(f"Administrator: {created.admin.email}")
        self.stdout.write(
            "One-time link to choose a password (valid for a limited time, void once used):"
        )
        self.stdout.write(created.set_password_url)


def _describe(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        lines = [
            f"{field.replace('_', '-')}: {message}"
            for field, messages in error.message_dict.items()
            for message in messages
        ]
        return "\n".join(lines)
    return "\n".join(error.messages)
