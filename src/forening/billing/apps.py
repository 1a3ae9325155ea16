from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "forening.billing"
    label = "billing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from forening.billing import checks, panels, policy, report_book  # noqa: F401  (hooks)
        from forening.core import scheduler
        from forening.core.navigation import Link, Menu, register_link, register_menu

        register_menu(
            Menu(
                "invoicing",
                _("Invoicing"),
                icon="receipt",
                order=30,
                active_paths=("/office/billing/",),
            )
        )
        register_link(
            Link(
                "invoicing",
                _("Invoices"),
                "invoices",
                "billing.view",
                order=10,
                also_current=("invoice", "invoice-create"),
            ),
            Link("invoicing", _("Billing runs"), "billing-run", "billing.view", order=30),
            Link(
                "invoicing",
                _("Financial reports"),
                "billing-reports",
                "billing.view",
                order=40,
                short_label=_("Reports"),
            ),
            Link(
                "invoicing",
                _("Invoicing settings"),
                "billing-settings",
                "billing.view",
                section=1,
                short_label=_("Billing settings"),
            ),
        )

        # Reminders and automatic renewal runs, once a day in the task worker.
        scheduler.register("billing.daily", "forening.billing.tasks.daily")
