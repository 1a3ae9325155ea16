"""Factories for fee rules. `make_category` goes through the service, so a category is
checked and logged as a real one is; the factories write rows directly."""

from __future__ import annotations

from typing import Any

import factory

from forening.core.context import Actor
from forening.core.models import Organisation
from forening.fees import services
from forening.fees.models import FeeAgeBand, FeeCategory, FeeKind, FeeSettings
from forening.ledger.models import Account
from forening.ledger.services import accounts_by_role
from tests.factories.core import OrganisationFactory

ROLE_BY_KIND = {
    FeeKind.MEMBERSHIP: "membership_fees",
    FeeKind.TRAINING: "training_fees",
    FeeKind.OTHER: "membership_fees",
}


def fee_account(organisation: Organisation, role: str = "membership_fees") -> Account:
    """The association's account for `role` in its seeded chart of accounts."""
    return accounts_by_role(organisation)[role]


_names = iter(range(1, 10**9))


def make_category(organisation: Organisation, **fields: Any) -> FeeCategory:
    """A fee category created by `services.create_fee_category` (fixed 300 kr unless
    `amount_minor` or `bands` is given)."""
    kind = fields.setdefault("kind", FeeKind.MEMBERSHIP)
    fields.setdefault("name", f"Avgift {next(_names)}")
    fields.setdefault("account", fee_account(organisation, ROLE_BY_KIND[FeeKind(kind)]))
    if fields.get("bands") is None:
        fields.setdefault("amount_minor", 30000)
    actor = fields.pop("actor", None) or Actor.system("test")
    return services.create_fee_category(organisation, actor=actor, **fields)


class FeeSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeSettings
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(OrganisationFactory)


class FeeCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeCategory

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Medlemsavgift {n}")
    amount_minor = 30000
    account = factory.LazyAttribute(lambda o: fee_account(o.organisation))


class FeeAgeBandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeAgeBand

    category = factory.SubFactory(FeeCategoryFactory)
    organisation = factory.SelfAttribute("category.organisation")
    min_age = 0
    max_age = None
    amount_minor = 20000
