"""The leader pages (my groups, group members) and My pages (own and wards' details)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent, Person
from forening.members import services
from forening.portal.leader import age_on, today_in
from tests.conftest import World
from tests.factories.core import (
    GroupMembershipFactory,
    GuardianshipFactory,
    PersonFactory,
)


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def contact_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "email": "ny@example.se",
        "phone": "070-123 45 67",
        "street": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        **overrides,
    }


# --- leader -----------------------------------------------------------------------------


def test_a_leader_sees_only_their_own_groups(client, world):
    client.force_login(world.leader)
    response = client.get(url(world, "leader"))
    assert [(g.name, g.member_count) for g in response.context["groups"]] == [("P12", 2)]
    assert world.other_group.name not in response.content.decode()


def test_an_administrator_sees_every_group_in_the_leader_pages(client, world):
    client.force_login(world.admin)
    response = client.get(url(world, "leader"))
    assert {g.name for g in response.context["groups"]} == {"P12", "F14"}


def test_a_leader_cannot_open_a_group_they_do_not_lead(client, world):
    client.force_login(world.leader)
    assert client.get(url(world, "leader-group", group_id=world.other_group.pk)).status_code == 404


def test_group_detail_shows_members_with_age_and_guardians(client, world):
    with scopes_disabled():
        world.ward.birth_date = dt.date(2014, 3, 1)
        world.ward.save()
        world.member_person.phone = "+46701234567"
        world.member_person.save()
    client.force_login(world.leader)
    response = client.get(url(world, "leader-group", group_id=world.group.pk))
    assert response.status_code == 200
    members = {p.pk: p for p in response.context["members"]}
    assert set(members) == {world.ward.pk, world.group_person.pk}
    assert members[world.ward.pk].age == age_on(dt.date(2014, 3, 1), today_in(world.org))
    assert members[world.ward.pk].guardian_list == [world.member_person]
    content = response.content.decode()
    assert world.member_person.full_name in content
    assert "tel:+46701234567" in content
    assert world.member_person.email in content


def test_group_detail_runs_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    with scopes_disabled():
        for _ in range(30):
            child = PersonFactory(organisation=world.org)
            GroupMembershipFactory(organisation=world.org, group=world.group, person=child)
            GuardianshipFactory(organisation=world.org, ward=child)
            GuardianshipFactory(organisation=world.org, ward=child)
    client.force_login(world.leader)
    with django_assert_max_num_queries(12):
        response = client.get(url(world, "leader-group", group_id=world.group.pk))
    assert len(response.context["members"]) == 32


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (dt.date(2010, 6, 15), dt.date(2024, 6, 14), 13),
        (dt.date(2010, 6, 15), dt.date(2024, 6, 15), 14),
        (dt.date(2012, 2, 29), dt.date(2024, 2, 28), 11),
        (dt.date(2012, 2, 29), dt.date(2023, 3, 1), 11),
        (None, dt.date(2024, 1, 1), None),
    ],
)
def test_age_counts_completed_years(born, today, age):
    assert age_on(born, today) == age


# --- My pages ---------------------------------------------------------------------------


def test_my_pages_show_own_record_and_wards_only(client, world):
    client.force_login(world.member)
    response = client.get(url(world, "portal"))
    people = response.context["people"]
    assert [p.pk for p in people] == [world.member_person.pk, world.ward.pk]
    assert people[0].is_self
    assert not people[1].is_self
    content = response.content.decode()
    assert url(world, "portal-person", person_id=world.ward.pk) in content
    assert world.group_person.full_name not in content


def test_a_guardian_changes_a_wards_phone_stored_in_e164_and_audited(client, world):
    client.force_login(world.member)
    response = client.post(
        url(world, "portal-person", person_id=world.ward.pk), contact_payload(phone="070-123 45 67")
    )
    assert response.status_code == 302
    assert response["Location"] == url(world, "portal")
    world.ward.refresh_from_db()
    assert world.ward.phone == "+46701234567"
    assert world.ward.city == "Stockholm"
    with scope(organisation=world.org.pk):
        event = AuditEvent.objects.filter(
            organisation=world.org, action="core.person.updated", person=world.ward
        ).latest("pk")
    assert event.actor == world.member
    assert event.changes["phone"] == ["", "+46701234567"]


def test_an_invalid_phone_number_is_a_field_error_and_nothing_is_saved(client, world):
    client.force_login(world.member)
    with scopes_disabled():
        before = Person.objects.values().get(pk=world.ward.pk)
    response = client.post(
        url(world, "portal-person", person_id=world.ward.pk), contact_payload(phone="12")
    )
    assert response.status_code == 200
    with translation.override("en"):
        assert "not a valid phone number" in str(response.context["form"].errors["phone"])
    with scopes_disabled():
        assert Person.objects.values().get(pk=world.ward.pk) == before


def test_a_member_cannot_edit_someone_outside_their_family(client, world):
    client.force_login(world.member)
    with scopes_disabled():
        before = Person.objects.values().get(pk=world.group_person.pk)
    target = url(world, "portal-person", person_id=world.group_person.pk)
    assert client.get(target).status_code == 404
    assert client.post(target, contact_payload()).status_code == 404
    with scopes_disabled():
        assert Person.objects.values().get(pk=world.group_person.pk) == before


def test_phone_numbers_are_read_in_the_associations_country(world):
    with scopes_disabled():
        world.org.country = "DK"
        world.org.save()
        person = Person.objects.get(pk=world.ward.pk)
        person = services.update_contact_details(person, actor=Actor.system(), phone="20 12 34 56")
    assert person.phone == "+4520123456"


def test_update_person_refuses_fields_other_than_contact_details(world):
    with scopes_disabled(), pytest.raises(ValueError, match="first_name"):
        services.update_contact_details(world.ward, actor=Actor.system(), first_name="Kapad")
