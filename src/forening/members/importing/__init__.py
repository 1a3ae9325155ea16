"""Importing the member register from a spreadsheet (REG-09).

Three steps, the same from the command line and from the office pages:

1. `read_sheet()` reads an .xlsx (openpyxl in read-only mode, streamed) or a .csv file
   (UTF-8 with or without BOM, or Windows-1252; `;`, `,` or tab) into header texts and rows
   of cells. It refuses what is not a spreadsheet, or is too large, with a clear message.
2. `guess_mapping()` maps columns to register fields by their header, in Swedish, Danish or
   English (case, diacritics and spacing do not matter); custom fields by their name. The
   user may change the mapping.
3. `import_members()` validates every row first (the same rules as the member form), then,
   when nothing is wrong (or the user chose to skip invalid rows), writes everything
   set-wise in one transaction. A re-import of the same file matches the people already in
   the register (identity number, else e-mail + name + date of birth) and updates them, so
   importing a file twice leaves the register as after the first time.

Empty cells never clear what the register holds: a column left empty changes nothing.

The modules, in the order an import runs through them:

- `reading`: files → `Sheet` (formats, encodings, delimiters, size limits)
- `mapping`: headers → register fields
- `cells`: one cell → a value; `rows`: each row validated, then the rows together
- `context`: what the steps share (`ImportContext`, `Row`)
- `matching`: rows → the people already in the register
- `planning`: what each row changes; `households`: who lives together
- `writing`: the set-wise writes; `run`: `import_members()`, the steps in order
- `report`: what the caller gets back; `uploads`: the office's upload → commit flow

Callers import from this package, not from its modules.
"""

from forening.members.importing.mapping import (
    TARGET_FIELDS,
    check_mapping,
    field_choices,
    guess_mapping,
    normalise_header,
)
from forening.members.importing.reading import (
    Sheet,
    max_import_bytes,
    max_import_rows,
    read_sheet,
)
from forening.members.importing.report import (
    ImportFileError,
    ImportReport,
    PreviewRow,
    RowError,
)
from forening.members.importing.run import import_members
from forening.members.importing.uploads import (
    STALE_IMPORT_AGE,
    commit_import,
    create_import,
    discard_import,
    discard_stale_imports,
    preview_import,
    read_import,
    set_import_mapping,
    stored_mapping,
)

__all__ = [
    "STALE_IMPORT_AGE",
    "TARGET_FIELDS",
    "ImportFileError",
    "ImportReport",
    "PreviewRow",
    "RowError",
    "Sheet",
    "check_mapping",
    "commit_import",
    "create_import",
    "discard_import",
    "discard_stale_imports",
    "field_choices",
    "guess_mapping",
    "import_members",
    "max_import_bytes",
    "max_import_rows",
    "normalise_header",
    "preview_import",
    "read_import",
    "read_sheet",
    "set_import_mapping",
    "stored_mapping",
]
