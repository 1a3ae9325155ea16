"""The household page (REG-04): name, address, payer and invoice recipient.

Moving a person into or out of a household is done from their member page (members'
views call `households.services`); this page edits the household itself.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from forening.core.badges import member_status_badge
from forening.core.context import Actor
from forening.core.forms_base import add_validation_error
from forening.core.models import Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.households import services
from forening.households.forms import HouseholdForm
from forening.households.models import Household


@organisation_view("households.change")
def household_edit(request: OrganisationRequest, household_id: int) -> HttpResponse:
    """A household's name, address (everyone in it moves along), payer, invoice recipient."""
    organisation = request.organisation
    household: Household = get_object_or_404(
        Household.objects.select_related("payer", "invoice_recipient"),
        organisation=organisation,
        pk=household_id,
    )
    people = list(
        Person.objects.filter(organisation=organisation, household=household)
        .select_related("membership_type")
        .order_by("birth_date", "pk")
    )
    posted = request.method == "POST"
    form = HouseholdForm(request.POST if posted else None, household=household, people=people)
    if posted and form.is_valid():
        try:
            services.update_household(
                household, actor=Actor.from_request(request), **form.service_arguments()
            )
        except ValidationError as error:
            add_validation_error(form, error)
        except services.HouseholdError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The household has been saved."))
            return redirect("org:household", org_slug=organisation.slug, household_id=household.pk)
    return render(
        request,
        "households/household.html",
        {
            "household": household,
            "people": [(person, member_status_badge(person.status)) for person in people],
            "form": form,
        },
    )
