"""What the invoicing commands share: finding the association."""

from __future__ import annotations

from django.core.management.base import CommandError

from forening.core.models import Organisation


def organisation(slug: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"--org: no organisation has the short name {slug!r}.")
    return found
