"""The invoicing settings page (INV-01 … INV-04): giro numbers, terms, reminders, renewal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from forening.billing import services
from forening.billing.forms import BillingSettingsForm
from forening.billing.services import BillingError
from forening.billing.views import common
from forening.core import policy
from forening.core.views.base import OrganisationRequest, organisation_view


@organisation_view("billing.view")
def billing_settings(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    can_manage = policy.can(request.access, "billing.manage")
    current = services.settings_for(organisation)
    if request.method == "POST":
        policy.require(request.access, "billing.manage")
        form = BillingSettingsForm(request.POST, settings=current, currency=organisation.currency)
        if form.is_valid():
            try:
                services.update_settings(
                    organisation, actor=common.actor(request), **form.service_fields()
                )
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The billing settings have been saved."))
                return redirect(common.url(request, "billing-settings"))
    else:
        form = BillingSettingsForm(settings=current, currency=organisation.currency)
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "billing/settings.html",
        {"form": form, "can_manage": can_manage},
    )
