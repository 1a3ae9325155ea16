"""The one place that answers "may this user do X to Y".

Rules are data: each action name ("app.object.verb") maps to a `Rule` with two forms
that are tested together:

- `can(access, action, obj)` for one object (or for the organisation when `obj` is None);
- `visible(access, action, queryset)` for lists and exports.

`require()` raises 404 when the user may not even see the object and 403 when they may
see it but not do the action, so nobody learns what exists outside their reach.

An `Access` is what one user may do in one organisation: whether they administer it
(directly, or through a federation above it), which groups they lead, and which people
are theirs (their own record and their wards'). It is computed once per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django_scopes import scope

from forening.core.models import (
    Group,
    Guardianship,
    Organisation,
    Person,
    Role,
    RoleAssignment,
    User,
)


@dataclass(frozen=True)
class Access:
    """What `user` may reach inside `organisation`."""

    user: User | None
    organisation: Organisation
    is_admin: bool = False
    is_direct_admin: bool = False
    led_group_ids: frozenset[int] = field(default_factory=frozenset)
    own_person_ids: frozenset[int] = field(default_factory=frozenset)
    ward_person_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def person_ids(self) -> frozenset[int]:
        """The user's own person record(s) and their wards': the family they act for."""
        return self.own_person_ids | self.ward_person_ids

    @property
    def is_leader(self) -> bool:
        return bool(self.led_group_ids)

    @property
    def is_member(self) -> bool:
        return bool(self.own_person_ids)

    @property
    def belongs(self) -> bool:
        return self.is_admin or self.is_leader or self.is_member

    @property
    def roles(self) -> list[str]:
        names = []
        if self.is_admin:
            names.append("admin")
        if self.is_leader:
            names.append("leader")
        if self.is_member:
            names.append("member")
        return names


def ancestors(organisation: Organisation) -> list[Organisation]:
    """The organisation and every federation above it, nearest first."""
    chain = [organisation]
    seen = {organisation.pk}
    current = organisation
    while current.parent_id is not None and current.parent_id not in seen:
        current = Organisation.objects.get(pk=current.parent_id)
        chain.append(current)
        seen.add(current.pk)
    return chain


def descendants(organisation: Organisation) -> QuerySet[Organisation]:
    """Every local unit below `organisation`, at any depth (not the organisation itself)."""
    ids: set[int] = set()
    frontier = {organisation.pk}
    while frontier:
        frontier = (
            set(Organisation.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            - ids
        )
        ids |= frontier
    return Organisation.objects.filter(pk__in=ids)


def access_for(user: User | Any, organisation: Organisation) -> Access:
    """Compute what `user` may do in `organisation` (a handful of queries, no per-row work)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Access(user=None, organisation=organisation)
    chain_ids = [org.pk for org in ancestors(organisation)]
    with scope(organisation=chain_ids):
        admin_org_ids = set(
            RoleAssignment.objects.filter(
                user=user, role=Role.ADMIN, organisation_id__in=chain_ids
            ).values_list("organisation_id", flat=True)
        )
    with scope(organisation=organisation.pk):
        led = frozenset(
            RoleAssignment.objects.filter(
                organisation=organisation, user=user, role=Role.LEADER
            ).values_list("group_id", flat=True)
        )
        own = frozenset(
            Person.objects.filter(organisation=organisation, user=user).values_list("pk", flat=True)
        )
        wards = (
            frozenset(
                Guardianship.objects.filter(
                    organisation=organisation, guardian_id__in=own
                ).values_list("ward_id", flat=True)
            )
            if own
            else frozenset()
        )
    return Access(
        user=user,
        organisation=organisation,
        is_admin=bool(admin_org_ids),
        is_direct_admin=organisation.pk in admin_org_ids,
        led_group_ids=led,
        own_person_ids=own,
        ward_person_ids=wards,
    )


Check = Callable[[Access, Any], bool]
Filter = Callable[[Access, QuerySet[Any]], QuerySet[Any]]


@dataclass(frozen=True)
class Rule:
    action: str
    allow: Check
    visible: Filter | None = None
    # The action whose refusal means "you may not even see this": answered with 404.
    see: str | None = None
    description: str = ""


RULES: dict[str, Rule] = {}


def register(*rules: Rule) -> None:
    for rule in rules:
        if rule.action in RULES:
            raise ValueError(f"policy rule {rule.action} registered twice")
        RULES[rule.action] = rule


def _same_org(access: Access, obj: Any) -> bool:
    if obj is None:
        return True
    if isinstance(obj, Organisation):
        return obj.pk == access.organisation.pk
    return getattr(obj, "organisation_id", None) == access.organisation.pk


def can(access: Access, action: str, obj: Model | None = None) -> bool:
    """May the user behind `access` do `action` (to `obj`, which must be in the same org)?"""
    try:
        rule = RULES[action]
    except KeyError:
        raise ValueError(f"unknown policy action {action!r}") from None
    if access.user is None or not _same_org(access, obj):
        return False
    return bool(rule.allow(access, obj))


def require(access: Access, action: str, obj: Model | None = None) -> None:
    """Raise 404 if the object is out of sight, 403 if visible but the action is refused."""
    if can(access, action, obj):
        return
    see = RULES[action].see
    if obj is not None and (see is None or not can(access, see, obj)):
        raise Http404
    if obj is None and not access.belongs:
        raise Http404
    raise PermissionDenied


def visible(access: Access, action: str, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of `queryset` on which the user may do `action` (always within the org)."""
    rule = RULES[action]
    queryset = queryset.filter(organisation=access.organisation)
    if access.user is None:
        return queryset.none()
    if rule.visible is None:
        return queryset if rule.allow(access, None) else queryset.none()
    return rule.visible(access, queryset)


# --- rules of the core app -------------------------------------------------------------


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


def _belongs(access: Access, obj: Any = None) -> bool:
    return access.belongs


def _group_visible(access: Access, obj: Group | None) -> bool:
    if access.is_admin:
        return True
    if obj is None:
        return access.is_leader
    return obj.pk in access.led_group_ids


def _groups_filter(access: Access, qs: QuerySet[Any]) -> QuerySet[Any]:
    if access.is_admin:
        return qs
    return qs.filter(pk__in=access.led_group_ids)


def _person_visible(access: Access, obj: Person | None) -> bool:
    if access.is_admin:
        return True
    if obj is None:
        return access.is_leader or access.is_member
    if obj.pk in access.person_ids:
        return True
    if not access.led_group_ids:
        return False
    return obj.group_memberships.filter(group_id__in=access.led_group_ids).exists()


def _persons_filter(access: Access, qs: QuerySet[Any]) -> QuerySet[Any]:
    if access.is_admin:
        return qs
    condition = Q(pk__in=access.person_ids)
    if access.led_group_ids:
        condition |= Q(group_memberships__group_id__in=access.led_group_ids)
    return qs.filter(condition).distinct()


def _person_changeable(access: Access, obj: Person | None) -> bool:
    if access.is_admin:
        return True
    if obj is None:
        return access.is_member
    return obj.pk in access.person_ids


def _persons_changeable(access: Access, qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs if access.is_admin else qs.filter(pk__in=access.person_ids)


def _leader_area(access: Access, obj: Any = None) -> bool:
    return access.is_admin or access.is_leader


def _portal(access: Access, obj: Any = None) -> bool:
    return access.is_member


register(
    Rule("core.organisation.view", _belongs, description="Open the association at all"),
    Rule(
        "core.organisation.change",
        _admin,
        see="core.organisation.view",
        description="Change settings, branding and the two-factor rule",
    ),
    Rule(
        "core.office.view", _admin, see="core.organisation.view", description="Use the office pages"
    ),
    Rule(
        "core.unit.view",
        _admin,
        see="core.organisation.view",
        description="List the federation's local units",
    ),
    Rule("core.section.view", _admin, see="core.organisation.view"),
    Rule("core.section.change", _admin, see="core.section.view"),
    Rule("core.group.view", _group_visible, _groups_filter, see="core.group.view"),
    Rule("core.group.change", _admin, see="core.group.view"),
    Rule("core.role.view", _admin, see="core.organisation.view"),
    Rule("core.role.change", _admin, see="core.role.view"),
    Rule("core.audit.view", _admin, see="core.organisation.view"),
    Rule("core.person.view", _person_visible, _persons_filter, see="core.person.view"),
    Rule("core.person.change", _person_changeable, _persons_changeable, see="core.person.view"),
    Rule(
        "core.leader.view",
        _leader_area,
        see="core.organisation.view",
        description="Use the leader pages (my groups)",
    ),
    Rule("core.portal.view", _portal, see="core.organisation.view", description="Use My pages"),
)

register(
    Rule(
        "core.unit.create",
        _admin,
        see="core.unit.view",
        description="Create a local unit below the organisation",
    ),
)
