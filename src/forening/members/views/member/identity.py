"""Revealing a person's full identity number (every reveal is in the audit log)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.views.member.access import get_person, request_actor


@organisation_view("members.identity.reveal")
@require_POST
def member_reveal(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """The full identity number, for those allowed; every reveal is in the audit log."""
    person = get_person(request, person_id)
    number = services.reveal_identity_number(person, actor=request_actor(request))
    template = (
        "members/member/_identity_revealed.html"
        if request.headers.get("HX-Request")
        else "members/member/identity.html"
    )
    response = render(request, template, {"person": person, "number": number})
    add_never_cache_headers(response)
    return response
