"""After sign-in: straight into the one association, or a choice between several."""

from __future__ import annotations

from django.urls import reverse
from django_scopes import scopes_disabled

from forening.core.models import Role
from tests.factories.core import (
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
    UserFactory,
)

HOME = reverse("home")


def dashboard(slug: str) -> str:
    return reverse("org:dashboard", args=[slug])


def test_a_user_of_one_association_goes_straight_to_it(client, world):
    client.force_login(world.leader)
    assert client.get(HOME).url == dashboard(world.org.slug)


def test_a_user_of_two_associations_chooses_and_the_choice_is_remembered(client, world):
    with scopes_disabled():
        PersonFactory(organisation=world.other_org, user=world.member)
    client.force_login(world.member)

    page = client.get(HOME)
    assert page.status_code == 200
    assert [o.slug for o in page.context["organisations"]] == ["andra-if", "ik-test"]

    assert client.get(dashboard("andra-if")).status_code == 200
    assert client.get(HOME).url == dashboard("andra-if")
    assert client.get(dashboard("ik-test")).status_code == 200
    assert client.get(HOME).url == dashboard("ik-test")

    # The menu's "Switch association" always shows the choice.
    assert len(client.get(HOME, {"choose": "1"}).context["organisations"]) == 2


def test_a_federation_admin_is_offered_the_local_units_too(client, world):
    client.force_login(world.federation_admin)
    slugs = {o.slug for o in client.get(HOME, {"choose": "1"}).context["organisations"]}
    assert slugs == {"forbundet", "ik-test", "ik-test-lokal"}


def test_a_user_without_association_is_told_so(client, db):
    client.force_login(UserFactory())
    page = client.get(HOME)
    assert page.status_code == 200
    assert page.context["organisations"] == []


def test_the_chooser_lists_nothing_of_other_users(client, db):
    with scopes_disabled():
        mine, theirs = OrganisationFactory(), OrganisationFactory()
        user = UserFactory()
        RoleAssignmentFactory(organisation=mine, user=user, role=Role.ADMIN)
        RoleAssignmentFactory(organisation=theirs, role=Role.ADMIN)
    client.force_login(user)
    assert client.get(HOME).url == dashboard(mine.slug)


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    assert client.get(HOME).url.startswith(reverse("accounts:login"))
