"""The kernel's models: associations, their sections and groups, accounts, people and their
guardians, roles, the audit log, and the system's own counters. One module each; this
package re-exports them, so `from forening.core.models import Person` is the way in."""

from forening.core.models.accounts import RateLimitHit, User, UserManager
from forening.core.models.audit import (
    AUDIT_ACTION_LABELS,
    AUDIT_VERB_LABELS,
    AuditEvent,
    AuditEventQuerySet,
)
from forening.core.models.base import (
    CURRENCY_BY_COUNTRY,
    TIME_ZONE_BY_COUNTRY,
    Country,
    Language,
    TimestampedModel,
    TrackedModel,
    colour_validator,
)
from forening.core.models.groups import Group, Section
from forening.core.models.organisations import Organisation
from forening.core.models.people import (
    READ_ONLY_STATUSES,
    Gender,
    Guardianship,
    MemberStatus,
    Person,
    PersonKind,
    person_name_key,
    person_photo_path,
)
from forening.core.models.roles import GroupMembership, GroupRole, Role, RoleAssignment
from forening.core.models.system import NumberSequence, ScheduledRun

__all__ = [
    "AUDIT_ACTION_LABELS",
    "AUDIT_VERB_LABELS",
    "CURRENCY_BY_COUNTRY",
    "READ_ONLY_STATUSES",
    "TIME_ZONE_BY_COUNTRY",
    "AuditEvent",
    "AuditEventQuerySet",
    "Country",
    "Gender",
    "Group",
    "GroupMembership",
    "GroupRole",
    "Guardianship",
    "Language",
    "MemberStatus",
    "NumberSequence",
    "Organisation",
    "Person",
    "PersonKind",
    "RateLimitHit",
    "Role",
    "RoleAssignment",
    "ScheduledRun",
    "Section",
    "TimestampedModel",
    "TrackedModel",
    "User",
    "UserManager",
    "colour_validator",
    "person_name_key",
    "person_photo_path",
]
