"""Factories for the core app. Passwords are hashed once, not per user (Argon2 is slow)."""

from __future__ import annotations

import factory
from django.contrib.auth.hashers import make_password
from faker import Faker

from forening.core.models import (
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

PASSWORD = "korrekt-häst-batteri-42"
_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password(PASSWORD))
    return _PASSWORD_HASH[0]


fake = Faker("sv_SE")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"IK Testförening {n}")
    slug = factory.Sequence(lambda n: f"ik-test-{n}")
    country = "SE"
    currency = "SEK"
    language = "sv"
    organisation_number = "802004-2514"


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Sektion {n}")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    organisation = factory.SubFactory(OrganisationFactory)
    section = factory.SubFactory(
        SectionFactory, organisation=factory.SelfAttribute("..organisation")
    )
    name = factory.Sequence(lambda n: f"Grupp {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.se")
    full_name = factory.LazyFunction(fake.name)
    password = factory.LazyFunction(password_hash)
    language = "en"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organisation = factory.SubFactory(OrganisationFactory)
    first_name = factory.LazyFunction(fake.first_name)
    last_name = factory.LazyFunction(fake.last_name)
    email = factory.Sequence(lambda n: f"person{n}@example.se")


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    organisation = factory.SubFactory(OrganisationFactory)
    guardian = factory.SubFactory(
        PersonFactory, organisation=factory.SelfAttribute("..organisation")
    )
    ward = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))


class GroupMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMembership

    organisation = factory.SubFactory(OrganisationFactory)
    group = factory.SubFactory(GroupFactory, organisation=factory.SelfAttribute("..organisation"))
    person = factory.SubFactory(PersonFactory, organisation=factory.SelfAttribute("..organisation"))


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ADMIN
    group = None
