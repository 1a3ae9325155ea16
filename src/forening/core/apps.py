from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "forening.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from forening.core import audit, checks, signals  # noqa: F401  (registers receivers)
