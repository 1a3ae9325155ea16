"""People: adding someone to the register, changing their details (the office's full
form and the member's own contact details on My pages), and the checks on the plain fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit, orgnumbers, sequences
from forening.core.context import Actor
from forening.core.models import MemberStatus, Organisation, Person, PersonKind
from forening.core.services import normalise_phone
from forening.households.models import Household
from forening.households.services import join_household, share_address
from forening.members import locks
from forening.members import status as transitions
from forening.members.fields import PERSON, Use, names
from forening.members.models import StatusChange
from forening.members.services.attributes import (
    coerce_attributes,
    require_attributes,
    write_attributes,
)
from forening.members.services.defaults import default_membership_type
from forening.members.services.errors import RegisterError
from forening.members.services.identity_numbers import apply_identity_number

MEMBER_NUMBER_SEQUENCE = "member-number"

# What create_person / update_person may set directly: the fields the office's person form
# sets as they are (members/fields.py).
PERSON_FIELDS = frozenset(names(PERSON, use=Use.FORM))
ADDRESS_FIELDS = Household.ADDRESS_FIELDS


def _is_optional_text(name: str) -> bool:
    model_field = Person._meta.get_field(name)
    return isinstance(model_field, models.CharField) and model_field.blank


# The optional text fields: None and surrounding spaces become "".
TEXT_FIELDS = frozenset(name for name in PERSON_FIELDS if _is_optional_text(name))


# --- validation ---------------------------------------------------------------------


def clean_person_fields(organisation: Organisation, fields: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check the plain fields; raise ValidationError with per-field messages."""
    errors: dict[str, list[str]] = {}
    cleaned = dict(fields)
    for name in TEXT_FIELDS & cleaned.keys():
        cleaned[name] = (cleaned[name] or "").strip()
    for name in ("email", "email_secondary"):
        if cleaned.get(name):
            try:
                validate_email(cleaned[name])
            except ValidationError:
                errors.setdefault(name, []).append(
                    _("Enter an e-mail address such as name@example.se.")
                )
    country = cleaned.get("country") or organisation.country
    for name in ("phone", "phone_secondary"):
        if cleaned.get(name):
            try:
                cleaned[name] = normalise_phone(cleaned[name], country)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.message_dict.get("phone", []))
    if cleaned.get("organisation_number"):
        try:
            cleaned["organisation_number"] = orgnumbers.validate(
                cleaned["organisation_number"], organisation.country, field="organisation_number"
            )
        except ValidationError as error:
            for messages in error.message_dict.values():
                errors.setdefault("organisation_number", []).extend(messages)
    birth_date = cleaned.get("birth_date")
    if isinstance(birth_date, dt.date) and birth_date > timezone.localdate():
        errors.setdefault("birth_date", []).append(_("The date of birth is in the future."))
    membership_type = cleaned.get("membership_type")
    if membership_type is not None and membership_type.organisation_id != organisation.pk:
        errors.setdefault("membership_type", []).append(_("Choose a membership type."))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_names(person: Person) -> None:
    if person.kind == PersonKind.ORGANISATION:
        if not person.organisation_name:
            raise ValidationError({"organisation_name": _("Enter the organisation's name.")})
    elif not (person.first_name or person.last_name):
        raise ValidationError({"first_name": _("Enter a first name or a last name.")})


# --- people -------------------------------------------------------------------------


def _assign_member_number(person: Person) -> None:
    if person.member_number is None and person.status in transitions.MEMBER_STATUSES:
        person.member_number = sequences.take(person.organisation, MEMBER_NUMBER_SEQUENCE)[0]


def _check_member_number(person: Person) -> None:
    """A number typed by hand must be free; the sequence then continues above it."""
    if person.member_number is None:
        return
    taken = (
        Person.objects.filter(
            organisation_id=person.organisation_id, member_number=person.member_number
        )
        .exclude(pk=person.pk)
        .exists()
    )
    if taken:
        raise ValidationError({"member_number": _("This member number is already in use.")})
    if person.member_number > sequences.peek(person.organisation, MEMBER_NUMBER_SEQUENCE):
        sequences.take(person.organisation, MEMBER_NUMBER_SEQUENCE, floor=person.member_number - 1)


@audit.in_name_of_actor
@transaction.atomic
def create_person(
    organisation: Organisation,
    *,
    actor: Actor,
    status: str = MemberStatus.ACTIVE,
    identity_number: str = "",
    identity_country: str | None = None,
    attributes: Mapping[int, Any] | None = None,
    household: Household | None = None,
    reason: str = "",
    **fields: Any,
) -> Person:
    """Add someone to the register: a member (active or applied) or a contact.

    A member gets the next member number unless one is given; the first status is recorded
    in the status history. `attributes` maps custom-field ids to raw values.
    """
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"create_person cannot set {sorted(unknown)}")
    if status not in MemberStatus.values:
        raise RegisterError(_("Unknown status."))
    cleaned = clean_person_fields(organisation, fields)
    person = Person(organisation=organisation, status=status, **cleaned)
    person.status_since = timezone.localdate()
    if person.status in transitions.MEMBER_STATUSES and person.joined_on is None:
        person.joined_on = person.status_since
    if person.membership_type is None and status != MemberStatus.CONTACT:
        person.membership_type = default_membership_type(organisation)
    _check_names(person)
    apply_identity_number(person, identity_number, country=identity_country)
    coerced = coerce_attributes(organisation, attributes or {})
    if status != MemberStatus.CONTACT:
        require_attributes(organisation, person.membership_type, coerced)
    if household is not None:
        if household.organisation_id != organisation.pk:
            raise RegisterError(_("Choose a household in this association."))
        join_household(person, household)
    _check_member_number(person)
    _assign_member_number(person)
    person.full_clean(exclude=["photo"])
    person.save()
    write_attributes(person, coerced)
    StatusChange.objects.create(
        organisation=organisation,
        person=person,
        from_status="",
        to_status=person.status,
        effective_on=person.status_since,
        reason=reason,
        changed_by=actor.user,
        changed_by_label=str(actor)[:254],
    )
    return person


@audit.in_name_of_actor
@transaction.atomic
def update_person(
    person: Person,
    *,
    actor: Actor,
    identity_number: str | None = None,
    identity_country: str | None = None,
    attributes: Mapping[int, Any] | None = None,
    **fields: Any,
) -> Person:
    """Change someone's details. `identity_number=None` leaves the number as it is, ""
    removes it. Former members and the deceased are read-only (change their status first)."""
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"update_person cannot set {sorted(unknown)}")
    person = locks.lock_person(person)
    if person.is_read_only:
        raise RegisterError(
            _("%(name)s is %(status)s: the record is read-only except for its status.")
            % {"name": person.full_name, "status": person.get_status_display().lower()}
        )
    organisation = person.organisation
    cleaned = clean_person_fields(organisation, fields)
    for name, value in cleaned.items():
        setattr(person, name, value)
    _check_names(person)
    if identity_number is not None:
        apply_identity_number(person, identity_number, country=identity_country)
    coerced = coerce_attributes(organisation, attributes or {})
    type_changed = "membership_type" in cleaned
    if (attributes is not None or type_changed) and person.status != MemberStatus.CONTACT:
        current = {
            row.attribute_id: row.value
            for row in person.attribute_values.select_related("attribute")
        }
        require_attributes(organisation, person.membership_type, {**current, **coerced})
    _check_member_number(person)
    person.full_clean(exclude=["photo"])
    person.save()
    if attributes is not None:
        write_attributes(person, coerced)
    if person.household_id and any(name in cleaned for name in ADDRESS_FIELDS):
        share_address(person)
    return person


# What a member may change for themselves and their wards on My pages.
CONTACT_FIELDS = frozenset(names(PERSON, use=Use.MY_PAGES))


@audit.in_name_of_actor
@transaction.atomic
def update_contact_details(person: Person, *, actor: Actor, **fields: Any) -> Person:
    """Change a person's contact details (CONTACT_FIELDS) from My pages.

    Unlike `update_person` this works on every record, a former member's too: anyone may
    correct how to reach them. The phone number is stored in E.164, read in the
    association's country; a household's address follows the person's. Raises
    ValidationError with per-field messages; nothing is written then.
    """
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise ValueError(f"update_contact_details cannot change {sorted(unknown)}")
    person = locks.lock_person(person)
    cleaned = clean_person_fields(person.organisation, fields)
    for name, value in cleaned.items():
        setattr(person, name, value)
    person.full_clean(exclude=["photo"])
    person.save(update_fields=[*cleaned.keys(), "updated_at"])
    if person.household_id and cleaned.keys() & set(ADDRESS_FIELDS):
        share_address(person)
    return person
