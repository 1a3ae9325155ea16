from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from forening.core.models import Organisation


class MembersConfig(AppConfig):
    name = "forening.members"
    label = "members"
    verbose_name = _("Member register")

    def ready(self) -> None:
        from forening.core.navigation import Link, Menu, register_link, register_menu
        from forening.members import policy  # noqa: F401  (registers the register's rules)

        register_menu(
            Menu(
                "members",
                _("Members"),
                icon="person-lines-fill",
                order=20,
                is_dropdown=False,
                active_paths=("/office/members/",),
            )
        )
        register_link(
            Link("members", _("Members"), "members", "members.register.view"),
            Link("office", _("Applications"), "applications", "members.status.change", 10, 10),
            Link("office", _("Import members"), "member-import", "members.import", 20, 10),
            Link(
                "office",
                _("Register settings"),
                "register-settings",
                "members.settings.change",
                30,
                10,
            ),
        )

    def setup_organisation(self, organisation: Organisation) -> None:
        """A new association gets the usual membership types (office.onboarding)."""
        from forening.members.services import ensure_membership_types

        ensure_membership_types(organisation)
