"""Permission-matrix rows for the register's search pages (merged by
tests/core/test_permission_matrix.py): who may open each URL name, the URL kwargs it needs,
and a payload the page accepts."""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from forening.members.models import SavedSearch
from tests.conftest import World

ADMINS = {"admin": "ok", "federation_admin": "ok"}
OFFICE = {**ADMINS, "member": 403, "leader": 403}

EXPECTED: dict[str, dict[str, Any]] = {
    "members": OFFICE,
    "members-bulk": OFFICE,
    "members-export": OFFICE,
    "saved-searches": OFFICE,
    "saved-search-delete": OFFICE,
}
POST_ONLY: set[str] = {"members-bulk", "saved-search-delete"}


def _saved_search(world: World) -> SavedSearch:
    with scopes_disabled():
        saved, _created = SavedSearch.objects.get_or_create(
            organisation=world.org, name="Matrix", defaults={"query": {"status": ["all"]}}
        )
    return saved


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name == "saved-search-delete":
        return {"search_id": _saved_search(world).pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    # members-export answers a valid POST with the file (200), not a redirect; its
    # downloads are tested in tests/members/test_export.py.
    return {
        "members-bulk": {
            "action": "tag",
            "scope": "selected",
            "person": [world.member_person.pk],
            "new_tag": "Matrix",
            "query": "",
        },
        "saved-searches": {"name": "Matrix search", "query": "status=all"},
        "saved-search-delete": {},
    }.get(name)
