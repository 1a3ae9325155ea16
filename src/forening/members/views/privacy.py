"""Register views: privacy. (Scaffold: each view is implemented by its owner.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from forening.core.views.base import OrganisationRequest, organisation_view


@organisation_view("members.settings.change")
def register_settings(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.settings.change")
def membership_type_edit(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.settings.change")
def attribute_edit(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.settings.change")
def tags(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.settings.change")
def tag_delete(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.settings.change")
def consent_purpose_edit(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.privacy.manage")
def retention(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.privacy.manage")
def member_extract(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.privacy.manage")
def member_anonymise(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold
