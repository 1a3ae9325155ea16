"""The leader pages: the groups a user leads, and who is in them (with guardians)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from forening.core import policy
from forening.core.models import Group, Guardianship, Organisation, Person
from forening.core.views.base import OrganisationRequest, organisation_view


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    """Completed years on `day` (someone born on 29 February turns a year older on 1 March)."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def today_in(organisation: Organisation) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(organisation.time_zone)).date()


@organisation_view("core.leader.view")
def my_groups(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    access = request.access
    groups = list(
        policy.visible(
            access,
            "core.group.view",
            Group.objects.filter(organisation=organisation, is_archived=False),
        )
        .select_related("section")
        .annotate(member_count=Count("memberships", distinct=True))
        .order_by("section__name", "name", "pk")
    )
    return render(request, "portal/leader/my_groups.html", {"groups": groups})


@organisation_view("core.group.view")
def group_detail(request: OrganisationRequest, group_id: int) -> HttpResponse:
    organisation = request.organisation
    access = request.access
    group: Group = get_object_or_404(
        Group.objects.select_related("section"), organisation=organisation, pk=group_id
    )
    policy.require(access, "core.group.view", group)
    members = list(
        policy.visible(
            access,
            "core.person.view",
            Person.objects.filter(organisation=organisation, group_memberships__group=group),
        )
        .prefetch_related(
            Prefetch(
                "guardianships",
                queryset=Guardianship.objects.filter(organisation=organisation).select_related(
                    "guardian"
                ),
            )
        )
        .order_by("first_name", "last_name", "pk")
    )
    today = today_in(organisation)
    for person in members:
        person.age = age_on(person.birth_date, today)
        person.guardian_list = [g.guardian for g in person.guardianships.all()]
    return render(
        request,
        "portal/leader/group_detail.html",
        {
            "group": group,
            "members": members,
            "can_change": policy.can(access, "core.group.change", group),
        },
    )
