from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """My pages (a member's own record and their wards') and the leader pages."""

    name = "forening.portal"
    label = "portal"
    verbose_name = _("My pages")

    def ready(self) -> None:
        from forening.core.navigation import Link, Menu, register_link, register_menu

        register_menu(
            Menu(
                "leader",
                _("My groups"),
                icon="people",
                order=50,
                is_dropdown=False,
                active_paths=("/leader/",),
            )
        )
        register_link(Link("leader", _("My groups"), "leader", "core.leader.view"))
        register_menu(
            Menu(
                "portal",
                _("My pages"),
                icon="person-vcard",
                order=60,
                is_dropdown=False,
                active_paths=("/my/",),
            )
        )
        register_link(Link("portal", _("My pages"), "portal", "core.portal.view"))
