"""The books' office pages (ACC-01, ACC-02): fiscal years with their SIE files, the chart of
accounts with balances, and the journal. They read; every write goes through services."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, Sum
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.core import policy
from forening.core.context import Actor
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.ledger import services, sie_export
from forening.ledger.models import (
    Account,
    AccountingMethod,
    FiscalYear,
    Series,
    Voucher,
    VoucherLine,
)

JOURNAL_PAGE_SIZE = 50


def _years(organisation: Any) -> list[FiscalYear]:
    return list(
        FiscalYear.objects.filter(organisation=organisation)
        .annotate(voucher_count=Count("vouchers"))
        .order_by("-starts_on")
    )


def _current_year(years: list[FiscalYear], chosen: str | None) -> FiscalYear | None:
    if chosen and chosen.isdigit():
        for year in years:
            if year.pk == int(chosen):
                return year
    today = timezone.localdate()
    return next((year for year in years if year.contains(today)), years[0] if years else None)


@organisation_view("ledger.view")
def books(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    services.ensure_chart(organisation)
    settings = services.settings_for(organisation)
    years = _years(organisation)
    return render(
        request,
        "ledger/books.html",
        {
            "years": years,
            "ledger_settings": settings,
            "account_count": Account.objects.filter(organisation=organisation).count(),
            "can_export": policy.can(request.access, "ledger.export"),
            "can_manage": policy.can(request.access, "ledger.manage"),
            "methods": AccountingMethod.choices,
        },
    )


@organisation_view("ledger.manage")
@require_POST
def accounting_method(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    """Switch between the invoice and the cash method (refused while invoices are open)."""
    organisation = request.organisation
    method = request.POST.get("accounting_method", "")
    try:
        services.set_accounting_method(organisation, method, actor=Actor.from_request(request))
    except services.LedgerError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Accounting method saved: %(method)s.") % {"method": AccountingMethod(method).label},
        )
    return redirect("org:books", org_slug=organisation.slug)


@organisation_view("ledger.view")
def accounts(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    services.ensure_chart(organisation)
    years = _years(organisation)
    year = _current_year(years, request.GET.get("year"))
    rows = Account.objects.filter(organisation=organisation).order_by("number")
    if year is not None:
        in_year = Q(
            lines__voucher__booked_on__gte=year.starts_on,
            lines__voucher__booked_on__lte=year.ends_on,
        )
        rows = rows.annotate(
            movement=Sum("lines__amount", filter=in_year, default=0),
            closing=Sum(
                "lines__amount", filter=Q(lines__voucher__booked_on__lte=year.ends_on), default=0
            ),
        )
    return render(
        request,
        "ledger/accounts.html",
        {"accounts": rows, "years": years, "year": year},
    )


@organisation_view("ledger.view")
def journal(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    organisation = request.organisation
    years = _years(organisation)
    year = _current_year(years, request.GET.get("year"))
    series = request.GET.get("series", "")
    vouchers = Voucher.objects.none()
    if year is not None:
        vouchers = Voucher.objects.filter(organisation=organisation, fiscal_year=year)
        if series in Series.values:
            vouchers = vouchers.filter(series=series)
        vouchers = (
            vouchers.select_related("reverses")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=VoucherLine.objects.select_related(
                        "account", "cost_centre", "project", "person"
                    ).order_by("pk"),
                )
            )
            .order_by("-booked_on", "-series", "-number")
        )
    page = Paginator(vouchers, JOURNAL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/journal.html",
        {
            "page": page,
            "years": years,
            "year": year,
            "series": series,
            "series_choices": Series.choices,
        },
    )


@organisation_view("ledger.export")
@require_POST
def sie_download(request: OrganisationRequest, year_id: int, **kwargs: Any) -> HttpResponseBase:
    organisation = request.organisation
    year = get_object_or_404(FiscalYear, organisation=organisation, pk=year_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        with translation.override(organisation.language):
            sie_export.export_year(organisation, year, out, actor=Actor.from_request(request))
    except services.LedgerError as error:
        out.close()
        messages.error(request, str(error))
        return redirect("org:books", org_slug=organisation.slug)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(
        out,
        as_attachment=True,
        filename=sie_export.file_name(organisation, year),
        content_type="text/plain; charset=IBM437",
    )
