"""Moving a person between households and adding or removing guardians (REG-04)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from forening.core.forms_base import add_validation_error
from forening.core.models import Guardianship, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.households import services as household_services
from forening.households.forms import NewHouseholdForm
from forening.households.models import Household
from forening.members import services
from forening.members.views.member.access import (
    error_text,
    get_person,
    member_url,
    refuse_read_only,
    request_actor,
)
from forening.members.views.member.page import guardian_part, household_part

SEARCH_LIMIT = 20


def _search_words(text: str) -> list[str]:
    return [word for word in text.lower().split() if word][:5]


@organisation_view("members.person.change")
def member_household(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Move a person to another household, to a new one, or out of any (REG-04)."""
    organisation = request.organisation
    person = get_person(request, person_id)
    refused = refuse_read_only(request, person)
    if refused is not None:
        return refused
    default_name = _("The %(name)s family") % {"name": person.last_name or person.full_name}
    new_form = NewHouseholdForm(initial={"name": default_name})
    if request.method == "POST":
        action = request.POST.get("action")
        actor = request_actor(request)
        if action == "new":
            new_form = NewHouseholdForm(request.POST)
        try:
            if action == "move":
                household = get_object_or_404(
                    Household, organisation=organisation, pk=request.POST.get("household") or 0
                )
                household_services.move_to_household(person, household, actor=actor)
                messages.success(
                    request,
                    _("%(name)s has moved to %(household)s.")
                    % {"name": person.full_name, "household": household.name},
                )
            elif action == "new":
                if new_form.is_valid():
                    household = household_services.create_household(
                        organisation,
                        actor=actor,
                        name=new_form.cleaned_data["name"],
                        people=[person],
                    )
                    messages.success(
                        request,
                        _("%(name)s is now in the new household %(household)s.")
                        % {"name": person.full_name, "household": household.name},
                    )
            elif action == "leave":
                household_services.move_to_household(person, None, actor=actor)
                messages.success(
                    request, _("%(name)s is no longer in a household.") % {"name": person.full_name}
                )
            else:
                raise Http404
        except ValidationError as error:
            if new_form.is_bound:
                add_validation_error(new_form, error)
            else:
                messages.error(request, error_text(error))
        except (services.RegisterError, household_services.HouseholdError) as error:
            messages.error(request, str(error))
        if not (new_form.is_bound and new_form.errors):
            return redirect(member_url(person, "household"))
    query = (request.GET.get("q") or "").strip()
    results: list[Household] = []
    if query:
        households = Household.objects.filter(organisation=organisation)
        for word in _search_words(query):
            households = households.filter(Q(name__icontains=word) | Q(street__icontains=word))
        results = list(
            households.exclude(pk=person.household_id or 0)
            .annotate(size=Count("members"))
            .order_by("name", "pk")[:SEARCH_LIMIT]
        )
    household_people = household_part(person)["household_people"]
    return render(
        request,
        "members/member/household_move.html",
        {
            "person": person,
            "household": person.household,
            "household_people": household_people,
            "query": query,
            "results": results,
            "new_form": new_form,
        },
    )


@organisation_view("members.person.change")
def member_guardians(request: OrganisationRequest, person_id: int) -> HttpResponse:
    """Add a guardian found by searching the association's people, or remove one (REG-04)."""
    organisation = request.organisation
    person = get_person(request, person_id)
    refused = refuse_read_only(request, person)
    if refused is not None:
        return refused
    if request.method == "POST":
        action = request.POST.get("action")
        actor = request_actor(request)
        try:
            if action == "add":
                guardian = get_object_or_404(
                    Person, organisation=organisation, pk=request.POST.get("guardian") or 0
                )
                services.add_guardian(person, guardian, actor=actor)
                messages.success(
                    request,
                    _("%(guardian)s is now a guardian of %(name)s.")
                    % {"guardian": guardian.full_name, "name": person.full_name},
                )
            elif action == "remove":
                link: Guardianship = get_object_or_404(
                    Guardianship.objects.select_related("guardian", "ward"),
                    organisation=organisation,
                    ward=person,
                    pk=request.POST.get("guardianship") or 0,
                )
                name = link.guardian.full_name
                services.remove_guardian(link, actor=actor)
                messages.success(
                    request,
                    _("%(guardian)s is no longer a guardian of %(name)s.")
                    % {"guardian": name, "name": person.full_name},
                )
            else:
                raise Http404
        except services.RegisterError as error:
            messages.error(request, str(error))
        return redirect(member_url(person, "guardians"))
    links = guardian_part(organisation, person)
    query = (request.GET.get("q") or "").strip()
    results: list[Person] = []
    if query:
        people = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
        for word in _search_words(query):
            people = people.filter(search_text__contains=word)
        taken = [link.guardian_id for link in links["guardians"]]
        results = list(
            people.exclude(pk__in=[person.pk, *taken]).order_by("last_name", "first_name", "pk")[
                :SEARCH_LIMIT
            ]
        )
    return render(
        request,
        "members/member/guardians.html",
        {"person": person, "query": query, "results": results, **links},
    )
