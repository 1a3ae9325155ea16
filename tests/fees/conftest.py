"""Fee tests read reasons and messages in English (the msgids)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from forening.members.models import MembershipKind, MembershipType
from tests.factories.members import MembershipTypeFactory


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Types:
    ordinary: MembershipType
    family: MembershipType
    honorary: MembershipType
    supporting: MembershipType


@pytest.fixture
def types(org: Any) -> Types:
    def make(kind: str, name: str) -> MembershipType:
        return MembershipTypeFactory(organisation=org, kind=kind, name=name)

    return Types(
        ordinary=make(MembershipKind.ORDINARY, "Ordinary"),
        family=make(MembershipKind.FAMILY, "Family"),
        honorary=make(MembershipKind.HONORARY, "Honorary"),
        supporting=make(MembershipKind.SUPPORTING, "Supporting"),
    )
