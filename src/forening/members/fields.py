"""Every field of the register that holds personal data, declared once with what happens to it.

This is the file a privacy reviewer reads. For each model that holds data about a person in
the register, every concrete column is listed with

- where it is used (`Use`): the office's person form, My pages, the member import, the
  register export, the register extract (GDPR art. 15);
- what anonymisation (GDPR art. 17, `members.privacy.anonymise_people`) does to it
  (`Erase`), and in which rows (`When`); and why a field is kept;
- whether it is a system column (row id, tenant, timestamps, search columns): no personal
  data of its own.

The code reads these declarations: the services' field sets (`PERSON_FIELDS`,
`CONTACT_FIELDS`), the person form's plain fields, My pages' contact form, the import's
targets, the export's columns, the fields the extract leaves out and the values
anonymisation writes all come from here. `tests/members/test_fields.py` fails when a column
of these models (or of any model of core, households or members that points at a person)
is not declared here, when anonymisation does something else than declared, and when the
extract leaves out a field declared as extracted.

The order of `PERSON` is the order of the export's columns and of the import's targets.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models

from forening.core.models import AuditEvent, GroupMembership, Guardianship, Person, User
from forening.households.models import Household
from forening.members.models import (
    AttributeValue,
    Consent,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)


class Use(enum.Flag):
    """Where a field is used."""

    NONE = 0
    # A field of the office's person form sets it as it is (for Person: what
    # `create_person` and `update_person` accept).
    FORM = enum.auto()
    # The member changes it for themselves and their wards on My pages
    # (`update_contact_details`).
    MY_PAGES = enum.auto()
    # A column of a member import fills it (for Person: a column named like the field).
    IMPORT = enum.auto()
    # A column of the register export (REG-09).
    EXPORT = enum.auto()
    # Shown in the register extract (GDPR art. 15).
    EXTRACT = enum.auto()


class Erase(enum.Enum):
    """What anonymisation does to a field."""

    KEEP = "kept"
    CLEAR = "emptied"  # "" for text and files, NULL otherwise
    NULL = "set to nothing"  # a link to another row
    LABEL = "replaced by a fixed label"  # "Anonymised", or "(removed)" for a note's subject
    BIRTH_YEAR = "reduced to 1 January of its year"
    DELETE = "deleted with its row"
    REDACT = "values of personal keys blanked"  # the audit log's `changes`
    REASSIGN = "handed to someone else"
    SYSTEM = "written by the system"  # set anew when the person is anonymised


class When(enum.Enum):
    """In which rows anonymisation applies `Erase` (`KEEP` is always ALWAYS)."""

    ALWAYS = "always"
    OWN = "in rows the person recorded themselves, through their login"
    EMPTIED = "when the anonymised people leave the household empty"
    THEM = "where it is the anonymised person"
    ABOUT = "in the events about the person"


@dataclass(frozen=True)
class FieldRule:
    uses: Use
    erase: Erase
    why: str = ""  # why it is kept, or how it is erased; for a system column, what it is
    when: When = When.ALWAYS
    system: bool = False


def personal(uses: Use, erase: Erase, why: str = "", when: When = When.ALWAYS) -> FieldRule:
    return FieldRule(uses, erase, why, when)


def kept(uses: Use, why: str) -> FieldRule:
    return FieldRule(uses, Erase.KEEP, why)


def system(why: str, uses: Use = Use.NONE, erase: Erase = Erase.KEEP) -> FieldRule:
    return FieldRule(uses, erase, why, system=True)


NONE = Use.NONE
FORM = Use.FORM
MY_PAGES = Use.MY_PAGES
IMPORT = Use.IMPORT
EXPORT = Use.EXPORT
EXTRACT = Use.EXTRACT
ROW_ID = system("the row's id")
TENANT = system("the association")
CREATED = system("when the row was made")
UPDATED = system("when the row was last changed", erase=Erase.SYSTEM)

# --- the person ------------------------------------------------------------------------

# The identity number (personnummer, samordningsnummer, CPR) is typed once, on the office's
# form or in an import's identity-number column, and stored in three columns: encrypted,
# as a keyed hash for look-ups, and masked (19850312-****) for lists. The extract shows it
# decrypted, as "identity number", next to the masked form.
PERSON: dict[str, FieldRule] = {
    "member_number": kept(
        FORM | IMPORT | EXPORT | EXTRACT,
        "bookkeeping: invoices and vouchers name the member by it",
    ),
    "first_name": personal(
        FORM | IMPORT | EXPORT | EXTRACT,
        Erase.LABEL,
        "“Anonymised” for a person; emptied for an organisation",
    ),
    "last_name": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "kind": kept(FORM | EXPORT | EXTRACT, "person or organisation: identifies nobody"),
    "organisation_name": personal(
        FORM | IMPORT | EXPORT | EXTRACT,
        Erase.LABEL,
        "“Anonymised” for an organisation; emptied for a person",
    ),
    "organisation_number": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "contact_name": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "identity_number_masked": personal(EXPORT | EXTRACT, Erase.CLEAR),
    "identity_number_ciphertext": personal(NONE, Erase.CLEAR, "the encrypted number"),
    "identity_number_index": personal(NONE, Erase.CLEAR, "keyed hash for exact search"),
    "birth_date": personal(
        FORM | IMPORT | EXPORT | EXTRACT,
        Erase.BIRTH_YEAR,
        "grant reports count participants by age",
    ),
    "gender": kept(FORM | IMPORT | EXPORT | EXTRACT, "grant reports count participants by gender"),
    "photo": personal(FORM | EXTRACT, Erase.CLEAR, "the file is deleted from storage"),
    "email": personal(FORM | MY_PAGES | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "email_secondary": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "phone": personal(FORM | MY_PAGES | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "phone_secondary": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "care_of": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "street": personal(FORM | MY_PAGES | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "postal_code": personal(FORM | MY_PAGES | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "city": personal(FORM | MY_PAGES | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "country": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.CLEAR),
    "language": kept(
        FORM | IMPORT | EXPORT | EXTRACT, "the language letters went out in: identifies nobody"
    ),
    "status": kept(
        IMPORT | EXPORT | EXTRACT,
        "status history; changed through the status rules, never as a plain value",
    ),
    "status_since": kept(EXPORT | EXTRACT, "status history"),
    "membership_type": kept(FORM | IMPORT | EXPORT | EXTRACT, "fees and member statistics"),
    "joined_on": kept(FORM | IMPORT | EXPORT | EXTRACT, "membership history and statistics"),
    "left_on": kept(EXPORT | EXTRACT, "membership history and statistics"),
    "leave_reason": kept(EXPORT | EXTRACT, "membership history, written by the office"),
    "household": personal(
        IMPORT | EXPORT | EXTRACT,
        Erase.NULL,
        "the person leaves the household; the import names a household to join",
    ),
    "user": personal(
        EXTRACT, Erase.NULL, "the link to the login; the account may be used elsewhere"
    ),
    "anonymised_at": system("when the person was anonymised", EXTRACT, Erase.SYSTEM),
    "search_text": system(
        "lower-case names, e-mail, phone digits and member number for free-text search; "
        "recomputed from the fields above",
        erase=Erase.SYSTEM,
    ),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": system("when the record was made", EXTRACT),
    "updated_at": system("when the record was last changed", EXTRACT, Erase.SYSTEM),
}

# --- the household -----------------------------------------------------------------------

# A household is shared: while others live in it, its name and address are theirs too and
# stay. The household the anonymised people leave empty loses them.
HOUSEHOLD: dict[str, FieldRule] = {
    "name": personal(EXTRACT, Erase.LABEL, "“Anonymised”", When.EMPTIED),
    "care_of": personal(EXTRACT, Erase.CLEAR, when=When.EMPTIED),
    "street": personal(EXTRACT, Erase.CLEAR, when=When.EMPTIED),
    "postal_code": personal(EXTRACT, Erase.CLEAR, when=When.EMPTIED),
    "city": personal(EXTRACT, Erase.CLEAR, when=When.EMPTIED),
    "country": personal(NONE, Erase.CLEAR, when=When.EMPTIED),
    "payer": personal(
        EXTRACT, Erase.REASSIGN, "the eldest adult left in the household, or nobody", When.THEM
    ),
    "invoice_recipient": personal(EXTRACT, Erase.NULL, when=When.THEM),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": CREATED,
    "updated_at": UPDATED,
}

# --- the register around the person ---------------------------------------------------------

GUARDIANSHIP: dict[str, FieldRule] = {
    "guardian": personal(EXTRACT, Erase.DELETE),
    "ward": personal(EXTRACT, Erase.DELETE),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": CREATED,
    "updated_at": UPDATED,
}

GROUP_MEMBERSHIP: dict[str, FieldRule] = {
    "person": kept(NONE, "grant reports count the participants of groups"),
    "group": kept(EXPORT | EXTRACT, "grant reports count the participants of groups"),
    "role": kept(EXPORT | EXTRACT, "grant reports count leaders and participants"),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": system("since when the person is in the group", EXTRACT),
    "updated_at": UPDATED,
}

TAGGING: dict[str, FieldRule] = {
    "person": personal(NONE, Erase.DELETE),
    "tag": personal(IMPORT | EXPORT | EXTRACT, Erase.DELETE),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": CREATED,
}

# One value of a custom field (allergies, licences …): anything the association asks.
ATTRIBUTE_VALUE: dict[str, FieldRule] = {
    "person": personal(NONE, Erase.DELETE),
    "attribute": personal(EXTRACT, Erase.DELETE, "which custom field"),
    "text": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.DELETE),
    "number": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.DELETE),
    "date": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.DELETE),
    "boolean": personal(FORM | IMPORT | EXPORT | EXTRACT, Erase.DELETE),
    "id": ROW_ID,
    "organisation": TENANT,
    "updated_at": UPDATED,
}

# Consents stay as facts (what for, when, through what); who recorded them goes.
CONSENT: dict[str, FieldRule] = {
    "person": kept(NONE, "the consent history"),
    "purpose": kept(EXPORT | EXTRACT, "the consent history"),
    "given_at": kept(EXTRACT, "the consent history"),
    "given_source": kept(EXTRACT, "the consent history"),
    "given_by_label": personal(EXTRACT, Erase.CLEAR, "who recorded it"),
    "withdrawn_at": kept(EXTRACT, "the consent history"),
    "withdrawn_source": kept(EXTRACT, "the consent history"),
    "withdrawn_by_label": personal(EXTRACT, Erase.CLEAR, "who recorded it"),
    "id": ROW_ID,
    "organisation": TENANT,
}

STATUS_CHANGE: dict[str, FieldRule] = {
    "person": kept(NONE, "status history"),
    "from_status": kept(EXTRACT, "status history"),
    "to_status": kept(EXTRACT, "status history"),
    "effective_on": kept(EXTRACT, "status history"),
    "reason": kept(EXTRACT, "status history, written by the office"),
    "changed_by": personal(NONE, Erase.NULL, "an application the person sent", When.OWN),
    "changed_by_label": personal(EXTRACT, Erase.CLEAR, when=When.OWN),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": system("when it was recorded", EXTRACT),
}

# The correspondence log: entries stay as facts (kind and time), their text goes.
NOTE: dict[str, FieldRule] = {
    "person": kept(NONE, "the entry stays as a fact"),
    "kind": kept(EXTRACT, "the entry stays as a fact"),
    "subject": personal(EXTRACT, Erase.LABEL, "“(removed)”"),
    "body": personal(IMPORT | EXTRACT, Erase.CLEAR, "the import's note column"),
    "created_by": personal(NONE, Erase.NULL, "a message the person sent", When.OWN),
    "created_by_label": personal(EXTRACT, Erase.CLEAR, when=When.OWN),
    "id": ROW_ID,
    "organisation": TENANT,
    "created_at": system("when it was written", EXTRACT),
}

NOTE_ATTACHMENT: dict[str, FieldRule] = {
    "note": personal(NONE, Erase.DELETE),
    "file": personal(NONE, Erase.DELETE, "the file is deleted from storage"),
    "original_name": personal(EXTRACT, Erase.DELETE),
    "content_type": personal(EXTRACT, Erase.DELETE),
    "size": personal(EXTRACT, Erase.DELETE),
    "id": ROW_ID,
    "organisation": TENANT,
}

# The audit log is append-only; the events about an anonymised person are the one
# sanctioned exception (`members.privacy.audit_redaction`).
AUDIT_EVENT: dict[str, FieldRule] = {
    "person": kept(NONE, "which person the event is about"),
    "subject_user": kept(NONE, "whose login the event is about"),
    "created_at": kept(EXTRACT, "the log accounts for every change"),
    "action": kept(EXTRACT, "the log accounts for every change"),
    "actor": kept(NONE, "who acted: the log accounts for every change"),
    "actor_label": kept(EXTRACT, "who acted: the log accounts for every change"),
    "object_type": kept(NONE, "what kind of row changed"),
    "object_id": kept(NONE, "which row changed"),
    "object_repr": personal(EXTRACT, Erase.LABEL, "“Anonymised”", When.ABOUT),
    "changes": personal(
        EXTRACT,
        Erase.REDACT,
        "values of keys outside `KEPT_AUDIT_KEYS` are blanked (the keys stay); in the events "
        "of their wards and guardians, their name becomes “Anonymised”",
        When.ABOUT,
    ),
    "ip_address": kept(NONE, "the actor's address, for security"),
    "id": ROW_ID,
    "organisation": TENANT,
}

# --- the login ------------------------------------------------------------------------------

# A login is the user's own and may be used in other associations: anonymising a person
# only removes the link (`Person.user`); the extract shows what the login holds.
USER: dict[str, FieldRule] = {
    "email": kept(EXTRACT, "the login's own; only the link to the person goes"),
    "full_name": kept(EXTRACT, "the login's own; only the link to the person goes"),
    "language": kept(EXTRACT, "the login's own"),
    "is_active": kept(EXTRACT, "the login's own"),
    "email_verified_at": kept(EXTRACT, "the login's own"),
    "date_joined": kept(EXTRACT, "the login's own"),
    "last_login": kept(EXTRACT, "the login's own"),
    "last_organisation": kept(NONE, "the login's own"),
    "password": system("password hash"),
    "is_staff": system("operator access"),
    "is_superuser": system("operator access"),
    "id": ROW_ID,
}

MODELS: dict[type[models.Model], dict[str, FieldRule]] = {
    Person: PERSON,
    Household: HOUSEHOLD,
    Guardianship: GUARDIANSHIP,
    GroupMembership: GROUP_MEMBERSHIP,
    Tagging: TAGGING,
    AttributeValue: ATTRIBUTE_VALUE,
    Consent: CONSENT,
    StatusChange: STATUS_CHANGE,
    Note: NOTE,
    NoteAttachment: NOTE_ATTACHMENT,
    AuditEvent: AUDIT_EVENT,
    User: USER,
}


def names(
    rules: Mapping[str, FieldRule],
    *,
    use: Use | None = None,
    erase: Erase | None = None,
    when: When | None = None,
) -> tuple[str, ...]:
    """The fields (in declaration order) with `use`, erased by `erase`, in rows `when`."""
    return tuple(
        name
        for name, rule in rules.items()
        if (use is None or use in rule.uses)
        and (erase is None or rule.erase is erase)
        and (when is None or rule.when is when)
    )
