"""The office pages of invoicing and payments (owned by billing.views), inside the "org"
namespace: /o/<org_slug>/office/billing/…"""

from django.urls import path

from forening.billing import views

urlpatterns = [
    path("office/billing/invoices/", views.invoices, name="invoices"),
    path("office/billing/invoices/new/", views.invoice_create, name="invoice-create"),
    path("office/billing/invoices/<int:invoice_id>/", views.invoice_detail, name="invoice"),
    path(
        "office/billing/invoices/<int:invoice_id>/credit/",
        views.invoice_credit,
        name="invoice-credit",
    ),
    path(
        "office/billing/invoices/<int:invoice_id>/payment/",
        views.invoice_payment,
        name="invoice-payment",
    ),
    path("office/billing/payments/", views.payments_list, name="payments"),
    path("office/billing/payments/new/", views.payment_create, name="payment-create"),
    path("office/billing/payments/<int:payment_id>/", views.payment_detail, name="payment"),
    path(
        "office/billing/payments/<int:payment_id>/place/",
        views.payment_place,
        name="payment-place",
    ),
    path(
        "office/billing/payments/<int:payment_id>/reverse/",
        views.payment_reverse,
        name="payment-reverse",
    ),
    path("office/billing/runs/", views.billing_run, name="billing-run"),
    path("office/billing/settings/", views.billing_settings, name="billing-settings"),
]
