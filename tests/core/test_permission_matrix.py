"""Every page under /o/<org>/ × every persona, against an explicit table of expectations.

A new URL in `forening.urls.org_urlpatterns` fails `test_every_url_is_in_the_matrix` until it
is added to EXPECTED, and a view without `organisation_view(...)` fails
`test_every_view_declares_a_known_policy_action`.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, reverse
from django_scopes import scopes_disabled

from forening.core import policy
from forening.core.models import Role, RoleAssignment
from forening.urls import org_urlpatterns
from tests.billing import matrix_billing
from tests.conftest import PERSONAS, World
from tests.factories.core import RoleAssignmentFactory, UserFactory
from tests.ledger import matrix_books
from tests.members import matrix_import, matrix_member, matrix_privacy, matrix_search
from tests.payments import matrix_payments

OK, FORBIDDEN, NOT_FOUND, LOGIN = "ok", 403, 404, "login"

# Who may open what in world.org. Personas not listed for a page are refused as shown in
# DEFAULT: a user outside the organisation gets 404 (its pages do not exist for them), a
# member of it who lacks the role gets 403.
ADMINS = {"admin": OK, "federation_admin": OK}
OFFICE = {**ADMINS, "member": FORBIDDEN, "leader": FORBIDDEN}
DEFAULT = {"anonymous": LOGIN, "unit_admin": NOT_FOUND, "outsider": NOT_FOUND}

EXPECTED: dict[str, dict[str, Any]] = {
    "dashboard": {**ADMINS, "member": OK, "leader": OK},
    "settings": OFFICE,
    "groups": OFFICE,
    "section-create": OFFICE,
    "section-edit": OFFICE,
    "group-create": OFFICE,
    "group-edit": OFFICE,
    "roles": OFFICE,
    "role-grant": OFFICE,
    "role-revoke": OFFICE,
    "audit": OFFICE,
    "units": OFFICE,
    # Pages not yet mounted in the URL hub are checked once they are.
    "unit-create": OFFICE,
    "leader": {**ADMINS, "member": FORBIDDEN, "leader": OK},
    "leader-group": {**ADMINS, "member": FORBIDDEN, "leader": OK},
    "portal": {
        "admin": FORBIDDEN,
        "federation_admin": FORBIDDEN,
        "member": OK,
        "leader": FORBIDDEN,
    },
    "portal-consents": {
        "admin": FORBIDDEN,
        "federation_admin": FORBIDDEN,
        "member": OK,
        "leader": FORBIDDEN,
    },
    "portal-person": {
        "admin": FORBIDDEN,
        "federation_admin": FORBIDDEN,
        "member": OK,
        "leader": FORBIDDEN,
    },
}

POST_ONLY = {"role-revoke", "portal-consents"}

# Each app's pages bring their own rows (one module per area, so the areas can grow
# without touching each other).
REGISTER_MATRICES = [
    matrix_search,
    matrix_member,
    matrix_import,
    matrix_privacy,
    matrix_books,
    matrix_billing,
    matrix_payments,
]
for _matrix in REGISTER_MATRICES:
    EXPECTED.update(_matrix.EXPECTED)
    POST_ONLY |= _matrix.POST_ONLY


def _patterns() -> list[URLPattern]:
    return [p for p in org_urlpatterns if isinstance(p, URLPattern)]


URL_NAMES = [p.name for p in _patterns()]


def _kwargs(name: str, world: World, extra: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"org_slug": world.org.slug}
    if name == "section-edit":
        kwargs["section_id"] = world.group.section_id
    elif name in {"group-edit", "leader-group"}:
        kwargs["group_id"] = world.group.pk
    elif name == "role-revoke":
        kwargs["assignment_id"] = extra["assignment"].pk
    elif name in {"portal-person", "portal-consents"}:
        kwargs["person_id"] = world.member_person.pk
    for matrix in REGISTER_MATRICES:
        kwargs.update(matrix.kwargs(name, world) or {})
    return kwargs


def _valid_post(name: str, world: World) -> dict[str, Any] | None:
    """A payload that the page accepts (so an allowed user is redirected after saving)."""
    for matrix in REGISTER_MATRICES:
        payload = matrix.valid_post(name, world)
        if payload is not None:
            return payload
    return {
        "settings": {
            "name": "IK Test",
            "organisation_number": "556036-0793",
            "language": "sv",
            "primary_colour": "#112233",
            "accent_colour": "#445566",
        },
        "section-create": {"name": "Simning"},
        "section-edit": {"name": "Fotboll"},
        "group-create": {"name": "P15", "section": world.group.section_id},
        "group-edit": {"name": "P12 blå", "section": world.group.section_id},
        "role-grant": {"email": "new@example.se", "role": "leader", "group": world.group.pk},
        "role-revoke": {},
        "unit-create": {
            "name": "IK Test Norr",
            "slug": "ik-test-norr",
            "country": "SE",
            "admin_email": "norr@example.se",
        },
        "portal-consents": {"purpose": []},
        "portal-person": {
            "email": "me@example.se",
            "phone": "070-123 45 67",
            "street": "Storgatan 1",
            "postal_code": "111 22",
            "city": "Stockholm",
        },
    }.get(name)


def _check(response: Any, expected: Any, *, posted: bool) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    elif expected == OK:
        assert response.status_code == (302 if posted else 200), response.content[:500]
        if posted:
            assert not response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == expected


def test_every_url_is_in_the_matrix() -> None:
    missing = set(URL_NAMES) - set(EXPECTED)
    assert not missing, f"add {sorted(missing)} to EXPECTED"


def test_every_view_declares_a_known_policy_action() -> None:
    for pattern in _patterns():
        action = getattr(pattern.callback, "policy_action", None)
        assert action in policy.RULES, f"{pattern.name} has no known policy action"


@pytest.fixture
def disposable_assignment(world: World) -> RoleAssignment:
    with scopes_disabled():
        return RoleAssignmentFactory(
            organisation=world.org, user=UserFactory(), role=Role.LEADER, group=world.group
        )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", URL_NAMES)
def test_page_access(
    client: Any, world: World, disposable_assignment: RoleAssignment, name: str, persona: str
) -> None:
    # given
    user = world.persona(persona)
    if user is not None:
        client.force_login(user)
    expected = {**DEFAULT, **EXPECTED[name]}[persona]
    url = reverse(f"org:{name}", kwargs=_kwargs(name, world, {"assignment": disposable_assignment}))
    # when / then: opening the page
    if name in POST_ONLY:
        response = client.get(url)
        assert response.status_code == (
            405 if expected == OK else 302 if expected == LOGIN else expected
        )
    else:
        _check(client.get(url), expected, posted=False)
    # when / then: submitting a valid form
    payload = _valid_post(name, world)
    if payload is not None:
        _check(client.post(url, payload), expected, posted=True)
