"""Groups and tags of a person (REG-06), from the member page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core.models import GroupMembership
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.forms import GroupAddForm, TagAddForm
from forening.members.models import Tag
from forening.members.views.member.access import (
    error_text,
    get_person,
    member_url,
    refuse_read_only,
    request_actor,
)


@organisation_view("members.person.change")
@require_POST
def member_groups(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Add to a group with a role, change the role, or remove from a group (REG-06)."""
    organisation = request.organisation
    person = get_person(request, person_id)
    refused = refuse_read_only(request, person)
    if refused is not None:
        return refused
    action = request.POST.get("action")
    actor = request_actor(request)
    try:
        if action == "add":
            form = GroupAddForm(request.POST, organisation=organisation, person=person)
            if not form.is_valid():
                messages.error(request, _("Choose a group and a role."))
                return redirect(member_url(person, "groups"))
            group = form.cleaned_data["group"]
            services.add_to_group(
                organisation, [person.pk], group, actor=actor, role=form.cleaned_data["role"]
            )
            messages.success(
                request,
                _("%(name)s has been added to %(group)s.")
                % {"name": person.full_name, "group": group.name},
            )
        elif action in ("role", "remove"):
            membership: GroupMembership = get_object_or_404(
                GroupMembership.objects.select_related("group"),
                organisation=organisation,
                person=person,
                pk=request.POST.get("membership") or 0,
            )
            if action == "role":
                services.set_group_role(membership, request.POST.get("role", ""), actor=actor)
                messages.success(
                    request,
                    _("The role in %(group)s has been changed.") % {"group": membership.group.name},
                )
            else:
                services.remove_from_group(membership, actor=actor)
                messages.success(
                    request,
                    _("%(name)s has been removed from %(group)s.")
                    % {"name": person.full_name, "group": membership.group.name},
                )
        else:
            raise Http404
    except services.RegisterError as error:
        messages.error(request, str(error))
    return redirect(member_url(person, "groups"))


@organisation_view("members.person.change")
@require_POST
def member_tags(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Tag with an existing or a new tag, or remove a tag (REG-06)."""
    organisation = request.organisation
    person = get_person(request, person_id)
    refused = refuse_read_only(request, person)
    if refused is not None:
        return refused
    action = request.POST.get("action")
    actor = request_actor(request)
    if action == "add":
        form = TagAddForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the tag a name (at most 60 characters)."))
            return redirect(member_url(person, "tags"))
        try:
            with transaction.atomic():  # one user action: the new tag and the tagging
                name = form.cleaned_data["name"]
                tag = services.get_or_create_tag(organisation, name, actor=actor)
                services.tag_people(organisation, [person.pk], tag, actor=actor)
        except ValidationError as error:
            messages.error(request, error_text(error))
        except services.RegisterError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Tagged “%(tag)s”.") % {"tag": tag.name})
    elif action == "remove":
        tag = get_object_or_404(Tag, organisation=organisation, pk=request.POST.get("tag") or 0)
        services.untag_person(person, tag, actor=actor)
        messages.success(request, _("The tag “%(tag)s” has been removed.") % {"tag": tag.name})
    else:
        raise Http404
    return redirect(member_url(person, "tags"))
