"""Invoicing, payments and the financial reports, inside the "org" namespace
(/o/<org_slug>/office/billing/…)."""

from django.urls import path

from forening.billing import urls_office, urls_reports, views_pdf

urlpatterns = [
    *urls_office.urlpatterns,
    path(
        "office/billing/invoices/<int:invoice_id>/pdf/", views_pdf.invoice_pdf, name="invoice-pdf"
    ),
    path("office/billing/invoices/pdf/", views_pdf.invoices_pdf, name="invoices-pdf"),
    *urls_reports.urlpatterns,
]
