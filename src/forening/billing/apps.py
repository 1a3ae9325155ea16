from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "forening.billing"
    label = "billing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from forening.billing import checks, policy  # noqa: F401  (register rules and checks)
        from forening.core import scheduler

        # Reminders and automatic renewal runs, once a day in the task worker.
        scheduler.register("billing.daily", "forening.billing.tasks.daily")
