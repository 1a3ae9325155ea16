"""Applications for membership (REG-02): the list, and approving or rejecting one by one
and in bulk."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from forening.core.models import MemberStatus, Person
from forening.members.models import StatusChange
from tests.conftest import World
from tests.factories.core import PersonFactory
from tests.factories.members import make_member


def applications_url(world: World) -> str:
    return reverse("org:applications", kwargs={"org_slug": world.org.slug})


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def applicant(world: World, **fields: Any) -> Person:
    with scope(organisation=world.org.pk):
        return make_member(world.org, status=MemberStatus.APPLIED, **fields)


def status_of(person: Person) -> str:
    with scopes_disabled():
        return str(Person.objects.get(pk=person.pk).status)


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_lists_only_applications(admin_client: Any, world: World) -> None:
    waiting = applicant(world, first_name="Väntande", last_name="Sökande")
    with scope(organisation=world.org.pk):
        make_member(world.org, first_name="Aktiv", last_name="Medlem")
    response = admin_client.get(applications_url(world))
    assert response.status_code == 200
    assert [row.person.pk for row in response.context["applicants"]] == [waiting.pk]
    html = response.content.decode()
    assert "Väntande Sökande" in html
    assert "Aktiv Medlem" not in html
    assert "Utomstående" not in html
    assert "1 application waits for a decision" in html


def test_empty_list_says_so(admin_client: Any, world: World) -> None:
    response = admin_client.get(applications_url(world))
    assert "No applications waiting" in response.content.decode()


def test_list_runs_a_constant_number_of_queries(
    admin_client: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        applicant(world)
    admin_client.get(applications_url(world))
    with django_assert_max_num_queries(12) as few:
        admin_client.get(applications_url(world))
    for _ in range(30):
        applicant(world)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(applications_url(world))
    assert len(response.context["applicants"]) == 33


def test_approve_one(admin_client: Any, world: World) -> None:
    first, second = applicant(world), applicant(world)
    response = admin_client.post(applications_url(world), {"decision": f"approve:{first.pk}"})
    assert response.status_code == 302
    assert status_of(first) == MemberStatus.ACTIVE
    assert status_of(second) == MemberStatus.APPLIED
    with scopes_disabled():
        approved = Person.objects.get(pk=first.pk)
        change = StatusChange.objects.filter(person=first).first()
    assert approved.member_number is not None
    assert change.to_status == MemberStatus.ACTIVE
    assert change.changed_by == world.admin
    page = admin_client.get(response["Location"])
    assert "1 application approved." in messages_of(page)


def test_reject_one_with_reason(admin_client: Any, world: World) -> None:
    person = applicant(world)
    admin_client.post(
        applications_url(world),
        {"decision": f"reject:{person.pk}", "reason": "Bor utanför kommunen"},
    )
    assert status_of(person) == MemberStatus.REJECTED
    with scopes_disabled():
        change = StatusChange.objects.filter(person=person).first()
    assert change.reason == "Bor utanför kommunen"


def test_bulk_approve_and_reject_selected(admin_client: Any, world: World) -> None:
    people = [applicant(world) for _ in range(4)]
    response = admin_client.post(
        applications_url(world),
        {"decision": "approve", "ids": [people[0].pk, people[1].pk]},
        follow=True,
    )
    assert "2 applications approved." in messages_of(response)
    admin_client.post(
        applications_url(world),
        {"decision": "reject", "ids": [people[2].pk], "reason": "Dubblett"},
    )
    assert [status_of(person) for person in people] == [
        MemberStatus.ACTIVE,
        MemberStatus.ACTIVE,
        MemberStatus.REJECTED,
        MemberStatus.APPLIED,
    ]


def test_only_applications_of_this_association_are_decided(admin_client: Any, world: World) -> None:
    person = applicant(world)
    with scopes_disabled():
        contact = PersonFactory(organisation=world.org, status=MemberStatus.CONTACT)
        foreign = PersonFactory(organisation=world.other_org, status=MemberStatus.APPLIED)
    response = admin_client.post(
        applications_url(world),
        {"decision": "approve", "ids": [person.pk, contact.pk, foreign.pk]},
        follow=True,
    )
    assert "1 application approved." in messages_of(response)
    assert status_of(person) == MemberStatus.ACTIVE
    assert status_of(contact) == MemberStatus.CONTACT
    assert status_of(foreign) == MemberStatus.APPLIED


def test_nothing_selected_or_junk(admin_client: Any, world: World) -> None:
    person = applicant(world)
    response = admin_client.post(applications_url(world), {"decision": "approve"}, follow=True)
    assert "Tick at least one application." in messages_of(response)
    response = admin_client.post(
        applications_url(world), {"decision": "approve", "ids": ["1; DROP TABLE"]}, follow=True
    )
    assert "The selection is not valid; reload the page." in messages_of(response)
    response = admin_client.post(
        applications_url(world), {"decision": "promote", "ids": [person.pk]}, follow=True
    )
    assert "The selection is not valid; reload the page." in messages_of(response)
    assert status_of(person) == MemberStatus.APPLIED


def test_names_are_escaped(admin_client: Any, world: World) -> None:
    applicant(world, first_name='<script>alert("x")</script>', last_name="O'Neil")
    html = admin_client.get(applications_url(world)).content.decode()
    assert "<script>alert" not in html
    assert escape('<script>alert("x")</script>') in html


def test_members_and_leaders_cannot_decide(client: Any, world: World) -> None:
    person = applicant(world)
    for user in (world.member, world.leader):
        client.force_login(user)
        response = client.post(applications_url(world), {"decision": f"approve:{person.pk}"})
        assert response.status_code == 403
    assert status_of(person) == MemberStatus.APPLIED
