"""Register views: member. (Scaffold: each view is implemented by its owner.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from forening.core.views.base import OrganisationRequest, organisation_view


@organisation_view("members.status.change")
def applications(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_create(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.register.view")
def member_detail(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_edit(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.status.change")
def member_status(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.identity.reveal")
def member_reveal(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_note_add(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.register.view")
def member_attachment(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_groups(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_tags(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_consents(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_household(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def member_guardians(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def household_edit(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold
