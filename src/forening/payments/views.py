"""The payment pages (PAY-01): payments received, one payment with where it went, placing
an unplaced payment, reversing one, and registering a payment (on its own page or from
the invoice page, whose payment panels are in `payments.panels`).

Every view is an adapter: it fetches with an explicit organisation filter, asks the policy
("payments.view" to look, "payments.register" to act), parses the input with a form, calls
one service of `payments.services` and renders or redirects; a PaymentError (or a
BillingError from the invoices a payment settles) becomes a form error.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Sum, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from forening.billing.services import BillingError
from forening.billing.views import common, invoices
from forening.billing.views.common import PAGE_SIZE
from forening.core import policy
from forening.core.views.base import OrganisationRequest, organisation_view
from forening.payments import services
from forening.payments.forms import (
    PaymentCreateForm,
    PaymentFilterForm,
    PaymentForm,
    PlacePaymentForm,
    ReversePaymentForm,
)
from forening.payments.models import Payment, PaymentAllocation, PaymentStatus
from forening.payments.services import PaymentError

PAYMENT_BADGES: dict[str, str] = {
    PaymentStatus.PLACED: "text-bg-success",
    PaymentStatus.UNPLACED: "text-bg-warning",
    PaymentStatus.REVERSED: "text-bg-secondary",
}


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    badge_class: str


@organisation_view("payments.view")
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
        "payments/payments.html",
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
    amount = common.amount(request.organisation, payment.amount_minor)
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


@organisation_view("payments.view")
def payment_create(request: OrganisationRequest) -> HttpResponse:
    """Register a payment: on an invoice (its number or OCR reference), on a person's open
    invoices, or unplaced when nothing tells whose it is."""
    policy.require(request.access, "payments.register")
    organisation = request.organisation
    posted = request.method == "POST"
    query = (request.GET.get("q") or "").strip()
    chosen = request.POST.get("person") if posted else request.GET.get("person")
    people, results = common.people_ids(organisation, query, chosen)
    form = PaymentCreateForm(
        request.POST if posted else None,
        organisation=organisation,
        people=people,
        initial={"person": common.only_one(chosen, results)},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.register_payment(
                organisation,
                amount_minor=data["amount"],
                paid_on=data["paid_on"],
                channel=data["channel"],
                reference=data["reference"],
                invoice=data["invoice"],
                person=data["person"],
                payer_name=data["payer_name"],
                note=data["note"],
                actor=common.actor(request),
            )
        except (PaymentError, BillingError) as error:
            form.add_error(None, str(error))
        else:
            _payment_message(request, payment, placed=False)
            return redirect(common.url(request, "payment", payment_id=payment.pk))
    return render(
        request,
        "payments/payment_form.html",
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
        people, results = common.people_ids(organisation, query)
        place_form = PlacePaymentForm(
            organisation=organisation,
            people=people,
            initial={"person": common.only_one(None, results)},
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
        "payments/payment_detail.html",
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


@organisation_view("payments.view")
def payment_detail(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    return _payment_page(request, _get_payment(request, payment_id))


@organisation_view("payments.view")
@require_POST
def payment_place(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    """Place an unplaced payment on an invoice (by number) or a person."""
    payment = _get_payment(request, payment_id)
    policy.require(request.access, "payments.register", payment)
    people, _results = common.people_ids(request.organisation, "", request.POST.get("person"))
    form = PlacePaymentForm(request.POST, organisation=request.organisation, people=people)
    if form.is_valid():
        try:
            placed = services.place_payment(
                payment,
                invoice=form.cleaned_data["invoice"],
                person=form.cleaned_data["person"],
                actor=common.actor(request),
            )
        except (PaymentError, BillingError) as error:
            form.add_error(None, str(error))
        else:
            _payment_message(request, placed, placed=True)
            return redirect(common.url(request, "payment", payment_id=payment.pk))
    common.failed(request, _("The payment has not been placed."), form)
    return _payment_page(request, payment, place_form=form)


@organisation_view("payments.view")
@require_POST
def payment_reverse(request: OrganisationRequest, payment_id: int) -> HttpResponse:
    """Reverse a payment registered by mistake (a voucher; nothing is deleted)."""
    payment = _get_payment(request, payment_id)
    policy.require(request.access, "payments.register", payment)
    form = ReversePaymentForm(request.POST)
    if form.is_valid():
        try:
            services.reverse_payment(
                payment, reason=form.cleaned_data["reason"], actor=common.actor(request)
            )
        except (PaymentError, BillingError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The payment of %(amount)s has been reversed.")
                % {"amount": common.amount(request.organisation, payment.amount_minor)},
            )
            return redirect(common.url(request, "payment", payment_id=payment.pk))
    common.failed(request, _("The payment has not been reversed."), form)
    return _payment_page(request, payment, reverse_form=form)


@organisation_view("payments.view")
@require_POST
def invoice_payment(request: OrganisationRequest, invoice_id: int) -> HttpResponse:
    """Register a payment of this invoice."""
    invoice = invoices.get_invoice(request, invoice_id)
    policy.require(request.access, "payments.register", invoice)
    form = PaymentForm(request.POST, currency=invoice.currency)
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.register_payment(
                request.organisation,
                amount_minor=data["amount"],
                paid_on=data["paid_on"],
                channel=data["channel"],
                reference=data["reference"],
                invoice=invoice,
                actor=common.actor(request),
            )
        except (PaymentError, BillingError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("A payment of %(amount)s has been registered on invoice %(number)s.")
                % {
                    "amount": common.amount(request.organisation, payment.amount_minor),
                    "number": invoice.number,
                },
            )
            return redirect(common.url(request, "invoice", invoice_id=invoice.pk))
    common.failed(request, _("The payment has not been registered."), form)
    return invoices.invoice_page(request, invoice, payment_form=form)
