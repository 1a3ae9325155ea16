"""The fee rules' row locks, in the order of `core.locks` (which see): step 1, the
association's fee settings and a fee category being edited (editing the rules is work of
which one change at a time may run per association)."""

from __future__ import annotations

from forening.core.locks import lock_row
from forening.core.models import Organisation
from forening.fees.models import FeeCategory, FeeSettings


def lock_settings(organisation: Organisation) -> FeeSettings:
    """The association's fee settings (which must exist), locked."""
    return lock_row(FeeSettings.objects.all(), organisation=organisation)


def lock_category(category: FeeCategory) -> FeeCategory:
    """`category` read again, with its account, cost centre, project and section, locked."""
    return lock_row(
        FeeCategory.objects.select_related("account", "cost_centre", "project", "section"),
        pk=category.pk,
        organisation_id=category.organisation_id,
    )
