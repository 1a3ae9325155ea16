"""The demo data behind `make run`: realistic, complete for every role, loaded only once."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, Max
from django_scopes import scopes_disabled
from faker import Faker

from forening.core import demo
from forening.core.models import (
    AuditEvent,
    Group,
    GroupMembership,
    Guardianship,
    Organisation,
    Person,
    Role,
    RoleAssignment,
    Section,
    User,
)

pytestmark = pytest.mark.django_db


def database_state() -> dict[str, tuple[int, object]]:
    """Row count and newest updated_at (where there is one) of every model."""
    state = {}
    with scopes_disabled():
        for model in apps.get_models():
            rows = model._base_manager.all()
            has_updated_at = any(f.name == "updated_at" for f in model._meta.concrete_fields)
            newest = rows.aggregate(newest=Max("updated_at"))["newest"] if has_updated_at else None
            state[model._meta.label] = (rows.count(), newest)
    return state


@pytest.fixture
def demo_org() -> Organisation:
    result = demo.build_demo()
    assert result.created
    return result.organisation


def test_demo_has_a_club_of_about_600_people_in_households(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org)
        assert 580 <= people.count() <= 640
        assert Section.objects.filter(organisation=demo_org).count() == 2
        assert 18 <= Group.objects.filter(organisation=demo_org).count() <= 22
        assert Guardianship.objects.filter(organisation=demo_org).count() > 100
        assert GroupMembership.objects.filter(organisation=demo_org).count() > 150
        # Every group has someone in it.
        assert not Group.objects.annotate(n=Count("memberships")).filter(n=0).exists()
        households = people.values("household").annotate(
            n=Count("pk"),
            addresses=Count("street", distinct=True),
            postal_codes=Count("postal_code", distinct=True),
        )
        assert all(row["addresses"] == 1 and row["postal_codes"] == 1 for row in households)
        assert households.filter(n__gte=3).count() > 50
        assert not people.filter(household__isnull=True).exists()
        phones = list(people.exclude(phone="").values_list("phone", flat=True))
        assert phones
        assert all(phone.startswith("+467") and len(phone) == 12 for phone in phones)
        # Guardians and wards share a household, and wards are minors.
        pairs = Guardianship.objects.filter(organisation=demo_org).select_related(
            "guardian", "ward"
        )
        assert all(g.guardian.household_id == g.ward.household_id for g in pairs)
        assert all(g.ward.birth_date > g.guardian.birth_date for g in pairs)


def test_demo_has_a_federation_above_and_a_local_unit_below(demo_org):
    assert demo_org.slug == "ik-demo"
    assert demo_org.parent.slug == "demoforbundet"
    assert Organisation.objects.get(slug="ik-demo-ungdom").parent == demo_org
    assert Organisation.objects.filter(is_demo=True).count() == 3
    assert AuditEvent.objects.filter(action="core.demo.created", organisation=demo_org).exists()


def test_every_demo_login_signs_in_and_has_its_role(demo_org):
    for login in demo.LOGINS:
        user = authenticate(email=login.email, password=demo.DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.is_email_verified
    with scopes_disabled():
        roles = set(RoleAssignment.objects.values_list("user__email", "organisation__slug", "role"))
        assert (demo.ADMIN_EMAIL, "ik-demo", Role.ADMIN) in roles
        assert (demo.FEDERATION_ADMIN_EMAIL, "demoforbundet", Role.ADMIN) in roles
        assert (demo.UNIT_ADMIN_EMAIL, "ik-demo-ungdom", Role.ADMIN) in roles
        led = RoleAssignment.objects.filter(user__email=demo.LEADER_EMAIL, role=Role.LEADER)
        assert led.count() == 2
        assert all(assignment.group.memberships.exists() for assignment in led)
        leader = User.objects.get(email=demo.LEADER_EMAIL)
        assert Person.objects.filter(organisation=demo_org, user=leader).exists()
        member = Person.objects.get(user__email=demo.MEMBER_EMAIL)
        assert member.wardships.count() == 2


def test_loading_the_demo_again_changes_nothing(demo_org):
    before = database_state()

    output = io.StringIO()
    call_command("demo", "--print-logins", stdout=output)

    assert database_state() == before
    text = output.getvalue()
    assert "The demo exists already" in text
    assert "http://127.0.0.1:8000/" in text
    assert demo.DEMO_PASSWORD in text
    assert all(login.email in text for login in demo.LOGINS)


def test_the_demo_people_are_the_same_on_every_fresh_database():
    club = Organisation(name="IK Demo", slug="ik-demo")
    today = dt.date(2026, 3, 1)

    def people() -> list[tuple[str, str, str, dt.date | None, str, tuple[str, ...]]]:
        drafts, _leader, _member = demo._build_people(
            club, random.Random(demo.SEED), seeded_faker(demo.SEED), today
        )
        return [
            (
                d.person.first_name,
                d.person.last_name,
                d.person.street,
                d.person.birth_date,
                d.person.household.name,
                tuple(d.groups),
            )
            for d in drafts
        ]

    assert people() == people()
    drafts, _leader, _member = demo._build_people(
        club, random.Random(demo.SEED), seeded_faker(demo.SEED), today
    )
    assert len({id(d.person.household) for d in drafts}) > 150


def seeded_faker(seed: int) -> Faker:
    fake = Faker("sv_SE")
    fake.seed_instance(seed)
    return fake
