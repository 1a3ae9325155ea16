from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "forening.ledger"
    label = "ledger"
    verbose_name = _("Bookkeeping")

    def ready(self) -> None:
        from forening.ledger import policy  # noqa: F401  (registers the books' rules)
