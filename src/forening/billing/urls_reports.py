"""The financial reports (ACC-03) (owned by billing.views_reports)."""

from django.urls import path

from forening.billing import views_reports

urlpatterns = [
    path("office/billing/reports/", views_reports.billing_reports, name="billing-reports"),
    path(
        "office/billing/reports/export/",
        views_reports.billing_reports_xlsx,
        name="billing-reports-xlsx",
    ),
]
