from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficeConfig(AppConfig):
    """The office pages of the association itself: overview, settings, sections and groups,
    roles, the audit log and local units; and onboarding (office.onboarding)."""

    name = "forening.office"
    label = "office"
    verbose_name = _("Office")

    def ready(self) -> None:
        from forening.core.navigation import Link, Menu, register_link, register_menu

        register_menu(Menu("overview", _("Overview"), icon="house", order=10, is_dropdown=False))
        register_link(Link("overview", _("Overview"), "dashboard", "core.organisation.view"))
        register_menu(
            Menu(
                "office",
                _("Office"),
                icon="briefcase",
                order=40,
                active_paths=("/office/",),
                inactive_paths=("/office/billing/",),
            )
        )
        register_link(
            Link("office", _("Sections and groups"), "groups", "core.section.view", 10, 30),
            Link("office", _("Roles"), "roles", "core.role.view", 20, 30),
            Link("office", _("Audit log"), "audit", "core.audit.view", 30, 30),
            Link("office", _("Local units"), "units", "core.unit.view", 40, 30),
            Link("office", _("Settings"), "settings", "core.organisation.change", 10, 40),
        )
