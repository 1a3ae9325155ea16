"""Applications for membership (REG-02): approving or rejecting them, one or many."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from forening.core.models import MemberStatus, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services
from forening.members.forms import ApplicationDecisionForm, phone_display
from forening.members.views.member.access import request_actor

APPLICATIONS_PAGE_SIZE = 50


@dataclass(frozen=True)
class Applicant:
    """A row of the applications list: the person, their age and phone number as shown."""

    person: Person
    age: int | None
    phone_label: str


@organisation_view("members.status.change")
def applications(request: OrganisationRequest) -> HttpResponse:
    """Applications for membership: approve or reject one by one or the ticked ones."""
    organisation = request.organisation
    if request.method == "POST":
        form = ApplicationDecisionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("The selection is not valid; reload the page."))
        else:
            _decide_applications(request, form)
        url = reverse("org:applications", kwargs={"org_slug": organisation.slug})
        page_number = request.GET.get("page")
        return redirect(f"{url}?page={page_number}" if page_number else url)
    applicants = (
        Person.objects.filter(organisation=organisation, status=MemberStatus.APPLIED)
        .select_related("membership_type")
        .order_by("status_since", "pk")
    )
    page = Paginator(applicants, APPLICATIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        Applicant(
            person=person,
            age=person.age_on(today),
            phone_label=phone_display(person.phone, organisation.country),
        )
        for person in page.object_list
    ]
    return render(
        request,
        "members/member/applications.html",
        {"page": page, "applicants": rows, "reason_form": ApplicationDecisionForm()},
    )


def _decide_applications(request: OrganisationRequest, form: ApplicationDecisionForm) -> None:
    organisation = request.organisation
    wanted = form.selected_ids()
    ids = list(
        Person.objects.filter(
            organisation=organisation, status=MemberStatus.APPLIED, pk__in=wanted
        ).values_list("pk", flat=True)
    )
    if not ids:
        messages.warning(request, _("Tick at least one application."))
        return
    approve = form.action == "approve"
    result = services.change_status_many(
        organisation,
        ids,
        MemberStatus.ACTIVE if approve else MemberStatus.REJECTED,
        actor=request_actor(request),
        reason="" if approve else form.cleaned_data["reason"],
    )
    count = len(result.changed)
    if count:
        if approve:
            text = ngettext(
                "%(count)d application approved.", "%(count)d applications approved.", count
            )
        else:
            text = ngettext(
                "%(count)d application rejected.", "%(count)d applications rejected.", count
            )
        messages.success(request, text % {"count": count})
    for person, reason in result.refused:
        messages.error(request, f"{person.full_name}: {reason}")
