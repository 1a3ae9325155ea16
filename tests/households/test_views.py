"""Editing a household (REG-04): name, address (everyone moves along), payer and invoice
recipient chosen among its people."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from forening.core.models import Person
from forening.households.models import Household
from tests.conftest import World
from tests.factories.members import HouseholdFactory, make_member


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


@pytest.fixture
def family(world: World) -> tuple[Household, Person, Person]:
    with scope(organisation=world.org.pk):
        household = HouseholdFactory(
            organisation=world.org, name="Familjen Ek", street="Ekvägen 1", city="Umeå"
        )
        parent = make_member(world.org, first_name="Eva", last_name="Ek", household=household)
        child = make_member(world.org, first_name="Olle", last_name="Ek", household=household)
    return household, parent, child


def household_url(world: World, household: Household) -> str:
    return reverse(
        "org:household", kwargs={"org_slug": world.org.slug, "household_id": household.pk}
    )


def reload(obj: Any) -> Any:
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)


def errors_of(response: Any, field: str) -> list[str]:
    with translation.override("en"):
        return [str(error) for error in response.context["form"].errors.get(field, [])]


def test_page_shows_the_household(admin_client: Any, world: World, family: Any) -> None:
    household, parent, child = family
    response = admin_client.get(household_url(world, household))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Familjen Ek" in html
    assert "Eva Ek" in html
    assert "Olle Ek" in html
    assert reverse("org:member", args=[world.org.slug, parent.pk]) in html
    assert response.context["form"]["street"].value() == "Ekvägen 1"


def test_new_address_moves_everyone(admin_client: Any, world: World, family: Any) -> None:
    household, parent, child = family
    response = admin_client.post(
        household_url(world, household),
        {
            "name": "Familjen Ek-Berg",
            "care_of": "",
            "street": "Bergsgatan 5",
            "postal_code": "903 25",
            "city": "Umeå",
            "country": "SE",
            "payer": parent.pk,
            "invoice_recipient": "",
        },
    )
    assert response.status_code == 302
    assert reload(household).name == "Familjen Ek-Berg"
    for person in (parent, child):
        moved = reload(person)
        assert (moved.street, moved.postal_code) == ("Bergsgatan 5", "903 25")


def test_payer_and_invoice_recipient(admin_client: Any, world: World, family: Any) -> None:
    household, parent, child = family
    response = admin_client.post(
        household_url(world, household),
        {"name": "Familjen Ek", "payer": parent.pk, "invoice_recipient": child.pk},
    )
    assert response.status_code == 302
    saved = reload(household)
    assert saved.payer_id == parent.pk
    assert saved.invoice_recipient_id == child.pk


def test_payer_must_be_in_the_household(admin_client: Any, world: World, family: Any) -> None:
    household, parent, _child = family
    with scope(organisation=world.org.pk):
        outsider = make_member(world.org)
    for candidate in (outsider, world.stranger_person):
        response = admin_client.post(
            household_url(world, household), {"name": "Familjen Ek", "payer": candidate.pk}
        )
        assert response.status_code == 200
        assert "valid choice" in errors_of(response, "payer")[0]
    assert reload(household).payer_id in (None, parent.pk)


def test_name_is_required(admin_client: Any, world: World, family: Any) -> None:
    household, _parent, _child = family
    response = admin_client.post(household_url(world, household), {"name": "  "})
    assert response.status_code == 200
    assert errors_of(response, "name")
    assert reload(household).name == "Familjen Ek"


def test_other_associations_household_is_404(admin_client: Any, world: World) -> None:
    with scopes_disabled():
        foreign = HouseholdFactory(organisation=world.other_org, name="Främlingarna")
    url = reverse("org:household", kwargs={"org_slug": world.org.slug, "household_id": foreign.pk})
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"name": "Kapat"}).status_code == 404
    assert reload(foreign).name == "Främlingarna"


def test_names_are_escaped(admin_client: Any, world: World) -> None:
    with scope(organisation=world.org.pk):
        household = HouseholdFactory(organisation=world.org, name='<script>alert("h")</script>')
        make_member(world.org, first_name="<b>Fet</b>", last_name="O'Hara", household=household)
    html = admin_client.get(household_url(world, household)).content.decode()
    assert "<script>alert" not in html
    assert "<b>Fet</b>" not in html
    assert escape("<b>Fet</b>") in html


def test_members_and_leaders_cannot_edit(client: Any, world: World, family: Any) -> None:
    household, _parent, _child = family
    for user in (world.member, world.leader):
        client.force_login(user)
        assert client.post(household_url(world, household), {"name": "X"}).status_code == 403
    assert reload(household).name == "Familjen Ek"
