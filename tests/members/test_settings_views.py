"""The register settings pages: membership types, custom fields, tags, consent purposes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent
from forening.members import configuration, services
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    ConsentPurpose,
    MembershipType,
    Tag,
    Tagging,
)
from tests.conftest import World
from tests.factories.members import (
    ConsentPurposeFactory,
    MembershipTypeFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")
XSS = '<script>alert("x")</script>'


def audit_log() -> QuerySet[AuditEvent]:
    """The whole audit log, across associations: what these tests assert on."""
    with scopes_disabled():
        return AuditEvent.objects.all()


@pytest.fixture
def admin(client: Client, world: World) -> Client:
    client.force_login(world.admin)
    return client


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def _fill(world: World, n: int, start: int = 0) -> None:
    with scope(organisation=world.org.pk):
        for i in range(start, start + n):
            membership_type = MembershipTypeFactory(organisation=world.org, name=f"Typ {i}")
            attribute = configuration.save_attribute(
                AttributeDefinition(
                    organisation=world.org, name=f"Fält {i}", kind=AttributeKind.CHOICE
                ),
                actor=ACTOR,
                option_labels=["Ett", "Två"],
                required_for=[membership_type],
            )
            tag = TagFactory(organisation=world.org, name=f"Etikett {i}")
            purpose = ConsentPurposeFactory(organisation=world.org, name=f"Syfte {i}")
            person = make_member(
                world.org, membership_type=membership_type, attributes={attribute.pk: "Ett"}
            )
            services.tag_people(world.org, [person.pk], tag, actor=ACTOR)
            services.give_consent(person, purpose, actor=ACTOR)


# --- overview ---------------------------------------------------------------------------------


def test_overview_lists_everything_with_counts(admin: Client, world: World) -> None:
    _fill(world, 2)
    response = admin.get(url(world, "register-settings"))
    assert response.status_code == 200
    content = response.content.decode()
    for text in ("Typ 0", "Fält 1", "Ett, Två", "Etikett 0", "Syfte 1", "Retention rule"):
        assert text in content


def test_overview_runs_a_constant_number_of_queries(
    admin: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    _fill(world, 1)
    admin.get(url(world, "register-settings"))  # warm up session and caches
    with django_assert_max_num_queries(14) as few:
        admin.get(url(world, "register-settings"))
    _fill(world, 3, start=1)
    with scope(organisation=world.org.pk):
        for i in range(6):
            MembershipTypeFactory(organisation=world.org, name=f"Extra {i}")
            TagFactory(organisation=world.org, name=f"Extra {i}")
            ConsentPurposeFactory(organisation=world.org, name=f"Extra {i}")
            AttributeDefinition.objects.create(
                organisation=world.org, name=f"Extra {i}", kind=AttributeKind.TEXT
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin.get(url(world, "register-settings"))


def test_names_are_escaped(admin: Client, world: World) -> None:
    with scope(organisation=world.org.pk):
        MembershipTypeFactory(organisation=world.org, name=XSS)
        TagFactory(organisation=world.org, name=XSS[:60])
        ConsentPurposeFactory(organisation=world.org, name=XSS)
        configuration.save_attribute(
            AttributeDefinition(organisation=world.org, name=XSS, kind=AttributeKind.CHOICE),
            actor=ACTOR,
            option_labels=[XSS],
        )
    for page in ("register-settings", "register-tags"):
        content = admin.get(url(world, page)).content.decode()
        assert "<script>alert" not in content
        assert "&lt;script&gt;" in content


# --- membership types -------------------------------------------------------------------------


def test_create_membership_type(admin: Client, world: World) -> None:
    response = admin.post(
        url(world, "membership-type-create"),
        {"name": "Ungdom", "kind": "ordinary", "description": "Under 20"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        created = MembershipType.objects.get(organisation=world.org, name="Ungdom")
    assert created.is_active
    assert audit_log().filter(action="members.membershiptype.created", actor=world.admin).exists()


def test_duplicate_membership_type_name_shows_on_the_field(admin: Client, world: World) -> None:
    with scopes_disabled():
        MembershipTypeFactory(organisation=world.org, name="Ungdom")
    response = admin.post(url(world, "membership-type-create"), {"name": "ungdom", "kind": "other"})
    assert response.status_code == 200
    assert "already a membership type called" in response.content.decode()
    assert response.context["form"].errors["name"]


def test_remove_membership_type_in_use_deactivates(admin: Client, world: World) -> None:
    with scope(organisation=world.org.pk):
        membership_type = MembershipTypeFactory(organisation=world.org, name="Familj")
        make_member(world.org, membership_type=membership_type)
    response = admin.post(
        url(world, "membership-type-edit", type_id=membership_type.pk), {"remove": "1"}
    )
    assert response.status_code == 302
    membership_type.refresh_from_db()
    assert membership_type.is_active is False


# --- custom fields --------------------------------------------------------------------------------


def test_create_choice_field_with_options_one_per_line(admin: Client, world: World) -> None:
    with scopes_disabled():
        family = MembershipTypeFactory(organisation=world.org, name="Familj")
    response = admin.post(
        url(world, "attribute-create"),
        {
            "name": "Kost",
            "kind": "multiple",
            "options": "Gluten\r\n\r\nLaktos\r\n  Vegetarisk  ",
            "required_for": [family.pk],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    with scopes_disabled():
        attribute = AttributeDefinition.objects.get(organisation=world.org, name="Kost")
        assert list(attribute.required_for.all()) == [family]
    assert attribute.options == [
        {"key": "gluten", "label": "Gluten"},
        {"key": "laktos", "label": "Laktos"},
        {"key": "vegetarisk", "label": "Vegetarisk"},
    ]


def test_edit_field_renames_and_refuses_removing_an_option_in_use(
    admin: Client, world: World
) -> None:
    with scope(organisation=world.org.pk):
        attribute = configuration.save_attribute(
            AttributeDefinition(organisation=world.org, name="Kost", kind=AttributeKind.CHOICE),
            actor=ACTOR,
            option_labels=["Gluten", "Laktos"],
        )
        make_member(world.org, attributes={attribute.pk: "Laktos"})
    edit = url(world, "attribute-edit", attribute_id=attribute.pk)
    page = admin.get(edit)
    assert "Gluten\nLaktos" in page.content.decode()
    # removing the option in use: refused, with a message on the choices
    response = admin.post(
        edit, {"name": "Kost", "kind": "choice", "options": "Gluten", "is_active": "on"}
    )
    assert response.status_code == 200
    assert "cannot be removed" in response.content.decode()
    # renaming it in place: fine, the key stays
    response = admin.post(
        edit,
        {"name": "Kost", "kind": "choice", "options": "Gluten\nMjölkprotein", "is_active": "on"},
    )
    assert response.status_code == 302
    attribute.refresh_from_db()
    assert attribute.options[1] == {"key": "laktos", "label": "Mjölkprotein"}


def test_changing_the_kind_of_a_field_with_values_is_refused(admin: Client, world: World) -> None:
    with scope(organisation=world.org.pk):
        attribute = AttributeDefinition.objects.create(
            organisation=world.org, name="Storlek", kind=AttributeKind.TEXT
        )
        make_member(world.org, attributes={attribute.pk: "M"})
    response = admin.post(
        url(world, "attribute-edit", attribute_id=attribute.pk),
        {"name": "Storlek", "kind": "number", "is_active": "on"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["kind"]
    attribute.refresh_from_db()
    assert attribute.kind == AttributeKind.TEXT


# --- tags ---------------------------------------------------------------------------------


def test_tags_page_creates_renames_merges_and_deletes(admin: Client, world: World) -> None:
    tags_url = url(world, "register-tags")
    # create
    assert admin.post(tags_url, {"action": "create", "name": "Styrelse"}).status_code == 302
    response = admin.post(tags_url, {"action": "create", "name": "styrelse"}, follow=True)
    assert "already exists" in response.content.decode()
    with scope(organisation=world.org.pk):
        board = Tag.objects.get(organisation=world.org, name="Styrelse")
        other = TagFactory(organisation=world.org, name="Styrelsen")
        person = make_member(world.org)
        services.tag_people(world.org, [person.pk], other, actor=ACTOR)
    # rename
    response = admin.post(
        tags_url, {"action": "rename", "tag": board.pk, "name": "Styrelse 2026"}, follow=True
    )
    assert "is now called" in response.content.decode()
    # merge on a name clash
    response = admin.post(
        tags_url, {"action": "rename", "tag": other.pk, "name": "styrelse 2026"}, follow=True
    )
    assert "has been merged into" in response.content.decode()
    with scopes_disabled():
        assert list(Tagging.objects.filter(person=person).values_list("tag_id", flat=True)) == [
            board.pk
        ]
    # delete
    assert admin.get(url(world, "tag-delete", tag_id=board.pk)).status_code == 405
    response = admin.post(url(world, "tag-delete", tag_id=board.pk), follow=True)
    assert "taken off 1 people" in response.content.decode()
    with scopes_disabled():
        assert not Tag.objects.filter(organisation=world.org).exists()


def test_tags_page_counts_people_in_constant_queries(
    admin: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    _fill(world, 1)
    admin.get(url(world, "register-tags"))
    with django_assert_max_num_queries(10) as few:
        admin.get(url(world, "register-tags"))
    _fill(world, 5, start=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin.get(url(world, "register-tags"))
    assert len(response.context["tags"]) == 6


# --- consent purposes -----------------------------------------------------------------------------


def test_consent_purpose_create_edit_and_remove(admin: Client, world: World) -> None:
    assert (
        admin.post(
            url(world, "consent-purpose-create"),
            {"name": "Bilder", "description": "Foton på webben"},
        ).status_code
        == 302
    )
    with scope(organisation=world.org.pk):
        purpose = ConsentPurpose.objects.get(organisation=world.org, name="Bilder")
        services.give_consent(world.member_person, purpose, actor=ACTOR)
    edit = url(world, "consent-purpose-edit", purpose_id=purpose.pk)
    assert admin.post(edit, {"name": "Bilder på webben", "is_active": "on"}).status_code == 302
    assert admin.post(edit, {"remove": "1"}).status_code == 302
    purpose.refresh_from_db()
    assert purpose.name == "Bilder på webben"
    assert purpose.is_active is False


# --- tenant isolation ---------------------------------------------------------------------


def test_other_associations_settings_are_404_and_untouched(admin: Client, world: World) -> None:
    with scope(organisation=world.other_org.pk):
        foreign_type = MembershipTypeFactory(organisation=world.other_org, name="Främmande")
        foreign_field = AttributeDefinition.objects.create(
            organisation=world.other_org, name="Främmande", kind=AttributeKind.TEXT
        )
        foreign_tag = TagFactory(organisation=world.other_org, name="Främmande")
        foreign_purpose = ConsentPurposeFactory(organisation=world.other_org, name="Främmande")
    events = audit_log().count()
    pages = [
        url(world, "membership-type-edit", type_id=foreign_type.pk),
        url(world, "attribute-edit", attribute_id=foreign_field.pk),
        url(world, "consent-purpose-edit", purpose_id=foreign_purpose.pk),
    ]
    for page in pages:
        assert admin.get(page).status_code == 404
        assert admin.post(page, {"name": "Kapad", "kind": "other"}).status_code == 404
        assert admin.post(page, {"remove": "1"}).status_code == 404
    assert admin.post(url(world, "tag-delete", tag_id=foreign_tag.pk)).status_code == 404
    response = admin.post(
        url(world, "register-tags"), {"action": "rename", "tag": foreign_tag.pk, "name": "Kapad"}
    )
    assert response.status_code == 404
    with scopes_disabled():
        for row in (foreign_type, foreign_field, foreign_tag, foreign_purpose):
            row.refresh_from_db()
            assert row.name == "Främmande"
            assert getattr(row, "is_active", True)
    assert audit_log().count() == events


def test_required_for_offers_only_this_associations_types(admin: Client, world: World) -> None:
    with scopes_disabled():
        foreign = MembershipTypeFactory(organisation=world.other_org, name="Främmande")
    response = admin.post(
        url(world, "attribute-create"),
        {"name": "Licens", "kind": "text", "required_for": [foreign.pk]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["required_for"]
    assert "Främmande" not in response.content.decode()
    with scopes_disabled():
        assert not AttributeDefinition.objects.filter(name="Licens").exists()
