"""Privacy (GDPR-02): the register extract of one person, erasure by anonymisation and the
retention rule that anonymises former members after a number of years.

Anonymisation keeps the person's row: invoices, vouchers, attendance and the status history
still point at it, and grant statistics still count it. What identifies the person is
removed; what the bookkeeping and the statistics need is kept (see `anonymise_people`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    GroupMembership,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members.models import (
    AttributeValue,
    Consent,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from forening.members.services import RegisterError, decrypt_identity_number

logger = logging.getLogger(__name__)

# Only people who are no (longer) members can be anonymised; members are ended first.
ANONYMISABLE_STATUSES = frozenset(
    {MemberStatus.CONTACT, MemberStatus.REJECTED, MemberStatus.INACTIVE, MemberStatus.DECEASED}
)
# Former members the retention rule applies to.
RETENTION_STATUSES = (MemberStatus.INACTIVE, MemberStatus.REJECTED)

# The Person fields anonymisation empties ("" or None). Names are replaced by the
# anonymised label, the birth date is reduced to 1 January of its year.
CLEARED_FIELDS = (
    "last_name",
    "organisation_number",
    "contact_name",
    "email",
    "email_secondary",
    "phone",
    "phone_secondary",
    "care_of",
    "street",
    "postal_code",
    "city",
    "country",
    "photo",
    "identity_number_ciphertext",
    "identity_number_index",
    "identity_number_masked",
)
NULLED_FIELDS = ("household", "user")

# Keys of audit-event changes that hold no personal data (statuses, dates of membership,
# ids of settings rows, what a consent was for): a redacted event keeps their values and
# loses the values of every other key (the key itself stays, so the log still says which
# fields were changed and when).
KEPT_AUDIT_KEYS = frozenset(
    {
        "id",
        "organisation_id",
        "kind",
        "status",
        "status_since",
        "from_status",
        "to_status",
        "effective_on",
        "reason",
        "membership_type_id",
        "membership_type",
        "member_number",
        "joined_on",
        "left_on",
        "leave_reason",
        "gender",
        "language",
        "anonymised_at",
        "group",
        "role",
        "tag",
        "purpose",
        "source",
        "files",
        "format",
        "people",
        "removed",
        "attribute_id",
        "group_id",
        "person_id",
    }
)


def anonymised_label(organisation: Organisation) -> str:
    """What an anonymised person is called, in the association's language."""
    with translation.override(organisation.language):
        return _("Anonymised")


def removed_label(organisation: Organisation) -> str:
    with translation.override(organisation.language):
        return _("(removed)")


# --- register extract -------------------------------------------------------------------

# Person columns that are not shown as such: the tenant, the row id, the search column and
# the encrypted identity number with its index (the extract shows the number in full).
EXTRACT_SKIPPED_FIELDS = frozenset(
    {"id", "organisation", "identity_number_ciphertext", "identity_number_index", "search_text"}
)


def _iso(value: dt.date | dt.datetime | None) -> str:
    """A date as 2026-03-15, a time as 2026-03-15 14:05 (local time): unambiguous in every
    language, and readable."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _in_words(person: Person, model_field: models.Field[Any, Any]) -> Any:
    """A field's value as a reader understands it (JSON-serialisable)."""
    value = getattr(person, model_field.name)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(getattr(person, f"get_{model_field.name}_display")())
    if isinstance(model_field, models.FileField):
        return value.name.rsplit("/", 1)[-1] if value else ""
    if isinstance(model_field, models.ForeignKey):
        related = value
        if model_field.name == "user":
            return related.email
        return str(related)
    if isinstance(value, dt.date | dt.datetime):
        return _iso(value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value if isinstance(value, int | str) else str(value)


# Shown last: when the record was made, changed and anonymised.
_RECORD_FIELDS = ("created_at", "updated_at", "anonymised_at")


def _person_rows(person: Person) -> list[dict[str, Any]]:
    rows = []
    # sorted() is stable: the model's order, with the record's own dates moved last.
    fields = sorted(Person._meta.concrete_fields, key=lambda f: f.name in _RECORD_FIELDS)
    for model_field in fields:
        if model_field.name in EXTRACT_SKIPPED_FIELDS:
            continue
        label = capfirst(str(model_field.verbose_name))
        if model_field.name == "identity_number_masked":
            rows.append(
                {
                    "field": "identity_number",
                    "label": label,
                    "value": decrypt_identity_number(person),
                }
            )
            label = _("Identity number as shown in lists")
        rows.append(
            {"field": model_field.name, "label": label, "value": _in_words(person, model_field)}
        )
    return rows


def _brief(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {"name": person.full_name, "member_number": person.member_number}


@audit.in_name_of_actor
@transaction.atomic
def register_extract(person: Person, *, actor: Actor, output: str = "json") -> dict[str, Any]:
    """Everything the register holds about `person`, JSON-serialisable, with labels in the
    active language (GDPR art. 15). The identity number is shown in full: it is the
    person's own data. Every extract is in the audit log ("members.privacy.extract").
    """
    audit.record(actor, "members.privacy.extract", person, format=output)
    person = (
        Person.objects.select_related("organisation", "membership_type", "household", "user")
        .select_related("household__payer", "household__invoice_recipient")
        .get(pk=person.pk, organisation_id=person.organisation_id)
    )
    organisation = person.organisation
    extract: dict[str, Any] = {
        "organisation": {
            "name": organisation.name,
            "organisation_number": organisation.organisation_number,
        },
        "generated_at": _iso(timezone.now()),
        "generated_by": str(actor),
        "person": _person_rows(person),
        "household": _household_of(person),
        "guardians": [
            _brief(row.guardian)
            for row in Guardianship.objects.filter(ward=person).select_related("guardian")
        ],
        "wards": [
            _brief(row.ward)
            for row in Guardianship.objects.filter(guardian=person).select_related("ward")
        ],
        "groups": [
            {
                "group": row.group.name,
                "section": row.group.section.name if row.group.section else "",
                "role": row.get_role_display(),
                "since": _iso(row.created_at),
            }
            for row in GroupMembership.objects.filter(person=person).select_related(
                "group", "group__section"
            )
        ],
        "tags": sorted(
            Tagging.objects.filter(person=person).values_list("tag__name", flat=True),
            key=str.lower,
        ),
        "custom_fields": [
            {
                "field": row.attribute.name,
                "value": attribute_values.display(row.attribute, row.value),
            }
            for row in AttributeValue.objects.filter(person=person)
            .select_related("attribute")
            .order_by("attribute__position", "attribute__name")
        ],
        "consents": [
            {
                "purpose": row.purpose.name,
                "given_at": _iso(row.given_at),
                "given_through": row.get_given_source_display(),
                "given_recorded_by": row.given_by_label,
                "withdrawn_at": _iso(row.withdrawn_at),
                "withdrawn_through": (
                    row.get_withdrawn_source_display() if row.withdrawn_source else ""
                ),
                "withdrawal_recorded_by": row.withdrawn_by_label,
                "in_force": row.is_active,
            }
            for row in Consent.objects.filter(person=person)
            .select_related("purpose")
            .order_by("given_at", "pk")
        ],
        "status_history": [
            {
                "from": row.get_from_status_display() if row.from_status else "",
                "to": row.get_to_status_display(),
                "effective_on": _iso(row.effective_on),
                "reason": row.reason,
                "by": row.changed_by_label,
                "recorded_at": _iso(row.created_at),
            }
            for row in StatusChange.objects.filter(person=person).order_by("created_at", "pk")
        ],
        "notes": [
            {
                "kind": note.get_kind_display(),
                "subject": note.subject,
                "text": note.body,
                "by": note.created_by_label,
                "time": _iso(note.created_at),
                "attachments": [
                    {
                        "name": attachment.original_name,
                        "content_type": attachment.content_type,
                        "size": attachment.size,
                    }
                    for attachment in note.attachments.all()
                ],
            }
            for note in Note.objects.filter(person=person)
            .prefetch_related("attachments")
            .order_by("created_at", "pk")
        ],
        "logins": _logins_of(person),
        "audit_events": _audit_events_of(person),
    }
    return extract


def _household_of(person: Person) -> dict[str, Any] | None:
    household = person.household
    if household is None:
        return None
    others = Person.objects.filter(organisation_id=person.organisation_id, household=household)
    return {
        "name": household.name,
        "address": household.address_lines,
        "people": [_brief(p) for p in others.order_by("birth_date", "pk")],
        "payer": _brief(household.payer),
        "invoice_recipient": _brief(household.invoice_recipient),
    }


def _logins_of(person: Person) -> list[dict[str, Any]]:
    user = person.user
    if user is None:
        return []
    return [
        {
            "email": user.email,
            "name": user.full_name,
            "language": user.get_language_display(),
            "created_at": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_verified_at": _iso(user.email_verified_at),
            "active": user.is_active,
        }
    ]


def _audit_events_of(person: Person) -> list[dict[str, Any]]:
    """Events about the person, and the sign-ins of their login (not what the login did
    in other associations)."""
    about = models.Q(person=person)
    if person.user_id is not None:
        about |= models.Q(subject_user_id=person.user_id) & (
            models.Q(organisation__isnull=True) | models.Q(organisation_id=person.organisation_id)
        )
    # Named escape hatch (STYLE.md § 3): sign-ins and other events of the person's login
    # belong to no organisation, so the tenant scope would hide them; `about` limits the
    # query to this person and to events of this organisation or of none.
    with scopes_disabled():
        events = AuditEvent.objects.filter(about).order_by("created_at", "pk")
    return [
        {
            "time": _iso(event.created_at),
            "action": event.action,
            "what": event.action_label,
            "by": event.actor_label,
            "object": event.object_repr,
            "changes": event.changes,
            "details": _details(event.changes),
        }
        for event in events
    ]


def _details(changes: Any) -> list[str]:
    """An event's changes as lines a person reads ("email: — → sara@example.se")."""
    if not isinstance(changes, dict):
        return []

    def word(value: Any) -> str:
        return "—" if value in (None, "") else str(value)

    lines = []
    for key, value in changes.items():
        if key in ("id", "organisation_id"):
            continue
        if isinstance(value, list) and len(value) == 2:
            lines.append(f"{key}: {word(value[0])} → {word(value[1])}")
        elif isinstance(value, list):
            lines.append(f"{key}: {', '.join(word(item) for item in value)}")
        else:
            lines.append(f"{key}: {word(value)}")
    return lines


# --- anonymisation ----------------------------------------------------------------------


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
    participants by age and gender.
    """
    reason = (reason or "").strip()[:200]
    if not reason:
        raise RegisterError(_("Give a reason for removing the personal data."))
    people = list(
        Person.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, pk__in=list(person_ids), anonymised_at__isnull=True)
        .order_by("pk")
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
        subject=removed_label(organisation), body=""
    )
    Consent.objects.filter(organisation=organisation, person_id__in=ids).update(
        given_by_label="", withdrawn_by_label=""
    )
    if user_ids:
        # What the person recorded themselves (an application, a message through My pages)
        # no longer names them.
        StatusChange.objects.filter(
            organisation=organisation, person_id__in=ids, changed_by_id__in=user_ids
        ).update(changed_by=None, changed_by_label="")
        Note.objects.filter(
            organisation=organisation, person_id__in=ids, created_by_id__in=user_ids
        ).update(created_by=None, created_by_label="")

    now = timezone.now()
    label = anonymised_label(organisation)
    for person in people:
        if person.kind == PersonKind.ORGANISATION:
            person.organisation_name, person.first_name = label, ""
        else:
            person.first_name, person.organisation_name = label, ""
        for name in CLEARED_FIELDS:
            setattr(person, name, "")
        for name in NULLED_FIELDS:
            setattr(person, name, None)
        if person.birth_date is not None:
            person.birth_date = dt.date(person.birth_date.year, 1, 1)
        person.anonymised_at = now
        person.updated_at = now
        person.search_text = person.compute_search_text()
    # bulk_update sends no signals: the automatic audit row (a diff with every old value)
    # is not written; the anonymisation event below says what happened instead.
    Person.objects.bulk_update(
        people,
        [
            "first_name",
            "organisation_name",
            *CLEARED_FIELDS,
            *NULLED_FIELDS,
            "birth_date",
            "anonymised_at",
            "updated_at",
            "search_text",
        ],
        batch_size=500,
    )

    with audit.redaction(actor, organisation=organisation, reason=reason) as redaction:
        _redact_audit_events(
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
        _redact_guardian_names(redaction, guardian_events, names, label)
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
    households = list(
        Household.objects.select_for_update()
        .filter(organisation=organisation, pk__in=household_ids)
        .order_by("pk")
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
            household.name = label
            for name in Household.ADDRESS_FIELDS:
                setattr(household, name, "")
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


def _blank(value: Any) -> Any:
    if isinstance(value, list):
        return [None for _item in value]
    return None


def redact_changes(changes: Any) -> dict[str, Any]:
    """An event's changes with the values of every key that may hold personal data blanked."""
    if not isinstance(changes, dict):
        return {}
    return {
        key: value if key in KEPT_AUDIT_KEYS else _blank(value) for key, value in changes.items()
    }


def _redact_audit_events(
    redaction: audit.Redaction, events: models.QuerySet[AuditEvent], *, object_repr: str
) -> int:
    """Blank the personal data in audit events about anonymised people.

    The audit log is append-only (in the database too). Erasure is the one sanctioned
    exception, through `core.audit.redaction()`, which rewrites `changes` and `object_repr`
    only: who acted, when, and what kind of change it was stay as they were, so the log
    still accounts for every change.
    """
    batch: list[AuditEvent] = []
    count = 0
    for event in events.only("pk", "changes", "object_repr").order_by("pk").iterator(2000):
        event.changes = redact_changes(event.changes)
        event.object_repr = object_repr
        batch.append(event)
        if len(batch) >= 500:
            count += redaction.rewrite(batch, ["changes", "object_repr"])
            batch = []
    if batch:
        count += redaction.rewrite(batch, ["changes", "object_repr"])
    return count


def _redact_guardian_names(
    redaction: audit.Redaction, event_ids: list[int], names: dict[int, str], label: str
) -> None:
    """Replace the anonymised people's names in their wards' and guardians' events (the
    sanctioned rewrite of the append-only log, as in `_redact_audit_events`)."""
    if not event_ids:
        return
    erased = {name for name in names.values() if name}
    changed = []
    for event in AuditEvent.objects.filter(pk__in=event_ids).only("pk", "changes"):
        changes = event.changes if isinstance(event.changes, dict) else {}
        if changes.get("guardian") in erased:
            event.changes = {**changes, "guardian": label}
            changed.append(event)
    redaction.rewrite(changed, ["changes"])


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


# --- retention ------------------------------------------------------------------------------


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """The day `years` years before `today` (28 February for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def retention_candidates(
    organisation: Organisation, today: dt.date | None = None
) -> models.QuerySet[Person]:
    """Former members (inactive or rejected), not yet anonymised, who left more than
    `organisation.retention_years` years before `today` (no rule: nobody). Each row has
    `left_date`: the leave date, or the date of the status when no leave date is known."""
    years = organisation.retention_years
    if years is None:
        return Person.objects.none()
    cutoff = retention_cutoff(today or timezone.localdate(), years)
    return (
        Person.objects.filter(
            organisation=organisation,
            status__in=RETENTION_STATUSES,
            anonymised_at__isnull=True,
        )
        .annotate(left_date=Coalesce("left_on", "status_since"))
        .filter(left_date__lt=cutoff)
        .order_by("left_date", "pk")
    )


@dataclass(frozen=True)
class RetentionRow:
    person_id: int
    member_number: int | None
    name: str  # empty in the report of an applied rule: the name is gone
    status: str
    left_on: dt.date | None


@dataclass
class RetentionReport:
    years: int | None
    cutoff: dt.date | None
    dry_run: bool
    count: int = 0
    people: list[RetentionRow] = field(default_factory=list)


@audit.in_name_of_actor
@transaction.atomic
def apply_retention(
    organisation: Organisation,
    *,
    actor: Actor,
    dry_run: bool,
    today: dt.date | None = None,
    limit: int | None = None,
) -> RetentionReport:
    """Anonymise every retention candidate (or, with `dry_run`, only report them).

    Set-wise and idempotent: a second run finds nobody. `limit` caps the rows listed in the
    report (the count is always complete).
    """
    today = today or timezone.localdate()
    years = organisation.retention_years
    report = RetentionReport(
        years=years,
        cutoff=retention_cutoff(today, years) if years is not None else None,
        dry_run=dry_run,
    )
    if years is None:
        return report
    candidates = retention_candidates(organisation, today)
    if dry_run:
        report.count = candidates.count()
        listed = candidates[:limit] if limit is not None else candidates
    else:
        listed = candidates.select_for_update(of=("self",))
    rows = list(
        listed.only(
            "pk", "kind", "first_name", "last_name", "organisation_name", "member_number", "status"
        )
    )
    report.people = [
        RetentionRow(
            person_id=p.pk,
            member_number=p.member_number,
            name=p.full_name if dry_run else "",
            status=p.get_status_display(),
            left_on=p.left_date,  # type: ignore[attr-defined]
        )
        for p in rows
    ]
    if dry_run:
        return report
    report.count = len(rows)
    if limit is not None:
        report.people = report.people[:limit]
    if rows:
        with translation.override(organisation.language):
            reason = _("Retention rule: former members' data is kept for %(years)d years.") % {
                "years": years
            }
        anonymise_people(organisation, [p.pk for p in rows], actor=actor, reason=reason)
        audit.record(
            actor,
            "members.retention.applied",
            organisation,
            years=years,
            cutoff=report.cutoff,
            people=len(rows),
        )
    return report
