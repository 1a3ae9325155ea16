"""Register views: import. (Scaffold: each view is implemented by its owner.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from forening.core.views.base import OrganisationRequest, organisation_view


@organisation_view("members.import")
def import_upload(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.import")
def import_map(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold


@organisation_view("members.import")
def import_preview(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    return HttpResponse(status=501)  # scaffold
