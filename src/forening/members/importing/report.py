"""What an import tells its caller: the file-level error, and the report of a run (counts,
the problems row by row, and a preview of the first rows)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from forening.members import services


class ImportFileError(services.RegisterError):
    """The file cannot be imported at all (not a spreadsheet, too large, no header row,
    no name column); str() is the message for the user."""


@dataclass
class RowError:
    """One problem: the row as numbered in Excel (header = 1), the column's header text
    ("" for the row as a whole) and the reason."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)d, %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)d: %(message)s") % {"row": self.row, "message": self.message}


@dataclass
class PreviewRow:
    """A row as it will be saved (for the preview page)."""

    row: int
    action: str
    name: str
    identity_number: str = ""
    birth_date: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    membership_type: str = ""
    status: str = ""
    member_number: str = ""
    household: str = ""
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows_total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    committed: bool = False

    @property
    def invalid_rows(self) -> int:
        return len({error.row for error in self.errors})

    @property
    def stopped(self) -> bool:
        """Errors stop the import: nothing was (or would be) written."""
        return bool(self.errors) and not self.skip_invalid

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_total": self.rows_total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "households_created": self.households_created,
            "errors": [asdict(error) for error in self.errors[:1000]],
            "error_count": len(self.errors),
            "committed": self.committed,
        }
