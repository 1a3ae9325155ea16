from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """`forening demo`: demo associations with a register and a year of invoicing."""

    name = "forening.demo"
    label = "demo"
    verbose_name = _("Demo data")
