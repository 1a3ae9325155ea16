"""Erasure by anonymisation (GDPR art. 17): what identifies a person is removed, what the
bookkeeping and the statistics need is kept (see `anonymise_people`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.households.models import Household
from forening.members import locks
from forening.members.fields import MODELS, PERSON, Erase, When
from forening.members.fields import names as declared
from forening.members.models import (
    AttributeValue,
    Consent,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from forening.members.privacy.audit_redaction import redact_audit_events, redact_guardian_names
from forening.members.services import RegisterError

logger = logging.getLogger(__name__)

# Only people who are no (longer) members can be anonymised; members are ended first.
ANONYMISABLE_STATUSES = frozenset(
    {MemberStatus.CONTACT, MemberStatus.REJECTED, MemberStatus.INACTIVE, MemberStatus.DECEASED}
)

# What anonymisation does to each field is declared in members/fields.py. The Person
# fields it empties ("" or None) and sets to nothing; the name fields get the anonymised
# label (`_name_field`); the birth date is reduced to 1 January of its year.
CLEARED_FIELDS = declared(PERSON, erase=Erase.CLEAR)
NULLED_FIELDS = declared(PERSON, erase=Erase.NULL)
LABELLED_FIELDS = declared(PERSON, erase=Erase.LABEL)
BIRTH_YEAR_FIELDS = declared(PERSON, erase=Erase.BIRTH_YEAR)


def erased_values(
    model: type[models.Model], *, when: When = When.ALWAYS, label: str = ""
) -> dict[str, Any]:
    """The values anonymisation writes, in rows `when`, into the fields of `model` that
    members/fields.py declares as emptied, set to nothing or labelled with `label`."""
    values: dict[str, Any] = {}
    for name, rule in MODELS[model].items():
        if rule.when is not when:
            continue
        if rule.erase is Erase.CLEAR:
            values[name] = None if model._meta.get_field(name).null else ""
        elif rule.erase is Erase.NULL:
            values[name] = None
        elif rule.erase is Erase.LABEL:
            if not label:
                raise ValueError(f"{model.__name__}.{name} needs a label")
            values[name] = label
    return values


def _name_field(person: Person) -> str:
    """The field that names a person of this kind (what `Person.full_name` reads)."""
    return "organisation_name" if person.kind == PersonKind.ORGANISATION else "first_name"


def anonymised_label(organisation: Organisation) -> str:
    """What an anonymised person is called, in the association's language."""
    with translation.override(organisation.language):
        return _("Anonymised")


def removed_label(organisation: Organisation) -> str:
    with translation.override(organisation.language):
        return _("(removed)")


@audit.in_name_of_actor
@transaction.atomic
def anonymise_person(person: Person, *, actor: Actor, reason: str) -> Person:
    """Erase a person's personal data by anonymisation (GDPR art. 17); see
    `anonymise_people` for what is removed and what is kept.

    Active members and applicants are refused: end the membership (or reject the
    application) first. A person already anonymised is returned as is.
    """
    if person.anonymised_at is not None:
        return person
    anonymise_people(person.organisation, [person.pk], actor=actor, reason=reason)
    return Person.objects.get(pk=person.pk, organisation_id=person.organisation_id)


def _refusal(person: Person) -> str:
    if person.status == MemberStatus.APPLIED:
        return _("%(name)s has applied for membership: reject the application first.") % {
            "name": person.full_name
        }
    return _(
        "%(name)s is an active member: set the membership inactive first, then remove "
        "the personal data."
    ) % {"name": person.full_name}


@audit.in_name_of_actor
@transaction.atomic
def anonymise_people(
    organisation: Organisation, person_ids: Iterable[int], *, actor: Actor, reason: str
) -> list[Person]:
    """Anonymise many people at once, set-wise. Returns those anonymised now (people already
    anonymised are skipped, so running it twice does no harm).

    Removed: names (replaced by "Anonymised"), organisation number and contact person,
    e-mail addresses, phone numbers, the postal address, the identity number (ciphertext,
    search index and masked form), the photo (the file is deleted from storage), the login
    link (the account itself may be used elsewhere), the household link (a household left
    empty loses its name and address too), guardianships, tags, custom-field values, the
    text and attachments of notes (files deleted from storage; the entries stay as facts:
    kind and time), and who recorded consents (the consents stay as facts: purpose, when,
    through what). In the audit log, the values of personal fields in the events about the
    person are blanked.

    Kept: the row itself (invoices and vouchers point at it), member number, membership
    type, status with its history, join and leave dates and reason, group memberships, and
    the birth YEAR (stored as 1 January) with the gender, because grant reports count
    participants by age and gender. members/fields.py declares this field by field.
    """
    reason = (reason or "").strip()[:200]
    if not reason:
        raise RegisterError(_("Give a reason for removing the personal data."))
    # The people after their households (core.locks): they leave them below.
    people = locks.lock_people_of(
        Person.objects.filter(
            organisation=organisation, pk__in=list(person_ids), anonymised_at__isnull=True
        )
    )
    refused = [p for p in people if p.status not in ANONYMISABLE_STATUSES]
    if refused:
        raise RegisterError(_refusal(refused[0]))
    if not people:
        return []
    ids = [p.pk for p in people]
    names = {p.pk: p.full_name for p in people}
    user_ids = [p.user_id for p in people if p.user_id is not None]
    photos = [str(p.photo.name) for p in people if p.photo]
    attachments = list(
        NoteAttachment.objects.filter(organisation=organisation, note__person_id__in=ids)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    emptied_households = _leave_households(organisation, people)
    guardian_events = _counterparts_guardian_events(organisation, ids)

    # The value rows go without the automatic "deleted" audit rows: those would copy the
    # very values being erased into the log. The anonymisation event records the removal.
    AttributeValue.objects.filter(organisation=organisation, person_id__in=ids)._raw_delete(
        AttributeValue.objects.db
    )
    Tagging.objects.filter(organisation=organisation, person_id__in=ids).delete()
    Guardianship.objects.filter(
        models.Q(guardian_id__in=ids) | models.Q(ward_id__in=ids), organisation=organisation
    ).delete()
    NoteAttachment.objects.filter(organisation=organisation, note__person_id__in=ids).delete()
    Note.objects.filter(organisation=organisation, person_id__in=ids).update(
        **erased_values(Note, label=removed_label(organisation))
    )
    Consent.objects.filter(organisation=organisation, person_id__in=ids).update(
        **erased_values(Consent)
    )
    if user_ids:
        # What the person recorded themselves (an application, a message through My pages)
        # no longer names them.
        StatusChange.objects.filter(
            organisation=organisation, person_id__in=ids, changed_by_id__in=user_ids
        ).update(**erased_values(StatusChange, when=When.OWN))
        Note.objects.filter(
            organisation=organisation, person_id__in=ids, created_by_id__in=user_ids
        ).update(**erased_values(Note, when=When.OWN))

    now = timezone.now()
    label = anonymised_label(organisation)
    erased = erased_values(Person, label=label)  # both name fields get the label …
    for person in people:
        for name, value in erased.items():
            setattr(person, name, value)
        for name in LABELLED_FIELDS:  # … kept by the one that names a person of this kind
            if name != _name_field(person):
                setattr(person, name, "")
        for name in BIRTH_YEAR_FIELDS:
            born = getattr(person, name)
            if born is not None:
                setattr(person, name, dt.date(born.year, 1, 1))
        person.anonymised_at = now
        person.updated_at = now
        person.search_text = person.compute_search_text()
    # bulk_update sends no signals: the automatic audit row (a diff with every old value)
    # is not written; the anonymisation event below says what happened instead.
    Person.objects.bulk_update(
        people,
        [
            *LABELLED_FIELDS,
            *CLEARED_FIELDS,
            *NULLED_FIELDS,
            *BIRTH_YEAR_FIELDS,
            "anonymised_at",
            "updated_at",
            "search_text",
        ],
        batch_size=500,
    )

    with audit.redaction(actor, organisation=organisation, reason=reason) as redaction:
        redact_audit_events(
            redaction,
            AuditEvent.objects.filter(organisation=organisation).filter(
                models.Q(person_id__in=ids)
                | models.Q(object_type="core.person", object_id__in=[str(pk) for pk in ids])
                | models.Q(
                    object_type="households.household",
                    object_id__in=[str(pk) for pk in emptied_households],
                )
            ),
            object_repr=label,
        )
        redact_guardian_names(redaction, guardian_events, names, label)
    audit.record_many(
        actor,
        "members.privacy.anonymised",
        list[models.Model](people),
        organisation=organisation,
        reason=reason,
    )
    if photos or attachments:
        transaction.on_commit(lambda: _delete_files(photos, attachments))
    return people


def _leave_households(organisation: Organisation, people: list[Person]) -> list[int]:
    """Take the people out of their households. A household that loses its payer gets the
    eldest adult left (or nobody); one left empty loses its name and address. Returns the
    ids of the emptied households."""
    ids = {p.pk for p in people}
    household_ids = {p.household_id for p in people if p.household_id is not None}
    if not household_ids:
        return []
    # Locked already, before their people (see anonymise_people).
    households = list(
        Household.objects.filter(organisation=organisation, pk__in=household_ids).order_by("pk")
    )
    remaining: dict[int, list[Person]] = defaultdict(list)
    for row in (
        Person.objects.filter(organisation=organisation, household_id__in=household_ids)
        .exclude(pk__in=ids)
        .order_by("birth_date", "pk")
        .only("pk", "household_id", "birth_date")
    ):
        if row.household_id is not None:
            remaining[row.household_id].append(row)
    today = timezone.localdate()
    emptied = []
    label = anonymised_label(organisation)
    for household in households:
        left = remaining[household.pk]
        changed = False
        if household.payer_id in ids:
            adults = [p for p in left if (p.age_on(today) or 0) >= 18]
            household.payer = adults[0] if adults else None
            changed = True
        if household.invoice_recipient_id in ids:
            household.invoice_recipient = None
            changed = True
        if not left:
            changed = True
            emptied.append(household.pk)
            for name, value in erased_values(Household, when=When.EMPTIED, label=label).items():
                setattr(household, name, value)
            # Recorded by the anonymisation event; the automatic diff would keep the
            # old name and address in the log.
            audit.skip_automatic(household)
        if changed:
            household.save()
    return emptied


def _counterparts_guardian_events(organisation: Organisation, ids: list[int]) -> list[int]:
    """Events in the history of the people's wards and guardians that name them."""
    rows = Guardianship.objects.filter(
        models.Q(guardian_id__in=ids) | models.Q(ward_id__in=ids), organisation=organisation
    ).values_list("guardian_id", "ward_id")
    counterparts = {pk for row in rows for pk in row} - set(ids)
    if not counterparts:
        return []
    return list(
        AuditEvent.objects.filter(
            organisation=organisation,
            person_id__in=counterparts,
            action__startswith="members.guardian.",
        ).values_list("pk", flat=True)
    )


def _delete_files(photos: list[str], attachments: list[str]) -> None:
    """Remove photos and attachments from storage, after the anonymisation committed."""
    for model_field, names in (
        (Person._meta.get_field("photo"), photos),
        (NoteAttachment._meta.get_field("file"), attachments),
    ):
        storage = model_field.storage
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("could not delete %s after anonymisation", name)
