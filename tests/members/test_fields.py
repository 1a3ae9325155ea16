"""The classification of personal fields (members/fields.py): every column of the models
holding personal data is declared, anonymisation does exactly what is declared, the extract
shows what is declared as extracted, and the forms, the import and the export read it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    Group,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
    User,
)
from forening.households import services as household_services
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import exporting, privacy, services
from forening.members.fields import MODELS, PERSON, Erase, FieldRule, Use, When, names
from forening.members.forms import PersonForm
from forening.members.importing import mapping
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from forening.portal.forms import PersonContactForm
from tests.factories.core import UserFactory
from tests.factories.members import (
    PERSONNUMMER,
    ConsentPurposeFactory,
    MembershipTypeFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
REGISTER_APPS = {"core", "households", "members"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


# --- every column is classified -------------------------------------------------------------


def _points_at_person(model: type[models.Model]) -> bool:
    return any(
        field.many_to_one and field.related_model is Person for field in model._meta.concrete_fields
    )


def _personal_models() -> list[type[models.Model]]:
    """The classified models, and every model of the register's apps pointing at a person."""
    found = {
        model
        for model in apps.get_models()
        if model._meta.app_label in REGISTER_APPS and _points_at_person(model)
    }
    return sorted({*MODELS, *found}, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", _personal_models(), ids=lambda model: model._meta.label)
def test_every_column_of_a_personal_model_is_classified(model: type[models.Model]) -> None:
    assert model in MODELS, f"{model._meta.label} points at a person: classify it in fields.py"
    columns = [field.name for field in model._meta.concrete_fields]
    rules = MODELS[model]
    missing = [name for name in columns if name not in rules]
    assert not missing, f"classify {model._meta.label} {', '.join(missing)} in fields.py"
    unknown = [name for name in rules if name not in columns]
    assert not unknown, f"{model._meta.label} has no {unknown}"


@pytest.mark.parametrize(
    ("label", "name", "rule"),
    [
        (model._meta.label, name, rule)
        for model, rules in MODELS.items()
        for name, rule in rules.items()
    ],
)
def test_every_rule_says_why_a_field_is_kept(label: str, name: str, rule: FieldRule) -> None:
    if rule.erase is Erase.KEEP:
        assert rule.why, f"{label}.{name} is kept: say why"
        assert rule.when is When.ALWAYS
    if rule.erase is Erase.SYSTEM:
        assert rule.system, f"{label}.{name}: only system columns are written by the system"


# --- anonymisation does what is declared ------------------------------------------------------

# Related rows of the person, per model.
_RELATED = {
    Household: lambda p: Household.objects.filter(pk=p.household_id),
    Guardianship: lambda p: Guardianship.objects.filter(models.Q(guardian=p) | models.Q(ward=p)),
    GroupMembership: lambda p: GroupMembership.objects.filter(person=p),
    Tagging: lambda p: Tagging.objects.filter(person=p),
    AttributeValue: lambda p: AttributeValue.objects.filter(person=p),
    Consent: lambda p: Consent.objects.filter(person=p),
    StatusChange: lambda p: StatusChange.objects.filter(person=p),
    Note: lambda p: Note.objects.filter(person=p),
    NoteAttachment: lambda p: NoteAttachment.objects.filter(note__person=p),
    AuditEvent: lambda p: AuditEvent.objects.filter(person=p),
    User: lambda p: User.objects.filter(pk=p.user_id),
}


def _fill_every_field(person: Person) -> None:
    """Give every column of `person` that is still empty a value of its type, so that what
    anonymisation keeps and what it empties can be told apart for each of them."""
    values: dict[str, Any] = {}
    for field in Person._meta.concrete_fields:
        if PERSON[field.name].system or getattr(person, field.attname) not in (None, ""):
            continue
        if field.choices:
            values[field.name] = field.choices[-1][0]
        elif isinstance(field, models.EmailField):
            values[field.name] = f"{field.name}@example.se"
        elif isinstance(field, models.CharField | models.TextField):
            values[field.name] = field.name[: field.max_length or 20]
        elif isinstance(field, models.DateTimeField):
            values[field.name] = timezone.now()
        elif isinstance(field, models.DateField):
            values[field.name] = dt.date(1990, 5, 17)
        elif isinstance(field, models.IntegerField):
            values[field.name] = 4711
        else:
            pytest.fail(f"the test person has no {field.name}: give it one")
    Person.objects.filter(pk=person.pk).update(**values)
    person.refresh_from_db()


@pytest.fixture
def full(org: Organisation) -> dict[str, Any]:
    """A former member with every field filled and something in every part of the
    register: rows the person recorded through their login, and rows the office recorded."""
    user = UserFactory(email="sara.svensson@example.se", last_login=timezone.now())
    user.email_verified_at = timezone.now()
    user.save()
    own = Actor(user=user, label=user.email)
    membership_type = MembershipTypeFactory(organisation=org, name="Ordinarie")
    kinds = {
        AttributeKind.TEXT: "Jordnötter",
        AttributeKind.NUMBER: Decimal("42"),
        AttributeKind.DATE: dt.date(2024, 4, 1),
        AttributeKind.BOOLEAN: True,
    }
    definitions = {
        kind: AttributeDefinition.objects.create(organisation=org, name=f"Fält {kind}", kind=kind)
        for kind in kinds
    }
    person = make_member(
        org,
        actor=own,
        status=MemberStatus.APPLIED,
        first_name="Sara",
        last_name="Svensson",
        email="sara.svensson@example.se",
        email_secondary="sara@jobb.example.se",
        phone="070-123 45 67",
        phone_secondary="08-123 456",
        street="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        care_of="Andersson",
        country="SE",
        language="sv",
        identity_number=PERSONNUMMER,
        membership_type=membership_type,
        attributes={definitions[kind].pk: value for kind, value in kinds.items()},
        photo=SimpleUploadedFile("sara.png", PNG, content_type="image/png"),
    )
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    household = household_services.create_household(
        org, actor=ACTOR, name="Familjen Svensson", people=[person]
    )
    Household.objects.filter(pk=household.pk).update(
        care_of="Andersson", street="Storgatan 1", postal_code="111 22", city="Stockholm",
        country="SE", payer=person, invoice_recipient=person,
    )  # fmt: skip
    services.change_status(person, MemberStatus.ACTIVE, actor=ACTOR)
    child = make_member(org, first_name="Lisa", last_name="Svensson")
    services.add_guardian(child, person, actor=ACTOR)
    mother = make_member(org, first_name="Eva", last_name="Svensson")
    services.add_guardian(person, mother, actor=ACTOR)
    group = Group.objects.create(organisation=org, name="Kör")
    services.add_to_group(org, [person.pk], group, actor=ACTOR, role=GroupRole.LEADER)
    services.tag_people(
        org, [person.pk], TagFactory(organisation=org, name="Styrelse"), actor=ACTOR
    )
    purpose = ConsentPurposeFactory(organisation=org, name="Nyhetsbrev")
    services.give_consent(person, purpose, actor=own)
    services.withdraw_consent(person, purpose, actor=own)
    services.give_consent(person, purpose, actor=ACTOR)
    services.add_note(person, actor=own, subject="Fråga från Sara", body="Sara undrar.")
    services.add_note(
        person,
        actor=ACTOR,
        subject="Samtal med Sara Svensson",
        body="Sara Svensson ringde om allergin.",
        files=[SimpleUploadedFile("intyg.pdf", b"%PDF-1.4 test", content_type="application/pdf")],
    )
    person = services.change_status(
        Person.objects.get(pk=person.pk),
        MemberStatus.INACTIVE,
        actor=ACTOR,
        on=dt.date(2020, 6, 30),
        reason="Flyttat",
    )
    person.refresh_from_db()
    _fill_every_field(person)
    return {"person": person, "user": user, "household": household}


def _values(row: models.Model) -> dict[str, Any]:
    values = {}
    for field in row._meta.concrete_fields:
        value = field.value_from_object(row)
        values[field.name] = (
            value.name if isinstance(value, models.fields.files.FieldFile) else value
        )
    return values


def _snapshot(person: Person) -> dict[type[models.Model], dict[int, dict[str, Any]]]:
    rows = {Person: {person.pk: _values(Person.objects.get(pk=person.pk))}}
    for model, related in _RELATED.items():
        rows[model] = {row.pk: _values(row) for row in related(person)}
    return rows


def _applies(rule: FieldRule, name: str, before: dict[str, Any], person: Person) -> bool:
    """Whether the rule's `when` holds for the row (`before` is the row before)."""
    if rule.when is When.OWN:
        return person.user_id in (before.get("changed_by"), before.get("created_by"))
    if rule.when is When.THEM:
        return bool(before[name] == person.pk)
    return True  # ALWAYS; EMPTIED (the household had nobody else); ABOUT (events about her)


def _expected(model: type[models.Model], name: str, before: Any, person: Person, org: Any) -> Any:
    rule = MODELS[model][name]
    if rule.erase is Erase.CLEAR:
        return None if model._meta.get_field(name).null else ""
    if rule.erase in (Erase.NULL, Erase.REASSIGN):  # nobody else in the household to pay
        return None
    if rule.erase is Erase.BIRTH_YEAR:
        return dt.date(before.year, 1, 1)
    if rule.erase is Erase.REDACT:
        return privacy.redact_changes(before)
    if rule.erase is Erase.LABEL:
        if model is Note:
            return privacy.removed_label(org)
        name_field = "organisation_name" if person.kind == PersonKind.ORGANISATION else "first_name"
        if model is Person and name != name_field:
            return ""
        return privacy.anonymised_label(org)
    return before  # KEEP


@pytest.mark.parametrize("kind", [PersonKind.PERSON, PersonKind.ORGANISATION])
def test_anonymisation_erases_exactly_what_is_classified(
    org: Organisation, full: dict[str, Any], kind: str
) -> None:
    # given: a former member with every field filled
    person = full["person"]
    Person.objects.filter(pk=person.pk).update(kind=kind)
    person.refresh_from_db()
    before = _snapshot(person)
    for model in MODELS:
        assert before[model], f"the test person has no {model._meta.label} row: give her one"
    old = before[Person][person.pk]
    assert not [name for name, rule in PERSON.items() if not rule.system and not old[name]]
    # when
    privacy.anonymise_person(person, actor=ACTOR, reason="Begäran om radering")
    # then: field by field, what fields.py declares
    after = _snapshot(person)
    for model, rows in before.items():
        rules = MODELS[model]
        for pk, old in rows.items():
            erased_with_row = any(rule.erase is Erase.DELETE for rule in rules.values())
            if erased_with_row:
                assert pk not in after[model], f"{model._meta.label} {pk} should be deleted"
                continue
            assert pk in after[model], f"{model._meta.label} {pk} was deleted"
            new = after[model][pk]
            for name, rule in rules.items():
                if rule.erase is Erase.SYSTEM:
                    continue
                expected = (
                    _expected(model, name, old[name], person, org)
                    if _applies(rule, name, old, person)
                    else old[name]
                )
                assert new[name] == expected, (
                    f"{model._meta.label}.{name}: {old[name]!r} became {new[name]!r}, "
                    f"fields.py says {rule.erase.value} ({rule.when.value})"
                )
    anonymised = Person.objects.get(pk=person.pk)
    assert anonymised.anonymised_at is not None
    assert anonymised.search_text == anonymised.compute_search_text()


def test_rows_recorded_by_the_office_keep_who_recorded_them(
    org: Organisation, full: dict[str, Any]
) -> None:
    # The rows the person recorded herself are checked above; these are the others.
    person = full["person"]
    privacy.anonymise_person(person, actor=ACTOR, reason="Begäran om radering")
    assert Note.objects.filter(person=person, created_by_label=str(ACTOR)).exists()
    assert StatusChange.objects.filter(person=person, changed_by_label=str(ACTOR)).exists()


# --- the extract shows what is declared as extracted ----------------------------------------------


def _shown(row: models.Model, name: str) -> str | None:
    """How the extract writes a field's value, or None when there is nothing to show."""
    field = row._meta.get_field(name)
    value = getattr(row, name)
    if value is None or value == "" or value == {}:
        return None
    if isinstance(row, AttributeValue) and name in ("text", "number", "date", "boolean"):
        return str(attribute_values.display(row.attribute, row.value))
    if field.choices:
        return str(getattr(row, f"get_{name}_display")())
    if isinstance(value, Person):
        return value.full_name
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_the_extract_shows_every_field_classified_as_extracted(
    org: Organisation, full: dict[str, Any]
) -> None:
    person = full["person"]
    extract = privacy.register_extract(person, actor=ACTOR)
    # The person's own fields are rows named after the field.
    rows = {row["field"]: row["value"] for row in extract["person"]}
    for name in names(PERSON, use=Use.EXTRACT):
        assert name in rows, f"Person.{name} is classified as extracted"
        if not PERSON[name].system:  # anonymised_at is empty until then
            assert rows[name] not in ("", None), f"Person.{name} is empty in the extract"
    # The rest is in its sections, as people read it.
    text = json.dumps(extract, ensure_ascii=False)
    for model, lookup in _RELATED.items():
        rows_of_model = list(lookup(person))
        assert rows_of_model, f"the test person has no {model._meta.label} row: give her one"
        extracted = names(MODELS[model], use=Use.EXTRACT)
        for row in rows_of_model:
            for name in extracted:
                shown = _shown(row, name)
                if shown is not None:
                    assert shown in text, f"{model._meta.label}.{name} ({shown}) is not shown"


# --- the register reads the classification ------------------------------------------------


def test_the_person_form_has_every_field_classified_as_on_the_form() -> None:
    missing = [name for name in names(PERSON, use=Use.FORM) if name not in PersonForm.base_fields]
    assert not missing
    assert set(names(PERSON, use=Use.FORM)) == services.PERSON_FIELDS


def test_my_pages_edit_the_contact_fields() -> None:
    assert list(PersonContactForm.base_fields) == list(names(PERSON, use=Use.MY_PAGES))
    assert set(names(PERSON, use=Use.MY_PAGES)) == services.CONTACT_FIELDS


def test_the_import_has_a_target_for_every_imported_field_and_no_other() -> None:
    keys = [target.key for target in mapping.TARGET_FIELDS]
    assert set(names(PERSON, use=Use.IMPORT)) == set(keys) & set(PERSON)
    recognised = {target.key for target in mapping._RECOGNISED}
    assert recognised == set(keys), "header words for a target the import does not offer"


def test_the_export_has_a_column_for_every_exported_field_and_no_other() -> None:
    columns = list(exporting.EXPORT_COLUMNS)
    assert set(names(PERSON, use=Use.EXPORT)) == set(columns) & set(PERSON)
    assert set(exporting._HEADINGS) == set(columns), "a heading for a column nobody exports"


def test_anonymisation_and_the_extract_read_the_classification() -> None:
    assert set(privacy.CLEARED_FIELDS) == set(names(PERSON, erase=Erase.CLEAR))
    assert set(privacy.NULLED_FIELDS) == set(names(PERSON, erase=Erase.NULL))
    assert set(PERSON) - set(names(PERSON, use=Use.EXTRACT)) == privacy.EXTRACT_SKIPPED_FIELDS
