"""Which status changes are allowed (REG-02). Pure rules, no database."""

from __future__ import annotations

from django.utils.translation import gettext as _

from forening.core.models import MemberStatus

S = MemberStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.CONTACT: frozenset({S.APPLIED, S.ACTIVE}),
    S.APPLIED: frozenset({S.ACTIVE, S.REJECTED}),
    S.REJECTED: frozenset({S.APPLIED, S.ACTIVE}),
    S.ACTIVE: frozenset({S.INACTIVE, S.DECEASED}),
    S.INACTIVE: frozenset({S.ACTIVE, S.DECEASED}),
    S.DECEASED: frozenset(),
}

# Statuses that make someone a member and so need a member number.
MEMBER_STATUSES = frozenset({S.ACTIVE, S.INACTIVE, S.DECEASED})
# "Everyday lists" show these.
EVERYDAY_STATUSES = frozenset({S.ACTIVE, S.APPLIED})


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def refusal(from_status: str, to_status: str) -> str:
    """The message for a transition that is not allowed."""
    if from_status == to_status:
        return _("The status is already “%(status)s”.") % {"status": S(to_status).label}
    if from_status == S.DECEASED:
        return _("A deceased person's status cannot be changed.")
    return _("A person cannot go from “%(from)s” to “%(to)s”.") % {
        "from": S(from_status).label,
        "to": S(to_status).label,
    }
