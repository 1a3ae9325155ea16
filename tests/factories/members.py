"""Factories for the member register. `make_member` goes through the service, so the
person gets what a real one gets (member number, status history, encrypted number)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.households.models import Household
from forening.members import services
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    ConsentPurpose,
    MembershipKind,
    MembershipType,
    SavedSearch,
    Tag,
)
from tests.factories.core import OrganisationFactory, fake

# Valid numbers from Skatteverket's and CPR-kontoret's rules (checked in the identity tests).
PERSONNUMMER = "19850312-2387"  # a woman born 12 March 1985
PERSONNUMMER_MALE = "19090527-1474"
SAMORDNINGSNUMMER = "19701063-2391"  # day 63 = the 3rd
CPR = "0707614285"


def make_member(organisation: Organisation, **fields: Any) -> Person:
    fields.setdefault("first_name", fake.first_name())
    fields.setdefault("last_name", fake.last_name())
    actor = fields.pop("actor", None) or Actor.system("test")
    return services.create_person(organisation, actor=actor, **fields)


def make_adult(organisation: Organisation, actor: Any, first_name: str, **fields: Any) -> Person:
    """A member born in 1980."""
    return make_member(
        organisation, actor=actor, first_name=first_name, birth_date=dt.date(1980, 1, 1), **fields
    )


def make_child(organisation: Organisation, actor: Any, first_name: str, **fields: Any) -> Person:
    """A member who is eight years old today."""
    eight_years_ago = timezone.localdate() - dt.timedelta(days=365 * 8)
    return make_member(
        organisation, actor=actor, first_name=first_name, birth_date=eight_years_ago, **fields
    )


class MembershipTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MembershipType

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Medlemskap {n}")
    kind = MembershipKind.OTHER


class AttributeDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttributeDefinition

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Fält {n}")
    kind = AttributeKind.TEXT


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Etikett {n}")


class ConsentPurposeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsentPurpose

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Samtycke {n}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.LazyFunction(lambda: f"Familjen {fake.last_name()}")
    street = factory.LazyFunction(fake.street_address)
    postal_code = "123 45"
    city = factory.LazyFunction(fake.city)


class SavedSearchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedSearch

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Sökning {n}")
    query = factory.LazyFunction(dict)
