from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    """Public pages, reached without signing in (the signed invoice link)."""

    name = "forening.web"
    label = "web"
    verbose_name = _("Public pages")
