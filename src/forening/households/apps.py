from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "forening.households"
    label = "households"
    verbose_name = _("Households")

    def ready(self) -> None:
        from forening.households import policy  # noqa: F401  (registers the rules)
