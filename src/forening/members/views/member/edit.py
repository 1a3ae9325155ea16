"""Adding someone to the register and editing their details (REG-01)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from forening.core.forms_base import add_validation_error
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.forms import PersonForm
from forening.members.views.member.access import get_person, member_url, request_actor


@organisation_view("members.person.change")
def member_create(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    posted = request.method == "POST"
    form = PersonForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organisation=organisation,
    )
    if posted and form.is_valid():
        try:
            person = services.create_person(
                organisation, actor=request_actor(request), **form.service_arguments()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("%(name)s has been added to the register.") % {"name": person}
            )
            return redirect(member_url(person))
    return render(request, "members/member/form.html", {"form": form, "person": None})


@organisation_view("members.person.change")
def member_edit(request: OrganisationRequest, person_id: int) -> HttpResponse:
    person = get_person(request, person_id)
    posted = request.method == "POST"
    if person.is_read_only:
        return render(
            request,
            "members/member/read_only.html",
            {"person": person},
            status=409 if posted else 200,
        )
    form = PersonForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organisation=request.organisation,
        person=person,
        attribute_values_by_id=services.attribute_values_of(person),
    )
    if posted and form.is_valid():
        try:
            services.update_person(person, actor=request_actor(request), **form.service_arguments())
        except ValidationError as error:
            add_validation_error(form, error)
        except services.RegisterError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The changes have been saved."))
            return redirect(member_url(person))
    return render(request, "members/member/form.html", {"form": form, "person": person})
