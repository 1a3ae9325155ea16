"""Billing runs (INV-01): the committed ones, and a new one with a preview of what it would
invoice before it is committed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from forening.billing import runs, services
from forening.billing.forms import BillingRunForm
from forening.billing.models import BillingRun
from forening.billing.services import BillingError
from forening.billing.views import common
from forening.core import policy
from forening.core.models import Organisation, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.fees.results import SkipReason

RUNS_SHOWN = 50

SKIP_LABELS = {
    SkipReason.HONORARY: gettext_lazy("Honorary members"),
    SkipReason.NO_MEMBERSHIP_TYPE: gettext_lazy("No membership type"),
    SkipReason.NO_CATEGORY: gettext_lazy("No fee category applies"),
    SkipReason.NO_BIRTH_DATE: gettext_lazy("No date of birth for an age-based fee"),
    SkipReason.FREE: gettext_lazy("The fee is zero"),
    SkipReason.NO_JOIN_DATE: gettext_lazy("No date of joining"),
    SkipReason.NOT_YET_MEMBER: gettext_lazy("Not a member yet in the period"),
}


@dataclass
class PreviewInvoice:
    payer_name: str
    lines: list[services.DraftLine]
    total_minor: int


def _preview(organisation: Organisation, plan: runs.Plan, form: BillingRunForm) -> dict[str, Any]:
    first = plan.drafts[: runs.PREVIEW_INVOICES]
    names = {
        person.pk: person.full_name
        for person in Person.objects.filter(
            organisation=organisation, pk__in=[draft.payer_id for draft in first]
        ).only("pk", "kind", "first_name", "last_name", "organisation_name")
    }
    skipped = Counter(item.reason for item in plan.skipped)
    issued_on = form.cleaned_data.get("issued_on") or timezone.localdate()
    due_on = form.cleaned_data.get("due_on") or issued_on + dt.timedelta(
        days=services.settings_for(organisation).payment_terms_days
    )
    return {
        "plan": plan,
        "invoice_count": len(plan.drafts),
        "total_minor": plan.total_minor,
        "skipped": [
            (str(SKIP_LABELS.get(reason, reason)), count) for reason, count in skipped.most_common()
        ],
        "skipped_count": len(plan.skipped),
        "first": [
            PreviewInvoice(
                payer_name=names.get(draft.payer_id, ""),
                lines=draft.lines,
                total_minor=draft.total_minor,
            )
            for draft in first
        ],
        "issued_on": issued_on,
        "due_on": due_on,
        "parameters": form.parameters(),
    }


@organisation_view("billing.view")
def billing_run(request: OrganisationRequest) -> HttpResponse:
    """Billing runs: the committed ones, and a new one. `GET ?fee_year=…` previews what a
    run would invoice; POSTing the same parameters commits it (runs.commit)."""
    organisation = request.organisation
    can_manage = policy.can(request.access, "billing.manage")
    preview = None
    if request.method == "POST":
        policy.require(request.access, "billing.manage")
        form = BillingRunForm(request.POST, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                run, _plan = runs.commit(
                    organisation,
                    data["fee_year"],
                    data["selection"],
                    actor=common.actor(request),
                    issued_on=data["issued_on"],
                    due_on=data["due_on"],
                )
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                if run is None:
                    messages.info(
                        request, _("There is nothing new to invoice for this year and selection.")
                    )
                    return redirect(common.url(request, "billing-run"))
                messages.success(
                    request,
                    ngettext(
                        "%(count)s invoice of %(total)s in all has been issued.",
                        "%(count)s invoices of %(total)s in all have been issued.",
                        run.invoice_count,
                    )
                    % {
                        "count": run.invoice_count,
                        "total": common.amount(organisation, run.total_minor),
                    },
                )
                return redirect(f"{common.url(request, 'invoices')}?run={run.pk}")
    elif "fee_year" in request.GET:
        policy.require(request.access, "billing.manage")
        form = BillingRunForm(request.GET, organisation=organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = runs.plan(organisation, data["fee_year"], data["selection"])
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                preview = _preview(organisation, plan, form)
    else:
        form = BillingRunForm(organisation=organisation)
    committed = list(
        BillingRun.objects.filter(organisation=organisation).order_by("-created_at", "-pk")[
            :RUNS_SHOWN
        ]
    )
    return render(
        request,
        "billing/runs.html",
        {"form": form, "preview": preview, "runs": committed, "can_manage": can_manage},
    )
