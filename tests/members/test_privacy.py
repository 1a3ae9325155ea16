"""Privacy services: register extract, anonymisation, the retention rule and its command."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    Gender,
    Group,
    GroupMembership,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    User,
)
from forening.households import services as household_services
from forening.members import privacy, search, services
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    ImportStatus,
    MemberImport,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from forening.members.services import RegisterError
from tests.factories.core import OrganisationFactory, UserFactory
from tests.factories.members import (
    PERSONNUMMER,
    PERSONNUMMER_MALE,
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


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _find(org: Organisation, text: str) -> list[Person]:
    return list(search.search_people(org, {"q": [text], "status": ["all"]}))


def _end(person: Person, on: dt.date | None = None) -> Person:
    return services.change_status(
        person, MemberStatus.INACTIVE, actor=ACTOR, on=on, reason="Flyttat"
    )


@pytest.fixture
def rich(org: Organisation) -> dict[str, Any]:
    """A former member with something in every part of the register."""
    membership_type = MembershipTypeFactory(organisation=org, name="Ordinarie")
    allergy = AttributeDefinition.objects.create(
        organisation=org, name="Allergi", kind=AttributeKind.TEXT
    )
    user = UserFactory(email="sara.svensson@example.se")
    household = household_services.create_household(org, actor=ACTOR, name="Familjen Svensson")
    person = make_member(
        org,
        first_name="Sara",
        last_name="Svensson",
        email="sara.svensson@example.se",
        email_secondary="sara@jobb.example.se",
        phone="070-123 45 67",
        street="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        care_of="Andersson",
        identity_number=PERSONNUMMER,
        membership_type=membership_type,
        attributes={allergy.pk: "Jordnötter"},
        photo=SimpleUploadedFile("sara.png", PNG, content_type="image/png"),
    )
    Person.objects.filter(pk=person.pk).update(user=user)
    person.refresh_from_db()
    household_services.move_to_household(person, household, actor=ACTOR)
    child = make_member(org, first_name="Lisa", last_name="Svensson")
    services.add_guardian(child, person, actor=ACTOR)
    group = Group.objects.create(organisation=org, name="Kör")
    services.add_to_group(org, [person.pk], group, actor=ACTOR)
    tag = TagFactory(organisation=org, name="Styrelse")
    services.tag_people(org, [person.pk], tag, actor=ACTOR)
    purpose = ConsentPurposeFactory(organisation=org, name="Nyhetsbrev")
    services.give_consent(person, purpose, actor=Actor(user=user, label=user.email))
    services.withdraw_consent(person, purpose, actor=ACTOR)
    services.give_consent(person, purpose, actor=ACTOR)
    note = services.add_note(
        person,
        actor=ACTOR,
        subject="Samtal med Sara",
        body="Sara Svensson ringde om allergin.",
        files=[SimpleUploadedFile("intyg.pdf", b"%PDF-1.4 test", content_type="application/pdf")],
    )
    person = _end(Person.objects.get(pk=person.pk), on=dt.date(2020, 6, 30))
    person.refresh_from_db()
    return {
        "person": person,
        "user": user,
        "household": household,
        "child": child,
        "group": group,
        "tag": tag,
        "purpose": purpose,
        "note": note,
        "allergy": allergy,
        "membership_type": membership_type,
    }


# --- register extract ----------------------------------------------------------------------


def test_extract_contains_every_person_field(org: Organisation, rich: dict[str, Any]) -> None:
    # when
    extract = privacy.register_extract(rich["person"], actor=ACTOR)
    # then: every column of the person, except the internal ones, is in it
    fields = {row["field"] for row in extract["person"]}
    expected = {f.name for f in Person._meta.concrete_fields} - privacy.EXTRACT_SKIPPED_FIELDS
    assert expected <= fields
    assert "identity_number" in fields
    values = {row["field"]: row["value"] for row in extract["person"]}
    assert values["identity_number"] == PERSONNUMMER
    assert values["identity_number_masked"] == rich["person"].identity_number_masked
    assert values["first_name"] == "Sara"
    assert values["status"] == MemberStatus.INACTIVE.label
    assert values["membership_type"] == "Ordinarie"
    assert values["user"] == "sara.svensson@example.se"
    assert values["household"] == "Familjen Svensson"
    assert values["photo"].endswith(".png")
    assert values["gender"] == Gender.FEMALE.label
    assert values["birth_date"] == "1985-03-12"


def test_extract_has_every_section(org: Organisation, rich: dict[str, Any]) -> None:
    extract = privacy.register_extract(rich["person"], actor=ACTOR)
    assert extract["household"]["name"] == "Familjen Svensson"
    assert extract["wards"] == [
        {"name": "Lisa Svensson", "member_number": rich["child"].member_number}
    ]
    assert extract["guardians"] == []
    assert [g["group"] for g in extract["groups"]] == ["Kör"]
    assert extract["tags"] == ["Styrelse"]
    assert extract["custom_fields"] == [{"field": "Allergi", "value": "Jordnötter"}]
    assert len(extract["consents"]) == 2  # the withdrawn one is history, and stays
    assert [c["in_force"] for c in extract["consents"]] == [False, True]
    assert extract["consents"][0]["given_recorded_by"] == "sara.svensson@example.se"
    assert [s["to"] for s in extract["status_history"]] == [
        MemberStatus.ACTIVE.label,
        MemberStatus.INACTIVE.label,
    ]
    assert extract["notes"][0]["text"] == "Sara Svensson ringde om allergin."
    assert extract["notes"][0]["attachments"][0]["name"] == "intyg.pdf"
    assert extract["logins"][0]["email"] == "sara.svensson@example.se"
    actions = {event["action"] for event in extract["audit_events"]}
    assert {"members.note.added", "members.status.changed", "members.privacy.extract"} <= actions


def test_extract_is_json_serialisable_and_audited(org: Organisation, rich: dict[str, Any]) -> None:
    extract = privacy.register_extract(rich["person"], actor=ACTOR, output="pdf")
    assert json.loads(json.dumps(extract)) == extract
    event = AuditEvent.objects.get(action="members.privacy.extract")
    assert event.person_id == rich["person"].pk
    assert event.changes == {"format": "pdf"}


def test_extract_leaves_out_the_logins_events_in_other_associations(
    org: Organisation, rich: dict[str, Any]
) -> None:
    with scopes_disabled():
        other = OrganisationFactory()
    from forening.core import audit

    audit.record(ACTOR, "core.role.granted", other, subject_user=rich["user"], role="admin")
    audit.record(ACTOR, "core.login.succeeded", None, subject_user=rich["user"])
    extract = privacy.register_extract(rich["person"], actor=ACTOR)
    actions = [event["action"] for event in extract["audit_events"]]
    assert "core.login.succeeded" in actions
    assert "core.role.granted" not in actions


# --- anonymisation -----------------------------------------------------------------------


def test_anonymise_removes_personal_data_and_keeps_the_bookkeeping(
    org: Organisation, rich: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    # given
    person = rich["person"]
    number, joined = person.member_number, person.joined_on
    photo_path = Path(person.photo.path)
    attachment_path = Path(NoteAttachment.objects.get(note=rich["note"]).file.path)
    assert photo_path.exists()
    assert attachment_path.exists()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = privacy.anonymise_person(person, actor=ACTOR, reason="Begäran")
    # then: removed
    person = Person.objects.get(pk=person.pk)
    assert result.pk == person.pk
    assert person.first_name == privacy.anonymised_label(org)
    assert person.last_name == ""
    for name in ("email", "email_secondary", "phone", "street", "postal_code", "city"):
        assert getattr(person, name) == "", name
    assert person.care_of == ""
    assert person.identity_number_ciphertext == ""
    assert person.identity_number_index == ""
    assert person.identity_number_masked == ""
    assert not person.photo
    assert not photo_path.exists()
    assert not attachment_path.exists()
    assert person.user_id is None
    assert person.household_id is None
    assert person.anonymised_at is not None
    assert not AttributeValue.objects.filter(person=person).exists()
    assert not Tagging.objects.filter(person=person).exists()
    assert not Guardianship.objects.filter(guardian=person).exists()
    note = Note.objects.get(pk=rich["note"].pk)
    assert note.body == ""
    assert "Sara" not in note.subject
    assert not NoteAttachment.objects.filter(note=note).exists()
    # kept
    assert person.member_number == number
    assert person.joined_on == joined
    assert person.left_on == dt.date(2020, 6, 30)
    assert person.status == MemberStatus.INACTIVE
    assert person.membership_type == rich["membership_type"]
    assert person.birth_date == dt.date(1985, 1, 1)
    assert person.gender == Gender.FEMALE
    assert StatusChange.objects.filter(person=person).count() == 2
    assert GroupMembership.objects.filter(person=person, group=rich["group"]).exists()
    consents = Consent.objects.filter(person=person)
    assert consents.count() == 2
    assert set(consents.values_list("given_by_label", flat=True)) == {""}
    assert User.objects.filter(pk=rich["user"].pk).exists()  # the login may be used elsewhere


def test_anonymised_person_is_found_by_member_number_only(
    org: Organisation, rich: dict[str, Any]
) -> None:
    # given
    person = rich["person"]
    assert _find(org, "Svensson sara")
    assert services.find_by_identity_number(org, PERSONNUMMER) == person
    # when
    privacy.anonymise_person(person, actor=ACTOR, reason="Begäran")
    # then
    assert person not in _find(org, "Sara")
    assert person not in _find(org, "svensson")
    assert person not in _find(org, "sara.svensson@example.se")
    assert person not in _find(org, "0701234567")
    assert person not in _find(org, PERSONNUMMER)
    assert services.find_by_identity_number(org, PERSONNUMMER) is None
    assert _find(org, str(person.member_number)) == [Person.objects.get(pk=person.pk)]


def test_anonymise_redacts_the_audit_log(org: Organisation, rich: dict[str, Any]) -> None:
    # given
    person = rich["person"]
    events = AuditEvent.objects.filter(person=person)
    assert any("Svensson" in json.dumps(e.changes) + e.object_repr for e in events)
    ward_events = AuditEvent.objects.filter(person=rich["child"], action="members.guardian.added")
    assert ward_events.get().changes["guardian"] == "Sara Svensson"
    # when
    privacy.anonymise_person(person, actor=ACTOR, reason="Begäran om radering")
    # then: nothing personal left in the person's events or the child's
    secrets = ["Sara", "Svensson", "sara.svensson", "Storgatan", "46701234567", "Jordnötter"]
    for event in AuditEvent.objects.filter(organisation=org):
        if event.person_id == rich["child"].pk:
            # The child's own name is the child's; the guardian's name in it is not.
            text = json.dumps(event.changes.get("guardian"), ensure_ascii=False)
        else:
            text = json.dumps(event.changes, ensure_ascii=False) + event.object_repr
        for secret in secrets:
            assert secret not in text, (event.action, secret, text)
    # the events stay, with their keys, actors and times
    status = AuditEvent.objects.filter(person=person, action="members.status.changed").get()
    assert status.changes["status"] == ["active", "inactive"]
    email_change = AuditEvent.objects.filter(
        person=person, action="core.person.created", changes__has_key="email"
    ).get()
    assert email_change.changes["email"] == [None, None]
    anonymised = AuditEvent.objects.get(action="members.privacy.anonymised")
    assert anonymised.person_id == person.pk
    assert anonymised.changes == {"reason": "Begäran om radering"}
    # and the log is still append-only for everything else
    with pytest.raises(ValueError, match="append-only"):
        anonymised.save()


def test_anonymise_refuses_active_members_and_applicants(org: Organisation) -> None:
    active = make_member(org, first_name="Aktiv", email="aktiv@example.se")
    applicant = make_member(org, status=MemberStatus.APPLIED, first_name="Sökande")
    before = AuditEvent.objects.count()
    with pytest.raises(RegisterError, match="inactive"):
        privacy.anonymise_person(active, actor=ACTOR, reason="x")
    with pytest.raises(RegisterError, match="reject"):
        privacy.anonymise_person(applicant, actor=ACTOR, reason="x")
    active.refresh_from_db()
    assert active.email == "aktiv@example.se"
    assert active.anonymised_at is None
    assert AuditEvent.objects.count() == before


def test_anonymise_needs_a_reason(org: Organisation) -> None:
    person = _end(make_member(org))
    with pytest.raises(RegisterError):
        privacy.anonymise_person(person, actor=ACTOR, reason="  ")
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_anonymise_contacts_and_the_deceased(org: Organisation) -> None:
    contact = make_member(org, status=MemberStatus.CONTACT, email="kund@example.se")
    dead = services.change_status(
        make_member(org), MemberStatus.DECEASED, actor=ACTOR, reason="Avliden"
    )
    people = privacy.anonymise_people(org, [contact.pk, dead.pk], actor=ACTOR, reason="Rensning")
    assert {p.pk for p in people} == {contact.pk, dead.pk}


def test_anonymise_is_idempotent(org: Organisation, rich: dict[str, Any]) -> None:
    first = privacy.anonymise_person(rich["person"], actor=ACTOR, reason="Begäran")
    count = AuditEvent.objects.count()
    second = privacy.anonymise_person(
        Person.objects.get(pk=rich["person"].pk), actor=ACTOR, reason="Igen"
    )
    assert second.anonymised_at == first.anonymised_at
    assert AuditEvent.objects.count() == count
    assert privacy.anonymise_people(org, [first.pk], actor=ACTOR, reason="Igen") == []


def test_anonymised_record_is_read_only(org: Organisation, rich: dict[str, Any]) -> None:
    person = privacy.anonymise_person(rich["person"], actor=ACTOR, reason="Begäran")
    with pytest.raises(RegisterError):
        services.update_person(person, actor=ACTOR, first_name="Sara")
    with pytest.raises(RegisterError):
        services.change_status(person, MemberStatus.ACTIVE, actor=ACTOR)


def test_household_left_empty_is_anonymised(org: Organisation, rich: dict[str, Any]) -> None:
    household = rich["household"]
    privacy.anonymise_person(rich["person"], actor=ACTOR, reason="Begäran")
    household.refresh_from_db()
    assert household.name == privacy.anonymised_label(org)
    assert household.street == ""
    assert household.city == ""
    assert household.payer_id is None
    for event in AuditEvent.objects.filter(
        object_type="households.household", object_id=str(household.pk)
    ):
        assert "Svensson" not in json.dumps(event.changes) + event.object_repr


def test_household_payer_passes_to_an_adult_who_stays(org: Organisation) -> None:
    # given
    leaving = make_member(org, identity_number=PERSONNUMMER)
    staying = make_member(org, identity_number=PERSONNUMMER_MALE)
    child = make_member(org, birth_date=dt.date(2018, 1, 1))
    household = household_services.create_household(
        org, actor=ACTOR, name="Familjen Berg", people=[leaving, staying, child], street="Ån 1"
    )
    household_services.update_household(
        household, actor=ACTOR, payer=Person.objects.get(pk=leaving.pk)
    )
    _end(Person.objects.get(pk=leaving.pk))
    # when
    privacy.anonymise_person(Person.objects.get(pk=leaving.pk), actor=ACTOR, reason="Begäran")
    # then
    household.refresh_from_db()
    assert household.name == "Familjen Berg"
    assert household.payer_id == staying.pk
    assert set(Person.objects.filter(household=household).values_list("pk", flat=True)) == {
        staying.pk,
        child.pk,
    }


def test_anonymise_is_scoped_to_the_association(org: Organisation) -> None:
    with scopes_disabled():
        other = OrganisationFactory()
    with scope(organisation=other.pk):
        stranger = _end(make_member(other, first_name="Främling"))
    assert privacy.anonymise_people(org, [stranger.pk], actor=ACTOR, reason="x") == []
    with scopes_disabled():
        stranger.refresh_from_db()
    assert stranger.first_name == "Främling"
    assert stranger.anonymised_at is None


def test_organisation_member_is_anonymised(org: Organisation) -> None:
    company = make_member(
        org,
        kind="organisation",
        first_name="",
        last_name="",
        organisation_name="Bygg AB",
        organisation_number="556036-0793",
        contact_name="Per Persson",
    )
    _end(company)
    person = privacy.anonymise_person(
        Person.objects.get(pk=company.pk), actor=ACTOR, reason="Begäran"
    )
    assert person.organisation_name == privacy.anonymised_label(org)
    assert person.organisation_number == ""
    assert person.contact_name == ""


# --- retention ----------------------------------------------------------------------------------


@pytest.fixture
def former(org: Organisation) -> dict[str, Person]:
    """Former members who left at different times, and some who must never be touched."""
    return {
        "long_ago": _end(make_member(org, first_name="Gammal"), on=dt.date(2015, 3, 1)),
        "recently": _end(make_member(org, first_name="Nyligen"), on=dt.date(2024, 6, 1)),
        "active": make_member(org, first_name="Aktiv"),
        "rejected": services.change_status(
            make_member(org, status=MemberStatus.APPLIED, first_name="Nekad"),
            MemberStatus.REJECTED,
            actor=ACTOR,
            on=dt.date(2016, 1, 1),
        ),
        "dead": services.change_status(
            make_member(org, first_name="Död"),
            MemberStatus.DECEASED,
            actor=ACTOR,
            on=dt.date(2010, 1, 1),
            reason="Avliden",
        ),
    }


TODAY = dt.date(2026, 3, 1)


def test_no_rule_means_no_candidates(org: Organisation, former: dict[str, Person]) -> None:
    assert org.retention_years is None
    assert not privacy.retention_candidates(org, TODAY).exists()
    report = privacy.apply_retention(org, actor=ACTOR, dry_run=False, today=TODAY)
    assert report.count == 0
    assert not AuditEvent.objects.filter(action="members.privacy.anonymised").exists()


def test_retention_candidates(org: Organisation, former: dict[str, Person]) -> None:
    org.retention_years = 5
    candidates = list(privacy.retention_candidates(org, TODAY))
    assert candidates == [former["long_ago"], former["rejected"]]
    assert candidates[0].left_date == dt.date(2015, 3, 1)  # type: ignore[attr-defined]
    # rejected applicants have no leave date: the date of the status counts
    assert candidates[1].left_date == dt.date(2016, 1, 1)  # type: ignore[attr-defined]
    org.retention_years = 1
    assert former["recently"] in privacy.retention_candidates(org, TODAY)


def test_retention_counts_more_than_n_years(org: Organisation) -> None:
    org.retention_years = 3
    exactly = _end(make_member(org), on=dt.date(2023, 3, 1))
    day_more = _end(make_member(org), on=dt.date(2023, 2, 28))
    assert list(privacy.retention_candidates(org, TODAY)) == [day_more]
    assert exactly.pk not in {p.pk for p in privacy.retention_candidates(org, TODAY)}
    assert privacy.retention_cutoff(dt.date(2024, 2, 29), 1) == dt.date(2023, 2, 28)


def test_dry_run_changes_nothing(org: Organisation, former: dict[str, Person]) -> None:
    org.retention_years = 5
    org.save()
    events = AuditEvent.objects.count()
    report = privacy.apply_retention(org, actor=ACTOR, dry_run=True, today=TODAY)
    assert report.dry_run
    assert report.count == 2
    assert [row.name for row in report.people] == [
        "Gammal " + former["long_ago"].last_name,
        "Nekad " + former["rejected"].last_name,
    ]
    assert [row.left_on for row in report.people] == [dt.date(2015, 3, 1), dt.date(2016, 1, 1)]
    assert AuditEvent.objects.count() == events
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()


def test_apply_retention_anonymises_and_is_idempotent(
    org: Organisation, former: dict[str, Person]
) -> None:
    org.retention_years = 5
    org.save()
    # when
    report = privacy.apply_retention(org, actor=ACTOR, dry_run=False, today=TODAY)
    # then
    assert report.count == 2
    assert all(row.name == "" for row in report.people)
    anonymised = set(
        Person.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)
    )
    assert anonymised == {former["long_ago"].pk, former["rejected"].pk}
    applied = AuditEvent.objects.get(action="members.retention.applied")
    assert applied.changes["people"] == 2
    assert applied.changes["years"] == 5
    reasons = AuditEvent.objects.filter(action="members.privacy.anonymised").values_list(
        "changes__reason", flat=True
    )
    assert all("5" in reason for reason in reasons)
    # a second run finds nobody and records nothing
    again = privacy.apply_retention(org, actor=ACTOR, dry_run=False, today=TODAY)
    assert again.count == 0
    assert AuditEvent.objects.filter(action="members.retention.applied").count() == 1


def test_apply_retention_is_set_wise(org: Organisation, django_assert_max_num_queries: Any) -> None:
    org.retention_years = 2
    org.save()
    tag = TagFactory(organisation=org)
    allergy = AttributeDefinition.objects.create(
        organisation=org, name="Allergi", kind=AttributeKind.TEXT
    )
    people = [
        make_member(org, attributes={allergy.pk: "Pollen"}, email=f"p{i}@example.se")
        for i in range(30)
    ]
    services.tag_people(org, [p.pk for p in people], tag, actor=ACTOR)
    services.change_status_many(
        org,
        [p.pk for p in people],
        MemberStatus.INACTIVE,
        actor=ACTOR,
        on=dt.date(2020, 1, 1),
        reason="Slutat",
    )
    with django_assert_max_num_queries(40):
        report = privacy.apply_retention(org, actor=ACTOR, dry_run=False, today=TODAY)
    assert report.count == 30
    assert (
        not Person.objects.filter(email__startswith="p", organisation=org)
        .exclude(email="")
        .exists()
    )


# --- the apply-retention command ----------------------------------------------------------


def _command(*args: str) -> str:
    out = StringIO()
    call_command("apply-retention", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_and_apply(db: Any) -> None:
    with scopes_disabled():
        org = OrganisationFactory(slug="ik-gammal", retention_years=2)
    with scope(organisation=org.pk):
        person = _end(make_member(org, first_name="Gamla"), on=dt.date(2019, 1, 1))
    # dry run
    output = _command("--org", "ik-gammal", "--dry-run")
    assert "1 former members would be anonymised" in output
    assert "Gamla" in output
    with scopes_disabled():
        assert Person.objects.get(pk=person.pk).anonymised_at is None
    # apply, twice
    assert "ik-gammal: 1 former members anonymised" in _command("--org", "ik-gammal")
    assert "ik-gammal: 0 former members anonymised" in _command("--org", "ik-gammal")
    with scopes_disabled():
        assert Person.objects.get(pk=person.pk).anonymised_at is not None


def test_command_all_covers_only_associations_with_a_rule(db: Any) -> None:
    with scopes_disabled():
        with_rule = OrganisationFactory(slug="med-regel", retention_years=1)
        without = OrganisationFactory(slug="utan-regel")
    for organisation in (with_rule, without):
        with scope(organisation=organisation.pk):
            _end(make_member(organisation), on=dt.date(2019, 1, 1))
    output = _command("--all")
    assert "med-regel: 1" in output
    assert "utan-regel" not in output
    with scopes_disabled():
        assert Person.objects.filter(organisation=without, anonymised_at__isnull=True).count() == 1


def test_command_all_also_deletes_uploads_left_unimported_for_a_day(db: Any) -> None:
    with scopes_disabled():
        organisation = OrganisationFactory(slug="uppladdat")
        stale = MemberImport.objects.create(organisation=organisation, original_name="m.csv")
        MemberImport.objects.filter(pk=stale.pk).update(
            created_at=timezone.now() - dt.timedelta(days=2)
        )
    assert "1 unimported uploads older than a day would be deleted" in _command(
        "--all", "--dry-run"
    )
    assert "1 unimported uploads older than a day deleted" in _command("--all")
    assert "0 unimported uploads older than a day deleted" in _command("--all")
    with scopes_disabled():
        assert MemberImport.objects.get(pk=stale.pk).status == ImportStatus.DISCARDED


def test_command_errors(db: Any) -> None:
    with scopes_disabled():
        OrganisationFactory(slug="ingen-regel")
    with pytest.raises(CommandError, match="no retention rule"):
        _command("--org", "ingen-regel")
    with pytest.raises(CommandError, match="no organisation"):
        _command("--org", "finns-inte")
    with pytest.raises(CommandError):
        _command()


def test_anonymised_at_uses_now(org: Organisation) -> None:
    person = _end(make_member(org))
    before = timezone.now()
    result = privacy.anonymise_person(person, actor=ACTOR, reason="Begäran")
    assert result.anonymised_at is not None
    assert result.anonymised_at >= before
