"""Invoicing and the financial reports, inside the "org" namespace: /o/<org_slug>/office/billing/…
(the payment pages under the same path are the payments app's)."""

from django.urls import path

from forening.billing.views import invoices, pdf, reports, runs, settings

urlpatterns = [
    path("office/billing/invoices/", invoices.invoices, name="invoices"),
    path("office/billing/invoices/new/", invoices.invoice_create, name="invoice-create"),
    path("office/billing/invoices/<int:invoice_id>/", invoices.invoice_detail, name="invoice"),
    path(
        "office/billing/invoices/<int:invoice_id>/credit/",
        invoices.invoice_credit,
        name="invoice-credit",
    ),
    path("office/billing/invoices/<int:invoice_id>/pdf/", pdf.invoice_pdf, name="invoice-pdf"),
    path("office/billing/invoices/pdf/", pdf.invoices_pdf, name="invoices-pdf"),
    path("office/billing/runs/", runs.billing_run, name="billing-run"),
    path("office/billing/settings/", settings.billing_settings, name="billing-settings"),
    path("office/billing/reports/", reports.billing_reports, name="billing-reports"),
    path(
        "office/billing/reports/export/", reports.billing_reports_xlsx, name="billing-reports-xlsx"
    ),
]
