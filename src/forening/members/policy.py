"""Permission rules of the member register, registered with core.policy.

The register is office work: association admins (directly, or through a federation above)
read and change it. Leaders see their groups' people through the leader pages, and
members their own family through My pages; neither reaches the register itself.
"""

from __future__ import annotations

from typing import Any

from forening.core.policy import Access, Rule, register


def _admin(access: Access, obj: Any = None) -> bool:
    return access.is_admin


register(
    Rule(
        "members.register.view",
        _admin,
        see="core.organisation.view",
        description="Search the member register and open member pages",
    ),
    Rule(
        "members.person.change",
        _admin,
        see="members.register.view",
        description="Add and change people, households, groups, tags and notes",
    ),
    Rule(
        "members.status.change",
        _admin,
        see="members.register.view",
        description="Approve and reject applications, end and renew memberships",
    ),
    Rule(
        "members.identity.reveal",
        _admin,
        see="members.register.view",
        description="Show a full identity number (logged)",
    ),
    Rule(
        "members.settings.change",
        _admin,
        see="members.register.view",
        description="Membership types, custom fields, tags and consent purposes",
    ),
    Rule(
        "members.import",
        _admin,
        see="members.register.view",
        description="Import people from a spreadsheet",
    ),
    Rule(
        "members.export",
        _admin,
        see="members.register.view",
        description="Export people to a spreadsheet (logged)",
    ),
    Rule(
        "members.privacy.manage",
        _admin,
        see="members.register.view",
        description="Register extracts, anonymisation and the retention rule",
    ),
)
