"""The households' write path (REG-04): address sharing, payer and invoice recipient."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from forening.core.context import Actor
from forening.core.models import AuditEvent
from forening.households import services as household_services
from forening.households.services import HouseholdError
from forening.members import services
from tests.factories.core import OrganisationFactory, UserFactory
from tests.factories.members import HouseholdFactory, make_member
from tests.factories.members import make_adult as adult
from tests.factories.members import make_child as child

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids)."""
    with translation.override("en"):
        yield


def events(action: str, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("pk"))


@pytest.fixture
def actor():
    user = UserFactory(email="kansliet@example.se", full_name="Karin Kansli")
    return Actor(user=user, label=user.email)


def test_a_new_household_takes_the_first_persons_address_and_an_adult_payer(org, actor):
    kid = child(org, actor, "Kim", street="Storgatan 1", postal_code="222 22", city="Lund")
    parent = adult(org, actor, "Pia", street="Lillgatan 2", postal_code="111 11", city="Ystad")

    household = household_services.create_household(
        org, actor=actor, name="Familjen Ek", people=[kid, parent]
    )

    assert household.street == "Storgatan 1"
    assert household.payer == parent
    for person in (kid, parent):
        person.refresh_from_db()
        assert person.household == household
        assert (person.street, person.postal_code, person.city) == (
            "Storgatan 1",
            "222 22",
            "Lund",
        )
    assert events("households.household.created")


def test_a_household_needs_a_name(org, actor):
    with pytest.raises(ValidationError) as error:
        household_services.create_household(org, actor=actor, name="  ")

    assert "name" in error.value.message_dict


def test_a_newborn_is_not_taken_for_the_payer(org, actor):
    baby = make_member(org, actor=actor, first_name="Bebis", birth_date=timezone.localdate())
    parent = adult(org, actor, "Pia")

    household = household_services.create_household(
        org, actor=actor, name="Familjen", people=[baby, parent]
    )

    assert household.payer == parent


def test_changing_the_household_address_moves_everyone(org, actor):
    first, second = adult(org, actor, "Pia"), child(org, actor, "Kim")
    household = household_services.create_household(
        org, actor=actor, name="Ek", people=[first, second]
    )

    household_services.update_household(household, actor=actor, street="Nya vägen 5", city="Eslöv")

    for person in (first, second):
        person.refresh_from_db()
        assert (person.street, person.city) == ("Nya vägen 5", "Eslöv")


def test_when_one_person_in_a_household_moves_the_household_moves_along(org, actor):
    first, second = adult(org, actor, "Pia"), child(org, actor, "Kim")
    household = household_services.create_household(
        org, actor=actor, name="Ek", people=[first, second]
    )

    services.update_person(first, actor=actor, street="Flyttgatan 7", postal_code="333 33")

    household.refresh_from_db()
    second.refresh_from_db()
    assert household.street == second.street == "Flyttgatan 7"
    assert second.postal_code == "333 33"


def test_moving_between_households_replaces_a_payer_who_leaves(org, actor):
    pia, per, kim = adult(org, actor, "Pia"), adult(org, actor, "Per"), child(org, actor, "Kim")
    ek = household_services.create_household(org, actor=actor, name="Ek", people=[pia, per, kim])
    # The caller's objects are as they were before the move in: the check reads the database.
    assert pia.household_id is None
    household_services.update_household(ek, actor=actor, payer=pia, invoice_recipient=pia)
    new_home = HouseholdFactory(organisation=org, street="Solgatan 4")

    household_services.move_to_household(pia, new_home, actor=actor)

    ek.refresh_from_db()
    new_home.refresh_from_db()
    pia.refresh_from_db()
    assert ek.payer == per
    assert ek.invoice_recipient is None
    assert new_home.payer == pia
    assert pia.household == new_home
    assert pia.street == "Solgatan 4"


def test_a_household_left_by_its_only_adult_has_no_payer(org, actor):
    pia, kim = adult(org, actor, "Pia"), child(org, actor, "Kim")
    ek = household_services.create_household(org, actor=actor, name="Ek", people=[pia, kim])

    household_services.move_to_household(pia, None, actor=actor)

    ek.refresh_from_db()
    pia.refresh_from_db()
    assert ek.payer is None
    assert pia.household is None


def test_payer_and_invoice_recipient_must_live_in_the_household(org, actor):
    pia, outsider = adult(org, actor, "Pia"), adult(org, actor, "Olle")
    ek = household_services.create_household(org, actor=actor, name="Ek", people=[pia])

    with pytest.raises(ValidationError) as error:
        household_services.update_household(ek, actor=actor, payer=outsider)
    assert "payer" in error.value.message_dict
    with pytest.raises(ValidationError):
        household_services.update_household(ek, actor=actor, invoice_recipient=outsider)
    with pytest.raises(ValueError, match="cannot set"):
        household_services.update_household(ek, actor=actor, organisation=None)


def test_a_household_of_another_association_is_refused(org, actor):
    other = OrganisationFactory(slug="andra")
    foreign = HouseholdFactory(organisation=other)
    person = adult(org, actor, "Pia")

    with pytest.raises(HouseholdError, match="household in this association"):
        household_services.move_to_household(person, foreign, actor=actor)
