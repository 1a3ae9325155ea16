"""`forening demo`: load the demo organisations and logins (once; a second run changes nothing)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from forening.demo import build as demo


class Command(BaseCommand):
    help = "Load the demo (IK Demo, Demoförbundet, IK Demo Ungdom) unless it exists already."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--print-logins", action="store_true", help="Print the site address and demo logins."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo.build_demo()
        organisation = result.organisation
        if result.created:
            self.stdout.write(f"Loaded the demo: {organisation.name} ({organisation.slug}).")
        else:
            self.stdout.write(
                f"The demo exists already ({organisation.name}, {organisation.slug}); "
                "nothing changed."
            )
        if options["print_logins"]:
            self.stdout.write("")
            self.stdout.write(f"Open {settings.SITE_URL}/ and sign in as one of:")
            width = max(len(login.email) for login in demo.LOGINS)
            for login in demo.LOGINS:
                self.stdout.write(f"  {login.email:<{width}}  {login.description}")
            self.stdout.write(f"Password for every demo login: {demo.DEMO_PASSWORD}")
