"""Privacy (GDPR-02): the register extract of one person, erasure by anonymisation and the
retention rule that anonymises former members after a number of years.

Anonymisation keeps the person's row: invoices, vouchers, attendance and the status history
still point at it, and grant statistics still count it. What identifies the person is
removed; what the bookkeeping and the statistics need is kept (see `anonymise_people`).

The modules: `extract` (the register extract), `anonymisation`, `audit_redaction` (blanking
personal data in the audit log), `retention`. Callers import from this package, not from
its modules.
"""

from forening.members.privacy.anonymisation import (
    ANONYMISABLE_STATUSES,
    CLEARED_FIELDS,
    NULLED_FIELDS,
    anonymise_people,
    anonymise_person,
    anonymised_label,
    removed_label,
)
from forening.members.privacy.audit_redaction import KEPT_AUDIT_KEYS, redact_changes
from forening.members.privacy.extract import EXTRACT_SKIPPED_FIELDS, register_extract
from forening.members.privacy.retention import (
    RETENTION_STATUSES,
    RetentionReport,
    RetentionRow,
    apply_retention,
    retention_candidates,
    retention_cutoff,
)

__all__ = [
    "ANONYMISABLE_STATUSES",
    "CLEARED_FIELDS",
    "EXTRACT_SKIPPED_FIELDS",
    "KEPT_AUDIT_KEYS",
    "NULLED_FIELDS",
    "RETENTION_STATUSES",
    "RetentionReport",
    "RetentionRow",
    "anonymise_people",
    "anonymise_person",
    "anonymised_label",
    "apply_retention",
    "redact_changes",
    "register_extract",
    "removed_label",
    "retention_candidates",
    "retention_cutoff",
]
