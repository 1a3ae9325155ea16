"""Permission-matrix rows for the register's privacy pages (merged by
tests/core/test_permission_matrix.py): who may open each URL name, the URL kwargs it needs,
and a payload the page accepts."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from forening.core.models import MemberStatus
from tests.conftest import World
from tests.factories.core import PersonFactory
from tests.factories.members import (
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    MembershipTypeFactory,
    TagFactory,
)

OK, FORBIDDEN = "ok", 403
# Office pages: the association's admins (and the federation's); members and leaders of the
# association are refused with 403, everyone else sees 404 (tests/core: DEFAULT).
OFFICE = {"admin": OK, "federation_admin": OK, "member": FORBIDDEN, "leader": FORBIDDEN}

EXPECTED: dict[str, dict[str, Any]] = dict.fromkeys(
    (
        "register-settings",
        "membership-type-create",
        "membership-type-edit",
        "attribute-create",
        "attribute-edit",
        "register-tags",
        "tag-delete",
        "consent-purpose-create",
        "consent-purpose-edit",
        "retention",
        "member-extract",
        "member-anonymise",
    ),
    OFFICE,
)
POST_ONLY: set[str] = {"tag-delete"}


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    org = world.org
    with scopes_disabled():
        if name == "membership-type-edit":
            return {"type_id": MembershipTypeFactory(organisation=org, name="Junior").pk}
        if name == "attribute-edit":
            return {"attribute_id": AttributeDefinitionFactory(organisation=org).pk}
        if name == "tag-delete":
            return {"tag_id": TagFactory(organisation=org).pk}
        if name == "consent-purpose-edit":
            return {"purpose_id": ConsentPurposeFactory(organisation=org).pk}
        if name == "member-extract":
            return {"person_id": world.group_person.pk}
        if name == "member-anonymise":
            former = PersonFactory(
                organisation=org, status=MemberStatus.INACTIVE, first_name="Före", last_name="Detta"
            )
            return {"person_id": former.pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    return {
        "membership-type-create": {"name": "Ungdom", "kind": "ordinary"},
        "membership-type-edit": {"name": "Junior 2", "kind": "other", "is_active": "on"},
        "attribute-create": {"name": "Allergier", "kind": "text"},
        "attribute-edit": {"name": "Allergier", "kind": "text", "is_active": "on"},
        "register-tags": {"action": "create", "name": "Styrelsen"},
        "tag-delete": {},
        "consent-purpose-create": {"name": "Nyhetsbrev"},
        "consent-purpose-edit": {"name": "Bilder på webben", "is_active": "on"},
        "retention": {"action": "save", "retention_years": "5"},
        "member-anonymise": {"reason": "Begäran om radering", "confirm": "on"},
    }.get(name)
