"""Export of the register (REG-09): any search to .xlsx or .csv with chosen columns.

The rows are streamed: people are read with `.iterator(chunk_size=2000)`, and groups,
tags, consents and custom fields are looked up once per chunk, so memory does not grow
with the number of rows and the number of queries grows only with the number of chunks.
The .xlsx file is streamed straight into its zip file (see `_XlsxSheet`); the .csv file is UTF-8
with a byte-order mark and `;` between cells, which is what Excel expects in the Nordics.

Identity numbers are exported masked only. Text cells that a spreadsheet would read as
a formula (starting with =, +, -, @, a tab or a carriage return) get a leading `'`.
Every export is recorded in the audit log.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import IO, Any
from xml.sax.saxutils import escape

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import (
    Gender,
    GroupMembership,
    GroupRole,
    Language,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.members import attributes as attribute_values
from forening.members.fields import PERSON, Use
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    Tagging,
)

CHUNK_SIZE = 2000
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
CSV_SEPARATOR = ";"

# Column key → heading: the Person fields members/fields.py declares as exported, and the
# export's own columns (`OWN_COLUMNS`).
_HEADINGS: dict[str, Any] = {
    "member_number": gettext_lazy("Member number"),
    "name": gettext_lazy("Name"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "kind": gettext_lazy("Kind"),
    "organisation_name": gettext_lazy("Organisation name"),
    "organisation_number": gettext_lazy("Organisation number"),
    "contact_name": gettext_lazy("Contact person"),
    "identity_number_masked": gettext_lazy("Identity number (masked)"),
    "birth_date": gettext_lazy("Date of birth"),
    "age": gettext_lazy("Age"),
    "gender": gettext_lazy("Gender"),
    "email": gettext_lazy("E-mail address"),
    "email_secondary": gettext_lazy("Other e-mail address"),
    "phone": gettext_lazy("Mobile phone"),
    "phone_secondary": gettext_lazy("Other phone"),
    "care_of": gettext_lazy("c/o"),
    "street": gettext_lazy("Street address"),
    "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("City"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Preferred language"),
    "status": gettext_lazy("Status"),
    "status_since": gettext_lazy("Status since"),
    "membership_type": gettext_lazy("Membership type"),
    "joined_on": gettext_lazy("Member since"),
    "left_on": gettext_lazy("Left on"),
    "leave_reason": gettext_lazy("Reason for leaving"),
    "household": gettext_lazy("Household"),
    "groups": gettext_lazy("Groups"),
    "tags": gettext_lazy("Tags"),
    "consents": gettext_lazy("Consents given"),
}
# The columns that are not a Person field of that name, after the field they follow in the
# list (None: at the end).
OWN_COLUMNS: dict[str, str | None] = {
    "name": "member_number",
    "age": "birth_date",
    "groups": None,
    "tags": None,
    "consents": None,
}


def _columns() -> dict[str, Any]:
    """Every fixed column (key → heading), in the order of members/fields.py, with the
    export's own columns after the fields they follow. Custom fields are added per
    association as attr_<id>."""
    keys: list[str] = []
    for name in PERSON:
        if Use.EXPORT in PERSON[name].uses:
            keys.append(name)
        keys.extend(key for key, after in OWN_COLUMNS.items() if after == name)
    keys.extend(key for key, after in OWN_COLUMNS.items() if after is None)
    return {key: _HEADINGS[key] for key in keys}


EXPORT_COLUMNS = _columns()
DEFAULT_COLUMNS = (
    "member_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "postal_code",
    "city",
    "status",
    "membership_type",
    "joined_on",
)
_ATTRIBUTE_COLUMN = re.compile(r"^attr_(\d+)$")
# What a spreadsheet may take for the start of a formula (and their full-width forms).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters an .xlsx file cannot hold (control characters other than tab and newlines).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class ExportError(ValueError):
    """An export was asked for with an unknown column or format; str() is for the user."""


def available_columns(
    organisation: Organisation, *, definitions: Iterable[AttributeDefinition] | None = None
) -> dict[str, str]:
    """Every column the association can export: the fixed ones and its custom fields."""
    if definitions is None:
        definitions = AttributeDefinition.objects.filter(organisation=organisation)
    columns = {key: str(label) for key, label in EXPORT_COLUMNS.items()}
    for definition in definitions:
        columns[f"attr_{definition.pk}"] = definition.name
    return columns


def neutralise(value: str) -> str:
    """A text cell as text: a leading `'` where a spreadsheet would start a formula."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


# --- reading the rows ---------------------------------------------------------------


@dataclass
class _Related:
    """What one chunk of people has in other tables, looked up once per chunk."""

    groups: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    tags: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    consents: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    attributes: dict[tuple[int, int], AttributeValue] = field(default_factory=dict)


def _chunks(people: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(people, size)):
        yield chunk


def _lookup(
    organisation: Organisation,
    ids: list[int],
    columns: Sequence[str],
    definitions: dict[int, AttributeDefinition],
) -> _Related:
    related = _Related()
    if "groups" in columns:
        roles = dict(GroupRole.choices)
        memberships = (
            GroupMembership.objects.filter(organisation=organisation, person_id__in=ids)
            .order_by("group__name", "pk")
            .values_list("person_id", "group__name", "role")
        )
        for person_id, group_name, role in memberships:
            label = group_name if role == GroupRole.PARTICIPANT else f"{group_name} ({roles[role]})"
            related.groups[person_id].append(label)
    if "tags" in columns:
        taggings = (
            Tagging.objects.filter(organisation=organisation, person_id__in=ids)
            .order_by("tag__name", "pk")
            .values_list("person_id", "tag__name")
        )
        for person_id, tag_name in taggings:
            related.tags[person_id].append(tag_name)
    if "consents" in columns:
        consents = (
            Consent.objects.filter(
                organisation=organisation, person_id__in=ids, withdrawn_at__isnull=True
            )
            .order_by("purpose__position", "purpose__name", "pk")
            .values_list("person_id", "purpose__name")
        )
        for person_id, purpose_name in consents:
            related.consents[person_id].append(purpose_name)
    if definitions:
        values = AttributeValue.objects.filter(
            organisation=organisation, person_id__in=ids, attribute_id__in=list(definitions)
        ).only("person_id", "attribute_id", "text", "number", "date", "boolean")
        for row in values:
            related.attributes[(row.person_id, row.attribute_id)] = row
    return related


def _attribute_cell(definition: AttributeDefinition, row: AttributeValue | None) -> Any:
    if row is None:
        return None
    value = attribute_values.read_value(definition, row)
    if attribute_values.empty(value):
        return None
    if definition.kind in (AttributeKind.NUMBER, AttributeKind.DATE):
        return value
    return attribute_values.display(definition, value)


def _attribute_getter(definition: AttributeDefinition) -> Getter:
    def get(row: Row, related: _Related) -> Any:
        return _attribute_cell(definition, related.attributes.get((row["pk"], definition.pk)))

    return get


def _label(choices: type, value: str) -> str:
    if not value:
        return ""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


# One person as the values the columns read (`QuerySet.values()`): no model instances,
# which would take most of the time of a 100,000-row export.
Row = dict[str, Any]
Getter = Callable[[Row, _Related], Any]


def _full_name(row: Row) -> str:
    if row["kind"] == PersonKind.ORGANISATION:
        return str(row["organisation_name"])
    return f"{row['first_name']} {row['last_name']}".strip()


def _age(born: dt.date | None, today: dt.date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _labeller(choices: type) -> Callable[[str], str]:
    labels: dict[str, str] = {}

    def label(value: str) -> str:
        if value not in labels:
            labels[value] = _label(choices, value)
        return labels[value]

    return label


def _getters(today: dt.date) -> dict[str, Getter]:
    def plain(name: str) -> Getter:
        return lambda row, related: row[name]

    def choice(name: str, choices: type) -> Getter:
        label = _labeller(choices)
        return lambda row, related: label(row[name])

    getters: dict[str, Getter] = {key: plain(key) for key in EXPORT_COLUMNS}
    getters.update(
        {
            "name": lambda p, r: _full_name(p),
            "kind": choice("kind", PersonKind),
            "age": lambda p, r: _age(p["birth_date"], today),
            "gender": choice("gender", Gender),
            "language": choice("language", Language),
            "status": choice("status", MemberStatus),
            "membership_type": lambda p, r: p["membership_type__name"] or "",
            "household": lambda p, r: p["household__name"] or "",
            "groups": lambda p, r: ", ".join(r.groups.get(p["pk"], ())),
            "tags": lambda p, r: ", ".join(r.tags.get(p["pk"], ())),
            "consents": lambda p, r: ", ".join(r.consents.get(p["pk"], ())),
        }
    )
    return getters


# The person fields a column reads (columns not listed read the field of their name).
_COLUMN_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("kind", "first_name", "last_name", "organisation_name"),
    "age": ("birth_date",),
    "membership_type": ("membership_type__name",),
    "household": ("household__name",),
    "groups": (),
    "tags": (),
    "consents": (),
}


def _fields_for(columns: Sequence[str]) -> list[str]:
    """Only what the columns need is read: a lighter row for each of many people."""
    fields = ["pk"]
    for column in columns:
        if _ATTRIBUTE_COLUMN.match(column):
            continue
        fields.extend(_COLUMN_FIELDS.get(column, (column,)))
    return list(dict.fromkeys(fields))


# --- writing ------------------------------------------------------------------------


class _CsvSheet:
    def __init__(self, out: IO[bytes]) -> None:
        out.write(b"\xef\xbb\xbf")  # the BOM tells Excel the file is UTF-8
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.writer = csv.writer(self.text, delimiter=CSV_SEPARATOR, lineterminator="\r\n")

    def header(self, headings: list[str]) -> None:
        self.row(headings)

    def row(self, values: list[Any]) -> None:
        self.writer.writerow([self._cell(value) for value in values])

    @staticmethod
    def _cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value.normalize(), "f").replace(".", ",")
        if isinstance(value, int):
            return str(value)
        return neutralise(str(value))

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_PACKAGE_REL_NS}">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
        '2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # Style 0: plain; 1: bold (the headings); 2: a date as 2026-03-15.
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_MAIN_NS}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class _XlsxSheet:
    """A one-sheet .xlsx written row by row straight into the zip file.

    openpyxl's write-only workbook builds an object per cell and took three times as long
    as the CSV for 100,000 rows; this writes the same SpreadsheetML (inline strings, a
    bold heading row, dates as date cells) at the speed of the CSV, in constant memory.
    The tests read the files back with openpyxl.
    """

    def __init__(self, out: IO[bytes], title: str) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        name = re.sub(r"[\[\]:*?/\\]", "", _ILLEGAL_XML.sub("", title))[:31] or "Sheet1"
        for part, content in _XLSX_PARTS.items():
            self.zip.writestr(part, content)
        self.zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}"><sheets>'
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>",
        )
        self.sheet = io.TextIOWrapper(
            self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True), encoding="utf-8"
        )
        self.row_number = 0
        self.letters: list[str] = []

    def header(self, headings: list[str]) -> None:
        self.letters = [_column_letter(i) for i in range(1, len(headings) + 1)]
        widths = "".join(
            f'<col min="{i}" max="{i}" width="{min(max(len(h) + 2, 12), 40)}" customWidth="1"/>'
            for i, h in enumerate(headings, start=1)
        )
        self.sheet.write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<sheetViews><sheetView workbookViewId="0">'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
            "</sheetView></sheetViews>"
            f"<cols>{widths}</cols><sheetData>"
        )
        self._write(headings, style=' s="1"')

    def row(self, values: list[Any]) -> None:
        self._write(values)

    def _write(self, values: list[Any], style: str = "") -> None:
        self.row_number += 1
        number = self.row_number
        cells = []
        for letter, value in zip(self.letters, values, strict=True):
            ref = f"{letter}{number}"
            if value is None or value == "":
                continue
            if isinstance(value, bool):
                value = _("Yes") if value else _("No")
            if isinstance(value, str):
                text = escape(neutralise(_ILLEGAL_XML.sub("", value)))
                space = ' xml:space="preserve"' if text != text.strip() else ""
                cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif isinstance(value, dt.datetime):
                cells.append(f'<c r="{ref}" s="2"><v>{(value.date() - _EXCEL_EPOCH).days}</v></c>')
            elif isinstance(value, dt.date):
                cells.append(f'<c r="{ref}" s="2"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
            elif isinstance(value, Decimal):
                cells.append(f'<c r="{ref}"{style}><v>{format(value.normalize(), "f")}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"{style}><v>{value}</v></c>')
            else:
                text = escape(neutralise(_ILLEGAL_XML.sub("", str(value))))
                cells.append(f'<c r="{ref}"{style} t="inlineStr"><is><t>{text}</t></is></c>')
        self.sheet.write(f'<row r="{number}">{"".join(cells)}</row>')

    def close(self) -> None:
        self.sheet.write("</sheetData></worksheet>")
        self.sheet.close()
        self.zip.close()


def check_columns(organisation: Organisation, columns: Iterable[str]) -> list[str]:
    """`columns` as a list, or ExportError naming the first unknown one."""
    columns = list(columns)
    if not columns:
        raise ExportError(_("Choose at least one column."))
    known = available_columns(organisation)
    for column in columns:
        if column not in known:
            raise ExportError(_("There is no column “%(column)s”.") % {"column": column})
    return columns


def write_export(
    queryset: QuerySet[Person],
    *,
    organisation: Organisation,
    columns: Sequence[str],
    fmt: str,
    out: IO[bytes],
    actor: Actor,
    search: Any = None,
) -> int:
    """Write the people of `queryset` (in its order) with `columns` as .xlsx or .csv to
    the binary stream `out`; return the number of rows. The export is audited, with
    `search` (the search's parameters or name) as what was exported."""
    if fmt not in FORMATS:
        raise ExportError(_("Choose .xlsx or .csv."))
    columns = check_columns(organisation, columns)
    attribute_ids = [int(c.removeprefix("attr_")) for c in columns if _ATTRIBUTE_COLUMN.match(c)]
    definitions = {
        definition.pk: definition
        for definition in AttributeDefinition.objects.filter(
            organisation=organisation, pk__in=attribute_ids
        )
    }
    headings = available_columns(organisation, definitions=definitions.values())
    getters = _getters(timezone.localdate())
    cells: list[Getter] = []
    for column in columns:
        if match := _ATTRIBUTE_COLUMN.match(column):
            cells.append(_attribute_getter(definitions[int(match[1])]))
        else:
            cells.append(getters[column])

    people = queryset.filter(organisation=organisation).values(*_fields_for(columns))
    sheet: _CsvSheet | _XlsxSheet = (
        _CsvSheet(out) if fmt == "csv" else _XlsxSheet(out, title=_("Members"))
    )
    sheet.header([headings[column] for column in columns])
    rows = 0
    for chunk in _chunks(people.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        related = _lookup(organisation, [row["pk"] for row in chunk], columns, definitions)
        for row in chunk:
            sheet.row([cell(row, related) for cell in cells])
        rows += len(chunk)
    sheet.close()
    audit.record(
        actor,
        "members.export",
        organisation,
        rows=rows,
        columns=list(columns),
        format=fmt,
        search=search,
    )
    return rows
