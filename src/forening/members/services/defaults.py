"""The default settings of an association: its membership types."""

from __future__ import annotations

from forening.core.models import Organisation
from forening.members.models import MembershipKind, MembershipType

DEFAULT_MEMBERSHIP_TYPES = [
    (MembershipKind.ORDINARY, "Ordinarie", "Ordinær", "Ordinary"),
    (MembershipKind.FAMILY, "Familj", "Familie", "Family"),
    (MembershipKind.HONORARY, "Hedersmedlem", "Æresmedlem", "Honorary"),
    (MembershipKind.PASSIVE, "Passiv", "Passiv", "Passive"),
    (MembershipKind.SUPPORTING, "Stödmedlem", "Støttemedlem", "Supporting"),
]


def ensure_membership_types(organisation: Organisation) -> list[MembershipType]:
    """Give a new association the five usual membership types, named in its language."""
    existing = list(MembershipType.objects.filter(organisation=organisation))
    if existing:
        return existing
    column = {"sv": 1, "da": 2}.get(organisation.language, 3)
    return MembershipType.objects.bulk_create(
        MembershipType(organisation=organisation, kind=row[0], name=row[column], position=i)
        for i, row in enumerate(DEFAULT_MEMBERSHIP_TYPES)
    )


def default_membership_type(organisation: Organisation) -> MembershipType | None:
    return (
        MembershipType.objects.filter(
            organisation=organisation, kind=MembershipKind.ORDINARY, is_active=True
        )
        .order_by("position", "pk")
        .first()
    )
