"""The register's write path (REG-01 … REG-06, REG-08, GDPR-01): every view, command, import
and task that changes a person, a household, tags, custom fields, consents or notes calls
these functions. Each is one transaction; bad input raises `RegisterError` (or Django's
`ValidationError` with per-field messages) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.core import audit, crypto, orgnumbers, sequences
from forening.core.context import Actor, acting_as
from forening.core.models import (
    Group,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.core.services import normalise_phone
from forening.households.models import Household
from forening.households.services import join_household, share_address
from forening.members import attributes as attribute_values
from forening.members import identity
from forening.members import status as transitions
from forening.members.models import (
    AttributeDefinition,
    AttributeValue,
    Consent,
    ConsentPurpose,
    ConsentSource,
    MembershipKind,
    MembershipType,
    Note,
    NoteAttachment,
    StatusChange,
    Tag,
    Tagging,
)

MEMBER_NUMBER_SEQUENCE = "member-number"

# What create_person / update_person may set directly.
PERSON_FIELDS = frozenset(
    {
        "kind",
        "first_name",
        "last_name",
        "organisation_name",
        "organisation_number",
        "contact_name",
        "birth_date",
        "gender",
        "email",
        "email_secondary",
        "phone",
        "phone_secondary",
        "care_of",
        "street",
        "postal_code",
        "city",
        "country",
        "language",
        "photo",
        "membership_type",
        "joined_on",
        "member_number",
    }
)
ADDRESS_FIELDS = Household.ADDRESS_FIELDS
TEXT_FIELDS = PERSON_FIELDS - {
    "kind",
    "birth_date",
    "photo",
    "membership_type",
    "joined_on",
    "member_number",
}


class RegisterError(Exception):
    """A business rule of the register refused the change; str() is for the user."""


# --- default settings of an association ------------------------------------------------

DEFAULT_MEMBERSHIP_TYPES = [
    (MembershipKind.ORDINARY, "Ordinarie", "Ordinær", "Ordinary"),
    (MembershipKind.FAMILY, "Familj", "Familie", "Family"),
    (MembershipKind.HONORARY, "Hedersmedlem", "Æresmedlem", "Honorary"),
    (MembershipKind.PASSIVE, "Passiv", "Passiv", "Passive"),
    (MembershipKind.SUPPORTING, "Stödmedlem", "Støttemedlem", "Supporting"),
]


def ensure_membership_types(organisation: Organisation) -> list[MembershipType]:
    """Give a new association the five usual membership types, named in its language."""
    existing = list(MembershipType.objects.filter(organisation=organisation))
    if existing:
        return existing
    column = {"sv": 1, "da": 2}.get(organisation.language, 3)
    return MembershipType.objects.bulk_create(
        MembershipType(organisation=organisation, kind=row[0], name=row[column], position=i)
        for i, row in enumerate(DEFAULT_MEMBERSHIP_TYPES)
    )


def default_membership_type(organisation: Organisation) -> MembershipType | None:
    return (
        MembershipType.objects.filter(
            organisation=organisation, kind=MembershipKind.ORDINARY, is_active=True
        )
        .order_by("position", "pk")
        .first()
    )


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


def missing_required_attributes(
    organisation: Organisation,
    membership_type: MembershipType | None,
    values: Mapping[int, Any],
) -> list[AttributeDefinition]:
    """The custom fields required for `membership_type` that have no value in `values`
    (attribute id → coerced value)."""
    if membership_type is None:
        return []
    required = AttributeDefinition.objects.filter(
        organisation=organisation, is_active=True, required_for=membership_type
    )
    return [attr for attr in required if attribute_values.empty(values.get(attr.pk))]


# --- identity numbers ---------------------------------------------------------------


def _identity_context(organisation_id: int) -> bytes:
    return f"person-identity:{organisation_id}".encode()


def identity_index(organisation: Organisation, normalised: str) -> str:
    return crypto.blind_index(normalised, purpose=identity.index_purpose(organisation.pk))


def identity_number_columns(
    organisation: Organisation, number: identity.IdentityNumber
) -> dict[str, str]:
    """The stored columns (ciphertext, blind index, masked form) of a parsed identity
    number, for bulk writers such as the import that build `Person` rows themselves."""
    return {
        "identity_number_ciphertext": crypto.encrypt(
            number.normalised, context=_identity_context(organisation.pk)
        ),
        "identity_number_index": identity_index(organisation, number.normalised),
        "identity_number_masked": number.masked,
    }


def _apply_identity_number(person: Person, raw: str, *, country: str | None = None) -> None:
    """Parse, encrypt and index `raw` onto `person` (not saved). "" removes the number."""
    raw = (raw or "").strip()
    if not raw:
        person.identity_number_ciphertext = ""
        person.identity_number_index = ""
        person.identity_number_masked = ""
        return
    try:
        number = identity.parse(raw, country or person.organisation.country)
    except identity.IdentityNumberError as error:
        raise ValidationError({"identity_number": str(error)}) from None
    index = identity_index(person.organisation, number.normalised)
    duplicate = (
        Person.objects.filter(organisation_id=person.organisation_id, identity_number_index=index)
        .exclude(pk=person.pk)
        .first()
    )
    if duplicate is not None:
        raise ValidationError(
            {
                "identity_number": _(
                    "%(name)s (member number %(number)s) already has this identity number."
                )
                % {"name": duplicate.full_name, "number": duplicate.member_number or "–"}
            }
        )
    person.identity_number_ciphertext = crypto.encrypt(
        number.normalised, context=_identity_context(person.organisation_id)
    )
    person.identity_number_index = index
    person.identity_number_masked = number.masked
    person.birth_date = number.birth_date
    if person.organisation.records_gender and person.kind == PersonKind.PERSON:
        person.gender = number.gender


def decrypt_identity_number(person: Person) -> str:
    if not person.identity_number_ciphertext:
        return ""
    return crypto.decrypt(
        person.identity_number_ciphertext, context=_identity_context(person.organisation_id)
    )


def reveal_identity_number(person: Person, *, actor: Actor) -> str:
    """The full number, for someone allowed to see it. Every reveal is in the audit log."""
    value = decrypt_identity_number(person)
    if value:
        audit.record(actor, "members.identity_number.revealed", person)
    return value


def find_by_identity_number(organisation: Organisation, raw: str) -> Person | None:
    """The person with exactly this number, or None (also for something that is no number)."""
    try:
        number = identity.parse(raw, organisation.country)
    except identity.IdentityNumberError:
        return None
    index = identity_index(organisation, number.normalised)
    return Person.objects.filter(organisation=organisation, identity_number_index=index).first()


def reencrypt_identity_numbers(organisation: Organisation, *, batch_size: int = 1000) -> int:
    """Re-encrypt every identity number of `organisation` with the newest key
    (`forening rotate-keys`). Idempotent: rows already under the newest key are skipped."""
    key_id, _key = crypto.keyring().current
    prefix = f"v1:{key_id}:"
    changed = 0
    todo = (
        Person.objects.filter(organisation=organisation)
        .exclude(identity_number_ciphertext="")
        .exclude(identity_number_ciphertext__startswith=prefix)
        .only("pk", "organisation_id", "identity_number_ciphertext")
    )
    batch: list[Person] = []
    for person in todo.iterator(chunk_size=batch_size):
        context = _identity_context(person.organisation_id)
        plain = crypto.decrypt(person.identity_number_ciphertext, context=context)
        person.identity_number_ciphertext = crypto.encrypt(plain, context=context)
        batch.append(person)
        if len(batch) >= batch_size:
            changed += _save_ciphertexts(batch)
            batch = []
    changed += _save_ciphertexts(batch)
    return changed


def _save_ciphertexts(batch: list[Person]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        Person.objects.bulk_update(batch, ["identity_number_ciphertext"])
    return len(batch)


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
    _apply_identity_number(person, identity_number, country=identity_country)
    coerced = _coerce_attributes(organisation, attributes or {})
    if status != MemberStatus.CONTACT:
        _require_attributes(organisation, person.membership_type, coerced)
    if household is not None:
        if household.organisation_id != organisation.pk:
            raise RegisterError(_("Choose a household in this association."))
        join_household(person, household)
    _check_member_number(person)
    _assign_member_number(person)
    person.full_clean(exclude=["photo"])
    person.save()
    _write_attributes(person, coerced)
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
    person = Person.objects.select_for_update().get(pk=person.pk, organisation=person.organisation)
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
        _apply_identity_number(person, identity_number, country=identity_country)
    coerced = _coerce_attributes(organisation, attributes or {})
    type_changed = "membership_type" in cleaned
    if (attributes is not None or type_changed) and person.status != MemberStatus.CONTACT:
        current = {
            row.attribute_id: row.value
            for row in person.attribute_values.select_related("attribute")
        }
        _require_attributes(organisation, person.membership_type, {**current, **coerced})
    _check_member_number(person)
    person.full_clean(exclude=["photo"])
    person.save()
    if attributes is not None:
        _write_attributes(person, coerced)
    if person.household_id and any(name in cleaned for name in ADDRESS_FIELDS):
        share_address(person)
    return person


# What a member may change for themselves and their wards on My pages.
CONTACT_FIELDS = frozenset({"email", "phone", "street", "postal_code", "city"})


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
    person = Person.objects.select_for_update().get(pk=person.pk, organisation=person.organisation)
    cleaned = clean_person_fields(person.organisation, fields)
    for name, value in cleaned.items():
        setattr(person, name, value)
    person.full_clean(exclude=["photo"])
    person.save(update_fields=[*cleaned.keys(), "updated_at"])
    if person.household_id and cleaned.keys() & set(ADDRESS_FIELDS):
        share_address(person)
    return person


def _coerce_attributes(organisation: Organisation, raw: Mapping[int, Any]) -> dict[int, Any]:
    if not raw:
        return {}
    definitions = {
        attr.pk: attr
        for attr in AttributeDefinition.objects.filter(organisation=organisation, pk__in=list(raw))
    }
    coerced: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for attribute_id, value in raw.items():
        attribute = definitions.get(int(attribute_id))
        if attribute is None:
            raise RegisterError(_("Unknown custom field."))
        try:
            coerced[attribute.pk] = attribute_values.coerce(attribute, value)
        except attribute_values.AttributeValueError as error:
            errors.setdefault(f"attribute_{attribute.pk}", []).append(str(error))
    if errors:
        raise ValidationError(errors)
    return coerced


def _require_attributes(
    organisation: Organisation, membership_type: MembershipType | None, values: Mapping[int, Any]
) -> None:
    missing = missing_required_attributes(organisation, membership_type, values)
    if missing:
        raise ValidationError(
            {
                f"attribute_{attr.pk}": _("%(field)s is required for %(type)s members.")
                % {"field": attr.name, "type": membership_type}
                for attr in missing
            }
        )


def _write_attributes(person: Person, values: Mapping[int, Any]) -> None:
    if not values:
        return
    rows = {
        row.attribute_id: row
        for row in AttributeValue.objects.filter(
            person=person, attribute_id__in=list(values)
        ).select_related("attribute")
    }
    definitions = {
        attr.pk: attr for attr in AttributeDefinition.objects.filter(pk__in=list(values))
    }
    for attribute_id, value in values.items():
        row = rows.get(attribute_id)
        if attribute_values.empty(value):
            if row is not None:
                row.delete()
            continue
        if row is None:
            row = AttributeValue(
                organisation=person.organisation, person=person, attribute=definitions[attribute_id]
            )
        attribute_values.write_value(row, value)
        row.save()


def attribute_values_of(person: Person) -> dict[int, Any]:
    return {
        row.attribute_id: row.value
        for row in AttributeValue.objects.filter(person=person).select_related("attribute")
    }


# --- status -------------------------------------------------------------------------


@dataclass
class StatusResult:
    changed: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


@audit.in_name_of_actor
@transaction.atomic
def change_status(
    person: Person,
    to_status: str,
    *,
    actor: Actor,
    on: dt.date | None = None,
    reason: str = "",
) -> Person:
    """Move one person to `to_status` (approve, reject, end, renew, record a death)."""
    result = change_status_many(
        person.organisation, [person.pk], to_status, actor=actor, on=on, reason=reason
    )
    if result.refused:
        raise RegisterError(result.refused[0][1])
    return result.changed[0]


def _id_set(person_ids: Iterable[int] | QuerySet[Any]) -> Any:
    """People's ids for `pk__in`: a query of ids stays a subquery, so "everyone the search
    finds" is never a list of thousands of parameters (SQLite allows 32,766)."""
    if isinstance(person_ids, QuerySet):
        return person_ids
    return list(person_ids)


@audit.in_name_of_actor
@transaction.atomic
def change_status_many(
    organisation: Organisation,
    person_ids: Iterable[int],
    to_status: str,
    *,
    actor: Actor,
    on: dt.date | None = None,
    reason: str = "",
    skip_refused: bool = True,
) -> StatusResult:
    """Move many people at once, set-wise (a handful of queries for any number).

    People for whom the transition is not allowed are returned in `refused` with the
    reason; with `skip_refused=False` one refusal stops everything.
    """
    if to_status not in MemberStatus.values:
        raise RegisterError(_("Unknown status."))
    on = on or timezone.localdate()
    reason = (reason or "").strip()[:200]
    if to_status == MemberStatus.INACTIVE and not reason:
        raise RegisterError(_("Give a reason for ending the membership."))
    people = list(
        Person.objects.select_for_update()
        .filter(organisation=organisation, pk__in=_id_set(person_ids))
        .order_by("pk")
    )
    result = StatusResult()
    for person in people:
        if person.anonymised_at is not None:
            result.refused.append((person, _("The record has been anonymised.")))
        elif not transitions.allowed(person.status, to_status):
            result.refused.append((person, transitions.refusal(person.status, to_status)))
        else:
            result.changed.append(person)
    if result.refused and not skip_refused:
        raise RegisterError(result.refused[0][1])
    if not result.changed:
        return result
    needing_numbers = [
        p
        for p in result.changed
        if p.member_number is None and to_status in transitions.MEMBER_STATUSES
    ]
    numbered_ids = {p.pk for p in needing_numbers}
    numbers = iter(sequences.take(organisation, MEMBER_NUMBER_SEQUENCE, len(needing_numbers)))
    default_type = default_membership_type(organisation)
    history = []
    before = {p.pk: p.status for p in result.changed}
    for person in result.changed:
        history.append(
            StatusChange(
                organisation=organisation,
                person=person,
                from_status=person.status,
                to_status=to_status,
                effective_on=on,
                reason=reason,
                changed_by=actor.user,
                changed_by_label=str(actor)[:254],
            )
        )
        person.status = to_status
        person.status_since = on
        if person.pk in numbered_ids:
            person.member_number = next(numbers)
            person.search_text = person.compute_search_text()
        if to_status == MemberStatus.ACTIVE:
            if person.joined_on is None:
                person.joined_on = on
            person.left_on, person.leave_reason = None, ""
            if person.membership_type_id is None and default_type is not None:
                person.membership_type = default_type
        elif to_status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            person.left_on = on
            person.leave_reason = reason
    Person.objects.bulk_update(
        result.changed,
        [
            "status",
            "status_since",
            "member_number",
            "search_text",
            "joined_on",
            "left_on",
            "leave_reason",
            "membership_type",
            "updated_at",
        ],
        batch_size=500,
    )
    StatusChange.objects.bulk_create(history, batch_size=1000)
    audit.record_many(
        actor,
        "members.status.changed",
        list(result.changed),
        organisation=organisation,
        changes=lambda p: {"status": [before[p.pk], to_status]},
        reason=reason,
        effective_on=on,
    )
    return result


# --- guardians -----------------------------------------------------------------------


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


# --- groups and tags ----------------------------------------------------------------


@audit.in_name_of_actor
@transaction.atomic
def add_to_group(
    organisation: Organisation,
    person_ids: Iterable[int],
    group: Group,
    *,
    actor: Actor,
    role: str = GroupRole.PARTICIPANT,
) -> int:
    """Put people in a group (set-wise); those already in it keep their role."""
    if group.organisation_id != organisation.pk:
        raise RegisterError(_("Choose a group in this association."))
    if role not in GroupRole.values:
        raise RegisterError(_("Unknown role in the group."))
    people = Person.objects.filter(organisation=organisation, pk__in=_id_set(person_ids))
    ids = set(people.values_list("pk", flat=True))
    already = set(
        GroupMembership.objects.filter(group=group, person_id__in=people.values("pk")).values_list(
            "person_id", flat=True
        )
    )
    new = [
        GroupMembership(organisation=organisation, group=group, person_id=pk, role=role)
        for pk in sorted(ids - already)
    ]
    GroupMembership.objects.bulk_create(new, batch_size=1000)
    audit.record_many(
        actor,
        "members.group.added",
        [Person(pk=m.person_id, organisation=organisation) for m in new],
        organisation=organisation,
        group=group.name,
        role=role,
    )
    return len(new)


@audit.in_name_of_actor
@transaction.atomic
def remove_from_group(membership: GroupMembership, *, actor: Actor) -> None:
    membership.delete()


@audit.in_name_of_actor
@transaction.atomic
def set_group_role(membership: GroupMembership, role: str, *, actor: Actor) -> GroupMembership:
    if role not in GroupRole.values:
        raise RegisterError(_("Unknown role in the group."))
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


def get_or_create_tag(organisation: Organisation, name: str, *, actor: Actor) -> Tag:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the tag a name.")})
    if len(name) > 60:
        raise ValidationError({"name": _("Keep the tag under 60 characters.")})
    tag = Tag.objects.filter(organisation=organisation, name__iexact=name).first()
    if tag is None:
        with acting_as(actor):
            tag = Tag.objects.create(organisation=organisation, name=name)
    return tag


@audit.in_name_of_actor
@transaction.atomic
def tag_people(
    organisation: Organisation, person_ids: Iterable[int], tag: Tag, *, actor: Actor
) -> int:
    if tag.organisation_id != organisation.pk:
        raise RegisterError(_("Choose a tag in this association."))
    people = Person.objects.filter(organisation=organisation, pk__in=_id_set(person_ids))
    ids = set(people.values_list("pk", flat=True))
    already = set(
        Tagging.objects.filter(tag=tag, person_id__in=people.values("pk")).values_list(
            "person_id", flat=True
        )
    )
    new = [
        Tagging(organisation=organisation, tag=tag, person_id=pk) for pk in sorted(ids - already)
    ]
    Tagging.objects.bulk_create(new, batch_size=1000)
    audit.record_many(
        actor,
        "members.tag.added",
        [Person(pk=t.person_id, organisation=organisation) for t in new],
        organisation=organisation,
        tag=tag.name,
    )
    return len(new)


@audit.in_name_of_actor
@transaction.atomic
def untag_person(person: Person, tag: Tag, *, actor: Actor) -> None:
    deleted, _rows = Tagging.objects.filter(person=person, tag=tag).delete()
    if deleted:
        audit.record(actor, "members.tag.removed", person, tag=tag.name)


# --- consents -----------------------------------------------------------------------


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
    consent = (
        Consent.objects.select_for_update()
        .filter(person=person, purpose=purpose, withdrawn_at__isnull=True)
        .first()
    )
    if consent is None:
        return None
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_source = source
    consent.withdrawn_by_label = str(actor)[:254]
    consent.save(update_fields=["withdrawn_at", "withdrawn_source", "withdrawn_by_label"])
    audit.record(actor, "members.consent.withdrawn", person, purpose=purpose.name, source=source)
    return consent


# --- correspondence log -------------------------------------------------------------

ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "message/rfc822": "eml",
}


def attachment_limit() -> int:
    return int(getattr(settings, "FORENING_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def _sniff(head: bytes) -> str | None:
    """The content type from the first bytes, not from what the browser claims."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check_attachment(upload: UploadedFile[bytes]) -> str:
    """The attachment's content type, or ValidationError when too large or of a kind we
    don't keep."""
    if upload.size is not None and upload.size > attachment_limit():
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(limit)d MB.")
                % {"name": upload.name, "limit": attachment_limit() // (1024 * 1024)}
            }
        )
    head = upload.read(8)
    upload.seek(0)
    sniffed = _sniff(head)
    name = (upload.name or "").lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    by_suffix = {value: key for key, value in ATTACHMENT_TYPES.items()}
    claimed = by_suffix.get(suffix)
    if sniffed is not None and (claimed is None or claimed == sniffed):
        return sniffed
    if claimed in ("text/plain", "message/rfc822") and b"\x00" not in head:
        return claimed
    if claimed is not None and claimed.endswith((".document", ".sheet")) and head.startswith(b"PK"):
        return claimed
    raise ValidationError(
        {
            "attachments": _("%(name)s: attach PDF, JPEG, PNG, text, Word, Excel or e-mail files.")
            % {"name": upload.name}
        }
    )


@audit.in_name_of_actor
@transaction.atomic
def add_note(
    person: Person,
    *,
    actor: Actor,
    subject: str,
    body: str = "",
    kind: str = "note",
    files: Iterable[UploadedFile[bytes]] = (),
) -> Note:
    """Add an entry to the correspondence log, with attachments stored through Django's
    storage API. All files are checked before anything is written."""
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Write a subject.")})
    files = list(files)
    types = [check_attachment(upload) for upload in files]
    note = Note.objects.create(
        organisation=person.organisation,
        person=person,
        kind=kind,
        subject=subject[:200],
        body=body or "",
        created_by=actor.user,
        created_by_label=str(actor)[:254],
    )
    for upload, content_type in zip(files, types, strict=True):
        NoteAttachment.objects.create(
            organisation=person.organisation,
            note=note,
            file=upload,
            original_name=(upload.name or "file")[:200],
            content_type=content_type,
            size=upload.size or 0,
        )
    audit.record(actor, "members.note.added", person, subject=note.subject, files=len(files))
    return note


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
