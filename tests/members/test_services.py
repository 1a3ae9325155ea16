"""The register's write path (members/services.py): every rule of REG-01 … REG-06, REG-08
and GDPR-01 that the services enforce, and the audit rows they leave behind."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_scopes import scope

from forening.core import sequences
from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    NumberSequence,
    Person,
    PersonKind,
)
from forening.members import services
from forening.members.models import (
    AttributeKind,
    AttributeRequirement,
    AttributeValue,
    Consent,
    ConsentSource,
    MembershipKind,
    MembershipType,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from forening.members.services import RegisterError
from tests.factories.core import GroupFactory, OrganisationFactory, UserFactory
from tests.factories.members import (
    PERSONNUMMER,
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    HouseholdFactory,
    TagFactory,
    make_member,
)
from tests.factories.members import make_adult as adult
from tests.factories.members import make_child as child

pytestmark = pytest.mark.django_db

S = MemberStatus
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def user():
    return UserFactory(email="kansliet@example.se", full_name="Karin Kansli")


@pytest.fixture
def actor(user):
    return Actor(user=user, label=user.email)


@pytest.fixture
def types(org):
    """The five usual membership types, by kind."""
    return {t.kind: t for t in services.ensure_membership_types(org)}


def number_sequence(org) -> int:
    return sequences.peek(org, services.MEMBER_NUMBER_SEQUENCE)


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


# --- creating people ------------------------------------------------------------------


def test_members_get_numbers_from_the_association_sequence_without_gaps(org, actor):
    first = make_member(org, actor=actor)
    contact = make_member(org, actor=actor, status=S.CONTACT)
    applicant = make_member(org, actor=actor, status=S.APPLIED)
    second = make_member(org, actor=actor)

    assert (first.member_number, second.member_number) == (1, 2)
    # Contacts and applicants are not members yet: no number is used up for them.
    assert contact.member_number is None
    assert applicant.member_number is None
    services.change_status(applicant, S.ACTIVE, actor=actor)
    applicant.refresh_from_db()
    assert applicant.member_number == 3
    assert "3" in applicant.search_text.split()


def test_each_association_has_its_own_sequence(org, actor):
    make_member(org, actor=actor)
    make_member(org, actor=actor)
    other = OrganisationFactory(slug="andra")

    with scope(organisation=other.pk):
        assert make_member(other, actor=actor).member_number == 1
    assert make_member(org, actor=actor).member_number == 3


def test_a_typed_member_number_moves_the_sequence_past_it(org, actor):
    make_member(org, actor=actor)

    typed = make_member(org, actor=actor, member_number=100)
    after = make_member(org, actor=actor)
    # A lower free number may be typed too; the sequence does not go back.
    lower = make_member(org, actor=actor, member_number=50)
    last = make_member(org, actor=actor)

    assert typed.member_number == 100
    assert after.member_number == 101
    assert lower.member_number == 50
    assert last.member_number == 102


def test_a_member_number_in_use_is_refused(org, actor):
    make_member(org, actor=actor, first_name="Första")
    people = Person.objects.count()

    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, member_number=1)

    assert error.value.message_dict["member_number"] == ["This member number is already in use."]
    assert Person.objects.count() == people


def test_a_failed_creation_gives_its_member_number_back(org, actor):
    with pytest.raises(ValidationError):
        # Passes the field checks, fails the model's own validation after numbering.
        make_member(org, actor=actor, first_name="x" * 101)

    assert number_sequence(org) == 0
    assert make_member(org, actor=actor).member_number == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "anna.example.se"}, "email", "Enter an e-mail address such as"),
        ({"email_secondary": "anna@"}, "email_secondary", "Enter an e-mail address such as"),
        ({"phone": "ring mig"}, "phone", "This is not a valid phone number"),
        ({"phone_secondary": "12"}, "phone_secondary", "This is not a valid phone number"),
        ({"birth_date": dt.date(2999, 1, 1)}, "birth_date", "The date of birth is in the future"),
        ({"first_name": "", "last_name": ""}, "first_name", "Enter a first name or a last name"),
    ],
)
def test_bad_input_is_refused_per_field_and_nothing_is_written(org, actor, fields, field, message):
    fields = {"first_name": "Anna", "last_name": "Ek", **fields}

    with pytest.raises(ValidationError) as error:
        services.create_person(org, actor=actor, **fields)

    assert message in " ".join(error.value.message_dict[field])
    assert not Person.objects.exists()
    assert not StatusChange.objects.exists()
    assert number_sequence(org) == 0


def test_all_field_errors_come_at_once(org, actor):
    with pytest.raises(ValidationError) as error:
        services.create_person(
            org,
            actor=actor,
            first_name="Anna",
            email="utan-snabel-a",
            phone="inte ett nummer",
            birth_date=timezone.localdate() + dt.timedelta(days=1),
        )

    assert set(error.value.message_dict) == {"email", "phone", "birth_date"}


def test_fields_are_tidied(org, actor):
    person = services.create_person(
        org,
        actor=actor,
        first_name="  Anna ",
        last_name="Ek",
        email=" anna@example.se ",
        phone="070-123 45 67",
    )

    assert person.first_name == "Anna"
    assert person.email == "anna@example.se"
    assert person.phone == "+46701234567"
    assert person.status_since == person.joined_on == timezone.localdate()


def test_a_field_the_service_does_not_set_is_a_programming_error(org, actor):
    with pytest.raises(ValueError, match="status_since"):
        services.create_person(org, actor=actor, first_name="A", status_since=dt.date(2020, 1, 1))
    with pytest.raises(RegisterError, match="Unknown status"):
        services.create_person(org, actor=actor, first_name="A", status="member")


def test_an_organisation_member_needs_a_name_and_a_valid_organisation_number(org, actor, types):
    with pytest.raises(ValidationError) as error:
        services.create_person(org, actor=actor, kind=PersonKind.ORGANISATION)
    assert "organisation_name" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.create_person(
            org,
            actor=actor,
            kind=PersonKind.ORGANISATION,
            organisation_name="Bygg AB",
            organisation_number="556036-0794",
        )
    assert "organisation_number" in error.value.message_dict

    company = services.create_person(
        org,
        actor=actor,
        kind=PersonKind.ORGANISATION,
        organisation_name="Bygg AB",
        organisation_number="5560360793",
        contact_name="Per Bygg",
        membership_type=types[MembershipKind.SUPPORTING],
    )

    assert company.full_name == "Bygg AB"
    assert company.organisation_number == "556036-0793"
    assert company.member_number == 1


def test_new_members_get_the_ordinary_membership_type_and_contacts_none(org, actor, types):
    assert make_member(org, actor=actor).membership_type == types[MembershipKind.ORDINARY]
    assert make_member(org, actor=actor, status=S.CONTACT).membership_type is None
    honorary = make_member(org, actor=actor, membership_type=types[MembershipKind.HONORARY])
    assert honorary.membership_type == types[MembershipKind.HONORARY]


def test_a_membership_type_of_another_association_is_refused(org, actor):
    other = OrganisationFactory(slug="andra")
    foreign = MembershipType.objects.create(organisation=other, name="Främmande")

    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, membership_type=foreign)

    assert "membership_type" in error.value.message_dict


def test_required_custom_fields_depend_on_the_membership_type(org, actor, types):
    family = types[MembershipKind.FAMILY]
    allergy = AttributeDefinitionFactory(organisation=org, name="Allergier")
    AttributeRequirement.objects.create(organisation=org, attribute=allergy, membership_type=family)

    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, membership_type=family)
    assert error.value.message_dict[f"attribute_{allergy.pk}"] == [
        "Allergier is required for Familj members."
    ]
    with pytest.raises(ValidationError):
        make_member(org, actor=actor, membership_type=family, attributes={allergy.pk: "  "})
    assert not Person.objects.exists()

    # Not required for other types, nor for contacts.
    make_member(org, actor=actor)
    make_member(org, actor=actor, status=S.CONTACT, membership_type=family)
    person = make_member(
        org, actor=actor, membership_type=family, attributes={allergy.pk: "Nötter"}
    )
    assert services.attribute_values_of(person) == {allergy.pk: "Nötter"}

    # Clearing a required value later is refused too.
    with pytest.raises(ValidationError):
        services.update_person(person, actor=actor, attributes={allergy.pk: ""})
    assert services.attribute_values_of(person) == {allergy.pk: "Nötter"}
    # And so is moving someone without a value to a type that requires one.
    ordinary = make_member(org, actor=actor)
    with pytest.raises(ValidationError) as error:
        services.update_person(ordinary, actor=actor, membership_type=family)
    assert f"attribute_{allergy.pk}" in error.value.message_dict
    services.update_person(
        ordinary, actor=actor, membership_type=family, attributes={allergy.pk: "Gluten"}
    )


def test_custom_field_values_are_checked_stored_changed_and_removed(org, actor):
    size = AttributeDefinitionFactory(
        organisation=org,
        name="Tröjstorlek",
        kind=AttributeKind.CHOICE,
        options=[{"key": "s", "label": "S"}, {"key": "m", "label": "M"}],
    )
    course = AttributeDefinitionFactory(organisation=org, name="Kurs", kind=AttributeKind.DATE)

    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, attributes={size.pk: "XXL", course.pk: "31.2.2026"})
    assert set(error.value.message_dict) == {f"attribute_{size.pk}", f"attribute_{course.pk}"}
    assert not Person.objects.exists()

    person = make_member(org, actor=actor, attributes={size.pk: "m", course.pk: "15.3.2025"})
    assert services.attribute_values_of(person) == {size.pk: "m", course.pk: dt.date(2025, 3, 15)}

    services.update_person(person, actor=actor, attributes={size.pk: "S", course.pk: None})
    assert services.attribute_values_of(person) == {size.pk: "s"}
    assert AttributeValue.objects.filter(person=person).count() == 1

    other = OrganisationFactory(slug="andra")
    foreign = AttributeDefinitionFactory(organisation=other, name="Främmande")
    with pytest.raises(RegisterError, match="Unknown custom field"):
        services.update_person(person, actor=actor, attributes={foreign.pk: "x"})


# --- identity numbers -------------------------------------------------------------------


def test_an_identity_number_gives_the_birth_date_and_gender(org, actor):
    person = make_member(
        org, actor=actor, identity_number="850312-2387", birth_date=dt.date(1990, 1, 1)
    )

    assert person.birth_date == dt.date(1985, 3, 12)
    assert person.gender == "female"
    assert person.identity_number_masked == "19850312-****"
    assert services.decrypt_identity_number(person) == "19850312-2387"
    assert "2387" not in person.identity_number_ciphertext


def test_gender_is_left_alone_where_the_association_does_not_record_it(org, actor):
    org.records_gender = False
    org.save()

    person = make_member(org, actor=actor, identity_number=PERSONNUMMER)

    assert person.gender == ""
    assert person.birth_date == dt.date(1985, 3, 12)


def test_a_bad_identity_number_is_a_field_error(org, actor):
    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, identity_number="19850312-2388")

    assert "check digit" in error.value.message_dict["identity_number"][0]
    assert not Person.objects.exists()


def test_a_duplicate_identity_number_is_refused_with_the_other_persons_name(org, actor):
    make_member(org, actor=actor, first_name="Anna", last_name="Ek", identity_number=PERSONNUMMER)

    with pytest.raises(ValidationError) as error:
        make_member(org, actor=actor, first_name="Bo", identity_number="8503122387")

    assert error.value.message_dict["identity_number"] == [
        "Anna Ek (member number 1) already has this identity number."
    ]
    # Another association may register the same person.
    other = OrganisationFactory(slug="andra")
    with scope(organisation=other.pk):
        make_member(other, actor=actor, identity_number=PERSONNUMMER)


def test_an_identity_number_can_be_changed_and_removed(org, actor):
    person = make_member(org, actor=actor, identity_number=PERSONNUMMER)

    services.update_person(person, actor=actor, identity_number="19090527-1474")
    person.refresh_from_db()
    assert services.decrypt_identity_number(person) == "19090527-1474"
    assert services.find_by_identity_number(org, PERSONNUMMER) is None

    services.update_person(person, actor=actor, identity_number="")
    person.refresh_from_db()
    assert person.identity_number_ciphertext == person.identity_number_index == ""
    assert person.identity_number_masked == ""
    # None leaves it alone.
    services.update_person(person, actor=actor, identity_number=None, city="Lund")


def test_revealing_an_identity_number_is_audited_and_the_ciphertext_never_is(org, actor):
    person = make_member(org, actor=actor, identity_number=PERSONNUMMER)
    services.update_person(person, actor=actor, identity_number="19090527-1474")
    person.refresh_from_db()

    assert services.reveal_identity_number(person, actor=actor) == "19090527-1474"

    (reveal,) = events("members.identity_number.revealed")
    assert reveal.person_id == person.pk
    assert reveal.actor == actor.user
    everything = json.dumps([event.changes for event in AuditEvent.objects.all()])
    assert person.identity_number_ciphertext not in everything
    assert person.identity_number_index not in everything
    for plain in ("2387", "1474", "850312", "090527"):
        assert plain not in everything.replace("19850312-****", "").replace("19090527-****", "")
    # Nothing to reveal, nothing logged.
    bare = make_member(org, actor=actor)
    assert services.reveal_identity_number(bare, actor=actor) == ""
    assert len(events("members.identity_number.revealed")) == 1


def test_rotating_keys_re_encrypts_every_number_once(org, actor, settings):
    from forening.core import crypto

    settings.FORENING_ENCRYPTION_KEYS = f"old:{crypto.generate_key()}"
    crypto.keyring.cache_clear()
    person = make_member(org, actor=actor, identity_number=PERSONNUMMER)
    assert person.identity_number_ciphertext.startswith("v1:old:")

    old_key = settings.FORENING_ENCRYPTION_KEYS
    settings.FORENING_ENCRYPTION_KEYS = f"new:{crypto.generate_key()},{old_key}"
    crypto.keyring.cache_clear()

    assert services.reencrypt_identity_numbers(org) == 1
    assert services.reencrypt_identity_numbers(org) == 0
    person.refresh_from_db()
    assert person.identity_number_ciphertext.startswith("v1:new:")
    assert services.decrypt_identity_number(person) == "19850312-2387"
    assert services.find_by_identity_number(org, PERSONNUMMER) == person


# --- status -----------------------------------------------------------------------------

ALLOWED = {
    (S.CONTACT, S.APPLIED),
    (S.CONTACT, S.ACTIVE),
    (S.APPLIED, S.ACTIVE),
    (S.APPLIED, S.REJECTED),
    (S.REJECTED, S.APPLIED),
    (S.REJECTED, S.ACTIVE),
    (S.ACTIVE, S.INACTIVE),
    (S.ACTIVE, S.DECEASED),
    (S.INACTIVE, S.ACTIVE),
    (S.INACTIVE, S.DECEASED),
}
ALL_PAIRS = [(a, b) for a in S.values for b in S.values]


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
def test_status_transitions(org, actor, from_status, to_status):
    person = make_member(org, actor=actor, status=from_status)

    if (from_status, to_status) in ALLOWED:
        changed = services.change_status(person, to_status, actor=actor, reason="Flyttat")
        assert changed.status == to_status
        person.refresh_from_db()
        assert person.status == to_status
        assert person.status_changes.count() == 2
    else:
        with pytest.raises(RegisterError) as error:
            services.change_status(person, to_status, actor=actor, reason="Flyttat")
        person.refresh_from_db()
        assert person.status == from_status
        assert person.status_changes.count() == 1
        if from_status == to_status:
            assert "already" in str(error.value)
        elif from_status == S.DECEASED:
            assert str(error.value) == "A deceased person's status cannot be changed."
        else:
            assert "cannot go from" in str(error.value)


def test_ending_a_membership_needs_a_reason(org, actor):
    person = make_member(org, actor=actor)

    with pytest.raises(RegisterError, match="Give a reason"):
        services.change_status(person, S.INACTIVE, actor=actor, reason="   ")

    person.refresh_from_db()
    assert person.status == S.ACTIVE


def test_every_transition_is_in_the_history_with_who_when_and_why(org, actor):
    person = make_member(org, actor=actor, status=S.APPLIED, reason="Webbformulär")
    services.change_status(person, S.ACTIVE, actor=actor, on=dt.date(2025, 1, 10))
    services.change_status(
        person, S.INACTIVE, actor=actor, on=dt.date(2025, 12, 31), reason="Flyttat"
    )

    history = list(person.status_changes.order_by("pk"))

    assert [(h.from_status, h.to_status) for h in history] == [
        ("", S.APPLIED),
        (S.APPLIED, S.ACTIVE),
        (S.ACTIVE, S.INACTIVE),
    ]
    assert [h.reason for h in history] == ["Webbformulär", "", "Flyttat"]
    assert [h.effective_on for h in history[1:]] == [dt.date(2025, 1, 10), dt.date(2025, 12, 31)]
    assert all(h.changed_by == actor.user for h in history)
    assert all(h.changed_by_label == "kansliet@example.se" for h in history)
    person.refresh_from_db()
    assert person.left_on == dt.date(2025, 12, 31)
    assert person.leave_reason == "Flyttat"
    assert person.status_since == dt.date(2025, 12, 31)
    assert person.joined_on == dt.date(2025, 1, 10)


@pytest.mark.parametrize("status", [S.INACTIVE, S.DECEASED])
def test_former_members_and_the_deceased_are_read_only_except_their_status(org, actor, status):
    person = make_member(org, actor=actor, first_name="Gunnar", city="Ystad")
    services.change_status(person, status, actor=actor, reason="Slutat")

    with pytest.raises(RegisterError, match="read-only"):
        services.update_person(person, actor=actor, city="Malmö")

    person.refresh_from_db()
    assert person.city == "Ystad"


def test_coming_back_keeps_the_data_and_the_member_number(org, actor, types):
    person = make_member(
        org,
        actor=actor,
        first_name="Greta",
        email="greta@example.se",
        membership_type=types[MembershipKind.PASSIVE],
        joined_on=dt.date(2010, 5, 1),
    )
    make_member(org, actor=actor)
    services.change_status(person, S.INACTIVE, actor=actor, reason="Paus")

    services.change_status(person, S.ACTIVE, actor=actor)

    person.refresh_from_db()
    assert person.member_number == 1
    assert person.email == "greta@example.se"
    assert person.membership_type == types[MembershipKind.PASSIVE]
    assert person.joined_on == dt.date(2010, 5, 1)
    assert person.left_on is None
    assert person.leave_reason == ""
    assert number_sequence(org) == 2


def test_approving_gives_the_ordinary_type_to_someone_without_one(org, actor, types):
    contact = make_member(org, actor=actor, status=S.CONTACT)

    services.change_status(contact, S.ACTIVE, actor=actor)

    contact.refresh_from_db()
    assert contact.membership_type == types[MembershipKind.ORDINARY]
    assert contact.joined_on == timezone.localdate()


def people_in(org, actor, status, count):
    return [make_member(org, actor=actor, status=status) for _ in range(count)]


def test_many_at_once_changes_the_allowed_and_lists_the_refused(org, actor):
    applicants = people_in(org, actor, S.APPLIED, 3)
    deceased = make_member(org, actor=actor, status=S.DECEASED)
    stranger_org = OrganisationFactory(slug="andra")
    with scope(organisation=stranger_org.pk):
        stranger = make_member(stranger_org, actor=actor, status=S.APPLIED)

    result = services.change_status_many(
        org,
        [p.pk for p in applicants] + [deceased.pk, stranger.pk],
        S.ACTIVE,
        actor=actor,
    )

    assert [p.pk for p in result.changed] == [p.pk for p in applicants]
    assert [(p.pk, message) for p, message in result.refused] == [
        (deceased.pk, "A deceased person's status cannot be changed.")
    ]
    numbers = sorted(
        Person.objects.filter(pk__in=[p.pk for p in applicants]).values_list(
            "member_number", flat=True
        )
    )
    # The deceased one was numbered when created (1); the approved follow without gaps.
    assert numbers == [2, 3, 4]
    assert len(events("members.status.changed")) == 3
    with scope(organisation=stranger_org.pk):
        stranger.refresh_from_db()
    assert stranger.status == S.APPLIED


def test_many_at_once_can_be_all_or_nothing(org, actor):
    applicants = people_in(org, actor, S.APPLIED, 2)
    active = make_member(org, actor=actor)

    with pytest.raises(RegisterError, match="already"):
        services.change_status_many(
            org, [p.pk for p in [*applicants, active]], S.ACTIVE, actor=actor, skip_refused=False
        )

    assert set(Person.objects.values_list("status", flat=True)) == {S.APPLIED, S.ACTIVE}
    assert Person.objects.filter(status=S.ACTIVE).count() == 1


def test_many_at_once_uses_the_same_number_of_queries_for_any_number_of_people(org, actor):
    make_member(org, actor=actor)  # the number sequence exists
    few = people_in(org, actor, S.APPLIED, 3)
    many = people_in(org, actor, S.APPLIED, 40)

    def queries(people):
        with CaptureQueriesContext(connection) as captured:
            result = services.change_status_many(org, [p.pk for p in people], S.ACTIVE, actor=actor)
        assert len(result.changed) == len(people)
        return len(captured)

    assert queries(few) == queries(many)


def test_an_unknown_status_is_refused(org, actor):
    person = make_member(org, actor=actor)

    with pytest.raises(RegisterError, match="Unknown status"):
        services.change_status(person, "expelled", actor=actor)


# --- households and guardians ---------------------------------------------------------


def test_a_person_created_into_a_household_gets_its_address(org, actor):
    household = HouseholdFactory(organisation=org, street="Byvägen 3", city="Höör")

    person = make_member(org, actor=actor, household=household, street="Annanstans 9")

    assert person.household == household
    assert (person.street, person.city) == ("Byvägen 3", "Höör")


def test_guardians(org, actor):
    parent, kid = adult(org, actor, "Pia"), child(org, actor, "Kim")

    first = services.add_guardian(kid, parent, actor=actor)
    again = services.add_guardian(kid, parent, actor=actor)

    assert first == again
    assert list(kid.guardianships.values_list("guardian", flat=True)) == [parent.pk]
    with pytest.raises(RegisterError, match="own guardian"):
        services.add_guardian(kid, kid, actor=actor)
    other = OrganisationFactory(slug="andra")
    with scope(organisation=other.pk):
        stranger = make_member(other, actor=actor)
    with pytest.raises(RegisterError, match="in this association"):
        services.add_guardian(kid, stranger, actor=actor)

    services.remove_guardian(first, actor=actor)

    assert not Guardianship.objects.exists()
    assert [e.changes["guardian"] for e in events("members.guardian.added")] == [
        parent.full_name,
        parent.full_name,
    ]
    assert events("members.guardian.removed")[0].person_id == kid.pk


# --- groups and tags --------------------------------------------------------------------


def test_people_are_added_to_groups_with_a_role_set_wise(org, actor):
    group = GroupFactory(organisation=org, name="P2015")
    players = [make_member(org, actor=actor) for _ in range(3)]
    coach = make_member(org, actor=actor)

    assert services.add_to_group(org, [p.pk for p in players[:2]], group, actor=actor) == 2
    assert (
        services.add_to_group(org, [p.pk for p in players], group, actor=actor, role="leader") == 1
    )
    assert services.add_to_group(org, [coach.pk], group, actor=actor, role=GroupRole.LEADER) == 1

    roles = dict(GroupMembership.objects.filter(group=group).values_list("person_id", "role"))
    # Those already in the group keep their role.
    assert roles == {
        players[0].pk: GroupRole.PARTICIPANT,
        players[1].pk: GroupRole.PARTICIPANT,
        players[2].pk: GroupRole.LEADER,
        coach.pk: GroupRole.LEADER,
    }
    assert len(events("members.group.added")) == 4

    membership = GroupMembership.objects.get(group=group, person=players[0])
    services.set_group_role(membership, GroupRole.ASSISTANT, actor=actor)
    membership.refresh_from_db()
    assert membership.role == GroupRole.ASSISTANT
    with pytest.raises(RegisterError, match="Unknown role"):
        services.set_group_role(membership, "captain", actor=actor)
    with pytest.raises(RegisterError, match="Unknown role"):
        services.add_to_group(org, [coach.pk], group, actor=actor, role="captain")

    services.remove_from_group(membership, actor=actor)
    assert GroupMembership.objects.filter(group=group).count() == 3


def test_groups_and_people_of_other_associations_are_not_mixed_in(org, actor):
    other = OrganisationFactory(slug="andra")
    foreign_group = GroupFactory(organisation=other)
    with scope(organisation=other.pk):
        stranger = make_member(other, actor=actor)
    group = GroupFactory(organisation=org)
    person = make_member(org, actor=actor)

    with pytest.raises(RegisterError, match="group in this association"):
        services.add_to_group(org, [person.pk], foreign_group, actor=actor)
    assert services.add_to_group(org, [person.pk, stranger.pk], group, actor=actor) == 1


def test_tags(org, actor):
    tag = services.get_or_create_tag(org, "  Styrelsen ", actor=actor)
    assert tag.name == "Styrelsen"
    assert services.get_or_create_tag(org, "styrelsen", actor=actor) == tag
    for bad in ("", "   ", "x" * 61):
        with pytest.raises(ValidationError):
            services.get_or_create_tag(org, bad, actor=actor)

    people = [make_member(org, actor=actor) for _ in range(3)]
    assert services.tag_people(org, [p.pk for p in people[:2]], tag, actor=actor) == 2
    assert services.tag_people(org, [p.pk for p in people], tag, actor=actor) == 1
    services.untag_person(people[0], tag, actor=actor)
    services.untag_person(people[0], tag, actor=actor)  # not tagged: nothing happens

    assert set(Tagging.objects.values_list("person_id", flat=True)) == {
        people[1].pk,
        people[2].pk,
    }
    assert len(events("members.tag.added")) == 3
    assert len(events("members.tag.removed")) == 1
    assert events("members.tag.created")

    other = OrganisationFactory(slug="andra")
    foreign = TagFactory(organisation=other)
    with pytest.raises(RegisterError, match="tag in this association"):
        services.tag_people(org, [people[0].pk], foreign, actor=actor)


# --- consents ---------------------------------------------------------------------------


def test_consent_given_withdrawn_and_given_again_keeps_the_history(org, actor):
    person = make_member(org, actor=actor)
    photos = ConsentPurposeFactory(organisation=org, name="Bilder på webbplatsen")

    first = services.give_consent(person, photos, actor=actor, source=ConsentSource.FORM)
    assert services.give_consent(person, photos, actor=actor) == first  # idempotent
    withdrawn = services.withdraw_consent(person, photos, actor=actor, source=ConsentSource.PORTAL)
    assert services.withdraw_consent(person, photos, actor=actor) is None
    again = services.give_consent(person, photos, actor=actor)

    rows = list(Consent.objects.filter(person=person).order_by("pk"))
    assert [row.pk for row in rows] == [first.pk, again.pk]
    assert withdrawn.pk == first.pk
    assert rows[0].given_source == ConsentSource.FORM
    assert rows[0].withdrawn_source == ConsentSource.PORTAL
    assert rows[0].withdrawn_at is not None
    assert rows[0].withdrawn_by_label == "kansliet@example.se"
    assert rows[1].is_active
    assert rows[1].given_source == ConsentSource.OFFICE
    assert len(events("members.consent.given")) == 2
    assert len(events("members.consent.withdrawn")) == 1
    assert events("members.consent.given")[0].changes["source"] == "form"


def test_a_consent_purpose_of_another_association_is_refused(org, actor):
    other = OrganisationFactory(slug="andra")
    purpose = ConsentPurposeFactory(organisation=other)
    person = make_member(org, actor=actor)

    with pytest.raises(RegisterError):
        services.give_consent(person, purpose, actor=actor)


# --- notes and attachments --------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_note_with_attachments_is_stored_through_the_storage_api(org, actor, media):
    person = make_member(org, actor=actor)
    files = [
        SimpleUploadedFile("Ansökan.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("kvitto.PNG", PNG, content_type="image/png"),
        SimpleUploadedFile("samtal.txt", b"Ringde om avgiften.", content_type="text/plain"),
    ]

    note = services.add_note(
        person,
        actor=actor,
        subject=" Telefonsamtal ",
        body="Om avgiften",
        kind="phone",
        files=files,
    )

    assert note.subject == "Telefonsamtal"
    assert note.created_by == actor.user
    attachments = list(note.attachments.order_by("pk"))
    assert [(a.original_name, a.content_type) for a in attachments] == [
        ("Ansökan.pdf", "application/pdf"),
        ("kvitto.PNG", "image/png"),
        ("samtal.txt", "text/plain"),
    ]
    assert attachments[0].size == len(PDF)
    with attachments[0].file.open("rb") as stored:
        assert stored.read() == PDF
    # Stored under a random name, not the uploaded one.
    assert "Ansökan" not in attachments[0].file.name
    (event,) = events("members.note.added")
    assert event.changes == {"subject": "Telefonsamtal", "files": 3}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("faktura.pdf", b"MZ\x90\x00 this is an executable", "attach PDF"),
        ("bild.pdf", PNG, "attach PDF"),
        ("program.exe", b"MZ\x90\x00", "attach PDF"),
        ("utan-filandelse", PDF[:4] + b"x", "attach PDF"),
        ("binär.txt", b"text\x00\x01\x02", "attach PDF"),
        ("dokument.docx", b"not a zip", "attach PDF"),
    ],
)
def test_attachments_that_are_not_what_they_claim_are_refused(
    org, actor, media, name, content, message
):
    person = make_member(org, actor=actor)
    good = SimpleUploadedFile("ok.pdf", PDF)

    with pytest.raises(ValidationError) as error:
        services.add_note(
            person, actor=actor, subject="Brev", files=[good, SimpleUploadedFile(name, content)]
        )

    assert message in error.value.message_dict["attachments"][0]
    assert not Note.objects.exists()
    assert not NoteAttachment.objects.exists()
    assert not list(media.rglob("*.*"))


def test_attachments_over_the_size_limit_are_refused(org, actor, media, settings):
    settings.FORENING_MAX_ATTACHMENT_BYTES = 1024 * 1024
    person = make_member(org, actor=actor)
    big = SimpleUploadedFile("stor.pdf", PDF + b"0" * (1024 * 1024))

    with pytest.raises(ValidationError) as error:
        services.add_note(person, actor=actor, subject="Brev", files=[big])

    assert error.value.message_dict["attachments"] == ["stor.pdf is larger than 1 MB."]
    assert not Note.objects.exists()


def test_office_documents_and_mails_are_accepted(org, actor, media):
    person = make_member(org, actor=actor)
    files = [
        SimpleUploadedFile("avtal.docx", b"PK\x03\x04 zip body"),
        SimpleUploadedFile("lista.xlsx", b"PK\x03\x04 zip body"),
        SimpleUploadedFile("brev.eml", b"From: a@example.se\r\nSubject: Hej\r\n\r\nText"),
        SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff\xe0 jpeg"),
    ]

    note = services.add_note(person, actor=actor, subject="Handlingar", files=files)

    assert [a.content_type for a in note.attachments.order_by("pk")] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "message/rfc822",
        "image/jpeg",
    ]


def test_a_note_needs_a_subject(org, actor):
    person = make_member(org, actor=actor)

    with pytest.raises(ValidationError) as error:
        services.add_note(person, actor=actor, subject="  ")

    assert "subject" in error.value.message_dict


# --- the audit trail --------------------------------------------------------------------


def test_creating_and_changing_a_person_is_in_the_audit_log_with_a_diff(org, actor):
    person = make_member(org, actor=actor, first_name="Anna", city="Lund")

    services.update_person(person, actor=actor, city="Malmö", phone="0701234567")

    (created,) = events("core.person.created")
    assert created.actor == actor.user
    assert created.changes["first_name"] == [None, "Anna"]
    (updated,) = events("core.person.updated")
    assert updated.person_id == person.pk
    assert updated.changes["city"] == ["Lund", "Malmö"]
    assert updated.changes["phone"] == ["", "+46701234567"]
    assert "search_text" not in updated.changes


def test_a_status_change_names_the_old_and_new_status(org, actor):
    person = make_member(org, actor=actor)

    services.change_status(person, S.INACTIVE, actor=actor, reason="Flyttat")

    (event,) = events("members.status.changed")
    assert event.person_id == person.pk
    assert event.actor == actor.user
    assert event.changes["status"] == [S.ACTIVE, S.INACTIVE]
    assert event.changes["reason"] == "Flyttat"


# --- the sequence helper ----------------------------------------------------------------


def test_sequences_take_consecutive_numbers_above_a_floor(org):
    with transaction.atomic():
        assert list(sequences.take(org, "invoice", 3)) == [1, 2, 3]
        assert list(sequences.take(org, "invoice", 2, floor=10)) == [11, 12]
        assert list(sequences.take(org, "invoice")) == [13]
        assert list(sequences.take(org, "invoice", 0)) == []
        assert list(sequences.take(org, "other")) == [1]
    assert sequences.peek(org, "invoice") == 13
    assert sequences.peek(org, "never-used") == 0


def test_a_rolled_back_transaction_gives_its_numbers_back(org):
    with transaction.atomic():
        sequences.take(org, "invoice", 5)
    try:
        with transaction.atomic():
            sequences.take(org, "invoice", 3)
            raise RuntimeError("boom")
    except RuntimeError:
        pass

    assert sequences.peek(org, "invoice") == 5
    assert NumberSequence.objects.filter(organisation=org).count() == 1


@pytest.mark.django_db(transaction=True)
def test_sequences_refuse_to_work_outside_a_transaction():
    organisation = OrganisationFactory()

    with pytest.raises(RuntimeError, match="inside a transaction"):
        sequences.take(organisation, "invoice")
