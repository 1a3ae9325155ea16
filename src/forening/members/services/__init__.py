"""The register's write path (REG-01 … REG-06, REG-08, GDPR-01): every view, command, import
and task that changes a person, a household, tags, custom fields, consents or notes calls
these functions. Each is one transaction; bad input raises `RegisterError` (or Django's
`ValidationError` with per-field messages) before anything is written.

The modules: `people` (adding and changing someone, the checks on the plain fields),
`identity_numbers`, `attributes` (custom fields), `status` (status changes, one or many),
`guardians`, `groups` (groups and tags), `consents`, `notes` (the correspondence log),
`defaults` (an association's membership types), `errors`, `selection`. Callers import from
this package, not from its modules.
"""

from forening.members.services.attributes import attribute_values_of, missing_required_attributes
from forening.members.services.consents import give_consent, set_consents, withdraw_consent
from forening.members.services.defaults import (
    DEFAULT_MEMBERSHIP_TYPES,
    default_membership_type,
    ensure_membership_types,
)
from forening.members.services.errors import RegisterError
from forening.members.services.groups import (
    add_to_group,
    get_or_create_tag,
    remove_from_group,
    set_group_role,
    tag_people,
    untag_person,
)
from forening.members.services.guardians import add_guardian, remove_guardian
from forening.members.services.identity_numbers import (
    decrypt_identity_number,
    find_by_identity_number,
    identity_index,
    identity_number_columns,
    reencrypt_identity_numbers,
    reveal_identity_number,
)
from forening.members.services.notes import (
    ATTACHMENT_TYPES,
    add_note,
    attachment_limit,
    check_attachment,
)
from forening.members.services.people import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    MEMBER_NUMBER_SEQUENCE,
    PERSON_FIELDS,
    TEXT_FIELDS,
    clean_person_fields,
    create_person,
    update_contact_details,
    update_person,
)
from forening.members.services.status import StatusResult, change_status, change_status_many

__all__ = [
    "ADDRESS_FIELDS",
    "ATTACHMENT_TYPES",
    "CONTACT_FIELDS",
    "DEFAULT_MEMBERSHIP_TYPES",
    "MEMBER_NUMBER_SEQUENCE",
    "PERSON_FIELDS",
    "TEXT_FIELDS",
    "RegisterError",
    "StatusResult",
    "add_guardian",
    "add_note",
    "add_to_group",
    "attachment_limit",
    "attribute_values_of",
    "change_status",
    "change_status_many",
    "check_attachment",
    "clean_person_fields",
    "create_person",
    "decrypt_identity_number",
    "default_membership_type",
    "ensure_membership_types",
    "find_by_identity_number",
    "get_or_create_tag",
    "give_consent",
    "identity_index",
    "identity_number_columns",
    "missing_required_attributes",
    "reencrypt_identity_numbers",
    "remove_from_group",
    "remove_guardian",
    "reveal_identity_number",
    "set_consents",
    "set_group_role",
    "tag_people",
    "untag_person",
    "update_contact_details",
    "update_person",
    "withdraw_consent",
]
