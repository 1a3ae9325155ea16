"""Another association's rows are out of reach: by id in the URL, by form post, by slug."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, reverse
from django_scopes import scopes_disabled

from forening.core.models import AuditEvent, Group, Person, RoleAssignment, Section
from forening.urls import org_urlpatterns
from tests.conftest import World
from tests.factories.core import (
    GroupFactory,
    RoleAssignmentFactory,
    SectionFactory,
    UserFactory,
)


@pytest.fixture
def foreign(world: World) -> dict[str, Any]:
    """Rows of world.other_org that world.org's administrator must never reach."""
    with scopes_disabled():
        section = SectionFactory(organisation=world.other_org, name="Hemlig sektion")
        group = GroupFactory(organisation=world.other_org, section=section, name="Hemligt lag")
        assignment = RoleAssignment.objects.get(organisation=world.other_org, user=world.outsider)
        leader = RoleAssignmentFactory(
            organisation=world.other_org, user=UserFactory(), role="leader", group=group
        )
        AuditEvent.objects.create(
            organisation=world.other_org, action="core.secret.happened", object_repr="Hemligt"
        )
    return {
        "section": section,
        "group": group,
        "assignment": assignment,
        "leader_assignment": leader,
        "person": world.stranger_person,
    }


def _snapshot() -> dict[str, Any]:
    with scopes_disabled():
        return {
            "sections": list(Section.objects.values_list("pk", "organisation_id", "name")),
            "groups": list(
                Group.objects.values_list("pk", "organisation_id", "section_id", "name")
            ),
            "roles": list(RoleAssignment.objects.values_list("pk", "organisation_id", "group_id")),
            "people": list(Person.objects.values_list("pk", "organisation_id", "phone", "email")),
        }


@pytest.mark.parametrize(
    ("name", "kwarg", "key", "method"),
    [
        ("section-edit", "section_id", "section", "get"),
        ("section-edit", "section_id", "section", "post"),
        ("group-edit", "group_id", "group", "get"),
        ("group-edit", "group_id", "group", "post"),
        ("leader-group", "group_id", "group", "get"),
        ("role-revoke", "assignment_id", "assignment", "post"),
        ("role-revoke", "assignment_id", "leader_assignment", "post"),
    ],
)
def test_admin_cannot_reach_another_organisations_row_by_id(
    client: Any, world: World, foreign: dict[str, Any], name: str, kwarg: str, key: str, method: str
) -> None:
    client.force_login(world.admin)
    before = _snapshot()
    url = reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, kwarg: foreign[key].pk})
    response = getattr(client, method)(url, {"name": "Kapad", "section": ""})
    assert response.status_code == 404
    assert _snapshot() == before


def test_member_cannot_open_another_organisations_person(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.member)
    before = _snapshot()
    url = reverse(
        "org:portal-person", kwargs={"org_slug": world.org.slug, "person_id": foreign["person"].pk}
    )
    assert client.get(url).status_code == 404
    assert client.post(url, {"phone": "0701234567", "email": "x@example.se"}).status_code == 404
    assert _snapshot() == before


def test_admin_cannot_open_another_organisations_person_in_my_pages(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.admin)
    url = reverse(
        "org:portal-person", kwargs={"org_slug": world.org.slug, "person_id": foreign["person"].pk}
    )
    assert client.get(url).status_code in {403, 404}


def test_granting_a_role_in_another_organisations_group_is_a_form_error(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.admin)
    before = _snapshot()
    response = client.post(
        reverse("org:role-grant", kwargs={"org_slug": world.org.slug}),
        {"email": "spy@example.se", "role": "leader", "group": foreign["group"].pk},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["group"]
    assert _snapshot() == before


def test_a_group_in_another_organisations_section_is_a_form_error(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.admin)
    before = _snapshot()
    for url in [
        reverse("org:group-create", kwargs={"org_slug": world.org.slug}),
        reverse("org:group-edit", kwargs={"org_slug": world.org.slug, "group_id": world.group.pk}),
    ]:
        response = client.post(url, {"name": "Smygare", "section": foreign["section"].pk})
        assert response.status_code == 200
        assert response.context["form"].errors["section"]
    assert _snapshot() == before


def test_the_section_choices_offer_only_this_organisations_sections(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.admin)
    response = client.get(reverse("org:group-create", kwargs={"org_slug": world.org.slug}))
    content = response.content.decode()
    assert "Hemlig sektion" not in content
    assert world.group.section.name in content


def test_the_audit_log_shows_neither_another_organisations_events_nor_people(
    client: Any, world: World, foreign: dict[str, Any]
) -> None:
    client.force_login(world.admin)
    url = reverse("org:audit", kwargs={"org_slug": world.org.slug})
    content = client.get(url).content.decode()
    assert "core.secret.happened" not in content
    assert world.stranger_person.last_name not in content
    response = client.get(url, {"person": foreign["person"].pk})
    assert response.context["form"].errors["person"]
    assert "core.secret.happened" not in response.content.decode()


def _other_org_urls(world: World, foreign: dict[str, Any]) -> list[tuple[str, str]]:
    ids = {
        "section_id": foreign["section"].pk,
        "group_id": foreign["group"].pk,
        "assignment_id": foreign["assignment"].pk,
        "person_id": foreign["person"].pk,
    }
    urls = []
    for pattern in org_urlpatterns:
        assert isinstance(pattern, URLPattern)
        kwargs = {"org_slug": world.other_org.slug}
        # The slug already belongs to another association; ids the register pages take
        # (saved searches, imports, attributes…) need only be numbers.
        kwargs.update({k: ids.get(k, 1) for k in pattern.pattern.converters})
        urls.append((pattern.name or "", reverse(f"org:{pattern.name}", kwargs=kwargs)))
    return urls


@pytest.mark.parametrize("persona", ["admin", "federation_admin", "leader", "member"])
def test_another_organisations_slug_is_not_found_for_every_page(
    client: Any, world: World, foreign: dict[str, Any], persona: str
) -> None:
    client.force_login(world.persona(persona))
    before = _snapshot()
    for name, url in _other_org_urls(world, foreign):
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"name": "Kapad"}).status_code == 404, name
    assert _snapshot() == before
