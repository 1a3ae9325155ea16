"""Shared fixtures: an organisation inside its tenant scope, and a persona for every role.

Personas (all with the password `factories.core.PASSWORD`):
- `admin`: administrator of `org`;
- `federation_admin`: administrator of `federation`, the parent of `org`;
- `unit_admin`: administrator of `unit`, a local unit below `org`;
- `leader`: leads `group` in `org`;
- `member`: has a person record in `org`, and is guardian of `ward`;
- `outsider`: administrator of `other_org`, an unrelated association.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled
from hypothesis import settings as hypothesis_settings

from forening.core.models import Group, Organisation, Person, Role, User
from tests.factories.core import (
    GroupFactory,
    GroupMembershipFactory,
    GuardianshipFactory,
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
    UserFactory,
)
from tests.hypothesis_profiles import CI_MAX_EXAMPLES, DEV_MAX_EXAMPLES

# Hypothesis: the full figure in CI, a tenth of it while developing (`HYPOTHESIS_PROFILE`,
# `dev` unless set; `.ci/run` sets `ci`). Tests scale their own figures with
# tests.hypothesis_profiles.examples(). The CI profile prints the blob that replays a failure.
hypothesis_settings.register_profile("ci", max_examples=CI_MAX_EXAMPLES, print_blob=True)
hypothesis_settings.register_profile("dev", max_examples=DEV_MAX_EXAMPLES)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _clear_caches() -> None:
    from django.core.cache import cache

    from forening.core.crypto import keyring

    cache.clear()
    keyring.cache_clear()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: Any) -> None:
    """Uploaded files (photos, attachments, imports) go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


@pytest.fixture
def org(db: Any) -> Any:
    organisation = OrganisationFactory(name="IK Test", slug="ik-test")
    with scope(organisation=organisation.pk):
        yield organisation


@dataclass
class World:
    federation: Organisation
    org: Organisation
    unit: Organisation
    other_org: Organisation
    group: Group
    other_group: Group
    admin: User
    federation_admin: User
    unit_admin: User
    leader: User
    member: User
    outsider: User
    member_person: Person
    ward: Person
    group_person: Person
    stranger_person: Person

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = ["anonymous", "member", "leader", "unit_admin", "admin", "federation_admin", "outsider"]


@pytest.fixture
def world(db: Any) -> World:
    with scopes_disabled():
        federation = OrganisationFactory(name="Förbundet", slug="forbundet")
        org = OrganisationFactory(name="IK Test", slug="ik-test", parent=federation)
        unit = OrganisationFactory(name="IK Test Lokal", slug="ik-test-lokal", parent=org)
        other_org = OrganisationFactory(name="Andra IF", slug="andra-if")
        group = GroupFactory(organisation=org, name="P12")
        other_group = GroupFactory(organisation=org, name="F14")
        admin = UserFactory(email="admin@example.se")
        federation_admin = UserFactory(email="federation@example.se")
        unit_admin = UserFactory(email="unit@example.se")
        leader = UserFactory(email="leader@example.se")
        member = UserFactory(email="member@example.se")
        outsider = UserFactory(email="outsider@example.se")
        RoleAssignmentFactory(organisation=org, user=admin, role=Role.ADMIN)
        RoleAssignmentFactory(organisation=federation, user=federation_admin, role=Role.ADMIN)
        RoleAssignmentFactory(organisation=unit, user=unit_admin, role=Role.ADMIN)
        RoleAssignmentFactory(organisation=org, user=leader, role=Role.LEADER, group=group)
        RoleAssignmentFactory(organisation=other_org, user=outsider, role=Role.ADMIN)
        member_person = PersonFactory(organisation=org, user=member)
        ward = PersonFactory(organisation=org)
        GuardianshipFactory(organisation=org, guardian=member_person, ward=ward)
        group_person = PersonFactory(organisation=org, first_name="Gunnel", last_name="Lagspelare")
        GroupMembershipFactory(organisation=org, group=group, person=group_person)
        GroupMembershipFactory(organisation=org, group=group, person=ward)
        # A name no random Faker name can collide with: tests assert it never shows.
        stranger_person = PersonFactory(
            organisation=other_org, first_name="Utomstående", last_name="Främlingsdotter"
        )
    return World(
        federation=federation,
        org=org,
        unit=unit,
        other_org=other_org,
        group=group,
        other_group=other_group,
        admin=admin,
        federation_admin=federation_admin,
        unit_admin=unit_admin,
        leader=leader,
        member=member,
        outsider=outsider,
        member_person=member_person,
        ward=ward,
        group_person=group_person,
        stranger_person=stranger_person,
    )
