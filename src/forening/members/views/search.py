"""Register views: search. (Scaffold: each view is implemented by its owner.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from forening.core.views.base import OrganisationRequest, organisation_view


@organisation_view("members.register.view")
def search(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def bulk(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.export")
def export(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.register.view")
def saved_searches(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.person.change")
def saved_search_delete(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold
