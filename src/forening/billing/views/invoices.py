"""The invoice pages (INV-01, INV-02, INV-05): the list with its filters and sums, the
invoice page with its lines, credit notes and reminders (payments add their panels), crediting,
and a manual invoice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.billing import services
from forening.billing.forms import (
    OVERDUE,
    BaseInvoiceLineFormSet,
    CreditInvoiceForm,
    CreditLinesForm,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineFormSet,
    LineChoices,
)
from forening.billing.models import (
    BillingRun,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Reminder,
    ReminderChannel,
)
from forening.billing.services import BillingError
from forening.billing.views import common
from forening.billing.views.common import PAGE_SIZE
from forening.core import panels, policy
from forening.core.models import Organisation
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.ledger import services as ledger
from forening.ledger.models import Account, AccountKind, CostCentre, Project

OVERDUE_BADGE = "text-bg-danger"


def _badge(invoice: Invoice, today: dt.date) -> tuple[str, str]:
    """The status an invoice shows, and its colour: an open invoice past due is overdue."""
    if invoice.is_overdue(today):
        return _("Overdue"), OVERDUE_BADGE
    colours: dict[str, str] = {
        InvoiceStatus.OPEN: "text-bg-primary",
        InvoiceStatus.PAID: "text-bg-success",
        InvoiceStatus.CREDITED: "text-bg-secondary",
        InvoiceStatus.CREDIT_NOTE: "text-bg-light border",
    }
    return invoice.get_status_display(), colours.get(invoice.status, "text-bg-secondary")


@dataclass(frozen=True)
class InvoiceRow:
    """An invoice in a list, with the status it shows."""

    invoice: Invoice
    badge_label: str
    badge_class: str

    @property
    def overdue(self) -> bool:
        return self.badge_class == OVERDUE_BADGE


@dataclass(frozen=True)
class ReminderRow:
    """A reminder sent, with the names of the channels it went by."""

    reminder: Reminder
    channel_labels: list[str]


def _reminder_row(reminder: Reminder) -> ReminderRow:
    labels = [
        str(ReminderChannel(value).label) if value in ReminderChannel.values else value
        for value in reminder.channels.split(",")
        if value
    ]
    return ReminderRow(reminder, labels)


def _pdf_url(request: OrganisationRequest, invoice: Invoice) -> str:
    """The invoice's PDF, once a page of that name exists."""
    try:
        return common.url(request, "invoice-pdf", invoice_id=invoice.pk)
    except NoReverseMatch:
        return ""


def _filtered_invoices(
    organisation: Organisation, filters: dict[str, Any], today: dt.date
) -> QuerySet[Invoice]:
    rows = Invoice.objects.filter(organisation=organisation)
    status = filters.get("status")
    if status == OVERDUE:
        rows = rows.filter(status=InvoiceStatus.OPEN, due_on__lt=today)
    elif status in InvoiceStatus.values:
        rows = rows.filter(status=status)
    text = (filters.get("q") or "").strip()
    if text:
        match = Q(recipient_name__icontains=text)
        compact = text.replace(" ", "").replace("-", "")
        if compact.isdigit():
            match |= Q(ocr=compact)
            if len(compact) <= 9:
                match |= Q(number=int(compact))
        rows = rows.filter(match)
    if filters.get("issued_from"):
        rows = rows.filter(issued_on__gte=filters["issued_from"])
    if filters.get("issued_to"):
        rows = rows.filter(issued_on__lte=filters["issued_to"])
    if filters.get("run"):
        rows = rows.filter(billing_run_id=filters["run"])
    return rows


@organisation_view("billing.view")
def invoices(request: OrganisationRequest) -> HttpResponse:
    """Invoices and credit notes, filtered, with the sums of what the filter finds."""
    organisation = request.organisation
    today = timezone.localdate()
    form = InvoiceFilterForm(request.GET)
    form.is_valid()  # an invalid filter is shown with its error and left out
    filters = form.cleaned_data
    rows = _filtered_invoices(organisation, filters, today)
    sums = rows.aggregate(
        count=Count("pk"),
        total=Sum("total_minor", default=0),
        open=Sum("open_minor", default=0),
    )
    page = Paginator(
        rows.only(
            "pk",
            "kind",
            "number",
            "ocr",
            "recipient_name",
            "issued_on",
            "due_on",
            "total_minor",
            "open_minor",
            "status",
            "currency",
        ).order_by("-number"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    run = None
    if filters.get("run"):
        run = BillingRun.objects.filter(organisation=organisation, pk=filters["run"]).first()
    return render(
        request,
        "billing/invoices.html",
        {
            "form": form,
            "page": page,
            "rows": [InvoiceRow(invoice, *_badge(invoice, today)) for invoice in page.object_list],
            "sums": sums,
            "run": run,
            "filtered": any(value for value in filters.values()),
            "can_manage": policy.can(request.access, "billing.manage"),
        },
    )


def get_invoice(request: OrganisationRequest, invoice_id: int) -> Invoice:
    invoice: Invoice = get_object_or_404(
        Invoice.objects.select_related("payer", "credits", "billing_run"),
        organisation=request.organisation,
        pk=invoice_id,
    )
    invoice.organisation = request.organisation  # spare the services a query
    return invoice


def _lines_left(invoice: Invoice) -> list[tuple[InvoiceLine, int]]:
    """The invoice's lines, each with what is left to credit of it."""
    lines = list(
        InvoiceLine.objects.filter(organisation_id=invoice.organisation_id, invoice=invoice)
        .select_related("account", "cost_centre", "project", "person")
        .order_by("position", "pk")
    )
    credited = dict(
        InvoiceLine.objects.filter(
            organisation_id=invoice.organisation_id, credits_line__invoice=invoice
        )
        .values("credits_line")
        .annotate(total=Sum("amount_minor"))
        .values_list("credits_line", "total")
    )
    return [(line, line.amount_minor + int(credited.get(line.pk) or 0)) for line in lines]


def invoice_page(
    request: OrganisationRequest,
    invoice: Invoice,
    *,
    credit_all_form: CreditInvoiceForm | None = None,
    credit_lines_form: CreditLinesForm | None = None,
    **panel_state: Any,
) -> HttpResponse:
    """The invoice page. Other apps add panels to it (`core.panels`, pages "invoice" and
    "invoice-actions"); `panel_state` goes to them (e.g. a bound form after a failed POST)."""
    organisation = request.organisation
    today = timezone.localdate()
    lines = _lines_left(invoice)
    creditable = [(line, left) for line, left in lines if left > 0]
    is_invoice = invoice.kind == InvoiceKind.INVOICE
    can_credit = (
        is_invoice and bool(creditable) and policy.can(request.access, "billing.manage", invoice)
    )
    if can_credit:
        credit_all_form = credit_all_form or CreditInvoiceForm(prefix="all")
        credit_lines_form = credit_lines_form or CreditLinesForm(
            prefix="lines", lines=creditable, currency=invoice.currency
        )
    badge_label, badge_class = _badge(invoice, today)
    action_panels = panels.collect("invoice-actions", request, invoice, **panel_state)
    credit_notes = list(
        Invoice.objects.filter(organisation=organisation, credits=invoice).order_by("number")
    )
    reminders = [
        _reminder_row(reminder)
        for reminder in Reminder.objects.filter(
            organisation=organisation, invoice=invoice
        ).order_by("step")
    ]
    return render(
        request,
        "billing/invoice_detail.html",
        {
            "invoice": invoice,
            "badge_label": badge_label,
            "badge_class": badge_class,
            "lines": lines,
            "credit_notes": credit_notes,
            "panels": panels.collect("invoice", request, invoice, **panel_state),
            "action_panels": action_panels,
            "reminders": reminders,
            "credited_minor": -sum(note.total_minor for note in credit_notes),
            "can_credit": can_credit,
            "credit_all_form": credit_all_form,
            "credit_lines_form": credit_lines_form,
            "pdf_url": _pdf_url(request, invoice),
        },
    )


@organisation_view("billing.view")
def invoice_detail(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    return invoice_page(request, get_invoice(request, invoice_id))


@organisation_view("billing.view")
@require_POST
def invoice_credit(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    """Credit all that is left of an invoice (`scope=all`) or the amounts typed per line."""
    invoice = get_invoice(request, invoice_id)
    policy.require(request.access, "billing.manage", invoice)
    whole = request.POST.get("scope") == "all"
    form: CreditInvoiceForm
    if whole:
        form = CreditInvoiceForm(request.POST, prefix="all")
    else:
        creditable = [(line, left) for line, left in _lines_left(invoice) if left > 0]
        form = CreditLinesForm(
            request.POST, prefix="lines", lines=creditable, currency=invoice.currency
        )
    if form.is_valid():
        amounts = form.amounts() if isinstance(form, CreditLinesForm) else None
        try:
            note = services.credit_invoice(
                invoice,
                actor=common.actor(request),
                amounts=amounts,
                reason=form.cleaned_data["reason"],
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Credit note %(note)s of %(amount)s has been issued for invoice %(number)s.")
                % {
                    "note": note.number,
                    "amount": common.amount(request.organisation, -note.total_minor),
                    "number": invoice.number,
                },
            )
            return redirect(common.url(request, "invoice", invoice_id=invoice.pk))
    common.failed(request, _("The invoice has not been credited."), form)
    if isinstance(form, CreditLinesForm):
        return invoice_page(request, invoice, credit_lines_form=form)
    return invoice_page(request, invoice, credit_all_form=form)


def _line_choices(organisation: Organisation) -> LineChoices:
    ledger.ensure_chart(organisation)
    accounts = list(
        Account.objects.filter(
            organisation=organisation, kind=AccountKind.INCOME, is_active=True
        ).order_by("number")
    )
    default = next((a.pk for a in accounts if a.role == "membership_fees"), None)
    return LineChoices(
        accounts=[(account.pk, str(account)) for account in accounts],
        cost_centres=[
            (row.pk, str(row))
            for row in CostCentre.objects.filter(organisation=organisation, is_active=True)
        ],
        projects=[
            (row.pk, str(row))
            for row in Project.objects.filter(organisation=organisation, is_active=True)
        ],
        default_account=default,
    )


@organisation_view("billing.view")
def invoice_create(request: OrganisationRequest) -> HttpResponse:
    """A manual invoice to one payer: find the payer with `?q=`, then up to five lines."""
    policy.require(request.access, "billing.manage")
    organisation = request.organisation
    posted = request.method == "POST"
    query = (request.GET.get("q") or "").strip()
    chosen = request.POST.get("payer") if posted else request.GET.get("person")
    people, results = common.people_ids(organisation, query, chosen)
    form = InvoiceForm(
        request.POST if posted else None,
        organisation=organisation,
        people=people,
        initial={"payer": common.only_one(chosen, results)},
    )
    lines: BaseInvoiceLineFormSet = InvoiceLineFormSet(
        request.POST if posted else None,
        prefix="lines",
        form_kwargs={"choices": _line_choices(organisation), "currency": organisation.currency},
    )
    if posted:
        form_valid = form.is_valid()
        if lines.is_valid() and form_valid:
            data = form.cleaned_data
            try:
                invoice = services.issue_invoice(
                    organisation,
                    data["payer"],
                    lines.draft_lines(),
                    actor=common.actor(request),
                    text=data["text"],
                    issued_on=data["issued_on"],
                    due_on=data["due_on"],
                )
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Invoice %(number)s of %(amount)s has been issued to %(name)s.")
                    % {
                        "number": invoice.number,
                        "amount": common.amount(organisation, invoice.total_minor),
                        "name": invoice.recipient_name,
                    },
                )
                return redirect(common.url(request, "invoice", invoice_id=invoice.pk))
    return render(
        request,
        "billing/invoice_form.html",
        {"form": form, "lines": lines, "query": query, "result_count": len(results)},
    )
