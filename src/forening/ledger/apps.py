from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from forening.core.models import Organisation


class LedgerConfig(AppConfig):
    name = "forening.ledger"
    label = "ledger"
    verbose_name = _("Bookkeeping")

    def ready(self) -> None:
        from forening.core.navigation import Link, register_link
        from forening.ledger import policy  # noqa: F401  (registers the books' rules)

        register_link(Link("office", _("Bookkeeping"), "books", "ledger.view", 10, 20))

    def setup_organisation(self, organisation: Organisation) -> None:
        """A new association gets the chart of accounts of its country (office.onboarding)."""
        from forening.ledger.services import ensure_chart

        ensure_chart(organisation)
