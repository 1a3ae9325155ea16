"""The search page, bulk actions and saved searches (REG-07)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent, GroupMembership, MemberStatus, Person
from forening.members import services
from forening.members.models import SavedSearch, StatusChange, Tag, Tagging
from tests.conftest import World
from tests.factories.core import GroupFactory, GroupMembershipFactory
from tests.factories.members import (
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    SavedSearchFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")


def audit_log() -> QuerySet[AuditEvent]:
    """The whole audit log, across associations: what these tests assert on."""
    with scopes_disabled():
        return AuditEvent.objects.all()


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def member(world: World, **fields: Any) -> Person:
    with scope(organisation=world.org.pk):
        return make_member(world.org, **fields)


def in_org(world: World) -> Any:
    return scope(organisation=world.org.pk)


def names_on_page(response: Any) -> set[str]:
    return {person.first_name for person in response.context["rows"]}


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- the search page ----------------------------------------------------------------


def test_the_page_lists_the_everyday_members_with_links_to_their_pages(admin_client, world):
    anna = member(world, first_name="Anna", last_name="Ek", email="anna@example.se")
    member(world, first_name="Ansökt", status=MemberStatus.APPLIED)
    member(world, first_name="Kontakt", status=MemberStatus.CONTACT)
    response = admin_client.get(url(world, "members"))
    assert response.status_code == 200
    assert {"Anna", "Ansökt"} <= names_on_page(response)
    assert "Kontakt" not in names_on_page(response)
    assert response.context["count"] == 5  # and the world's three active people
    html = response.content.decode()
    assert url(world, "member", person_id=anna.pk) in html
    assert "anna@example.se" in html
    assert url(world, "member-create") in html
    assert url(world, "members-export") in html
    assert 'class="table-responsive"' in html


def test_filters_narrow_the_list_and_show_as_removable_chips(admin_client, world):
    with in_org(world):
        board = TagFactory(organisation=world.org, name="Styrelse")
    anna = member(world, first_name="Anna", gender="female")
    member(world, first_name="Bo", gender="female")
    with in_org(world):
        services.tag_people(world.org, [anna.pk], board, actor=ACTOR)
    response = admin_client.get(url(world, "members"), {"tag": board.pk, "gender": "female"})
    assert names_on_page(response) == {"Anna"}
    assert response.context["count"] == 1
    chips = {chip["label"]: chip["url"] for chip in response.context["chips"]}
    assert set(chips) == {"Tag: Styrelse", "Gender: Female"}
    assert "tag=" not in chips["Tag: Styrelse"]
    assert "gender=female" in chips["Tag: Styrelse"]
    # The export link carries the search.
    assert f"tag={board.pk}" in response.context["query"]
    html = response.content.decode()
    assert f"{url(world, 'members-export')}?{escape(response.context['query'])}" in html


def test_free_text_finds_by_exact_identity_number(admin_client, world):
    member(world, first_name="Anna", identity_number="19850312-2387")
    response = admin_client.get(url(world, "members"), {"q": "19850312-2387"})
    assert names_on_page(response) == {"Anna"}


def test_all_statuses_can_be_shown(admin_client, world):
    former = member(world, first_name="Former")
    with in_org(world):
        services.change_status(former, MemberStatus.INACTIVE, actor=ACTOR, reason="Flyttat")
    response = admin_client.get(url(world, "members"))
    assert "Former" not in names_on_page(response)
    assert response.context["uses_default_status"]
    response = admin_client.get(response.context["all_statuses_url"])
    assert "Former" in names_on_page(response)


@pytest.mark.parametrize(
    "params",
    [
        {"age_min": "abc"},
        {"tag": "not-a-number"},
        {"status": "zombie"},
        {"joined_from": "2024-13-45"},
        {"sort": "drop table"},
        {"page": "999"},
        {"page": "x"},
        {"attr_1": "x", "attr_abc_min": "y"},
        {"q": "an\x00na"},
        {"joined_to": "\x00"},
    ],
)
def test_bad_parameters_never_give_a_server_error(admin_client, world, params):
    member(world, first_name="Anna")
    response = admin_client.get(url(world, "members"), params)
    assert response.status_code == 200


def test_invalid_filters_show_errors_and_nobody(admin_client, world):
    member(world, first_name="Anna")
    response = admin_client.get(url(world, "members"), {"age_min": "abc"})
    assert response.context["has_errors"]
    assert response.context["rows"] == []
    assert "age_min" in response.context["form"].errors


def test_sorting_links_flip_the_direction(admin_client, world):
    member(world, first_name="Anna", last_name="Aaberg-Sortering", member_number=900)
    member(world, first_name="Bo", last_name="Zorn-Sortering", member_number=901)
    response = admin_client.get(url(world, "members"), {"q": "sortering", "sort": "name"})
    assert "sort=-name" in response.context["sort_links"]["name"]["url"]
    assert response.context["sort_links"]["name"]["direction"] == "asc"
    assert [p.first_name for p in response.context["rows"]] == ["Anna", "Bo"]
    response = admin_client.get(url(world, "members"), {"q": "sortering", "sort": "-name"})
    assert "sort=name" in response.context["sort_links"]["name"]["url"]
    assert [p.first_name for p in response.context["rows"]] == ["Bo", "Anna"]


def test_pagination_shows_fifty_per_page(admin_client, world):
    with in_org(world):
        people = [
            Person(organisation=world.org, first_name=f"P{i:03}", last_name="Bulk")
            for i in range(60)
        ]
        for person in people:
            person.search_text = person.compute_search_text()
        Person.objects.bulk_create(people)
    response = admin_client.get(url(world, "members"), {"q": "bulk"})
    assert response.context["count"] == 60
    assert len(response.context["rows"]) == 50
    response = admin_client.get(url(world, "members"), {"q": "bulk", "page": "2"})
    assert len(response.context["rows"]) == 10


def test_script_in_names_is_shown_as_text(admin_client, world):
    evil = '<script>alert("x")</script>'
    member(world, first_name=evil, last_name="O'Hara", email="x@example.se")
    with in_org(world):
        TagFactory(organisation=world.org, name=evil)
        SavedSearchFactory(organisation=world.org, name=evil, query={"q": [evil]})
    for response in (
        admin_client.get(url(world, "members"), {"q": evil}),
        admin_client.get(url(world, "members")),
        admin_client.get(url(world, "saved-searches")),
    ):
        html = response.content.decode()
        assert evil not in html
        assert escape(evil) in html


def test_people_of_another_association_never_show(admin_client, world):
    response = admin_client.get(url(world, "members"), {"status": "all"})
    assert world.stranger_person.first_name not in response.content.decode()
    response = admin_client.get(url(world, "members"), {"q": world.stranger_person.first_name})
    assert response.context["rows"] == []


def test_foreign_ids_in_any_parameter_show_nothing(admin_client, world):
    with scopes_disabled():
        foreign_tag = TagFactory(organisation=world.other_org)
        foreign_group = GroupFactory(organisation=world.other_org)
        foreign_purpose = ConsentPurposeFactory(organisation=world.other_org)
    for name, value in [
        ("tag", foreign_tag.pk),
        ("group", foreign_group.pk),
        ("section", foreign_group.section_id),
        ("consent_given", foreign_purpose.pk),
    ]:
        response = admin_client.get(url(world, "members"), {name: value})
        assert response.status_code == 200
        assert response.context["rows"] == [], name
        assert foreign_tag.name not in response.content.decode()


def _populate(world: World, n: int, offset: int) -> None:
    """n people with everything the table and the filters show."""
    with in_org(world):
        tag = Tag.objects.get_or_create(organisation=world.org, name="Bulk")[0]
        people = [
            make_member(
                world.org,
                first_name=f"Row{offset + i}",
                email=f"row{offset + i}@example.se",
                phone=f"0701{offset + i:06}",
            )
            for i in range(n)
        ]
        services.tag_people(world.org, [p.pk for p in people], tag, actor=ACTOR)
        for person in people:
            GroupMembershipFactory(organisation=world.org, group=world.group, person=person)


def _queries(client: Any, address: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address, params)
    assert response.status_code == 200
    return len(captured)


def test_the_page_runs_the_same_number_of_queries_for_5_or_60_people(
    admin_client, world, django_assert_max_num_queries
):
    with in_org(world):
        AttributeDefinitionFactory(organisation=world.org)
        ConsentPurposeFactory(organisation=world.org)
        SavedSearchFactory(organisation=world.org, query={"q": ["row"]})
    _populate(world, 5, 0)
    params = {"q": "row", "group": world.group.pk}
    admin_client.get(url(world, "members"))  # the first visit remembers the association
    few = _queries(admin_client, url(world, "members"), params)
    _populate(world, 55, 100)
    many = _queries(admin_client, url(world, "members"), params)
    assert few == many
    with django_assert_max_num_queries(20):
        response = admin_client.get(url(world, "members"), params)
    assert response.context["count"] == 60


# --- saved searches -----------------------------------------------------------------


def test_save_a_search_then_apply_it(admin_client, world):
    response = admin_client.post(
        url(world, "saved-searches"),
        {"name": "Barn", "query": "age_max=12&sort=-name&page=3&csrfmiddlewaretoken=x"},
    )
    assert response.status_code == 302
    with in_org(world):
        saved = SavedSearch.objects.get(organisation=world.org)
    assert saved.name == "Barn"
    assert saved.query == {"age_max": ["12"]}
    assert saved.created_by == world.admin
    # The page lists it; the link applies it.
    response = admin_client.get(url(world, "members"))
    [item] = response.context["saved_searches"]
    assert item["url"].endswith("?age_max=12")
    response = admin_client.get(item["url"])
    assert response.context["saved_searches"][0]["is_current"]


def test_saving_the_same_name_again_replaces_the_rule(admin_client, world):
    admin_client.post(url(world, "saved-searches"), {"name": "Barn", "query": "age_max=12"})
    admin_client.post(url(world, "saved-searches"), {"name": "BARN", "query": "age_max=15"})
    with in_org(world):
        assert list(SavedSearch.objects.values_list("query", flat=True)) == [{"age_max": ["15"]}]


def test_saving_an_invalid_search_or_no_name_is_refused_with_a_message(admin_client, world):
    response = admin_client.post(
        url(world, "saved-searches"), {"name": "Bad", "query": "age_min=abc"}, follow=True
    )
    assert "Correct the search before saving it." in messages_of(response)
    response = admin_client.post(
        url(world, "saved-searches"), {"name": "", "query": "age_min=1"}, follow=True
    )
    assert "Give the search a name." in messages_of(response)
    with in_org(world):
        assert not SavedSearch.objects.exists()


def test_the_saved_searches_page_describes_each_search(admin_client, world):
    with in_org(world):
        tag = TagFactory(organisation=world.org, name="Styrelse")
        SavedSearchFactory(organisation=world.org, name="Styrelsen", query={"tag": [str(tag.pk)]})
    response = admin_client.get(url(world, "saved-searches"))
    assert response.status_code == 200
    assert response.context["rows"][0]["filters"] == ["Tag: Styrelse"]


def test_a_saved_search_is_deleted_by_post_only(admin_client, world):
    with in_org(world):
        saved = SavedSearchFactory(organisation=world.org)
    address = url(world, "saved-search-delete", search_id=saved.pk)
    assert admin_client.get(address).status_code == 405
    response = admin_client.post(address)
    assert response.status_code == 302
    with in_org(world):
        assert not SavedSearch.objects.filter(pk=saved.pk).exists()


def test_another_associations_saved_search_cannot_be_deleted(admin_client, world):
    with scopes_disabled():
        foreign = SavedSearchFactory(organisation=world.other_org)
    response = admin_client.post(url(world, "saved-search-delete", search_id=foreign.pk))
    assert response.status_code == 404
    with scopes_disabled():
        assert SavedSearch.objects.filter(pk=foreign.pk).exists()


# --- bulk actions -------------------------------------------------------------------


def bulk(client: Any, world: World, **data: Any) -> Any:
    data.setdefault("scope", "selected")
    data.setdefault("query", "")
    return client.post(url(world, "members-bulk"), data, follow=True)


def test_bulk_tag_chosen_people_with_an_existing_tag(admin_client, world):
    anna, bo = member(world, first_name="Anna"), member(world, first_name="Bo")
    member(world, first_name="Cecilia")
    with in_org(world):
        tag = TagFactory(organisation=world.org)
    response = bulk(admin_client, world, action="tag", tag=tag.pk, person=[anna.pk, bo.pk])
    assert "Tagged 2 people with" in messages_of(response)[0]
    with in_org(world):
        assert set(Tagging.objects.values_list("person__first_name", flat=True)) == {"Anna", "Bo"}


def test_bulk_tag_everyone_the_search_finds_with_a_new_tag(admin_client, world):
    member(world, first_name="Anna", gender="female")
    member(world, first_name="Britt", gender="female")
    member(world, first_name="Carl", gender="male")
    response = bulk(
        admin_client, world, action="tag", new_tag="Damlaget", scope="all", query="gender=female"
    )
    assert response.redirect_chain[-1][0].endswith("?gender=female")
    with in_org(world):
        tag = Tag.objects.get(organisation=world.org, name="Damlaget")
        tagged = set(Tagging.objects.filter(tag=tag).values_list("person__first_name", flat=True))
    assert tagged == {"Anna", "Britt"}


def test_bulk_add_to_a_group_with_a_role(admin_client, world):
    anna = member(world, first_name="Anna")
    bulk(
        admin_client,
        world,
        action="group",
        group=world.other_group.pk,
        role="leader",
        person=[anna.pk],
    )
    with in_org(world):
        membership = GroupMembership.objects.get(group=world.other_group, person=anna)
    assert membership.role == "leader"


def test_bulk_status_change_reports_the_refused_ones(admin_client, world):
    applicant = member(world, first_name="Applicant", status=MemberStatus.APPLIED)
    dead = member(world, first_name="Dead")
    with in_org(world):
        services.change_status(dead, MemberStatus.DECEASED, actor=ACTOR)
    response = bulk(
        admin_client,
        world,
        action="status",
        to_status="active",
        on="2026-01-15",
        person=[applicant.pk, dead.pk],
    )
    texts = messages_of(response)
    assert any("Changed the status of 1 person" in text for text in texts)
    assert any("1 person was not changed" in text and "Dead" in text for text in texts)
    with in_org(world):
        applicant.refresh_from_db()
        dead.refresh_from_db()
    assert applicant.status == MemberStatus.ACTIVE
    assert applicant.status_since.isoformat() == "2026-01-15"
    assert dead.status == MemberStatus.DECEASED


def test_bulk_ending_memberships_needs_a_reason(admin_client, world):
    anna = member(world, first_name="Anna")
    response = bulk(admin_client, world, action="status", to_status="inactive", person=[anna.pk])
    assert "Give a reason for ending the membership." in messages_of(response)
    with in_org(world):
        anna.refresh_from_db()
        assert anna.status == MemberStatus.ACTIVE
        assert not StatusChange.objects.filter(person=anna, to_status="inactive").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"action": "tag"},  # no tag
        {"action": "group"},  # no group
        {"action": "status"},  # no status
        {"action": "tag", "new_tag": "X", "scope": "selected"},  # nobody chosen
        {"action": "tag", "new_tag": "X", "person": ["abc"]},
        {"action": "explode", "new_tag": "X"},
    ],
)
def test_bulk_refuses_incomplete_input_with_a_message(admin_client, world, data):
    count = audit_log().count()
    response = bulk(admin_client, world, **data)
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    with in_org(world):
        assert not Tag.objects.exists()
    assert audit_log().count() == count


def test_bulk_ignores_people_and_refuses_tags_and_groups_of_another_association(
    admin_client, world
):
    with scopes_disabled():
        foreign_tag = TagFactory(organisation=world.other_org)
        foreign_group = GroupFactory(organisation=world.other_org)
    anna = member(world, first_name="Anna")
    stranger = world.stranger_person
    # A foreign person among the chosen: only ours is tagged.
    bulk(admin_client, world, action="tag", new_tag="Egen", person=[anna.pk, stranger.pk])
    # A foreign tag or group: refused, nothing written.
    bulk(admin_client, world, action="tag", tag=foreign_tag.pk, person=[anna.pk])
    bulk(admin_client, world, action="group", group=foreign_group.pk, person=[anna.pk])
    bulk(
        admin_client, world, action="status", to_status="inactive", reason="x", person=[stranger.pk]
    )
    with scopes_disabled():
        assert list(Tagging.objects.values_list("person_id", flat=True)) == [anna.pk]
        assert not GroupMembership.objects.filter(group=foreign_group).exists()
        stranger.refresh_from_db()
        assert stranger.status == MemberStatus.ACTIVE


def test_bulk_all_passes_the_search_as_a_subquery_not_a_list_of_ids(admin_client, world):
    """Everyone a search finds can be thousands: no read may carry one parameter per person
    (SQLite refuses more than 32,766)."""
    for number in range(40):
        member(world, first_name=f"Person{number}", gender="female")
    member(world, first_name="Carl", gender="male")
    selects: list[int] = []

    def count_parameters(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            selects.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_parameters):
        response = bulk(
            admin_client, world, action="tag", new_tag="Alla", scope="all", query="gender=female"
        )
    assert "Tagged 40 people with" in messages_of(response)[0]
    assert selects
    assert max(selects) < 20
    with in_org(world):
        assert Tagging.objects.filter(tag__name="Alla").count() == 40


def test_bulk_all_uses_only_search_parameters_of_this_association(admin_client, world):
    """ "All matching" re-runs the search; a foreign id in it finds nobody."""
    with scopes_disabled():
        foreign_tag = TagFactory(organisation=world.other_org)
    member(world, first_name="Anna")
    response = bulk(
        admin_client,
        world,
        action="tag",
        new_tag="X",
        scope="all",
        query=f"tag={foreign_tag.pk}&status=all",
    )
    assert "Nobody to change." in messages_of(response)
    with in_org(world):
        assert not Tagging.objects.exists()


def test_bulk_is_post_only_and_for_the_office(client, world):
    client.force_login(world.admin)
    assert client.get(url(world, "members-bulk")).status_code == 405
    client.force_login(world.member)
    response = client.post(url(world, "members-bulk"), {"action": "tag", "new_tag": "X"})
    assert response.status_code == 403


# --- markup for small screens -------------------------------------------------------


def test_the_table_fits_a_phone_screen(admin_client, world):
    member(world, first_name="Anna", email="a-very-long-address@example.se", phone="0701234567")
    html = admin_client.get(url(world, "members")).content.decode()
    table = html[html.index('<div class="table-responsive">') :]
    # Only the check box, the name and the status are shown on the narrowest screens.
    headers = re.findall(r'<th scope="col"( class="([^"]*)")?', table[: table.index("</thead>")])
    always = [css for _attr, css in headers if "d-none" not in css]
    assert len(always) == 3
    # The filters fold away on phones.
    assert 'class="collapse d-lg-block' in html
