"""Changing a person's status (REG-02) from the member page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from forening.core.badges import member_status_badge
from forening.core.models import MemberStatus
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.forms import StatusForm
from forening.members.models import StatusChange
from forening.members.views.member.access import get_person, member_url, request_actor


@organisation_view("members.status.change")
def member_status(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = get_person(request, person_id)
    posted = request.method == "POST"
    form = StatusForm(request.POST if posted else None, person=person)
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_status(
                person,
                data["status"],
                actor=request_actor(request),
                on=data["on"],
                reason=data["reason"],
            )
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s is now “%(status)s”.")
                % {"name": person.full_name, "status": MemberStatus(data["status"]).label},
            )
            return redirect(member_url(person, "status"))
    history = list(
        StatusChange.objects.filter(organisation=request.organisation, person=person).order_by(
            "-created_at", "-pk"
        )
    )
    return render(
        request,
        "members/member/status.html",
        {
            "person": person,
            "status_badge": member_status_badge(person.status),
            "form": form,
            "status_history": history,
        },
    )
