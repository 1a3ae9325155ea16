"""The lists the search form offers (membership types, sections, groups, tags, consent
purposes, custom fields), loaded once per request or only those a search names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forening.core.models import Group, Organisation, Section
from forening.members.models import (
    AttributeDefinition,
    ConsentPurpose,
    MembershipType,
    Tag,
)
from forening.members.search.params import ATTRIBUTE_PARAMETER


@dataclass
class SearchChoices:
    """What the search form offers: one query per list, loaded once per request."""

    membership_types: list[MembershipType]
    sections: list[Section]
    groups: list[Group]
    tags: list[Tag]
    purposes: list[ConsentPurpose]
    attribute_definitions: list[AttributeDefinition]

    @classmethod
    def load(
        cls, organisation: Organisation | None, *, only_for: Mapping[str, Any] | None = None
    ) -> SearchChoices:
        """Every list, for the search page. With `only_for` (search parameters), only the
        lists those parameters name are read: running a search (a saved search for a
        mailing, a billing run) needs the groups it filters on, not every list."""
        where = {"organisation": organisation} if organisation is not None else {}

        def wanted(*names: str) -> bool:
            return only_for is None or any(only_for.get(name) for name in names)

        attributes = only_for is None or any(
            value and ATTRIBUTE_PARAMETER.match(name) for name, value in only_for.items()
        )
        return cls(
            membership_types=(
                list(MembershipType.objects.filter(**where)) if wanted("membership_type") else []
            ),
            sections=list(Section.objects.filter(**where)) if wanted("section") else [],
            groups=(
                list(Group.objects.filter(**where).select_related("section"))
                if wanted("group")
                else []
            ),
            tags=list(Tag.objects.filter(**where)) if wanted("tag") else [],
            purposes=(
                list(ConsentPurpose.objects.filter(**where))
                if wanted("consent_given", "consent_withdrawn")
                else []
            ),
            attribute_definitions=(
                list(AttributeDefinition.objects.filter(**where)) if attributes else []
            ),
        )
