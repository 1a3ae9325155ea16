"""Consents given at the office or withdrawn (GDPR-01), from the member page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.models import ConsentPurpose
from forening.members.views.member.access import (
    get_person,
    member_url,
    refuse_read_only,
    request_actor,
)


@organisation_view("members.person.change")
@require_POST
def member_consents(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Record a consent given at the office, or its withdrawal (GDPR-01).

    A withdrawal is accepted on read-only records too: a former member may still take
    back a consent."""
    organisation = request.organisation
    person = get_person(request, person_id)
    action = request.POST.get("action")
    purpose = get_object_or_404(
        ConsentPurpose, organisation=organisation, pk=request.POST.get("purpose") or 0
    )
    actor = request_actor(request)
    if action == "give":
        refused = refuse_read_only(request, person)
        if refused is not None:
            return refused
        if not purpose.is_active:
            messages.error(request, _("This purpose is no longer in use."))
            return redirect(member_url(person, "consents"))
        try:
            services.give_consent(person, purpose, actor=actor)
        except services.RegisterError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Consent recorded: %(purpose)s.") % {"purpose": purpose.name}
            )
    elif action == "withdraw":
        if services.withdraw_consent(person, purpose, actor=actor) is None:
            messages.info(request, _("There was no consent to withdraw."))
        else:
            messages.success(
                request, _("Consent withdrawn: %(purpose)s.") % {"purpose": purpose.name}
            )
    else:
        raise Http404
    return redirect(member_url(person, "consents"))
