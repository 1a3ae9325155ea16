"""My pages: the signed-in member's own record and their wards', with their contact details."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core import policy
from forening.core.context import Actor
from forening.core.forms_base import add_validation_error
from forening.core.models import GroupMembership, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.members import services as register
from forening.members.models import Consent, ConsentPurpose, ConsentSource
from forening.portal.forms import PersonContactForm
from forening.portal.leader import age_on, today_in


@organisation_view("core.portal.view")
def my_pages(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    access = request.access
    people = list(
        policy.visible(
            access,
            "core.person.view",
            Person.objects.filter(organisation=organisation, pk__in=access.person_ids),
        ).prefetch_related(
            Prefetch(
                "group_memberships",
                queryset=GroupMembership.objects.filter(organisation=organisation)
                .select_related("group")
                .order_by("group__name"),
            )
        )
    )
    # The user's own record first, then the wards.
    people.sort(key=lambda p: (p.pk not in access.own_person_ids, p.first_name, p.last_name))
    today = today_in(organisation)
    purposes = list(ConsentPurpose.objects.filter(organisation=organisation, is_active=True))
    open_consents: dict[int, set[int]] = {}
    for person_id, purpose_id in Consent.objects.filter(
        organisation=organisation, person__in=people, withdrawn_at__isnull=True
    ).values_list("person_id", "purpose_id"):
        open_consents.setdefault(person_id, set()).add(purpose_id)
    for person in people:
        person.is_self = person.pk in access.own_person_ids
        person.age = age_on(person.birth_date, today)
        person.can_change = policy.can(access, "core.person.change", person)
        person.consent_choices = [
            (purpose, purpose.pk in open_consents.get(person.pk, set())) for purpose in purposes
        ]
    return render(request, "portal/my_pages.html", {"people": people})


@organisation_view("core.portal.view")
@require_POST
def person_consents(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Give or withdraw consents for oneself or a ward (GDPR-01, source "My pages")."""
    organisation = request.organisation
    access = request.access
    person = get_object_or_404(Person, organisation=organisation, pk=person_id)
    policy.require(access, "core.person.change", person)
    if person.pk not in access.person_ids:
        raise Http404
    wanted = [int(value) for value in request.POST.getlist("purpose") if value.isdigit()]
    given, withdrawn = register.set_consents(
        person, wanted, actor=Actor.from_request(request), source=ConsentSource.PORTAL
    )
    if given or withdrawn:
        messages.success(request, _("The consents of %(name)s have been saved.") % {"name": person})
    return redirect("org:portal", org_slug=organisation.slug)


@organisation_view("core.portal.view")
def person_edit(request: OrganisationRequest, person_id: int) -> HttpResponse:
    organisation = request.organisation
    access = request.access
    person = get_object_or_404(Person, organisation=organisation, pk=person_id)
    policy.require(access, "core.person.change", person)
    # My pages are about the user's own family; the office edits everybody else.
    if person.pk not in access.person_ids:
        raise Http404
    form = PersonContactForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            register.update_contact_details(
                person, actor=Actor.from_request(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_validation_error(form, error)
        else:
            messages.success(
                request, _("The details of %(name)s have been saved.") % {"name": person}
            )
            return redirect("org:portal", org_slug=organisation.slug)
    return render(
        request,
        "portal/person_form.html",
        {"form": form, "person": person, "is_self": person.pk in access.own_person_ids},
    )
