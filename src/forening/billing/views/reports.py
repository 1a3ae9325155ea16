"""The financial reports' office page and its .xlsx download (ACC-03). They read: the
sections come from `billing.report_book`, a fixed number of queries whatever the data."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forening.billing import report_book
from forening.core.context import Actor
from forening.core.forms_base import BootstrapMixin
from forening.core.models import Organisation
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.ledger.services import year_bounds

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Longer periods are refused: a report over decades is a mistake, not a question.
MAX_PERIOD_DAYS = 10 * 366
FIELDS = ("starts_on", "ends_on", "as_of")


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ReportPeriodForm(BootstrapMixin, forms.Form):
    starts_on = _date_field(_("From"))
    ends_on = _date_field(_("To"))
    as_of = _date_field(_("Receivables as of"))

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("The period cannot end before it starts."))
            elif (ends_on - starts_on).days > MAX_PERIOD_DAYS:
                self.add_error("ends_on", _("Choose a period of at most ten years."))
        return cleaned


def _today(organisation: Organisation) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(organisation.time_zone))


def _period_form(request: OrganisationRequest) -> ReportPeriodForm:
    """The form bound to the query string, or to the defaults (this fiscal year, ageing as
    of today) when the query string has none of its fields."""
    organisation = request.organisation
    if any(name in request.GET for name in FIELDS):
        return ReportPeriodForm(request.GET)
    today = _today(organisation)
    starts_on, ends_on = year_bounds(organisation, today)
    return ReportPeriodForm(
        {
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "as_of": today.isoformat(),
        }
    )


def _period(form: ReportPeriodForm) -> report_book.Period:
    data = form.cleaned_data
    return report_book.Period(data["starts_on"], data["ends_on"], data["as_of"])


@organisation_view("billing.view")
def billing_reports(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    form = _period_form(request)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        period = _period(form)
        context.update(report_book.page_context(organisation, period))
        context.update(
            {
                "starts_on": period.starts_on,
                "ends_on": period.ends_on,
                "as_of": period.as_of,
                "export_query": urlencode(
                    {name: form.cleaned_data[name].isoformat() for name in FIELDS}
                ),
            }
        )
    return render(request, "billing/reports.html", context)


@organisation_view("billing.view")
def billing_reports_xlsx(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    form = _period_form(request)
    if not form.is_valid():
        # Back to the page, where the same query string shows what is wrong.
        page = reverse("org:billing-reports", kwargs={"org_slug": organisation.slug})
        return redirect(f"{page}?{request.GET.urlencode()}")
    period = _period(form)
    data = report_book.export_workbook(organisation, period, actor=Actor.from_request(request))
    response = HttpResponse(data, content_type=XLSX)
    name = (
        f"{organisation.slug}-reports-{period.starts_on.isoformat()}-"
        f"{period.ends_on.isoformat()}.xlsx"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
