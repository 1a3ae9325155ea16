"""The search engine (REG-07): every filter, AND between filters and OR inside one, the
everyday default, exact identity numbers, saved searches as rules, tenant isolation."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent, MemberStatus, Person
from forening.members import search, services
from forening.members.models import AttributeKind, SavedSearch
from forening.members.search.conditions import years_before
from tests.factories.core import (
    GroupFactory,
    GroupMembershipFactory,
    OrganisationFactory,
    SectionFactory,
)
from tests.factories.members import (
    CPR,
    PERSONNUMMER,
    PERSONNUMMER_MALE,
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    MembershipTypeFactory,
    SavedSearchFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")


def found(org: Any, **params: Any) -> set[str]:
    """The first names `params` find (values given as one value or a list)."""
    query = {key: value if isinstance(value, list) else [value] for key, value in params.items()}
    return set(search.search_people(org, query).values_list("first_name", flat=True))


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return years_before(today, years) - dt.timedelta(days=days)


# --- free text ----------------------------------------------------------------------


def test_free_text_matches_every_word_in_names_email_phone_and_member_number(org):
    make_member(org, first_name="Anna", last_name="Lindqvist", email="anna@exempel.se")
    make_member(org, first_name="Anders", last_name="Lind", phone="070-123 45 67")
    make_member(org, first_name="Bo", last_name="Ek", member_number=4711)
    assert found(org, q="lind") == {"Anna", "Anders"}
    assert found(org, q="LIND anna") == {"Anna"}  # every word must match
    assert found(org, q="anna@exempel.se") == {"Anna"}
    assert found(org, q="4711") == {"Bo"}
    assert found(org, q="lind nobody") == set()


@pytest.mark.parametrize("typed", ["070-123 45 67", "0701234567", "+46 70 123 45 67", "123 45 67"])
def test_free_text_finds_a_phone_number_however_it_is_typed(org, typed):
    make_member(org, first_name="Anders", phone="070-123 45 67")
    make_member(org, first_name="Other", phone="070-999 99 99")
    assert found(org, q=typed) == {"Anders"}


def test_free_text_finds_an_identity_number_exactly_through_the_blind_index(org):
    make_member(org, first_name="Anna", identity_number=PERSONNUMMER)
    make_member(org, first_name="Bertil", identity_number=PERSONNUMMER_MALE)
    assert found(org, q=PERSONNUMMER) == {"Anna"}
    assert found(org, q="850312-2387") == {"Anna"}  # without century
    assert found(org, q="198503122387") == {"Anna"}
    # Part of a number finds nothing: only the masked form is stored in the clear.
    assert found(org, q="2387") == set()


def test_free_text_finds_a_danish_cpr_number_in_a_danish_association(db):
    danish = OrganisationFactory(country="DK", currency="DKK", language="da")
    with scope(organisation=danish.pk):
        make_member(danish, first_name="Mette", identity_number=CPR)
        make_member(danish, first_name="Lars")
        assert found(danish, q="070761-4285") == {"Mette"}


def test_free_text_escapes_like_wildcards(org):
    make_member(org, first_name="Anna")
    assert found(org, q="%") == set()
    assert found(org, q="_") == set()


# --- status -------------------------------------------------------------------------


@pytest.fixture
def statuses(org: Any) -> dict[str, Person]:
    people = {
        "Active": make_member(org, first_name="Active"),
        "Applied": make_member(org, first_name="Applied", status=MemberStatus.APPLIED),
        "Contact": make_member(org, first_name="Contact", status=MemberStatus.CONTACT),
        "Former": make_member(org, first_name="Former"),
        "Dead": make_member(org, first_name="Dead"),
    }
    services.change_status(people["Former"], MemberStatus.INACTIVE, actor=ACTOR, reason="Moved")
    services.change_status(people["Dead"], MemberStatus.DECEASED, actor=ACTOR)
    return people


def test_without_a_status_the_everyday_list_shows_active_members_and_applicants(org, statuses):
    assert found(org) == {"Active", "Applied"}
    assert found(org, status="") == {"Active", "Applied"}


def test_statuses_combine_with_or_and_all_means_every_status(org, statuses):
    assert found(org, status="inactive") == {"Former"}
    assert found(org, status=["inactive", "deceased"]) == {"Former", "Dead"}
    assert found(org, status="contact") == {"Contact"}
    assert found(org, status="all") == set(statuses)


# --- person fields ------------------------------------------------------------------


def test_membership_type_filter(org):
    family = MembershipTypeFactory(organisation=org, name="Familj")
    honorary = MembershipTypeFactory(organisation=org, name="Heder")
    make_member(org, first_name="F", membership_type=family)
    make_member(org, first_name="H", membership_type=honorary)
    make_member(org, first_name="O")
    assert found(org, membership_type=str(family.pk)) == {"F"}
    assert found(org, membership_type=[str(family.pk), str(honorary.pk)]) == {"F", "H"}


def test_age_range_counts_age_today_including_birthdays(org):
    make_member(org, first_name="Turns7Today", birth_date=years_ago(7))
    make_member(org, first_name="Turns7Tomorrow", birth_date=years_ago(7) + dt.timedelta(days=1))
    make_member(org, first_name="Is12", birth_date=years_ago(12, days=200))
    make_member(org, first_name="Turns13Today", birth_date=years_ago(13))
    make_member(org, first_name="Unknown")
    assert found(org, age_min="7", age_max="12") == {"Turns7Today", "Is12"}
    assert found(org, age_min="13") == {"Turns13Today"}
    assert found(org, age_max="6") == {"Turns7Tomorrow"}


def test_birth_years_are_inclusive(org):
    make_member(org, first_name="A", birth_date=dt.date(1990, 1, 1))
    make_member(org, first_name="B", birth_date=dt.date(1992, 12, 31))
    make_member(org, first_name="C", birth_date=dt.date(1993, 1, 1))
    assert found(org, born_from="1990", born_to="1992") == {"A", "B"}
    assert found(org, born_from="1993") == {"C"}


def test_gender_filter(org):
    make_member(org, first_name="F", gender="female")
    make_member(org, first_name="M", gender="male")
    make_member(org, first_name="X")
    assert found(org, gender="female") == {"F"}
    assert found(org, gender=["female", "male"]) == {"F", "M"}


def test_joined_range_accepts_nordic_dates(org):
    make_member(org, first_name="Early", joined_on=dt.date(2020, 1, 15))
    make_member(org, first_name="Late", joined_on=dt.date(2024, 6, 1))
    assert found(org, joined_from="2020-01-01", joined_to="31.12.2020") == {"Early"}
    assert found(org, joined_from="1/6/2024") == {"Late"}


def test_missing_email_and_phone(org):
    make_member(org, first_name="Both", email="b@example.se", phone="0701234567")
    make_member(org, first_name="NoMail", phone="0701234568")
    make_member(org, first_name="OtherMail", email_secondary="o@example.se")
    make_member(org, first_name="Nothing")
    assert found(org, missing="email") == {"NoMail", "Nothing"}
    assert found(org, missing="phone") == {"OtherMail", "Nothing"}
    assert found(org, missing=["email", "phone"]) == {"Nothing"}


# --- groups, tags, consents ---------------------------------------------------------


def test_section_group_and_tag_filters_use_or_inside_and_and_between(org):
    football = SectionFactory(organisation=org, name="Fotboll")
    p12 = GroupFactory(organisation=org, section=football, name="P12")
    p14 = GroupFactory(organisation=org, section=football, name="P14")
    gym = GroupFactory(organisation=org, name="Gympa")
    board = TagFactory(organisation=org, name="Styrelse")
    people = {name: make_member(org, first_name=name) for name in ["A", "B", "C", "D"]}
    for person, group in [("A", p12), ("A", p14), ("B", p14), ("C", gym)]:
        GroupMembershipFactory(organisation=org, person=people[person], group=group)
    services.tag_people(org, [people["A"].pk, people["C"].pk], board, actor=ACTOR)

    assert found(org, section=str(football.pk)) == {"A", "B"}  # A once, though in two groups
    assert search.search_people(org, {"section": [str(football.pk)]}).count() == 2
    assert found(org, group=[str(p12.pk), str(gym.pk)]) == {"A", "C"}
    assert found(org, tag=str(board.pk)) == {"A", "C"}
    assert found(org, tag=str(board.pk), section=str(football.pk)) == {"A"}


def test_consent_given_and_withdrawn(org):
    photos = ConsentPurposeFactory(organisation=org, name="Foton")
    letter = ConsentPurposeFactory(organisation=org, name="Nyhetsbrev")
    people = {name: make_member(org, first_name=name) for name in ["Gave", "Took", "Again", "No"]}
    for name in ("Gave", "Took", "Again"):
        services.give_consent(people[name], photos, actor=ACTOR)
    services.withdraw_consent(people["Took"], photos, actor=ACTOR)
    services.withdraw_consent(people["Again"], photos, actor=ACTOR)
    services.give_consent(people["Again"], photos, actor=ACTOR)
    services.give_consent(people["No"], letter, actor=ACTOR)

    assert found(org, consent_given=str(photos.pk)) == {"Gave", "Again"}
    assert found(org, consent_withdrawn=str(photos.pk)) == {"Took"}
    assert found(org, consent_given=[str(photos.pk), str(letter.pk)]) == {"Gave", "Again", "No"}


# --- custom fields ------------------------------------------------------------------


def test_custom_fields_of_every_kind(org):
    allergy = AttributeDefinitionFactory(organisation=org, name="Allergi", kind=AttributeKind.TEXT)
    size = AttributeDefinitionFactory(organisation=org, name="Storlek", kind=AttributeKind.NUMBER)
    course = AttributeDefinitionFactory(organisation=org, name="Kurs", kind=AttributeKind.DATE)
    first_aid = AttributeDefinitionFactory(
        organisation=org, name="Första hjälpen", kind=AttributeKind.BOOLEAN
    )
    diet = AttributeDefinitionFactory(
        organisation=org,
        name="Kost",
        kind=AttributeKind.MULTIPLE_CHOICE,
        options=[
            {"key": "veg", "label": "Vegetarisk"},
            {"key": "gluten", "label": "Glutenfri"},
            {"key": "lactose", "label": "Laktosfri"},
        ],
    )
    make_member(
        org,
        first_name="A",
        attributes={
            allergy.pk: "Nötter och jordnötter",
            size.pk: "38,5",
            course.pk: "2024-05-01",
            first_aid.pk: "ja",
            diet.pk: ["veg", "gluten"],
        },
    )
    make_member(
        org,
        first_name="B",
        attributes={
            size.pk: "42",
            course.pk: "2021-01-10",
            first_aid.pk: "nej",
            diet.pk: "lactose",
        },
    )
    make_member(org, first_name="C")

    # Case-insensitive (for non-ASCII letters too on PostgreSQL; SQLite folds ASCII only).
    assert found(org, **{f"attr_{allergy.pk}": "NöTTER"}) == {"A"}
    assert found(org, **{f"attr_{size.pk}_min": "38", f"attr_{size.pk}_max": "40"}) == {"A"}
    assert found(org, **{f"attr_{size.pk}_min": "40"}) == {"B"}
    assert found(org, **{f"attr_{size.pk}_max": "38,5"}) == {"A"}
    assert found(org, **{f"attr_{course.pk}_min": "2023-01-01"}) == {"A"}
    assert found(org, **{f"attr_{course.pk}_max": "31.12.2022"}) == {"B"}
    assert found(org, **{f"attr_{first_aid.pk}": "yes"}) == {"A"}
    assert found(org, **{f"attr_{first_aid.pk}": "no"}) == {"B", "C"}  # no = not yes
    assert found(org, **{f"attr_{diet.pk}": "gluten"}) == {"A"}
    assert found(org, **{f"attr_{diet.pk}": ["gluten", "lactose"]}) == {"A", "B"}
    # The same filter with another custom field: AND.
    assert found(
        org, **{f"attr_{diet.pk}": ["gluten", "lactose"], f"attr_{size.pk}_min": "40"}
    ) == {"B"}


def test_single_choice_field(org):
    shirt = AttributeDefinitionFactory(
        organisation=org,
        kind=AttributeKind.CHOICE,
        options=[{"key": "s", "label": "S"}, {"key": "m", "label": "M"}],
    )
    make_member(org, first_name="Small", attributes={shirt.pk: "s"})
    make_member(org, first_name="Medium", attributes={shirt.pk: "m"})
    assert found(org, **{f"attr_{shirt.pk}": "m"}) == {"Medium"}


# --- combining, sorting -------------------------------------------------------------


def test_filters_combine_with_and(org):
    board = TagFactory(organisation=org)
    young = make_member(org, first_name="Young", birth_date=years_ago(10), gender="female")
    old = make_member(org, first_name="Old", birth_date=years_ago(40), gender="female")
    make_member(org, first_name="Boy", birth_date=years_ago(10), gender="male")
    services.tag_people(org, [young.pk, old.pk], board, actor=ACTOR)
    assert found(org, tag=str(board.pk), gender="female", age_max="18") == {"Young"}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Alfa", "Bravo", "Charlie"]),
        ("-name", ["Charlie", "Bravo", "Alfa"]),
        ("member_number", ["Bravo", "Charlie", "Alfa"]),
        ("-member_number", ["Alfa", "Charlie", "Bravo"]),
        ("age", ["Charlie", "Alfa", "Bravo"]),
        ("-age", ["Bravo", "Alfa", "Charlie"]),
        ("joined_on", ["Alfa", "Charlie", "Bravo"]),
        ("-joined_on", ["Bravo", "Charlie", "Alfa"]),
    ],
)
def test_sorting(org, sort, expected):
    make_member(
        org,
        first_name="Alfa",
        last_name="Andersson",
        member_number=30,
        birth_date=dt.date(1990, 1, 1),
        joined_on=dt.date(2010, 1, 1),
    )
    make_member(
        org,
        first_name="Bravo",
        last_name="berg",  # lower-case: sorting ignores case
        member_number=10,
        birth_date=dt.date(1980, 1, 1),
        joined_on=dt.date(2020, 1, 1),
    )
    make_member(
        org,
        first_name="Charlie",
        last_name="Carlsson",
        member_number=20,
        birth_date=dt.date(2000, 1, 1),
        joined_on=dt.date(2015, 1, 1),
    )
    people = search.search_people(org, {"sort": [sort]})
    assert [p.first_name for p in people] == expected


def test_an_organisation_member_sorts_by_its_name(org):
    make_member(org, first_name="Zeta", last_name="Zander")
    services.create_person(
        org, actor=ACTOR, kind="organisation", organisation_name="Målarfirman AB"
    )
    people = search.search_people(org, {})
    assert [p.full_name for p in people] == ["Målarfirman AB", "Zeta Zander"]


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"age_min": ["ten"]},
        {"age_min": ["-1"]},
        {"born_from": ["19x0"]},
        {"joined_from": ["31.02.2024"]},
        {"status": ["dead"]},
        {"gender": ["robot"]},
        {"missing": ["address"]},
        {"sort": ["password"]},
        {"tag": ["abc"]},
        {"tag": ["999999"]},
        {"age_min": ["30"], "age_max": ["20"]},
        {"q": ["x" * 201]},
    ],
)
def test_invalid_values_give_form_errors_and_find_nobody(org, params):
    make_member(org, first_name="Anna")
    form = search.SearchForm(params, organisation=org)
    assert not form.is_valid()
    assert form.errors
    assert list(form.people()) == []
    assert search.search_people(org, params).count() == 0


def test_invalid_custom_field_values_give_form_errors(org):
    size = AttributeDefinitionFactory(organisation=org, kind=AttributeKind.NUMBER)
    flag = AttributeDefinitionFactory(organisation=org, kind=AttributeKind.BOOLEAN)
    form = search.SearchForm(
        {f"attr_{size.pk}_min": "lots", f"attr_{flag.pk}": "maybe"}, organisation=org
    )
    assert not form.is_valid()
    assert set(form.errors) == {f"attr_{size.pk}_min", f"attr_{flag.pk}"}


def test_unknown_parameters_are_ignored(org):
    make_member(org, first_name="Anna")
    assert found(org, csrfmiddlewaretoken="x", page="3", attr_999999="x") == {"Anna"}


def test_a_query_dict_works_like_a_dict_of_lists(org):
    make_member(org, first_name="Anna", last_name="Ek", gender="female")
    make_member(org, first_name="Bo", last_name="Fors", gender="male")
    params = QueryDict("gender=female&gender=male&sort=-name")
    assert [p.first_name for p in search.search_people(org, params)] == ["Bo", "Anna"]


# --- tenant isolation ---------------------------------------------------------------


def test_ids_of_another_association_find_nothing(org):
    other = OrganisationFactory()
    with scopes_disabled():
        foreign_tag = TagFactory(organisation=other)
        foreign_group = GroupFactory(organisation=other)
        foreign_type = MembershipTypeFactory(organisation=other)
        foreign_purpose = ConsentPurposeFactory(organisation=other)
        foreign_attribute = AttributeDefinitionFactory(organisation=other)
    make_member(org, first_name="Anna")
    for name, value in [
        ("tag", foreign_tag.pk),
        ("group", foreign_group.pk),
        ("section", foreign_group.section_id),
        ("membership_type", foreign_type.pk),
        ("consent_given", foreign_purpose.pk),
        ("consent_withdrawn", foreign_purpose.pk),
    ]:
        form = search.SearchForm({name: [str(value)]}, organisation=org)
        assert not form.is_valid(), name
        assert list(form.people()) == [], name
    # A custom field of another association is not a parameter here at all.
    assert f"attr_{foreign_attribute.pk}" not in search.SearchForm({}, organisation=org).fields


def test_a_search_never_finds_people_of_another_association(org):
    other = OrganisationFactory()
    with scopes_disabled(), scope(organisation=other.pk):
        make_member(other, first_name="Stranger", identity_number=PERSONNUMMER)
    make_member(org, first_name="Anna")
    assert found(org, status="all") == {"Anna"}
    assert found(org, q=PERSONNUMMER) == set()


# --- description --------------------------------------------------------------------


def test_describe_lists_the_active_filters_by_name(org):
    board = TagFactory(organisation=org, name="Styrelse")
    size = AttributeDefinitionFactory(organisation=org, name="Storlek", kind=AttributeKind.NUMBER)
    params = {
        "q": ["anna"],
        "status": ["active", "inactive"],
        "tag": [str(board.pk)],
        "age_min": ["7"],
        "age_max": ["12"],
        "missing": ["email"],
        f"attr_{size.pk}_min": ["38"],
        "sort": ["-name"],
        "page": ["2"],
    }
    with translation.override("en"):
        labels = search.describe(params, org)
    assert labels == [
        "Text: “anna”",
        "Status: Active",
        "Status: Former member",
        "Age: 7–12",
        "Tag: Styrelse",
        "No e-mail address",
        "Storlek: from 38",
    ]
    with translation.override("en"):
        assert search.describe({}, org) == []
        assert search.describe({"status": ["all"]}) == ["All statuses"]


def test_clean_query_keeps_only_the_rule(org):
    params = QueryDict("q=+anna+&page=2&sort=name&status=&tag=3&attr_5_min=1&evil=1")
    assert search.clean_query(params) == {"attr_5_min": ["1"], "q": ["anna"], "tag": ["3"]}


# --- saved searches -----------------------------------------------------------------


def test_a_saved_search_is_a_rule_evaluated_each_time(org):
    board = TagFactory(organisation=org)
    first = make_member(org, first_name="First")
    services.tag_people(org, [first.pk], board, actor=ACTOR)
    saved = search.save_search(org, "Styrelsen", {"tag": [str(board.pk)]}, actor=ACTOR)
    assert saved.query == {"tag": [str(board.pk)]}  # the rule, never a list of ids
    assert {p.first_name for p in search.saved_search_people(saved)} == {"First"}

    later = make_member(org, first_name="Later")
    services.tag_people(org, [later.pk], board, actor=ACTOR)
    saved.refresh_from_db()
    assert {p.first_name for p in search.saved_search_people(saved)} == {"First", "Later"}


def test_saving_the_same_name_again_updates_the_search(org):
    first = search.save_search(org, "Barn", {"age_max": ["12"]}, actor=ACTOR)
    second = search.save_search(org, "  barn ", {"age_max": ["15"], "page": ["4"]}, actor=ACTOR)
    assert second.pk == first.pk
    assert SavedSearch.objects.filter(organisation=org).count() == 1
    second.refresh_from_db()
    assert second.query == {"age_max": ["15"]}
    assert AuditEvent.objects.filter(action="members.savedsearch.updated").exists()


@pytest.mark.parametrize(
    ("name", "params"), [("", {"q": ["x"]}), ("x" * 121, {}), ("Bad", {"age_min": ["x"]})]
)
def test_saving_refuses_a_missing_name_or_an_invalid_search(org, name, params):
    with pytest.raises(ValidationError):
        search.save_search(org, name, params, actor=ACTOR)
    assert not SavedSearch.objects.filter(organisation=org).exists()


def test_a_saved_search_with_a_deleted_tag_finds_nobody_rather_than_everyone(org):
    tag = TagFactory(organisation=org)
    make_member(org, first_name="Anna")
    saved = SavedSearchFactory(organisation=org, query={"tag": [str(tag.pk)]})
    tag.delete()
    assert list(search.saved_search_people(saved)) == []


# --- the age boundary helper --------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "years", "expected"),
    [
        (dt.date(2026, 3, 1), 18, dt.date(2008, 3, 1)),
        (dt.date(2024, 2, 29), 18, dt.date(2006, 2, 28)),
        (dt.date(2024, 2, 29), 4, dt.date(2020, 2, 29)),
    ],
)
def test_years_before(today, years, expected):
    assert years_before(today, years) == expected


def test_running_a_search_reads_only_the_lists_its_filters_name(org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = GroupFactory(organisation=org, name="P12")
    TagFactory(organisation=org, name="Styrelse")
    anna = make_member(org, first_name="Anna")
    make_member(org, first_name="Bo")
    GroupMembershipFactory(organisation=org, person=anna, group=group)

    with CaptureQueriesContext(connection) as queries:
        assert found(org, group=str(group.pk)) == {"Anna"}
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"core_group"' in tables
    for unused in ("members_tag", "members_membershiptype", "members_attributedefinition"):
        assert f'FROM "{unused}"' not in tables

    # A group that is not this association's is still refused: nobody is found.
    other = GroupFactory(organisation=OrganisationFactory())
    assert found(org, group=str(other.pk)) == set()
    assert found(org, group=str(group.pk), tag="999999") == set()
