"""Fetching the person a member view is about (another association's ids are 404), the
way back to the member page, and the read-only rule of former members."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from forening.core.context import Actor
from forening.core.models import Person
from forening.core.views.base import OrganisationRequest


def _people(request: OrganisationRequest) -> QuerySet[Person]:
    return Person.objects.filter(organisation=request.organisation).select_related(
        "membership_type", "household", "household__payer", "household__invoice_recipient"
    )


def get_person(request: OrganisationRequest, person_id: int) -> Person:
    person = get_object_or_404(_people(request), pk=person_id)
    person.organisation = request.organisation  # spare the services a query
    return person


def member_url(person: Person, anchor: str = "") -> str:
    url = reverse(
        "org:member", kwargs={"org_slug": person.organisation.slug, "person_id": person.pk}
    )
    return f"{url}#{anchor}" if anchor else url


def request_actor(request: OrganisationRequest) -> Actor:
    return Actor.from_request(request)


def refuse_read_only(request: OrganisationRequest, person: Person) -> HttpResponse | None:
    """Former members and the deceased: only their status changes (REG-02)."""
    if not person.is_read_only:
        return None
    messages.error(
        request,
        _("%(name)s is %(status)s: the record is read-only except for its status.")
        % {"name": person.full_name, "status": person.get_status_display().lower()},
    )
    return redirect(member_url(person, "status"))


def error_text(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)
