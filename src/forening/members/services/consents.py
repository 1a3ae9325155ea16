"""Consents (GDPR-01): given and withdrawn per purpose, never deleted."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Person
from forening.members import locks
from forening.members.models import Consent, ConsentPurpose, ConsentSource
from forening.members.services.errors import RegisterError


@audit.in_name_of_actor
@transaction.atomic
def give_consent(
    person: Person, purpose: ConsentPurpose, *, actor: Actor, source: str = ConsentSource.OFFICE
) -> Consent:
    """Record a consent (idempotent: an open consent for the purpose is returned as is)."""
    if purpose.organisation_id != person.organisation_id:
        raise RegisterError(_("Choose a purpose in this association."))
    open_consent = Consent.objects.filter(
        person=person, purpose=purpose, withdrawn_at__isnull=True
    ).first()
    if open_consent is not None:
        return open_consent
    consent = Consent.objects.create(
        organisation=person.organisation,
        person=person,
        purpose=purpose,
        given_at=timezone.now(),
        given_source=source,
        given_by_label=str(actor)[:254],
    )
    audit.record(actor, "members.consent.given", person, purpose=purpose.name, source=source)
    return consent


@audit.in_name_of_actor
@transaction.atomic
def withdraw_consent(
    person: Person, purpose: ConsentPurpose, *, actor: Actor, source: str = ConsentSource.OFFICE
) -> Consent | None:
    consent = locks.lock_open_consent(person, purpose.pk)
    if consent is None:
        return None
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_source = source
    consent.withdrawn_by_label = str(actor)[:254]
    consent.save(update_fields=["withdrawn_at", "withdrawn_source", "withdrawn_by_label"])
    audit.record(actor, "members.consent.withdrawn", person, purpose=purpose.name, source=source)
    return consent


@audit.in_name_of_actor
@transaction.atomic
def set_consents(
    person: Person, wanted: Iterable[int], *, actor: Actor, source: str
) -> tuple[int, int]:
    """Make the open consents of `person` match `wanted` (ids of active purposes): give the
    missing ones, withdraw the others. Returns (given, withdrawn)."""
    wanted_ids = {int(pk) for pk in wanted}
    purposes = list(ConsentPurpose.objects.filter(organisation=person.organisation, is_active=True))
    open_ids = set(
        Consent.objects.filter(person=person, withdrawn_at__isnull=True).values_list(
            "purpose_id", flat=True
        )
    )
    given = withdrawn = 0
    for purpose in purposes:
        if purpose.pk in wanted_ids and purpose.pk not in open_ids:
            give_consent(person, purpose, actor=actor, source=source)
            given += 1
        elif purpose.pk not in wanted_ids and purpose.pk in open_ids:
            withdraw_consent(person, purpose, actor=actor, source=source)
            withdrawn += 1
    return given, withdrawn
