"""Invoice PDFs for the office: one invoice (or its copy), and a batch for post."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from forening.billing import pdf
from forening.billing.models import Invoice, InvoiceKind, InvoiceStatus
from forening.core.views.base import OrganisationRequest, organisation_view

# A printed batch larger than this is split by the office (by run or date) into several.
BATCH_LIMIT = 2000


def _pdf(document: bytes, name: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(document, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return response


@organisation_view("billing.view")
def invoice_pdf(request: OrganisationRequest, invoice_id: int, **kwargs: Any) -> HttpResponse:
    invoice: Invoice = get_object_or_404(
        Invoice.objects.select_related("organisation"),
        organisation=request.organisation,
        pk=invoice_id,
    )
    copy = request.GET.get("copy") == "1"
    return _pdf(pdf.render_invoice(invoice, copy=copy), file_name(invoice, copy), inline=True)


def file_name(invoice: Invoice, copy: bool = False) -> str:
    """`faktura-1234.pdf`, `kreditfaktura-1235.pdf`, `kopia-faktura-1234.pdf`: in the
    invoice's language, ASCII only (for every browser's save dialogue)."""
    with translation.override(invoice.language or None):
        kind = _("credit note") if invoice.is_credit_note else _("invoice")
        words = [_("copy"), kind] if copy else [kind]
    return f"{slugify(' '.join(words))}-{invoice.number}.pdf"


@organisation_view("billing.view")
def invoices_pdf(request: OrganisationRequest, **kwargs: Any) -> HttpResponse:
    """Open invoices for post in one PDF: those of a run (`?run=`), or all open ones; with
    `?post=1` only those that cannot be e-mailed (no address)."""
    invoices = Invoice.objects.filter(
        organisation=request.organisation,
        kind=InvoiceKind.INVOICE,
        status=InvoiceStatus.OPEN,
    ).select_related("organisation")
    run = request.GET.get("run", "")
    if run.isdigit():
        invoices = invoices.filter(billing_run_id=int(run))
    if request.GET.get("post") == "1":
        invoices = invoices.filter(recipient_email="")
    chosen = list(invoices.order_by("number")[:BATCH_LIMIT])
    if not chosen:
        return HttpResponse(status=204)
    stamp = timezone.localdate().isoformat()
    name = f"{slugify(_('invoices'))}-{stamp}.pdf"
    return _pdf(pdf.render_invoices(chosen), name, inline=False)
