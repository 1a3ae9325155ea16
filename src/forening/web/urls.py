"""Public pages outside any association's namespace (no sign-in)."""

from django.urls import path

from forening.web import views

urlpatterns = [
    # The invoice link in e-mails (signed, no sign-in).
    path("invoice/<str:token>/", views.invoice_link, name="invoice-link"),
]
