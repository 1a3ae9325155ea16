"""The payment pages, inside the "org" namespace: /o/<org_slug>/office/billing/payments/…
and the payment form of an invoice page (…/office/billing/invoices/<id>/payment/)."""

from django.urls import path

from forening.payments import views

urlpatterns = [
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
]
