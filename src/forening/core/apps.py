from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "forening.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from forening.core import audit, audit_protection, checks, signals  # noqa: F401  (receivers)

        # The audit log's triggers, also where the tables come without migrations (tests).
        post_migrate.connect(
            audit_protection.install_after_migrate,
            sender=self,
            dispatch_uid="forening.core.audit_protection",
        )
