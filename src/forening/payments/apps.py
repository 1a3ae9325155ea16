from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "forening.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from forening.core.navigation import Link, register_link
        from forening.payments import checks, panels, policy, reports  # noqa: F401  (hooks)

        register_link(
            Link(
                "invoicing",
                _("Payments"),
                "payments",
                "payments.view",
                order=20,
                also_current=("payment", "payment-create"),
            )
        )
