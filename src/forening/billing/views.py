"""The office pages of invoicing and payments (INV-01 … INV-05, PAY-01): the invoice list
and page with its credit notes, payments and reminders; a manual invoice; payments with
their placing and reversal; billing runs with a preview; the billing settings.

Every view is an adapter: it fetches with an explicit organisation filter (another
association's ids are 404), asks the policy ("billing.view" to look; "billing.manage" or
"payments.register" to act), parses the input with a form, calls one service and renders
or redirects. A service's BillingError / PaymentError becomes a form error. The list
pages run a fixed number of queries however many rows they show.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, QuerySet, Sum, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from forening.billing import runs, services
from forening.billing.forms import (
    OVERDUE,
    BaseInvoiceLineFormSet,
    BillingRunForm,
    BillingSettingsForm,
    CreditInvoiceForm,
    CreditLinesForm,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineFormSet,
    LineChoices,
    PaymentCreateForm,
    PaymentFilterForm,
    PaymentForm,
    PlacePaymentForm,
    ReversePaymentForm,
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
from forening.core import policy
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.fees.results import SkipReason
from forening.ledger import services as ledger
from forening.ledger.models import Account, AccountKind, CostCentre, Project
from forening.payments import services as payments
from forening.payments.models import Payment, PaymentAllocation, PaymentStatus

PAGE_SIZE = 50
PEOPLE_LIMIT = 20
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
OVERDUE_BADGE = "text-bg-danger"
PAYMENT_BADGES: dict[str, str] = {
    PaymentStatus.PLACED: "text-bg-success",
    PaymentStatus.UNPLACED: "text-bg-warning",
    PaymentStatus.REVERSED: "text-bg-secondary",
}


# --- helpers -------------------------------------------------------------------------------


def _actor(request: OrganisationRequest) -> Actor:
    return Actor.from_request(request)


def _url(request: OrganisationRequest, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": request.organisation.slug, **kwargs})


def _amount(organisation: Organisation, amount_minor: int) -> str:
    return services.format_amount(organisation, amount_minor)


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


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    badge_class: str


def _search_words(text: str) -> list[str]:
    # PostgreSQL refuses NUL characters in a query parameter
    return [word for word in text.replace("\x00", "").lower().split() if word][:5]


def _people_ids(
    organisation: Organisation, query: str, *chosen: str | int | None
) -> tuple[list[int], list[int]]:
    """(ids for a person field, the search results among them): up to PEOPLE_LIMIT people
    matching every word of `query` by name, e-mail, phone or member number, plus the ids in
    `chosen` (the one already picked). The form's queryset keeps only this association's."""
    found: list[int] = []
    words = _search_words(query)
    if words:
        people = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
        for word in words:
            people = people.filter(search_text__contains=word)
        found = list(
            people.order_by("last_name", "first_name", "pk").values_list("pk", flat=True)[
                :PEOPLE_LIMIT
            ]
        )
    extra = [
        int(value) for value in chosen if value and str(value).isdigit() and len(str(value)) < 19
    ]
    return [*found, *extra], found


def _only_one(chosen: str | None, results: list[int]) -> str | int | None:
    """The person to preselect: the one chosen, or the only one the search found."""
    if chosen and chosen.isdigit() and len(chosen) < 19:
        return chosen
    return results[0] if len(results) == 1 else None


def _failed(request: OrganisationRequest, text: str, form: Any) -> None:
    """Say that an action on a detail page failed, and why when it is not one field's
    fault (the service's reason; the page marks the fields)."""
    messages.error(request, " ".join([text, *form.non_field_errors()]))


def _pdf_url(request: OrganisationRequest, invoice: Invoice) -> str:
    """The invoice's PDF, once a page of that name exists."""
    try:
        return _url(request, "invoice-pdf", invoice_id=invoice.pk)
    except NoReverseMatch:
        return ""


# --- invoices ------------------------------------------------------------------------------


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


def _get_invoice(request: OrganisationRequest, invoice_id: int) -> Invoice:
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


def _invoice_page(
    request: OrganisationRequest,
    invoice: Invoice,
    *,
    credit_all_form: CreditInvoiceForm | None = None,
    credit_lines_form: CreditLinesForm | None = None,
    payment_form: PaymentForm | None = None,
) -> HttpResponse:
    organisation = request.organisation
    today = timezone.localdate()
    lines = _lines_left(invoice)
    creditable = [(line, left) for line, left in lines if left > 0]
    is_invoice = invoice.kind == InvoiceKind.INVOICE
    can_credit = (
        is_invoice and bool(creditable) and policy.can(request.access, "billing.manage", invoice)
    )
    can_pay = (
        is_invoice
        and invoice.status == InvoiceStatus.OPEN
        and policy.can(request.access, "payments.register", invoice)
    )
    if can_credit:
        credit_all_form = credit_all_form or CreditInvoiceForm(prefix="all")
        credit_lines_form = credit_lines_form or CreditLinesForm(
            prefix="lines", lines=creditable, currency=invoice.currency
        )
    if can_pay:
        payment_form = payment_form or PaymentForm(
            currency=invoice.currency, initial={"amount": invoice.open_minor}
        )
    badge_label, badge_class = _badge(invoice, today)
    credit_notes = list(
        Invoice.objects.filter(organisation=organisation, credits=invoice).order_by("number")
    )
    allocations = list(
        PaymentAllocation.objects.filter(organisation=organisation, invoice=invoice)
        .select_related("payment")
        .order_by("created_at", "pk")
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
            "allocations": allocations,
            "reminders": reminders,
            "credited_minor": -sum(note.total_minor for note in credit_notes),
            "can_credit": can_credit,
            "can_pay": can_pay,
            "credit_all_form": credit_all_form,
            "credit_lines_form": credit_lines_form,
            "payment_form": payment_form,
            "pdf_url": _pdf_url(request, invoice),
        },
    )


@organisation_view("billing.view")
def invoice_detail(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, _get_invoice(request, invoice_id))


@organisation_view("billing.view")
@require_POST
def invoice_credit(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    """Credit all that is left of an invoice (`scope=all`) or the amounts typed per line."""
    invoice = _get_invoice(request, invoice_id)
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
                invoice, actor=_actor(request), amounts=amounts, reason=form.cleaned_data["reason"]
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Credit note %(note)s of %(amount)s has been issued for invoice %(number)s.")
                % {
                    "note": note.number,
                    "amount": _amount(request.organisation, -note.total_minor),
                    "number": invoice.number,
                },
            )
            return redirect(_url(request, "invoice", invoice_id=invoice.pk))
    _failed(request, _("The invoice has not been credited."), form)
    if isinstance(form, CreditLinesForm):
        return _invoice_page(request, invoice, credit_lines_form=form)
    return _invoice_page(request, invoice, credit_all_form=form)


@organisation_view("billing.view")
@require_POST
def invoice_payment(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    """Register a payment of this invoice."""
    invoice = _get_invoice(request, invoice_id)
    policy.require(request.access, "payments.register", invoice)
    form = PaymentForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = payments.register_payment(
                request.organisation,
                amount_minor=data["amount"],
                paid_on=data["paid_on"],
                channel=data["channel"],
                reference=data["reference"],
                invoice=invoice,
                actor=_actor(request),
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("A payment of %(amount)s has been registered on invoice %(number)s.")
                % {
                    "amount": _amount(request.organisation, payment.amount_minor),
                    "number": invoice.number,
                },
            )
            return redirect(_url(request, "invoice", invoice_id=invoice.pk))
    _failed(request, _("The payment has not been registered."), form)
    return _invoice_page(request, invoice, payment_form=form)


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
    people, results = _people_ids(organisation, query, chosen)
    form = InvoiceForm(
        request.POST if posted else None,
        organisation=organisation,
        people=people,
        initial={"payer": _only_one(chosen, results)},
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
                    actor=_actor(request),
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
                        "amount": _amount(organisation, invoice.total_minor),
                        "name": invoice.recipient_name,
                    },
                )
                return redirect(_url(request, "invoice", invoice_id=invoice.pk))
    return render(
        request,
        "billing/invoice_form.html",
        {"form": form, "lines": lines, "query": query, "result_count": len(results)},
    )


# --- payments ------------------------------------------------------------------------------


@organisation_view("billing.view")
def payments_list(request: OrganisationRequest) -> HttpResponse:
    """Payments received, filtered; those not yet placed come first and stand out."""
    organisation = request.organisation
    form = PaymentFilterForm(request.GET)
    form.is_valid()
    filters = form.cleaned_data
    rows = Payment.objects.filter(organisation=organisation)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("channel"):
        rows = rows.filter(channel=filters["channel"])
    if filters.get("paid_from"):
        rows = rows.filter(paid_on__gte=filters["paid_from"])
    if filters.get("paid_to"):
        rows = rows.filter(paid_on__lte=filters["paid_to"])
    sums = rows.aggregate(
        count=Count("pk"),
        total=Sum("amount_minor", default=0),
        unplaced=Count("pk", filter=Q(status=PaymentStatus.UNPLACED)),
    )
    # those waiting to be placed first, so they are seen without paging
    waiting_first = Case(When(status=PaymentStatus.UNPLACED, then=0), default=1)
    page = Paginator(
        rows.select_related("person").order_by(waiting_first, "-paid_on", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/payments.html",
        {
            "form": form,
            "page": page,
            "rows": [
                PaymentRow(payment, PAYMENT_BADGES.get(payment.status, "text-bg-secondary"))
                for payment in page.object_list
            ],
            "sums": sums,
            "filtered": any(value for value in filters.values()),
            "can_register": policy.can(request.access, "payments.register"),
        },
    )


def _payment_message(request: OrganisationRequest, payment: Payment, placed: bool) -> None:
    amount = _amount(request.organisation, payment.amount_minor)
    if payment.status == PaymentStatus.UNPLACED:
        messages.warning(
            request,
            _(
                "The payment of %(amount)s has been registered but not placed: nobody could "
                "tell whose it is. Place it on an invoice or a person."
            )
            % {"amount": amount},
        )
    elif placed:
        messages.success(
            request, _("The payment of %(amount)s has been placed.") % {"amount": amount}
        )
    else:
        messages.success(
            request, _("The payment of %(amount)s has been registered.") % {"amount": amount}
        )


@organisation_view("billing.view")
def payment_create(request: OrganisationRequest) -> HttpResponse:
    """Register a payment: on an invoice (its number or OCR reference), on a person's open
    invoices, or unplaced when nothing tells whose it is."""
    policy.require(request.access, "payments.register")
    organisation = request.organisation
    posted = request.method == "POST"
    query = (request.GET.get("q") or "").strip()
    chosen = request.POST.get("person") if posted else request.GET.get("person")
    people, results = _people_ids(organisation, query, chosen)
    form = PaymentCreateForm(
        request.POST if posted else None,
        organisation=organisation,
        people=people,
        initial={"person": _only_one(chosen, results)},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payments.register_payment(
                organisation,
                amount_minor=data["amount"],
                paid_on=data["paid_on"],
                channel=data["channel"],
                reference=data["reference"],
                invoice=data["invoice"],
                person=data["person"],
                payer_name=data["payer_name"],
                note=data["note"],
                actor=_actor(request),
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            _payment_message(request, payment, placed=False)
            return redirect(_url(request, "payment", payment_id=payment.pk))
    return render(
        request,
        "billing/payment_form.html",
        {"form": form, "query": query, "result_count": len(results)},
    )


def _get_payment(request: OrganisationRequest, payment_id: int) -> Payment:
    payment: Payment = get_object_or_404(
        Payment.objects.select_related("person", "voucher", "reversal_voucher"),
        organisation=request.organisation,
        pk=payment_id,
    )
    payment.organisation = request.organisation
    return payment


def _payment_page(
    request: OrganisationRequest,
    payment: Payment,
    *,
    place_form: PlacePaymentForm | None = None,
    reverse_form: ReversePaymentForm | None = None,
) -> HttpResponse:
    organisation = request.organisation
    may_register = policy.can(request.access, "payments.register", payment)
    can_place = may_register and payment.status == PaymentStatus.UNPLACED
    can_reverse = may_register and payment.status != PaymentStatus.REVERSED
    query = (request.GET.get("q") or "").strip()
    results: list[int] = []
    if can_place and place_form is None:
        people, results = _people_ids(organisation, query)
        place_form = PlacePaymentForm(
            organisation=organisation,
            people=people,
            initial={"person": _only_one(None, results)},
        )
    if can_reverse and reverse_form is None:
        reverse_form = ReversePaymentForm()
    allocations = list(
        PaymentAllocation.objects.filter(organisation=organisation, payment=payment)
        .select_related("invoice", "person", "voucher")
        .order_by("created_at", "pk")
    )
    return render(
        request,
        "billing/payment_detail.html",
        {
            "payment": payment,
            "badge_class": PAYMENT_BADGES.get(payment.status, "text-bg-secondary"),
            "allocations": allocations,
            "can_place": can_place,
            "can_reverse": can_reverse,
            "place_form": place_form,
            "reverse_form": reverse_form,
            "query": query,
            "result_count": len(results),
        },
    )


@organisation_view("billing.view")
def payment_detail(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    return _payment_page(request, _get_payment(request, payment_id))


@organisation_view("billing.view")
@require_POST
def payment_place(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    """Place an unplaced payment on an invoice (by number) or a person."""
    payment = _get_payment(request, payment_id)
    policy.require(request.access, "payments.register", payment)
    people, _results = _people_ids(request.organisation, "", request.POST.get("person"))
    form = PlacePaymentForm(request.POST, organisation=request.organisation, people=people)
    if form.is_valid():
        try:
            placed = payments.place_payment(
                payment,
                invoice=form.cleaned_data["invoice"],
                person=form.cleaned_data["person"],
                actor=_actor(request),
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            _payment_message(request, placed, placed=True)
            return redirect(_url(request, "payment", payment_id=payment.pk))
    _failed(request, _("The payment has not been placed."), form)
    return _payment_page(request, payment, place_form=form)


@organisation_view("billing.view")
@require_POST
def payment_reverse(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    """Reverse a payment registered by mistake (a voucher; nothing is deleted)."""
    payment = _get_payment(request, payment_id)
    policy.require(request.access, "payments.register", payment)
    form = ReversePaymentForm(request.POST)
    if form.is_valid():
        try:
            payments.reverse_payment(
                payment, reason=form.cleaned_data["reason"], actor=_actor(request)
            )
        except BillingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The payment of %(amount)s has been reversed.")
                % {"amount": _amount(request.organisation, payment.amount_minor)},
            )
            return redirect(_url(request, "payment", payment_id=payment.pk))
    _failed(request, _("The payment has not been reversed."), form)
    return _payment_page(request, payment, reverse_form=form)


# --- billing runs --------------------------------------------------------------------------


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
                    actor=_actor(request),
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
                    return redirect(_url(request, "billing-run"))
                messages.success(
                    request,
                    ngettext(
                        "%(count)s invoice of %(total)s in all has been issued.",
                        "%(count)s invoices of %(total)s in all have been issued.",
                        run.invoice_count,
                    )
                    % {
                        "count": run.invoice_count,
                        "total": _amount(organisation, run.total_minor),
                    },
                )
                return redirect(f"{_url(request, 'invoices')}?run={run.pk}")
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


# --- settings ------------------------------------------------------------------------------


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
                    organisation, actor=_actor(request), **form.service_fields()
                )
            except BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The billing settings have been saved."))
                return redirect(_url(request, "billing-settings"))
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
