"""The colours of status badges, the same on every page that lists people."""

from __future__ import annotations

from forening.core.models import MemberStatus

MEMBER_STATUS_BADGES: dict[MemberStatus, str] = {
    MemberStatus.ACTIVE: "text-bg-success",
    MemberStatus.APPLIED: "text-bg-info",
    MemberStatus.CONTACT: "text-bg-light border",
    MemberStatus.REJECTED: "text-bg-warning",
    MemberStatus.INACTIVE: "text-bg-secondary",
    MemberStatus.DECEASED: "text-bg-dark",
}


def member_status_badge(status: str, default: str = "text-bg-secondary") -> str:
    """The Bootstrap classes of the badge of a member status."""
    if status not in MemberStatus.values:
        return default
    return MEMBER_STATUS_BADGES.get(MemberStatus(status), default)
