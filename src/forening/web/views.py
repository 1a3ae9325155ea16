"""The invoice link in e-mails: opens the invoice's PDF without signing in.

The token is signed (billing.sending) and names one invoice of one association; a wrong,
altered or expired token is a plain 404, which tells a guesser nothing.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_scopes import scope

from forening.billing import pdf, sending
from forening.billing.models import Invoice


@require_GET
@never_cache
def invoice_link(request: HttpRequest, token: str) -> HttpResponse:
    found = sending.read_token(token)
    if found is None:
        raise Http404
    organisation_id, invoice_id = found
    with scope(organisation=organisation_id):
        invoice = (
            Invoice.objects.filter(organisation_id=organisation_id, pk=invoice_id)
            .select_related("organisation")
            .first()
        )
        if invoice is None:
            raise Http404
        document = pdf.render_invoice(invoice)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
