"""The member page and its forms: create and edit (with every kind of bad input), the
identity-number reveal, status changes, the correspondence log and its attachments, groups,
tags, consents, guardians, households, escaping and the member page's query count."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django_scopes import scope, scopes_disabled
from PIL import Image

from forening.core.context import Actor
from forening.core.models import (
    AuditEvent,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Person,
    PersonKind,
)
from forening.households.models import Household
from forening.members import services
from forening.members.models import (
    AttributeKind,
    AttributeRequirement,
    AttributeValue,
    Consent,
    MembershipKind,
    Note,
    NoteAttachment,
    StatusChange,
    Tagging,
)
from tests.conftest import World
from tests.factories.core import GroupFactory
from tests.factories.members import (
    PERSONNUMMER,
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    HouseholdFactory,
    MembershipTypeFactory,
    TagFactory,
    make_member,
)

EVIL_FIRST = '<script>alert("x")</script>'
EVIL_LAST = 'O\'Brien "Quote" <b>fet</b>'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- helpers ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def person_url(world: World, name: str, person: Person, **kwargs: Any) -> str:
    return url(world, name, person_id=person.pk, **kwargs)


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def member(world: World, **fields: Any) -> Person:
    with scope(organisation=world.org.pk):
        return make_member(world.org, **fields)


def errors_of(response: Any, field: str, form: str = "form") -> list[str]:
    bound = response.context[form]
    errors = bound.non_field_errors() if field == "__all__" else bound.errors.get(field, [])
    with translation.override("en"):
        return [str(error) for error in errors]


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def person_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": "person",
        "first_name": "Astrid",
        "last_name": "Lindkvästare",
        "identity_number": "",
        "email": "astrid@example.se",
        "phone": "070-123 45 67",
        "street": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
        "status": "active",
        **overrides,
    }


def count(model: Any, **filters: Any) -> int:
    with scopes_disabled():
        return int(model.objects.filter(**filters).count())


def fresh(person: Person) -> Person:
    with scopes_disabled():
        return Person.objects.select_related("household", "membership_type").get(pk=person.pk)


def image_upload(name: str = "foto.png", fmt: str = "PNG") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#1f5f8b").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


# --- create -------------------------------------------------------------------------


def test_create_page_shows_every_field(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        AttributeDefinitionFactory(organisation=world.org, name="Allergi")
    response = admin_client.get(url(world, "member-create"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "kind",
        "first_name",
        "organisation_name",
        "organisation_number",
        "contact_name",
        "identity_number",
        "birth_date",
        "gender",
        "email_secondary",
        "phone_secondary",
        "care_of",
        "country",
        "language",
        "photo",
        "membership_type",
        "member_number",
        "joined_on",
        "status",
    ):
        assert f'name="{name}"' in html, name
    assert "Allergi" in html
    assert 'name="remove_identity_number"' not in html


def test_create_person_with_custom_fields(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        fields = {
            kind: AttributeDefinitionFactory(
                organisation=world.org,
                name=f"Fält {kind}",
                kind=kind,
                options=[{"key": "a", "label": "Alfa"}, {"key": "b", "label": "Beta"}]
                if kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE_CHOICE)
                else [],
            )
            for kind in AttributeKind.values
        }
    payload = person_payload(
        identity_number=PERSONNUMMER,
        email_secondary="astrid.privat@example.se",
        phone_secondary="08-123 456 78",
        care_of="Berg",
        language="en",
        member_number="",
        joined_on="15.3.2024",
        **{
            f"attribute_{fields['text'].pk}": "Nötter",
            f"attribute_{fields['number'].pk}": "42,5",
            f"attribute_{fields['date'].pk}": "2025-06-01",
            f"attribute_{fields['boolean'].pk}": "yes",
            f"attribute_{fields['choice'].pk}": "b",
            f"attribute_{fields['multiple'].pk}": ["a", "b"],
        },
    )
    response = admin_client.post(url(world, "member-create"), payload)
    assert response.status_code == 302, errors_of(response, "__all__")
    with scopes_disabled():
        person = Person.objects.get(organisation=world.org, last_name="Lindkvästare")
        values = services.attribute_values_of(person)
    assert response["Location"] == person_url(world, "member", person)
    assert person.phone == "+46701234567"
    assert person.identity_number_masked == "19850312-****"
    assert PERSONNUMMER not in person.identity_number_ciphertext
    assert person.birth_date == dt.date(1985, 3, 12)
    assert person.gender == "female"
    assert person.member_number is not None
    assert person.joined_on == dt.date(2024, 3, 15)
    assert person.care_of == "Berg"
    assert values[fields["text"].pk] == "Nötter"
    assert str(values[fields["number"].pk]) == "42.5"
    assert values[fields["date"].pk] == dt.date(2025, 6, 1)
    assert values[fields["boolean"].pk] is True
    assert values[fields["choice"].pk] == "b"
    assert values[fields["multiple"].pk] == ["a", "b"]
    assert count(StatusChange, person=person, to_status=MemberStatus.ACTIVE) == 1


def test_create_organisation_member(admin_client: Any, world: World) -> None:
    response = admin_client.post(
        url(world, "member-create"),
        {
            "kind": "organisation",
            "first_name": "ignored",
            "organisation_name": "Bygg & Måleri AB",
            "organisation_number": "5560360793",
            "contact_name": "Bo Ek",
            "email": "info@bygg.se",
            "status": "active",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        person = Person.objects.get(organisation=world.org, organisation_name="Bygg & Måleri AB")
    assert person.kind == PersonKind.ORGANISATION
    assert person.organisation_number == "556036-0793"
    assert person.contact_name == "Bo Ek"
    assert person.first_name == ""
    page = admin_client.get(person_url(world, "member", person)).content.decode()
    assert "Bygg &amp; Måleri AB" in page
    assert "556036-0793" in page


def test_create_applicant_and_contact(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        services.ensure_membership_types(world.org)
        ordinary = services.default_membership_type(world.org)
    admin_client.post(url(world, "member-create"), person_payload(status="applied"))
    admin_client.post(
        url(world, "member-create"),
        person_payload(last_name="Kontakt", status="contact", membership_type=ordinary.pk),
    )
    with scopes_disabled():
        applicant = Person.objects.get(last_name="Lindkvästare", email="astrid@example.se")
        contact = Person.objects.get(last_name="Kontakt")
    assert applicant.status == MemberStatus.APPLIED
    assert applicant.member_number is None
    assert contact.status == MemberStatus.CONTACT
    assert contact.membership_type is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("identity_number", "19850312-2388", "check digit"),
        ("identity_number", "12345", "YYYYMMDD-NNNN"),
        ("birth_date", "2023-02-30", "Enter a real date"),
        ("birth_date", "31.4.2020", "Enter a real date"),
        ("joined_on", "igår", "Enter a real date"),
        ("email", "astrid.example.se", "name@example.se"),
        ("email_secondary", "astrid@", "name@example.se"),
        ("phone", "ring mig", "not a valid phone number"),
        ("phone_secondary", "123", "not a valid phone number"),
        ("first_name", "", "first name or a last name"),
        ("member_number", "-3", "greater than or equal to 1"),
        ("status", "deceased", "valid choice"),
        ("membership_type", "999999", "valid choice"),
    ],
)
def test_create_refuses_bad_input(
    admin_client: Any, world: World, field: str, value: str, message: str
) -> None:
    before = count(Person, organisation=world.org)
    overrides = {field: value}
    if field == "first_name":
        overrides["last_name"] = ""
    response = admin_client.post(url(world, "member-create"), person_payload(**overrides))
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response, field)), errors_of(response, field)
    assert "Nothing has been saved" in response.content.decode()
    assert count(Person, organisation=world.org) == before


def test_create_reports_every_mistake_at_once(admin_client: Any, world: World) -> None:
    response = admin_client.post(
        url(world, "member-create"),
        person_payload(
            identity_number="19850312-2388",
            birth_date="2023-02-30",
            email="nope",
            phone="abc",
        ),
    )
    assert response.status_code == 200
    for field in ("identity_number", "birth_date", "email", "phone"):
        assert errors_of(response, field), field


def test_create_refuses_organisation_without_name_and_bad_org_number(
    admin_client: Any, world: World
) -> None:
    response = admin_client.post(
        url(world, "member-create"),
        {"kind": "organisation", "organisation_number": "1234", "status": "active"},
    )
    assert response.status_code == 200
    assert errors_of(response, "organisation_name") == ["Enter the organisation's name."]
    assert "organisation number" in errors_of(response, "organisation_number")[0]


def test_create_refuses_duplicate_identity_number(admin_client: Any, world: World) -> None:
    existing = member(world, identity_number=PERSONNUMMER)
    response = admin_client.post(
        url(world, "member-create"), person_payload(identity_number="850312-2387")
    )
    assert response.status_code == 200
    assert "already has this identity number" in errors_of(response, "identity_number")[0]
    assert existing.full_name in errors_of(response, "identity_number")[0]
    assert count(Person, organisation=world.org, last_name="Lindkvästare") == 0


def test_required_custom_field_depends_on_membership_type(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        services.ensure_membership_types(world.org)
        ordinary = services.default_membership_type(world.org)
        honorary = MembershipTypeFactory(
            organisation=world.org, name="Heders", kind=MembershipKind.HONORARY
        )
        licence = AttributeDefinitionFactory(organisation=world.org, name="Licensnummer")
        AttributeRequirement.objects.create(
            organisation=world.org, attribute=licence, membership_type=ordinary
        )
    field = f"attribute_{licence.pk}"

    page = admin_client.get(url(world, "member-create")).content.decode()
    assert f'data-required-for="{ordinary.pk}"' in page

    response = admin_client.post(
        url(world, "member-create"), person_payload(membership_type=ordinary.pk)
    )
    assert response.status_code == 200
    assert errors_of(response, field) == [f"Licensnummer is required for {ordinary} members."]
    assert count(Person, organisation=world.org, last_name="Lindkvästare") == 0

    # not required for another type, nor for a contact
    response = admin_client.post(
        url(world, "member-create"), person_payload(membership_type=honorary.pk)
    )
    assert response.status_code == 302
    response = admin_client.post(
        url(world, "member-create"),
        person_payload(last_name="Kontakt", status="contact", membership_type=ordinary.pk),
    )
    assert response.status_code == 302


def test_custom_field_values_are_checked(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        number = AttributeDefinitionFactory(
            organisation=world.org, name="Skonummer", kind=AttributeKind.NUMBER
        )
        day = AttributeDefinitionFactory(
            organisation=world.org, name="HLR-kurs", kind=AttributeKind.DATE
        )
        choice = AttributeDefinitionFactory(
            organisation=world.org,
            name="Storlek",
            kind=AttributeKind.CHOICE,
            options=[{"key": "s", "label": "S"}],
        )
    response = admin_client.post(
        url(world, "member-create"),
        person_payload(
            **{
                f"attribute_{number.pk}": "fyrtiotvå",
                f"attribute_{day.pk}": "2025-13-01",
                f"attribute_{choice.pk}": "xl",
            }
        ),
    )
    assert response.status_code == 200
    assert errors_of(response, f"attribute_{number.pk}") == ["Enter a number."]
    assert errors_of(response, f"attribute_{day.pk}") == ["Enter a real date, such as 2026-03-15."]
    assert "valid choice" in errors_of(response, f"attribute_{choice.pk}")[0]
    assert count(AttributeValue, organisation=world.org) == 0


def test_member_number_typed_by_hand_must_be_free(admin_client: Any, world: World) -> None:
    taken = member(world)
    response = admin_client.post(
        url(world, "member-create"), person_payload(member_number=taken.member_number)
    )
    assert response.status_code == 200
    assert errors_of(response, "member_number") == ["This member number is already in use."]
    response = admin_client.post(url(world, "member-create"), person_payload(member_number=500))
    assert response.status_code == 302
    with scopes_disabled():
        # a surname no Faker name shares, looked up by the number as well
        assert (
            Person.objects.get(organisation=world.org, member_number=500).last_name
            == "Lindkvästare"
        )


def test_photo_must_be_a_small_image(admin_client: Any, world: World, settings: Any) -> None:
    not_image = SimpleUploadedFile("foto.png", b"not an image", content_type="image/png")
    response = admin_client.post(
        url(world, "member-create"), {**person_payload(), "photo": not_image}
    )
    assert response.status_code == 200
    assert errors_of(response, "photo")
    gif = image_upload("foto.gif", "GIF")
    response = admin_client.post(url(world, "member-create"), {**person_payload(), "photo": gif})
    assert errors_of(response, "photo") == ["Upload the photo as a JPEG, PNG or WebP image."]
    response = admin_client.post(
        url(world, "member-create"), {**person_payload(), "photo": image_upload()}
    )
    assert response.status_code == 302
    person = fresh(Person(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1])))
    assert person.photo.name.startswith(f"photos/{world.org.pk}/")


# --- edit ---------------------------------------------------------------------------


def test_edit_shows_masked_number_and_keeps_it_when_empty(admin_client: Any, world: World) -> None:
    person = member(world, identity_number=PERSONNUMMER, email="a@example.se")
    page = admin_client.get(person_url(world, "member-edit", person)).content.decode()
    assert "19850312-****" in page
    assert PERSONNUMMER not in page
    assert 'name="remove_identity_number"' in page
    response = admin_client.post(
        person_url(world, "member-edit", person),
        {"kind": "person", "first_name": "Ny", "last_name": "Namn", "identity_number": ""},
    )
    assert response.status_code == 302
    changed = fresh(person)
    assert changed.full_name == "Ny Namn"
    assert changed.identity_number_masked == "19850312-****"
    assert changed.identity_number_index == person.identity_number_index


def test_edit_replaces_and_removes_identity_number(admin_client: Any, world: World) -> None:
    person = member(world, identity_number=PERSONNUMMER)
    base = {"kind": "person", "first_name": "Ny", "last_name": "Namn"}
    admin_client.post(
        person_url(world, "member-edit", person), {**base, "identity_number": "190905271474"}
    )
    assert fresh(person).identity_number_masked == "19090527-****"
    response = admin_client.post(
        person_url(world, "member-edit", person),
        {**base, "identity_number": "19850312-2387", "remove_identity_number": "on"},
    )
    assert "not both" in errors_of(response, "identity_number")[0]
    admin_client.post(
        person_url(world, "member-edit", person), {**base, "remove_identity_number": "on"}
    )
    removed = fresh(person)
    assert removed.identity_number_masked == ""
    assert removed.identity_number_ciphertext == ""


def test_edit_refuses_bad_input_and_writes_nothing(admin_client: Any, world: World) -> None:
    person = member(world, first_name="Gammal", email="gammal@example.se")
    response = admin_client.post(
        person_url(world, "member-edit", person),
        {"kind": "person", "first_name": "Ny", "email": "utan-snabel-a", "phone": "x"},
    )
    assert response.status_code == 200
    assert errors_of(response, "email")
    assert errors_of(response, "phone")
    assert fresh(person).first_name == "Gammal"


def test_edit_of_read_only_record_is_refused(admin_client: Any, world: World) -> None:
    person = member(world, first_name="Före", email="fore@example.se")
    with scope(organisation=world.org.pk):
        services.change_status(
            person, MemberStatus.INACTIVE, actor=Actor.system(), reason="Flyttat"
        )
    response = admin_client.get(person_url(world, "member-edit", person))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This record is read-only" in html
    assert person_url(world, "member-status", person) in html
    assert 'name="first_name"' not in html
    response = admin_client.post(
        person_url(world, "member-edit", person),
        {"kind": "person", "first_name": "Efter", "last_name": "X"},
    )
    assert response.status_code == 409
    assert fresh(person).first_name == "Före"
    # and the member page offers no edit controls, but the status form
    page = admin_client.get(person_url(world, "member", person)).content.decode()
    assert person_url(world, "member-edit", person) not in page
    assert person_url(world, "member-groups", person) not in page
    assert person_url(world, "member-note-add", person) not in page
    assert 'name="status"' in page


def test_edit_of_anonymised_record_is_refused(admin_client: Any, world: World) -> None:
    person = member(world, first_name="Anonym")
    with scopes_disabled():
        Person.objects.filter(pk=person.pk).update(anonymised_at=timezone.now())
    response = admin_client.get(person_url(world, "member-edit", person))
    assert "has been removed (anonymised)" in response.content.decode()


def test_edit_custom_field_and_address_moves_household(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        household = HouseholdFactory(organisation=world.org, street="Gamla vägen 1")
        attribute = AttributeDefinitionFactory(organisation=world.org, name="Allergi")
    person = member(world, household=household)
    partner = member(world, household=household)
    response = admin_client.post(
        person_url(world, "member-edit", person),
        {
            "kind": "person",
            "first_name": person.first_name,
            "last_name": person.last_name,
            "street": "Nya gatan 2",
            "postal_code": "222 33",
            "city": "Lund",
            f"attribute_{attribute.pk}": "Gluten",
        },
    )
    assert response.status_code == 302
    assert fresh(partner).street == "Nya gatan 2"
    with scopes_disabled():
        assert services.attribute_values_of(person) == {attribute.pk: "Gluten"}
    # clearing the field removes the value
    admin_client.post(
        person_url(world, "member-edit", person),
        {"kind": "person", "first_name": "A", "street": "Nya gatan 2", "city": "Lund"},
    )
    with scopes_disabled():
        assert services.attribute_values_of(person) == {}


def test_other_associations_person_is_404(admin_client: Any, world: World) -> None:
    stranger = world.stranger_person
    for name in ("member", "member-edit", "member-status", "member-household", "member-guardians"):
        assert admin_client.get(person_url(world, name, stranger)).status_code == 404, name
    response = admin_client.post(person_url(world, "member-reveal", stranger))
    assert response.status_code == 404


# --- escaping -------------------------------------------------------------------------


def test_names_with_markup_show_as_text_everywhere(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        household = HouseholdFactory(organisation=world.org, name=EVIL_LAST)
        group = GroupFactory(organisation=world.org, name=EVIL_FIRST)
        tag = TagFactory(organisation=world.org, name=EVIL_FIRST[:60])
        purpose = ConsentPurposeFactory(organisation=world.org, name=EVIL_LAST)
        AttributeDefinitionFactory(organisation=world.org, name=EVIL_FIRST)
    evil = member(
        world, first_name=EVIL_FIRST, last_name=EVIL_LAST, household=household, status="applied"
    )
    other = member(world, first_name="Vanlig", last_name=EVIL_LAST, household=household)
    with scope(organisation=world.org.pk):
        actor = Actor.system(EVIL_FIRST)
        services.add_to_group(world.org, [evil.pk], group, actor=actor)
        services.tag_people(world.org, [evil.pk], tag, actor=actor)
        services.give_consent(evil, purpose, actor=actor)
        services.add_guardian(evil, other, actor=actor)
        services.add_note(evil, actor=actor, subject=EVIL_FIRST, body=EVIL_LAST)
    pages = [
        person_url(world, "member", evil),
        person_url(world, "member", other),
        person_url(world, "member-edit", evil),
        person_url(world, "member-status", evil),
        person_url(world, "member-note-add", evil),
        person_url(world, "member-household", evil) + "?q=" + "Brien",
        person_url(world, "member-guardians", other) + "?q=script",
        url(world, "household", household_id=household.pk),
        url(world, "applications"),
    ]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        assert "<script>alert" not in html, page
        assert "<b>fet</b>" not in html, page
        assert escape(EVIL_FIRST) in html or escape(EVIL_LAST) in html, page


# --- the member page --------------------------------------------------------------------


def _rich_member(world: World, n: int, identity_number: str = "", prefix: str = "") -> Person:
    """A member with n groups, notes, consents, tags, custom fields and history rows."""
    with scopes_disabled():
        household = HouseholdFactory(organisation=world.org)
    person = member(world, identity_number=identity_number, household=household)
    others = [member(world, household=household) for _ in range(2)]
    with scope(organisation=world.org.pk):
        actor = Actor.system("test")
        for i in range(n):
            group = GroupFactory(organisation=world.org, name=f"{prefix}Lag {i}")
            services.add_to_group(world.org, [person.pk], group, actor=actor, role=GroupRole.LEADER)
            purpose = ConsentPurposeFactory(organisation=world.org, name=f"{prefix}Syfte {i}")
            services.give_consent(person, purpose, actor=actor)
            if i % 2:
                services.withdraw_consent(person, purpose, actor=actor)
            tag = TagFactory(organisation=world.org, name=f"{prefix}Tagg {i}")
            services.tag_people(world.org, [person.pk], tag, actor=actor)
            attribute = AttributeDefinitionFactory(organisation=world.org, name=f"{prefix}Fält {i}")
            services.update_person(person, actor=actor, attributes={attribute.pk: f"v{i}"})
            note = services.add_note(person, actor=actor, subject=f"{prefix}Brev {i}", body="Hej")
            NoteAttachment.objects.create(
                organisation=world.org,
                note=note,
                file=f"attachments/{world.org.pk}/x{i}",
                original_name=f"{prefix}brev{i}.pdf",
                content_type="application/pdf",
                size=100,
            )
        for other in others:
            services.add_guardian(person, other, actor=actor)
        services.add_guardian(others[0], person, actor=actor)
    return person


def _queries(client: Any, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_member_page_runs_a_constant_number_of_queries(
    admin_client: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    few = _rich_member(world, 1, prefix="few ")
    many = _rich_member(world, 12)
    admin_client.get(person_url(world, "member", few))  # warm the session and caches
    assert _queries(admin_client, person_url(world, "member", few)) == _queries(
        admin_client, person_url(world, "member", many)
    )
    # 25 for the register, 5 for the invoices and ledger section
    with django_assert_max_num_queries(30):
        response = admin_client.get(person_url(world, "member", many))
    html = response.content.decode()
    for text in ("Lag 11", "Syfte 11", "Tagg 11", "Fält 11", "v11", "Brev 11", "brev11.pdf"):
        assert text in html, text


def test_member_page_shows_everything(admin_client: Any, world: World) -> None:
    person = _rich_member(world, 2, identity_number=PERSONNUMMER)
    with scopes_disabled():
        person = Person.objects.get(pk=person.pk)
        household = person.household
    response = admin_client.get(person_url(world, "member", person))
    html = response.content.decode()
    assert escape(person.full_name) in html
    assert "19850312-****" in html
    assert PERSONNUMMER not in html
    assert str(person.member_number) in html
    assert household.name in html
    assert url(world, "household", household_id=household.pk) in html
    assert person_url(world, "member-household", person) in html
    assert person_url(world, "member-guardians", person) in html
    assert person_url(world, "member-extract", person) in html
    assert person_url(world, "member-anonymise", person) in html
    assert "Assistant leader" in html
    assert "Leader" in html
    assert "Withdrawn" in html
    assert "Given" in html
    assert "Office" in html  # the consent's source
    # the change history names fields in words
    assert "Change history" in html
    assert "First name" in html
    # the status form offers only the allowed next statuses
    form = response.context["status_form"]
    assert {value for value, _label in form.fields["status"].choices if value} == {
        MemberStatus.INACTIVE,
        MemberStatus.DECEASED,
    }


def test_member_page_for_members_and_leaders_is_forbidden(client: Any, world: World) -> None:
    person = member(world)
    for user in (world.member, world.leader):
        client.force_login(user)
        assert client.get(person_url(world, "member", person)).status_code == 403


# --- identity number ------------------------------------------------------------------


def test_reveal_shows_the_number_and_is_audited(admin_client: Any, world: World) -> None:
    person = member(world, identity_number=PERSONNUMMER)
    response = admin_client.post(person_url(world, "member-reveal", person))
    assert response.status_code == 200
    assert PERSONNUMMER in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    with scope(organisation=world.org.pk):
        events = AuditEvent.objects.filter(action="members.identity_number.revealed", person=person)
    assert events.count() == 1
    assert events.get().actor == world.admin
    # htmx gets only the fragment that replaces the masked number
    response = admin_client.post(person_url(world, "member-reveal", person), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<span id="identity-number"')
    assert "<html" not in html
    assert PERSONNUMMER in html
    assert events.count() == 2


def test_reveal_needs_post_and_the_right(client: Any, world: World) -> None:
    person = member(world, identity_number=PERSONNUMMER)
    client.force_login(world.admin)
    assert client.get(person_url(world, "member-reveal", person)).status_code == 405
    for user in (world.member, world.leader, world.outsider):
        client.force_login(user)
        response = client.post(person_url(world, "member-reveal", person))
        assert response.status_code in (403, 404)
        assert PERSONNUMMER not in response.content.decode()
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.identity_number.revealed").exists()


# --- status -------------------------------------------------------------------------


def test_status_change_with_history(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(
        person_url(world, "member-status", person),
        {"status": "inactive", "on": "2026-01-31", "reason": "Flyttat till Malmö"},
    )
    assert response.status_code == 302
    changed = fresh(person)
    assert changed.status == MemberStatus.INACTIVE
    assert changed.left_on == dt.date(2026, 1, 31)
    with scopes_disabled():
        change = StatusChange.objects.filter(person=person).first()
    assert change.reason == "Flyttat till Malmö"
    assert change.changed_by == world.admin
    page = admin_client.get(person_url(world, "member", person)).content.decode()
    assert "Flyttat till Malmö" in page
    # back to active without re-entering anything
    response = admin_client.post(
        person_url(world, "member-status", person), {"status": "active", "on": "2026-03-01"}
    )
    assert response.status_code == 302
    assert fresh(person).status == MemberStatus.ACTIVE
    assert fresh(person).member_number == person.member_number


def test_ending_a_membership_needs_a_reason(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(
        person_url(world, "member-status", person), {"status": "inactive", "on": "2026-01-31"}
    )
    assert response.status_code == 200
    assert errors_of(response, "reason") == ["Give a reason for ending the membership."]
    assert fresh(person).status == MemberStatus.ACTIVE


def test_deceased_to_active_is_refused_with_the_reason(admin_client: Any, world: World) -> None:
    person = member(world)
    admin_client.post(
        person_url(world, "member-status", person), {"status": "deceased", "on": "2026-01-02"}
    )
    assert fresh(person).status == MemberStatus.DECEASED
    page = admin_client.get(person_url(world, "member-status", person))
    assert "No further status change is possible." in page.content.decode()
    response = admin_client.post(
        person_url(world, "member-status", person), {"status": "active", "on": "2026-02-01"}
    )
    assert response.status_code == 200
    assert errors_of(response, "__all__") == ["A deceased person's status cannot be changed."]
    assert fresh(person).status == MemberStatus.DECEASED


def test_status_form_refuses_unknown_status_and_bad_date(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(
        person_url(world, "member-status", person), {"status": "emperor", "on": "2026-02-30"}
    )
    assert response.status_code == 200
    assert errors_of(response, "status")
    assert errors_of(response, "on")


# --- correspondence log and attachments ---------------------------------------------------


def test_note_with_attachments_and_download(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(
        person_url(world, "member-note-add", person),
        {
            "kind": "letter",
            "subject": "Brev om avgiften",
            "body": "Rad 1\nRad 2",
            "attachments": [
                SimpleUploadedFile("brev.pdf", PDF, content_type="application/pdf"),
                SimpleUploadedFile("svar.txt", b"Tack!", content_type="text/plain"),
            ],
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#notes")
    with scopes_disabled():
        note = Note.objects.get(person=person)
        pdf, text = list(note.attachments.order_by("pk"))
    assert note.kind == "letter"
    assert note.created_by == world.admin
    assert pdf.content_type == "application/pdf"
    assert text.content_type == "text/plain"
    download = admin_client.get(
        person_url(world, "member-attachment", person, attachment_id=pdf.pk)
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="brev.pdf"' in download["Content-Disposition"]
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == PDF
    page = admin_client.get(person_url(world, "member", person)).content.decode()
    assert "Brev om avgiften" in page
    assert "Rad 1<br>Rad 2" in page
    assert "svar.txt" in page


def test_attachment_too_big_is_refused(admin_client: Any, world: World, settings: Any) -> None:
    settings.FORENING_MAX_ATTACHMENT_BYTES = 1024
    person = member(world)
    big = SimpleUploadedFile("stor.pdf", PDF + b"0" * 2048, content_type="application/pdf")
    response = admin_client.post(
        person_url(world, "member-note-add", person), {"subject": "Stor fil", "attachments": big}
    )
    assert response.status_code == 200
    assert "larger than" in errors_of(response, "attachments")[0]
    assert count(Note, person=person) == 0
    assert count(NoteAttachment, organisation=world.org) == 0


def test_attachment_of_wrong_type_is_refused(admin_client: Any, world: World) -> None:
    person = member(world)
    files = [
        SimpleUploadedFile("ok.pdf", PDF, content_type="application/pdf"),
        SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"),
    ]
    response = admin_client.post(
        person_url(world, "member-note-add", person), {"subject": "Två filer", "attachments": files}
    )
    assert response.status_code == 200
    assert "virus.exe" in errors_of(response, "attachments")[0]
    assert count(Note, person=person) == 0


def test_note_needs_a_subject(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(person_url(world, "member-note-add", person), {"body": "x"})
    assert response.status_code == 200
    assert errors_of(response, "subject")
    assert count(Note, person=person) == 0


def test_attachment_of_another_association_or_person_is_404(
    admin_client: Any, world: World
) -> None:
    person = member(world)
    other = member(world)
    with scopes_disabled():
        stranger_note = Note.objects.create(
            organisation=world.other_org, person=world.stranger_person, subject="Hemligt"
        )
        stranger_attachment = NoteAttachment.objects.create(
            organisation=world.other_org,
            note=stranger_note,
            file="attachments/x",
            original_name="hemligt.pdf",
            content_type="application/pdf",
            size=1,
        )
    with scope(organisation=world.org.pk):
        note = services.add_note(
            person,
            actor=Actor.system(),
            subject="Brev",
            files=[SimpleUploadedFile("b.pdf", PDF)],
        )
        own = note.attachments.get()
    for address in (
        person_url(world, "member-attachment", person, attachment_id=stranger_attachment.pk),
        url(
            world,
            "member-attachment",
            person_id=world.stranger_person.pk,
            attachment_id=stranger_attachment.pk,
        ),
        person_url(world, "member-attachment", other, attachment_id=own.pk),
    ):
        assert admin_client.get(address).status_code == 404, address
    assert (
        admin_client.get(person_url(world, "member-attachment", person, attachment_id=own.pk))
    ).status_code == 200


# --- groups, tags, consents -----------------------------------------------------------


def test_groups_add_change_role_and_remove(admin_client: Any, world: World) -> None:
    person = member(world)
    address = person_url(world, "member-groups", person)
    response = admin_client.post(
        address, {"action": "add", "group": world.group.pk, "role": "assistant"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#groups")
    with scopes_disabled():
        membership = GroupMembership.objects.get(person=person, group=world.group)
    assert membership.role == GroupRole.ASSISTANT
    admin_client.post(address, {"action": "role", "membership": membership.pk, "role": "leader"})
    with scopes_disabled():
        membership.refresh_from_db()
    assert membership.role == GroupRole.LEADER
    response = admin_client.post(
        address, {"action": "role", "membership": membership.pk, "role": "king"}, follow=True
    )
    assert "Unknown role in the group." in messages_of(response)
    admin_client.post(address, {"action": "remove", "membership": membership.pk})
    assert count(GroupMembership, person=person) == 0


def test_group_of_another_association_is_refused(admin_client: Any, world: World) -> None:
    person = member(world)
    with scopes_disabled():
        foreign = GroupFactory(organisation=world.other_org)
    response = admin_client.post(
        person_url(world, "member-groups", person),
        {"action": "add", "group": foreign.pk, "role": "participant"},
        follow=True,
    )
    assert "Choose a group and a role." in messages_of(response)
    assert count(GroupMembership, person=person) == 0


def test_tags_new_existing_and_remove(admin_client: Any, world: World) -> None:
    person = member(world)
    with scopes_disabled():
        existing = TagFactory(organisation=world.org, name="Styrelse")
    address = person_url(world, "member-tags", person)
    admin_client.post(address, {"action": "add", "name": "styrelse"})
    admin_client.post(address, {"action": "add", "name": "  Ny   etikett "})
    with scopes_disabled():
        names = sorted(Tagging.objects.filter(person=person).values_list("tag__name", flat=True))
    assert names == ["Ny etikett", "Styrelse"]
    admin_client.post(address, {"action": "remove", "tag": existing.pk})
    assert count(Tagging, person=person, tag=existing) == 0
    response = admin_client.post(address, {"action": "add", "name": "x" * 61}, follow=True)
    assert any("60 characters" in message for message in messages_of(response))


def test_consents_give_withdraw_and_history(admin_client: Any, world: World) -> None:
    person = member(world)
    with scopes_disabled():
        purpose = ConsentPurposeFactory(organisation=world.org, name="Nyhetsbrev")
    address = person_url(world, "member-consents", person)
    admin_client.post(address, {"action": "give", "purpose": purpose.pk})
    admin_client.post(address, {"action": "withdraw", "purpose": purpose.pk})
    admin_client.post(address, {"action": "give", "purpose": purpose.pk})
    with scopes_disabled():
        rows = list(Consent.objects.filter(person=person).order_by("pk"))
    assert len(rows) == 2
    assert rows[0].withdrawn_at is not None
    assert rows[0].withdrawn_by_label == world.admin.email
    assert rows[1].withdrawn_at is None
    assert rows[1].given_source == "office"
    page = admin_client.get(person_url(world, "member", person)).content.decode()
    assert "History (2 entries)" in page
    assert world.admin.email in page


def test_consent_withdrawal_allowed_on_read_only_record(admin_client: Any, world: World) -> None:
    person = member(world)
    with scope(organisation=world.org.pk):
        purpose = ConsentPurposeFactory(organisation=world.org)
        services.give_consent(person, purpose, actor=Actor.system())
        services.change_status(person, MemberStatus.INACTIVE, actor=Actor.system(), reason="Slutat")
    other = ConsentPurposeFactory(organisation=world.org)
    address = person_url(world, "member-consents", person)
    admin_client.post(address, {"action": "give", "purpose": other.pk})
    assert count(Consent, person=person, purpose=other) == 0
    admin_client.post(address, {"action": "withdraw", "purpose": purpose.pk})
    assert count(Consent, person=person, withdrawn_at__isnull=True) == 0


def test_read_only_record_refuses_groups_tags_notes(admin_client: Any, world: World) -> None:
    person = member(world)
    with scope(organisation=world.org.pk):
        services.change_status(person, MemberStatus.DECEASED, actor=Actor.system(), reason="")
    admin_client.post(
        person_url(world, "member-groups", person),
        {"action": "add", "group": world.group.pk, "role": "participant"},
    )
    admin_client.post(person_url(world, "member-tags", person), {"action": "add", "name": "X"})
    admin_client.post(person_url(world, "member-note-add", person), {"subject": "X"})
    response = admin_client.post(
        person_url(world, "member-household", person), {"action": "new", "name": "X"}
    )
    assert response.status_code == 302
    assert count(GroupMembership, person=person) == 0
    assert count(Tagging, person=person) == 0
    assert count(Note, person=person) == 0
    assert count(Household, organisation=world.org) == 0


# --- households and guardians -----------------------------------------------------------


def test_household_new_move_and_leave(admin_client: Any, world: World) -> None:
    person = member(world, last_name="Berg", street="Bergsgatan 3", city="Umeå")
    with scopes_disabled():
        target = HouseholdFactory(organisation=world.org, name="Familjen Ek", street="Ekvägen 9")
    address = person_url(world, "member-household", person)
    page = admin_client.get(address)
    assert page.context["new_form"]["name"].value() == "The Berg family"
    response = admin_client.post(address, {"action": "new", "name": "Familjen Berg"})
    assert response.status_code == 302
    moved = fresh(person)
    assert moved.household.name == "Familjen Berg"
    assert moved.household.street == "Bergsgatan 3"
    assert moved.household.payer_id == person.pk
    results = admin_client.get(address + "?q=ek").context["results"]
    assert [household.pk for household in results] == [target.pk]
    admin_client.post(address, {"action": "move", "household": target.pk})
    assert fresh(person).household_id == target.pk
    assert fresh(person).street == "Ekvägen 9"
    admin_client.post(address, {"action": "leave"})
    assert fresh(person).household_id is None


def test_household_new_needs_a_name(admin_client: Any, world: World) -> None:
    person = member(world)
    response = admin_client.post(
        person_url(world, "member-household", person), {"action": "new", "name": ""}
    )
    assert response.status_code == 200
    assert errors_of(response, "name", form="new_form")
    assert count(Household, organisation=world.org) == 0


def test_household_of_another_association_is_404(admin_client: Any, world: World) -> None:
    person = member(world)
    with scopes_disabled():
        foreign = HouseholdFactory(organisation=world.other_org)
    response = admin_client.post(
        person_url(world, "member-household", person), {"action": "move", "household": foreign.pk}
    )
    assert response.status_code == 404
    assert fresh(person).household_id is None
    assert (
        admin_client.get(
            reverse(
                "org:household", kwargs={"org_slug": world.org.slug, "household_id": foreign.pk}
            )
        ).status_code
        == 404
    )


def test_guardians_search_add_and_remove(admin_client: Any, world: World) -> None:
    child = member(world, first_name="Liten", last_name="Ekorrsdotter")
    parent = member(world, first_name="Stor", last_name="Ekorrsdotter", email="stor@example.se")
    address = person_url(world, "member-guardians", child)
    results = admin_client.get(address + "?q=stor ekorrsdotter").context["results"]
    assert [person.pk for person in results] == [parent.pk]
    # the other association's people are not found
    assert admin_client.get(address + "?q=främlingsdotter").context["results"] == []
    admin_client.post(address, {"action": "add", "guardian": parent.pk})
    with scopes_disabled():
        link = Guardianship.objects.get(ward=child)
    assert link.guardian_id == parent.pk
    assert admin_client.get(address + "?q=ekorrsdotter").context["results"] == []
    page = admin_client.get(person_url(world, "member", parent)).content.decode()
    assert "Guardian of" in page
    assert "Liten Ekorrsdotter" in page
    response = admin_client.post(address, {"action": "add", "guardian": child.pk}, follow=True)
    assert "Nobody can be their own guardian." in messages_of(response)
    response = admin_client.post(address, {"action": "add", "guardian": world.stranger_person.pk})
    assert response.status_code == 404
    admin_client.post(address, {"action": "remove", "guardianship": link.pk})
    assert count(Guardianship, ward=child) == 0


def test_unknown_actions_are_404(admin_client: Any, world: World) -> None:
    person = member(world)
    for name in ("member-groups", "member-tags", "member-household", "member-guardians"):
        response = admin_client.post(person_url(world, name, person), {"action": "explode"})
        assert response.status_code == 404, name


def test_person_organisation_with_no_gender_field(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        world.org.records_gender = False
        world.org.save()
    page = admin_client.get(url(world, "member-create")).content.decode()
    assert 'name="gender"' not in page


def test_edit_form_is_filled_in(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        attribute = AttributeDefinitionFactory(
            organisation=world.org, name="Ja/nej", kind=AttributeKind.BOOLEAN
        )
    person = member(
        world,
        first_name="Fylld",
        email="fylld@example.se",
        phone="0701234567",
        joined_on=dt.date(2020, 5, 17),
        attributes={attribute.pk: False},
    )
    form = admin_client.get(person_url(world, "member-edit", person)).context["form"]
    assert form["first_name"].value() == "Fylld"
    assert form["email"].value() == "fylld@example.se"
    assert form["phone"].value() == "070-123 45 67"
    assert form["joined_on"].value() == dt.date(2020, 5, 17)
    assert form["membership_type"].value() == person.membership_type_id
    assert form[f"attribute_{attribute.pk}"].value() == "no"


def test_change_history_names_custom_fields(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        allergy = AttributeDefinitionFactory(
            organisation=world.org,
            name="Allergi",
            kind=AttributeKind.MULTIPLE_CHOICE,
            options=[{"key": "g", "label": "Gluten"}, {"key": "n", "label": "Nötter"}],
        )
        licence = AttributeDefinitionFactory(
            organisation=world.org, name="Licens", kind=AttributeKind.BOOLEAN
        )
    person = member(world, first_name="Historia")
    base = {"kind": "person", "first_name": "Historia"}
    admin_client.post(
        person_url(world, "member-edit", person),
        {**base, f"attribute_{allergy.pk}": ["g"], f"attribute_{licence.pk}": "no"},
    )
    admin_client.post(
        person_url(world, "member-edit", person),
        {**base, f"attribute_{allergy.pk}": ["g", "n"], f"attribute_{licence.pk}": "no"},
    )
    response = admin_client.get(person_url(world, "member", person))
    items = [
        (row.subject, item.get("old"), item.get("new"))
        for row in response.context["history"]
        if row.event.object_type == "members.attributevalue"
        for item in row.change_items
    ]
    assert ("Allergi", "Gluten", "Gluten, Nötter") in items
    assert ("Allergi", "—", "Gluten") in items
    assert ("Licens", "—", "No") in items
    assert all(row.event.actor == world.admin for row in response.context["history"][:3])
