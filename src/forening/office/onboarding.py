"""Onboarding: a new association with its first administrator, set up by every app.

`core.services.create_organisation` makes the organisation row and its administrator: the
kernel's part, which knows no app. This service, above all of them, adds what each app
needs before the association can be used (the register's membership types, the books'
chart of accounts …) by calling each installed app's setup hook:

    class LedgerConfig(AppConfig):
        def setup_organisation(self, organisation: Organisation) -> None:
            ensure_chart(organisation)

The contract of a hook: it runs inside the transaction that creates the association and
inside its tenant scope, in the order of INSTALLED_APPS (lower layers first); it creates
only the association's own rows, and it is idempotent (a second call finds them and does
nothing), so `setup_organisation` can also mend an association created before the app was
installed. It raises only for a programming error: nothing here is the user's input.
"""

from __future__ import annotations

from django.apps import apps
from django.db import transaction
from django_scopes import scope

from forening.core import services
from forening.core.context import Actor
from forening.core.models import Organisation


def setup_organisation(organisation: Organisation) -> None:
    """Run every installed app's `setup_organisation` hook for `organisation`."""
    with scope(organisation=organisation.pk):
        for config in apps.get_app_configs():
            hook = getattr(config, "setup_organisation", None)
            if hook is not None:
                hook(organisation)


@transaction.atomic
def create_organisation(
    *,
    name: str,
    slug: str,
    country: str,
    admin_email: str,
    actor: Actor,
    organisation_number: str = "",
    parent: Organisation | None = None,
    language: str | None = None,
) -> services.NewOrganisation:
    """`core.services.create_organisation` (same arguments, same ValidationError for bad
    input), then every app's setup, in one transaction: nothing is left half made."""
    created = services.create_organisation(
        name=name,
        slug=slug,
        country=country,
        admin_email=admin_email,
        actor=actor,
        organisation_number=organisation_number,
        parent=parent,
        language=language,
    )
    setup_organisation(created.organisation)
    return created
