from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "forening.members"
    label = "members"
    verbose_name = _("Member register")

    def ready(self) -> None:
        from forening.members import policy  # noqa: F401  (registers the register's rules)
