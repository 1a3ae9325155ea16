"""The office: overview, settings, sections and groups, roles, audit log, local units.

Every view is an adapter: it asks the policy (through `organisation_view` and
`policy.require`), fetches with an explicit organisation filter, calls one service and
renders. List pages run a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core import audit_changes, policy, services
from forening.core.context import Actor
from forening.core.forms_base import add_validation_error
from forening.core.models import (
    AuditEvent,
    Group,
    MemberStatus,
    Organisation,
    Person,
    Role,
    RoleAssignment,
    Section,
)
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.office import onboarding
from forening.office.forms import (
    AuditFilterForm,
    GroupForm,
    LocalUnitForm,
    OrganisationSettingsForm,
    RoleGrantForm,
    SectionForm,
)

AUDIT_PAGE_SIZE = 50
DASHBOARD_AUDIT_EVENTS = 8
DASHBOARD_UNITS = 12


def _count_of(model: Any, **filters: Any) -> Coalesce:
    """A subquery counting `model` rows of the outer organisation (0 when there are none)."""
    counts = (
        model.objects.filter(organisation=OuterRef("pk"), **filters)
        .order_by()
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def _groups_with_counts(organisation: Organisation) -> QuerySet[Group]:
    return (
        Group.objects.filter(organisation=organisation)
        .select_related("section")
        .annotate(member_count=Count("memberships", distinct=True))
    )


@organisation_view("core.organisation.view")
def dashboard(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    access = request.access
    context: dict[str, Any] = {
        "organisation": organisation,
        "stats": None,
        "events": [],
        "led_groups": [],
        "family": [],
        "units": [],
        "has_more_units": False,
    }
    if access.is_admin:
        # One query for all four numbers.
        context["stats"] = (
            Organisation.objects.filter(pk=organisation.pk)
            .annotate(
                people=_count_of(Person, status=MemberStatus.ACTIVE),
                applications=_count_of(Person, status=MemberStatus.APPLIED),
                groups=_count_of(Group, is_archived=False),
                admins=_count_of(RoleAssignment, role=Role.ADMIN),
            )
            .values("people", "applications", "groups", "admins")
            .get()
        )
        context["events"] = list(
            AuditEvent.objects.filter(organisation=organisation).select_related("actor")[
                :DASHBOARD_AUDIT_EVENTS
            ]
        )
    if access.is_leader:
        context["led_groups"] = list(
            policy.visible(
                access,
                "core.group.view",
                _groups_with_counts(organisation).filter(pk__in=access.led_group_ids),
            )
        )
    if access.is_member:
        context["family"] = list(
            policy.visible(
                access,
                "core.person.view",
                Person.objects.filter(organisation=organisation, pk__in=access.person_ids),
            )
        )
    if policy.can(access, "core.unit.view"):
        units = list(
            Organisation.objects.filter(parent=organisation).order_by("name")[: DASHBOARD_UNITS + 1]
        )
        context["units"] = units[:DASHBOARD_UNITS]
        context["has_more_units"] = len(units) > DASHBOARD_UNITS
    return render(request, "office/dashboard.html", context)


@organisation_view("core.organisation.change")
def organisation_settings(request: OrganisationRequest) -> HttpResponse:
    current = request.organisation
    # Edit a copy, so an invalid form does not change the menu bar of the page it renders.
    organisation = Organisation.objects.get(pk=current.pk)
    form = OrganisationSettingsForm(
        request.POST or None, request.FILES or None, instance=organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                organisation, actor=Actor.from_request(request), **form.changed_values()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(request, _("The settings have been saved."))
            return redirect("org:settings", org_slug=organisation.slug)
    return render(request, "office/settings.html", {"form": form, "organisation": current})


@organisation_view("core.section.view")
def groups(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    group_rows = _groups_with_counts(organisation).prefetch_related(
        Prefetch(
            "leader_assignments",
            queryset=RoleAssignment.objects.filter(organisation=organisation).select_related(
                "user"
            ),
        )
    )
    sections = list(
        Section.objects.filter(organisation=organisation).prefetch_related(
            Prefetch("groups", queryset=group_rows)
        )
    )
    loose_groups = list(group_rows.filter(section__isnull=True))
    return render(
        request,
        "office/groups.html",
        {"sections": sections, "loose_groups": loose_groups},
    )


@organisation_view("core.section.change")
def section_edit(request: OrganisationRequest, section_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    if section_id is None:
        section = Section(organisation=organisation)
    else:
        section = get_object_or_404(Section, organisation=organisation, pk=section_id)
        policy.require(request.access, "core.section.change", section)
    form = SectionForm(request.POST or None, instance=section)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_section(form.instance, actor=Actor.from_request(request))
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, _("The section “%(name)s” has been saved.") % {"name": section}
            )
            return redirect("org:groups", org_slug=organisation.slug)
    return render(
        request,
        "office/section_form.html",
        {"form": form, "section": section, "is_new": section_id is None},
    )


@organisation_view("core.group.change")
def group_edit(request: OrganisationRequest, group_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    if group_id is None:
        group = Group(organisation=organisation)
        initial = {"section": request.GET.get("section")} if request.GET.get("section") else {}
    else:
        group = get_object_or_404(Group, organisation=organisation, pk=group_id)
        policy.require(request.access, "core.group.change", group)
        initial = {}
    form = GroupForm(
        request.POST or None, instance=group, initial=initial, organisation=organisation
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_group(form.instance, actor=Actor.from_request(request))
        except ValidationError as error:
            add_validation_error(form, error)
        except services.CoreError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The group “%(name)s” has been saved.") % {"name": group})
            return redirect("org:groups", org_slug=organisation.slug)
    return render(
        request,
        "office/group_form.html",
        {"form": form, "group": group, "is_new": group_id is None},
    )


@organisation_view("core.role.view")
def roles(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    assignments = list(
        RoleAssignment.objects.filter(organisation=organisation)
        .select_related("user", "group", "group__section", "granted_by")
        .order_by("role", "user__email", "pk")
    )
    return render(
        request,
        "office/roles.html",
        {
            "admins": [a for a in assignments if a.role == Role.ADMIN],
            "leaders": [a for a in assignments if a.role == Role.LEADER],
        },
    )


@organisation_view("core.role.change")
def role_grant(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    initial: dict[str, Any] = {"role": Role.LEADER} if request.GET.get("group") else {}
    if request.GET.get("group"):
        initial["group"] = request.GET["group"]
    form = RoleGrantForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.grant_role_by_email(
                organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                group=form.cleaned_data["group"],
                actor=Actor.from_request(request),
            )
        except services.CoreError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": assignment.user.email, "role": _role_phrase(assignment)},
            )
            return redirect("org:roles", org_slug=organisation.slug)
    return render(request, "office/role_grant.html", {"form": form})


def _role_phrase(assignment: RoleAssignment) -> str:
    if assignment.role == Role.LEADER and assignment.group is not None:
        return _("leader of %(group)s") % {"group": assignment.group}
    return _("an administrator")


@organisation_view("core.role.change")
@require_POST
def role_revoke(request: OrganisationRequest, assignment_id: int) -> HttpResponse:
    organisation = request.organisation
    assignment: RoleAssignment = get_object_or_404(
        RoleAssignment.objects.select_related("user", "group"),
        organisation=organisation,
        pk=assignment_id,
    )
    policy.require(request.access, "core.role.change", assignment)
    email = assignment.user.email
    try:
        services.revoke_role(assignment, actor=Actor.from_request(request))
    except services.CoreError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The role of %(user)s has been removed.") % {"user": email})
    return redirect("org:roles", org_slug=organisation.slug)


def _audit_events(organisation: Organisation) -> QuerySet[AuditEvent]:
    """This organisation's events, and the sign-ins and sign-outs of the people in it."""
    role_users = RoleAssignment.objects.filter(organisation=organisation).values("user_id")
    person_users = Person.objects.filter(organisation=organisation, user__isnull=False).values(
        "user_id"
    )
    belongs = (
        Q(actor_id__in=role_users)
        | Q(actor_id__in=person_users)
        | Q(subject_user_id__in=role_users)
        | Q(subject_user_id__in=person_users)
    )
    sessions = Q(organisation__isnull=True) & (
        Q(action__startswith="core.login") | Q(action__startswith="core.logout")
    )
    # Named escape hatch (docs/architecture.md § Tenancy): sign-ins belong to no
    # organisation, which the tenant scope would hide; the filter keeps this organisation's
    # and its people's only.
    events: QuerySet[AuditEvent] = AuditEvent.objects.with_scopes_disabled().filter(
        Q(organisation=organisation) | (sessions & belongs)
    )
    return events


@organisation_view("core.audit.view")
def audit_log(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = AuditFilterForm(request.GET or None, organisation=organisation)
    events = _audit_events(organisation)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["person"]:
            events = events.filter(person=data["person"])
        if data["user"]:
            text = data["user"].strip()
            events = events.filter(
                Q(actor__email__icontains=text)
                | Q(actor_label__icontains=text)
                | Q(subject_user__email__icontains=text)
            )
        if data["action"]:
            events = events.filter(action__startswith=data["action"].strip())
        if data["date_from"]:
            events = events.filter(created_at__gte=_start_of(data["date_from"], organisation))
        if data["date_to"]:
            next_day = data["date_to"] + dt.timedelta(days=1)
            events = events.filter(created_at__lt=_start_of(next_day, organisation))
    paginator = Paginator(
        events.select_related("actor", "person", "subject_user").order_by("-created_at", "-pk"),
        AUDIT_PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "office/audit.html",
        {
            "form": form,
            "page": page,
            "events": audit_changes.rows(page.object_list),
            "is_filtered": form.is_bound
            and form.is_valid()
            and any(value not in (None, "") for value in form.cleaned_data.values()),
        },
    )


def _start_of(day: dt.date, organisation: Organisation) -> dt.datetime:
    """Midnight of `day` in the association's time zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(organisation.time_zone))


@organisation_view("core.unit.view")
def units(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    rows = list(policy.descendants(organisation).select_related("parent").order_by("name"))
    return render(
        request,
        "office/units.html",
        {
            "units": rows,
            "create_url": _unit_create_url(request),
        },
    )


def _unit_create_url(request: OrganisationRequest) -> str | None:
    organisation = request.organisation
    if not policy.can(request.access, "core.unit.create"):
        return None
    try:
        return reverse("org:unit-create", kwargs={"org_slug": organisation.slug})
    except NoReverseMatch:  # the page is not mounted in this installation
        return None


@organisation_view("core.unit.create")
def unit_create(request: OrganisationRequest) -> HttpResponse:
    """Create a local unit below this organisation, with its first administrator."""
    organisation = request.organisation
    form = LocalUnitForm(request.POST or None, initial={"country": organisation.country})
    if request.method == "POST" and form.is_valid():
        try:
            created = onboarding.create_organisation(
                parent=organisation, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "The local unit “%(name)s” has been created. %(email)s is its "
                    "administrator and can choose a password via “Forgot password”."
                )
                % {"name": created.organisation.name, "email": created.admin.email},
            )
            return redirect("org:units", org_slug=organisation.slug)
    return render(request, "office/unit_form.html", {"form": form})
