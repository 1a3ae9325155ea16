"""Guardians of a person (a child's parents, a ward's trustee)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Guardianship, Person
from forening.members.services.errors import RegisterError


@audit.in_name_of_actor
@transaction.atomic
def add_guardian(ward: Person, guardian: Person, *, actor: Actor) -> Guardianship:
    if ward.pk == guardian.pk:
        raise RegisterError(_("Nobody can be their own guardian."))
    if ward.organisation_id != guardian.organisation_id:
        raise RegisterError(_("Choose a guardian in this association."))
    guardianship, _created = Guardianship.objects.get_or_create(
        organisation=ward.organisation, ward=ward, guardian=guardian
    )
    audit.record(actor, "members.guardian.added", ward, guardian=guardian.full_name)
    return guardianship


@audit.in_name_of_actor
@transaction.atomic
def remove_guardian(guardianship: Guardianship, *, actor: Actor) -> None:
    audit.record(
        actor,
        "members.guardian.removed",
        guardianship.ward,
        guardian=guardianship.guardian.full_name,
    )
    guardianship.delete()
