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
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled
from openpyxl.utils.datetime import from_excel

from forening.core import audit, bulk, sequences
from forening.core.context import Actor
from forening.core.models import (
    READ_ONLY_STATUSES,
    Gender,
    Group,
    GroupMembership,
    Language,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import identity, services
from forening.members import status as transitions
from forening.members.dates import parse_date
from forening.members.models import (
    AttributeDefinition,
    AttributeRequirement,
    AttributeValue,
    ImportStatus,
    MemberImport,
    MembershipType,
    Note,
    StatusChange,
    Tag,
    Tagging,
)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# This many empty rows one after another end the data: a sheet formatted down to row
# 1,048,576 is read in a moment, and a gap that long is never meant to hold more members.
END_OF_DATA_EMPTY_ROWS = 10_000
MAX_COLUMNS = 200
PREVIEW_ROWS = 20
SAMPLE_VALUES = 3
BATCH = 1000

# bulk_update writes one CASE per column and batch: small batches keep each statement cheap.
UPDATE_BATCH = 250

CREATE, UPDATE, UNCHANGED, INVALID = "create", "update", "unchanged", "invalid"
# Not copied into the audit rows of created people: secrets, noise and what is obvious.
_NOT_AUDITED = {
    *Person.audit_exclude,
    *audit.IGNORED_FIELDS,
    "id",
    "organisation_id",
    "organisation",
    "status_since",
}

Cell = str | dt.date


class ImportFileError(services.RegisterError):
    """The file cannot be imported at all (not a spreadsheet, too large, no header row,
    no name column); str() is the message for the user."""


def max_import_bytes() -> int:
    return int(getattr(settings, "FORENING_MAX_IMPORT_BYTES", DEFAULT_MAX_BYTES))


def max_import_rows() -> int:
    return int(getattr(settings, "FORENING_MAX_IMPORT_ROWS", DEFAULT_MAX_ROWS))


# --- reading files --------------------------------------------------------------------


@dataclass
class Sheet:
    """The rows of a spreadsheet: header texts and, per data row, its row number as the
    user sees it in Excel (the header is row 1) and its cells ("" when empty)."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[Cell]]]
    format: str
    encoding: str = ""
    delimiter: str = ""

    def samples(self, count: int = SAMPLE_VALUES) -> list[list[str]]:
        """Per column, the first `count` non-empty values as text."""
        found: list[list[str]] = [[] for _header in self.headers]
        for _number, cells in self.rows:
            for index, value in enumerate(cells[: len(self.headers)]):
                if value != "" and len(found[index]) < count:
                    found[index].append(_text(value))
            if all(len(values) >= count for values in found):
                break
        return found


def read_sheet(
    source: bytes | str | Path | IO[bytes] | UploadedFile[bytes],
    *,
    filename: str = "",
    limit: int | None = None,
) -> Sheet:
    """Read the first worksheet of an .xlsx file or a .csv file.

    The format is taken from the content, not the name. `limit` stops after that many data
    rows (for the column mapping page). Raises ImportFileError.
    """
    data = _read_bytes(source, filename=filename)
    name = filename or _name_of(source)
    kind = _detect(data, name)
    if kind == "xlsx":
        return _read_xlsx(data, name, limit)
    return _read_csv(data, name, limit)


def _name_of(source: Any) -> str:
    if isinstance(source, str | Path):
        return Path(source).name
    return Path(str(getattr(source, "name", "") or "")).name


def _too_large(size: int) -> ImportFileError:
    mb = 1024 * 1024
    return ImportFileError(
        _(
            "The file is %(size).1f MB; the largest file that can be imported is %(limit)d MB. "
            "Split it into smaller files."
        )
        % {"size": size / mb, "limit": max_import_bytes() // mb}
    )


def _read_bytes(source: Any, *, filename: str) -> bytes:
    """The file's bytes; a file over the size limit is refused before it is read whole."""
    limit = max_import_bytes()
    if isinstance(source, bytes | bytearray):
        if len(source) > limit:
            raise _too_large(len(source))
        return bytes(source)
    if isinstance(source, str | Path):
        path = Path(source)
        if path.stat().st_size > limit:
            raise _too_large(path.stat().st_size)
        return path.read_bytes()
    size: int | None = getattr(source, "size", None)
    if isinstance(size, int) and size > limit:
        raise _too_large(size)
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read(limit + 1)
    if len(data) > limit:
        raise _too_large(size if isinstance(size, int) else len(data))
    return bytes(data)


def _not_a_spreadsheet(name: str) -> ImportFileError:
    return ImportFileError(
        _("%(name)s is not a spreadsheet. Upload an Excel file (.xlsx) or a CSV file (.csv).")
        % {"name": name or _("The file")}
    )


_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
    b"MZ",
    b"\x7fELF",
)


def _detect(data: bytes, name: str) -> str:
    """ "xlsx" or "csv", from the first bytes; anything else is refused."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            raise _not_a_spreadsheet(name) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            raise ImportFileError(
                _(
                    "This is an OpenDocument spreadsheet (.ods). Save it as an Excel file "
                    "(.xlsx) or a CSV file and upload that."
                )
            )
        raise _not_a_spreadsheet(name)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise ImportFileError(
            _(
                "This is an Excel file in the old format (.xls). Open it in Excel and save it "
                "as .xlsx or CSV, then upload that."
            )
        )
    if data.startswith(b"%PDF"):
        raise ImportFileError(
            _("This is a PDF file, not a spreadsheet. Upload an Excel file (.xlsx) or a CSV file.")
        )
    if data.startswith(_BINARY_MAGIC):
        raise _not_a_spreadsheet(name)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    head = data[:65536]
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    if b"\x00" in head or controls > len(head) // 100:
        raise _not_a_spreadsheet(name)
    return "csv"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with a
    BOM (Excel's "Unicode text"), else Windows-1252."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return data.decode("utf-16"), "utf-16"
    except UnicodeDecodeError:
        raise _not_a_spreadsheet(name) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise _not_a_spreadsheet(name) from None


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _sniff_delimiter(text: str) -> str:
    """The delimiter of the header line (`;` from Excel in the Nordics, `,` elsewhere, or a
    tab); csv.Sniffer decides when the header holds none of them."""
    first_line = next((line for line in text[:65536].splitlines() if line.strip()), "")
    counts = {d: _count_outside_quotes(first_line, d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best]:
        return best
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters=";,\t").delimiter
    except csv.Error:
        return ","


_EXCEL_TEXT = re.compile(r'^="(.*)"$', re.DOTALL)


def _csv_cell(value: str) -> str:
    value = value.strip()
    match = _EXCEL_TEXT.match(value)  # ="0701234567", Excel's way to keep leading zeros
    return match[1].strip() if match else value


def _read_csv(data: bytes, name: str, limit: int | None) -> Sheet:
    text, encoding = _decode(data, name)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect(
            ([_csv_cell(value) for value in record[:MAX_COLUMNS]] for record in reader),
            "csv",
            limit,
            encoding=encoding,
            delimiter=delimiter,
        )
    except csv.Error:
        raise _not_a_spreadsheet(name) from None


def _xlsx_cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return str(value).strip()


def _read_xlsx(data: bytes, name: str, limit: int | None) -> Sheet:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportFileError(
            _("%(name)s could not be opened as an Excel file: it may be damaged.")
            % {"name": name or _("The file")}
        ) from None
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no worksheet."))
        sheet = workbook.worksheets[0]
        # The stored dimension is often wrong (too small from some exporters, or the whole
        # formatted sheet); read the rows that are there instead.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
        return _collect(([_xlsx_cell(v) for v in row] for row in rows), "xlsx", limit)
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(
            _("%(name)s could not be read as an Excel file: it may be damaged.")
            % {"name": name or _("The file")}
        ) from None
    finally:
        workbook.close()


def _collect(rows: Iterable[list[Cell]], kind: str, limit: int | None, **extra: str) -> Sheet:
    """The header (the first non-empty row) and the data rows after it. Empty rows are
    skipped; a long run of them ends the data."""
    headers: list[str] | None = None
    header_row = 0
    collected: list[tuple[int, list[Cell]]] = []
    empty_run = 0
    for number, cells in enumerate(rows, start=1):
        if not any(value != "" for value in cells):
            empty_run += 1
            if empty_run >= END_OF_DATA_EMPTY_ROWS:
                break
            continue
        empty_run = 0
        if headers is None:
            width = max(i for i, value in enumerate(cells) if value != "") + 1
            headers = [_text(value) for value in cells[:width]]
            header_row = number
            continue
        collected.append((number, cells[: len(headers)]))
        if limit is not None and len(collected) >= limit:
            break
        if len(collected) > max_import_rows():
            raise ImportFileError(
                _("The file has more than %(limit)d rows. Split it into smaller files.")
                % {"limit": max_import_rows()}
            )
    if headers is None:
        raise ImportFileError(_("The file has no rows."))
    return Sheet(headers=headers, header_row=header_row, rows=collected, format=kind, **extra)


def _text(value: Cell) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


# --- column mapping -------------------------------------------------------------------

_FOLD = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"})


def normalise_header(text: str) -> str:
    """Lower case, no diacritics (ö → o, ø → o, æ → ae), only letters and digits."""
    folded = unicodedata.normalize("NFKD", str(text).lower().translate(_FOLD))
    return "".join(char for char in folded if char.isalnum())


@dataclass(frozen=True)
class TargetField:
    key: str
    label: Promise | str
    words: str = ""

    @property
    def aliases(self) -> list[str]:
        return [word for word in self.words.split("|") if word]


# Each field with the header words that mean it (Swedish, Danish, English), "|"-separated.
TARGET_FIELDS: tuple[TargetField, ...] = (
    TargetField(
        "first_name",
        gettext_lazy("First name"),
        "förnamn|fornavn|first name|firstname|given name|tilltalsnamn",
    ),
    TargetField(
        "last_name",
        gettext_lazy("Last name"),
        "efternamn|efternavn|last name|surname|family name|släktnamn",
    ),
    TargetField(
        "full_name",
        gettext_lazy("Full name (first and last)"),
        "namn|navn|name|full name|fullständigt namn|fulde navn",
    ),
    TargetField(
        "organisation_name",
        gettext_lazy("Organisation name"),
        "organisationsnamn|företag|företagsnamn|firma|virksomhed|company|company name|"
        "organisation name|organization name",
    ),
    TargetField(
        "contact_name",
        gettext_lazy("Contact person"),
        "kontaktperson|contact person|contact",
    ),
    TargetField(
        "identity_number",
        gettext_lazy("Identity number"),
        "personnummer|personnr|pnr|person nr|samordningsnummer|"
        "personnummer/samordningsnummer|cpr|cpr-nummer|cpr-nr|cpr nr|"
        "personal identity number|identity number|personal id|national id",
    ),
    TargetField(
        "birth_date",
        gettext_lazy("Date of birth"),
        "födelsedatum|födelsedag|född|fødselsdato|fødselsdag|født|date of birth|"
        "birth date|birthdate|birthday|dob|born",
    ),
    TargetField(
        "gender",
        gettext_lazy("Gender"),
        "kön|køn|gender|sex|kjønn",
    ),
    TargetField(
        "email",
        gettext_lazy("E-mail"),
        "e-post|epost|e-postadress|mejl|mail|e-mail|email|e-mailadresse|mailadresse|"
        "email address|e-mail address",
    ),
    TargetField(
        "email_secondary",
        gettext_lazy("Other e-mail"),
        "e-post 2|annan e-post|e-mail 2|email 2|anden e-mail|other e-mail|secondary email",
    ),
    TargetField(
        "phone",
        gettext_lazy("Mobile phone"),
        "mobil|mobilnummer|mobiltelefon|mobilnr|telefon|telefonnummer|telefonnr|tel|tlf|"
        "tlf nr|tlfnr|phone|phone number|mobile|mobile phone|cell phone|cellphone",
    ),
    TargetField(
        "phone_secondary",
        gettext_lazy("Other phone"),
        "hemtelefon|telefon hem|telefon 2|fastnet|fastnettelefon|home phone|phone 2|other phone",
    ),
    TargetField(
        "care_of",
        gettext_lazy("c/o"),
        "c/o|co|care of",
    ),
    TargetField(
        "street",
        gettext_lazy("Street address"),
        "adress|gatuadress|utdelningsadress|adresse|gadeadresse|vejnavn|street|"
        "street address|address|address line 1",
    ),
    TargetField(
        "postal_code",
        gettext_lazy("Postal code"),
        "postnummer|postnr|post nr|postal code|postcode|zip|zip code|zipcode",
    ),
    TargetField(
        "city",
        gettext_lazy("City"),
        "ort|postort|stad|by|bynavn|postdistrikt|city|town",
    ),
    TargetField(
        "country",
        gettext_lazy("Country"),
        "land|country",
    ),
    TargetField(
        "language",
        gettext_lazy("Preferred language"),
        "språk|sprog|language|preferred language",
    ),
    TargetField(
        "member_number",
        gettext_lazy("Member number"),
        "medlemsnummer|medlemsnr|medlemsnr.|medlems-id|medlemsid|member number|"
        "member no|membership number|member id",
    ),
    TargetField(
        "membership_type",
        gettext_lazy("Membership type"),
        "medlemstyp|medlemstype|medlemskap|medlemskategori|medlemskabstype|medlemskab|"
        "membership type|membership|member type",
    ),
    TargetField(
        "status",
        gettext_lazy("Status"),
        "status|medlemsstatus|member status|membership status",
    ),
    TargetField(
        "joined_on",
        gettext_lazy("Member since"),
        "medlem sedan|medlem sen|inträdesdatum|inträde|inträdd|startdatum|indmeldt|"
        "indmeldelsesdato|indmeldelse|medlem siden|joined|joined on|member since|"
        "join date|date joined",
    ),
    TargetField(
        "household",
        gettext_lazy("Household"),
        "hushåll|husstand|familj|familie|household|family",
    ),
    TargetField(
        "organisation_number",
        gettext_lazy("Organisation number"),
        "organisationsnummer|orgnr|org nr|org.nr|orgnummer|cvr|cvr-nummer|cvr-nr|cvr nr|"
        "organisation number|organization number|company number",
    ),
    TargetField(
        "note",
        gettext_lazy("Note"),
        "anteckning|anteckningar|notering|kommentar|notat|bemærkning|bemærkninger|note|"
        "notes|comment|comments",
    ),
    TargetField(
        "tags",
        gettext_lazy("Tags (comma separated)"),
        "etiketter|etikett|taggar|tagg|mærker|tags|tag|labels",
    ),
    TargetField(
        "group",
        gettext_lazy("Group"),
        "grupp|lag|hold|gruppe|group|team",
    ),
)
FIELDS_BY_KEY = {target.key: target for target in TARGET_FIELDS}
_ALIASES = {
    normalise_header(alias): target.key for target in TARGET_FIELDS for alias in target.aliases
}
NAME_FIELDS = ("first_name", "last_name", "full_name", "organisation_name")
ATTRIBUTE_PREFIX = "attr_"


def _active_attributes(organisation: Organisation) -> list[AttributeDefinition]:
    return list(AttributeDefinition.objects.filter(organisation=organisation, is_active=True))


def field_choices(
    organisation: Organisation, attributes: Sequence[AttributeDefinition] | None = None
) -> list[tuple[str, str]]:
    """(key, label) of every field a column can go to: the register's, then custom fields."""
    if attributes is None:
        attributes = _active_attributes(organisation)
    choices = [(target.key, str(target.label)) for target in TARGET_FIELDS]
    if not organisation.records_gender:
        choices = [choice for choice in choices if choice[0] != "gender"]
    choices += [(f"{ATTRIBUTE_PREFIX}{attr.pk}", attr.name) for attr in attributes]
    return choices


def guess_mapping(
    organisation: Organisation,
    headers: Sequence[str],
    attributes: Sequence[AttributeDefinition] | None = None,
) -> dict[int, str]:
    """Column index → field key for the headers we recognise. A custom field's name wins
    over the register's words; a second column for the same field is left out."""
    if attributes is None:
        attributes = _active_attributes(organisation)
    custom = {normalise_header(attr.name): f"{ATTRIBUTE_PREFIX}{attr.pk}" for attr in attributes}
    allowed = {key for key, _label in field_choices(organisation, attributes)}
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        folded = normalise_header(header)
        if not folded:
            continue
        key = custom.get(folded) or _ALIASES.get(folded)
        if key and key in allowed and key not in mapping.values():
            mapping[index] = key
    return mapping


def check_mapping(
    organisation: Organisation,
    mapping: Mapping[int, str],
    headers: Sequence[str],
    attributes: Sequence[AttributeDefinition] | None = None,
) -> dict[int, str]:
    """The mapping with int keys and empty choices dropped; ImportFileError when a field is
    chosen twice, a field is unknown, or no column holds a name."""
    allowed = dict(field_choices(organisation, attributes))
    clean: dict[int, str] = {}
    seen: dict[str, int] = {}
    for raw_index, key in sorted(mapping.items(), key=lambda item: int(item[0])):
        index = int(raw_index)
        if not key:
            continue
        if key not in allowed or not 0 <= index < len(headers):
            raise ImportFileError(_("Choose a field from the list for each column."))
        if key in seen:
            raise ImportFileError(
                _("“%(first)s” and “%(second)s” both go to %(field)s: choose one.")
                % {"first": headers[seen[key]], "second": headers[index], "field": allowed[key]}
            )
        seen[key] = index
        clean[index] = key
    if not any(key in seen for key in NAME_FIELDS):
        raise ImportFileError(
            _("Choose which column holds the first name, the last name or the full name.")
        )
    return clean


# --- values -------------------------------------------------------------------------


class _CellError(ValueError):
    """A cell's value does not fit its field; str() is the message."""


def _words(table: Mapping[str, str]) -> dict[str, str]:
    """{"a|b|c": value} → {"a": value, "b": value, "c": value}, keys as normalise_header."""
    return {
        normalise_header(word): value
        for words, value in table.items()
        for word in words.split("|")
        if word
    }


_GENDERS = _words(
    {
        "k|kvinna|kvinnor|kvinde|kvinder|kvindelig|f|female|woman|w|flicka|tjej|pige|girl|"
        "dam": Gender.FEMALE,
        "m|man|män|mand|mænd|mandlig|male|pojke|kille|dreng|boy|herr|herre": Gender.MALE,
        "a|x|annat|annan|andet|anden|other|ickebinär|nonbinary": Gender.OTHER,
    }
)
_STATUSES = _words(
    {
        "aktiv|active|medlem|member|aktivt medlem|aktiv medlem": MemberStatus.ACTIVE,
        "ansökt|ansökan|sökande|ansøgt|ansøger|applied|applicant|pending": MemberStatus.APPLIED,
        "kontakt|contact|ej medlem|icke medlem|ikke medlem|not a member": MemberStatus.CONTACT,
        "inaktiv|inactive|utträdd|utträtt|avslutad|tidigare medlem|f.d. medlem|udmeldt|"
        "udtrådt|tidligere medlem|former member|former|left": MemberStatus.INACTIVE,
        "avliden|död|afdød|død|deceased|dead": MemberStatus.DECEASED,
        "avslagen|avvisad|afvist|afslået|rejected": MemberStatus.REJECTED,
    }
)
_LANGUAGES = _words(
    {
        "sv|svenska|svensk|swedish": Language.SWEDISH,
        "da|dk|dansk|danska|danish": Language.DANISH,
        "en|engelska|engelsk|english": Language.ENGLISH,
    }
)
_COUNTRIES = _words(
    {
        "sverige|sweden|swe": "SE",
        "danmark|denmark|dnk": "DK",
        "norge|norway|nor": "NO",
        "finland|suomi|fin": "FI",
        "island|iceland|isl": "IS",
        "tyskland|germany|deutschland|deu": "DE",
        "storbritannien|england|united kingdom|uk|gbr": "GB",
    }
)


def _parse_gender(value: str) -> str:
    found = _GENDERS.get(normalise_header(value))
    if found is None:
        raise _CellError(_("Write the gender as K or M, kvinna or man, female or male."))
    return found


def _parse_status(value: str) -> str:
    folded = normalise_header(value)
    found = _STATUSES.get(folded)
    if found is None:
        labels = {normalise_header(str(label)): key for key, label in MemberStatus.choices}
        found = labels.get(folded)
    if found is None:
        raise _CellError(
            _("Unknown status “%(value)s”. Use active, applied, contact, inactive or deceased.")
            % {"value": value}
        )
    return found


def _parse_language(value: str) -> str:
    found = _LANGUAGES.get(normalise_header(value))
    if found is None:
        raise _CellError(_("Write the language as sv, da or en."))
    return str(found)


def _parse_country(value: str) -> str:
    folded = normalise_header(value)
    found = _COUNTRIES.get(folded)
    if found is None and len(folded) == 2 and folded.isalpha():
        found = folded.upper()
    if found is None:
        raise _CellError(_("Write the country as a two-letter code, such as SE or DK."))
    return found


def _parse_date_cell(value: Cell) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if value.isdigit() and len(value) == 5:
        # A date cell exported as its serial number (45366 = 2024-03-15).
        serial: dt.datetime = from_excel(int(value))
        return serial.date()
    parsed = parse_date(value)
    if parsed is None:
        raise _CellError(
            _("“%(value)s” is not a date. Write it as 2026-03-15 or 15.3.2026.") % {"value": value}
        )
    return parsed


def _parse_member_number(value: str) -> int:
    digits = value.strip()
    if not digits.isdigit() or not 0 < int(digits) < 2_000_000_000:
        raise _CellError(_("A member number is a whole number, such as 1024."))
    return int(digits)


def _identity_text(value: Cell) -> str:
    text = _text(value).strip()
    # A number typed into a number cell loses its leading zero (CPR 0707614285).
    if text.isdigit() and len(text) in (9, 11):
        text = text.zfill(len(text) + 1)
    return text


def _split_full_name(value: str) -> tuple[str, str]:
    """ "Svensson, Anna" or "Anna Maria Svensson" → ("Anna Maria", "Svensson")."""
    if "," in value:
        last, _sep, first = value.partition(",")
        return first.strip(), last.strip()
    parts = value.split()
    if len(parts) == 1:
        return parts[0], ""
    return " ".join(parts[:-1]), parts[-1]


def _street_key(value: str) -> str:
    return normalise_header(value)


def _postal_key(value: str) -> str:
    return "".join(char for char in value if char.isalnum()).upper()


def _postal_variants(code: str) -> set[str]:
    """How a postal code may be written in the register: "12345" and "123 45"."""
    variants = {code}
    if len(code) == 5 and code.isdigit():
        variants.add(f"{code[:3]} {code[3:]}")
    return variants


# --- the report -----------------------------------------------------------------------


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


# --- importing ------------------------------------------------------------------------

PERSON_TEXT_FIELDS = (
    "first_name",
    "last_name",
    "organisation_name",
    "contact_name",
    "email",
    "email_secondary",
    "phone",
    "phone_secondary",
    "care_of",
    "street",
    "postal_code",
    "city",
    "organisation_number",
)
ADDRESS_FIELDS = services.ADDRESS_FIELDS


@dataclass(eq=False)
class _Row:
    number: int
    cells: dict[str, Cell]
    fields: dict[str, Any] = field(default_factory=dict)
    identity: identity.IdentityNumber | None = None
    index: str = ""
    status: str = ""
    attributes: dict[int, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    group: Group | None = None
    note: str = ""
    household_key: str = ""
    household_label: str = ""
    errors: list[RowError] = field(default_factory=list)
    person: Person | None = None
    household: Household | None = None
    action: str = CREATE
    changes: dict[str, list[Any]] = field(default_factory=dict)
    new_status: str = ""
    final_type: MembershipType | None = None

    @property
    def kind(self) -> str:
        if self.fields.get("organisation_name") and not (
            self.fields.get("first_name") or self.fields.get("last_name")
        ):
            return PersonKind.ORGANISATION
        return PersonKind.PERSON

    @property
    def match_key(self) -> tuple[Any, ...]:
        email = str(self.fields.get("email", "")).lower()
        if self.kind == PersonKind.ORGANISATION:
            return ("o", email, str(self.fields.get("organisation_name", "")).lower(), None)
        return (
            "p",
            email,
            str(self.fields.get("first_name", "")).lower(),
            str(self.fields.get("last_name", "")).lower(),
            self.fields.get("birth_date"),
        )


def _person_key(person: Person) -> tuple[Any, ...]:
    email = person.email.lower()
    if person.kind == PersonKind.ORGANISATION:
        return ("o", email, person.organisation_name.lower(), None)
    return ("p", email, person.first_name.lower(), person.last_name.lower(), person.birth_date)


# Joins e-mail and names for matching; a name holding it only fetches an extra
# candidate, which the full key then tells apart.
_NAME_SEPARATOR = "\x1f"


def _chunks(values: Iterable[Any], size: int = 500) -> Iterator[list[Any]]:
    items = list(values)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Importer:
    def __init__(
        self,
        organisation: Organisation,
        sheet: Sheet,
        mapping: Mapping[int, str],
        actor: Actor,
    ) -> None:
        self.organisation = organisation
        self.sheet = sheet
        self.actor = actor
        self.today = timezone.localdate()
        attributes = _active_attributes(organisation)
        self.mapping = check_mapping(organisation, mapping, sheet.headers, attributes)
        self.columns = {key: index for index, key in self.mapping.items()}
        self.attributes = {attr.pk: attr for attr in attributes}
        self.types = list(MembershipType.objects.filter(organisation=organisation))
        self.types_by_name = {normalise_header(t.name): t for t in self.types}
        self.types_by_pk = {t.pk: t for t in self.types}
        self.default_type = services.default_membership_type(organisation)
        self.required: dict[int, list[AttributeDefinition]] = defaultdict(list)
        for requirement in AttributeRequirement.objects.filter(
            organisation=organisation, attribute__is_active=True
        ).select_related("attribute"):
            self.required[requirement.membership_type_id].append(requirement.attribute)
        self.groups: dict[str, list[Group]] = defaultdict(list)
        if "group" in self.columns:
            for group in Group.objects.filter(organisation=organisation, is_archived=False):
                self.groups[normalise_header(group.name)].append(group)
        self.max_lengths = {
            name: getattr(Person._meta.get_field(name), "max_length", None)
            for name in PERSON_TEXT_FIELDS
        }

    # -- helpers

    def type_of(self, person: Person) -> MembershipType | None:
        return self.types_by_pk.get(person.membership_type_id or 0)

    def header(self, key: str) -> str:
        index = self.columns.get(key)
        if index is not None:
            return self.sheet.headers[index]
        if key.startswith(ATTRIBUTE_PREFIX):
            attribute = self.attributes.get(int(key[len(ATTRIBUTE_PREFIX) :]))
            return attribute.name if attribute else ""
        target = FIELDS_BY_KEY.get(key)
        return str(target.label) if target else ""

    def error(self, row: _Row, key: str, message: str) -> None:
        row.errors.append(RowError(row.number, self.header(key), str(message)))

    # -- step 1: each row on its own

    def parse(self, number: int, cells: list[Cell]) -> _Row:
        raw = {
            key: (cells[index] if index < len(cells) else "") for key, index in self.columns.items()
        }
        row = _Row(number=number, cells=raw)
        fields = row.fields
        for key, value in raw.items():
            if value == "":
                continue
            try:
                self._parse_cell(row, key, value)
            except _CellError as problem:
                self.error(row, key, str(problem))
        if "full_name" in raw and not (fields.get("first_name") or fields.get("last_name")):
            full = fields.pop("full_name", "")
            if full:
                fields["first_name"], fields["last_name"] = _split_full_name(full)
        fields.pop("full_name", None)
        if row.identity is not None:
            given = fields.get("birth_date")
            if given is not None and given != row.identity.birth_date:
                self.error(
                    row,
                    "birth_date",
                    _("The date of birth does not match the identity number (%(date)s).")
                    % {"date": row.identity.birth_date.isoformat()},
                )
            fields["birth_date"] = row.identity.birth_date
            if self.organisation.records_gender and row.kind == PersonKind.PERSON:
                fields["gender"] = row.identity.gender
        if not self.organisation.records_gender:
            fields.pop("gender", None)
        for name, length in self.max_lengths.items():
            text = fields.get(name)
            if isinstance(text, str) and length and len(text) > length:
                self.error(
                    row,
                    name,
                    _("Use at most %(limit)d characters.") % {"limit": length},
                )
                fields.pop(name)
        if row.kind == PersonKind.ORGANISATION:
            fields["kind"] = PersonKind.ORGANISATION
        if not (
            fields.get("first_name") or fields.get("last_name") or fields.get("organisation_name")
        ):
            name_key = next(key for key in NAME_FIELDS if key in self.columns)
            self.error(row, name_key, _("Enter a first name or a last name."))
        try:
            cleaned = services.clean_person_fields(self.organisation, fields)
        except ValidationError as invalid:
            for name, messages in invalid.message_dict.items():
                for message in messages:
                    self.error(row, name, message)
                fields.pop(name, None)
        else:
            row.fields = cleaned
        self._household_key(row)
        return row

    def _parse_cell(self, row: _Row, key: str, value: Cell) -> None:
        fields = row.fields
        if key in PERSON_TEXT_FIELDS or key == "full_name":
            fields[key] = " ".join(_text(value).split()) if key != "email" else _text(value)
        elif key in ("birth_date", "joined_on"):
            fields[key] = _parse_date_cell(value)
        elif key == "identity_number":
            try:
                row.identity = identity.parse(_identity_text(value), self.organisation.country)
            except identity.IdentityNumberError as problem:
                raise _CellError(str(problem)) from None
            row.index = services.identity_index(self.organisation, row.identity.normalised)
        elif key == "gender":
            fields["gender"] = _parse_gender(_text(value))
        elif key == "language":
            fields["language"] = _parse_language(_text(value))
        elif key == "country":
            fields["country"] = _parse_country(_text(value))
        elif key == "member_number":
            fields["member_number"] = _parse_member_number(_text(value))
        elif key == "membership_type":
            found = self.types_by_name.get(normalise_header(_text(value)))
            if found is None:
                raise _CellError(
                    _("There is no membership type called “%(value)s”. The types are: %(types)s.")
                    % {"value": value, "types": ", ".join(t.name for t in self.types)}
                )
            fields["membership_type"] = found
        elif key == "status":
            row.status = _parse_status(_text(value))
        elif key == "household":
            row.household_label = " ".join(_text(value).split())[:200]
        elif key == "tags":
            names = [" ".join(part.split()) for part in re.split(r"[,;]", _text(value))]
            for name in names:
                if len(name) > 60:
                    raise _CellError(_("Keep each tag under 60 characters."))
                if name and name.lower() not in {t.lower() for t in row.tags}:
                    row.tags.append(name)
        elif key == "group":
            candidates = self.groups.get(normalise_header(_text(value)), [])
            if not candidates:
                raise _CellError(_("There is no group called “%(value)s”.") % {"value": value})
            if len(candidates) > 1:
                raise _CellError(
                    _("Several groups are called “%(value)s”: rename one of them first.")
                    % {"value": value}
                )
            row.group = candidates[0]
        elif key == "note":
            row.note = _text(value)
        elif key.startswith(ATTRIBUTE_PREFIX):
            attribute = self.attributes[int(key[len(ATTRIBUTE_PREFIX) :])]
            try:
                coerced = attribute_values.coerce(attribute, value)
            except attribute_values.AttributeValueError as problem:
                raise _CellError(str(problem)) from None
            if not attribute_values.empty(coerced):
                row.attributes[attribute.pk] = coerced

    def _household_key(self, row: _Row) -> None:
        if "household" in self.columns:
            if row.household_label:
                row.household_key = "h:" + normalise_header(row.household_label)
            return
        street, postal = row.fields.get("street", ""), row.fields.get("postal_code", "")
        if street and postal and row.kind == PersonKind.PERSON:
            row.household_key = f"a:{_street_key(street)}|{_postal_key(postal)}"

    # -- step 2: the rows together

    def check_file_duplicates(self, rows: list[_Row]) -> None:
        by_index: dict[str, _Row] = {}
        by_key: dict[tuple[Any, ...], _Row] = {}
        by_number: dict[int, _Row] = {}
        households: dict[str, tuple[_Row, tuple[str, str]]] = {}
        for row in rows:
            if row.index:
                first = by_index.setdefault(row.index, row)
                if first is not row:
                    self.error(
                        row,
                        "identity_number",
                        _("The same identity number is in row %(row)d.") % {"row": first.number},
                    )
            elif (
                row.fields.get("first_name")
                or row.fields.get("last_name")
                or row.fields.get("organisation_name")
            ):
                first = by_key.setdefault(row.match_key, row)
                if first is not row:
                    self.error(
                        row,
                        "email" if "email" in self.columns else NAME_FIELDS[0],
                        _("Row %(row)d has the same name, e-mail and date of birth.")
                        % {"row": first.number},
                    )
            number = row.fields.get("member_number")
            if number is not None:
                first = by_number.setdefault(number, row)
                if first is not row:
                    self.error(
                        row,
                        "member_number",
                        _("The same member number is in row %(row)d.") % {"row": first.number},
                    )
            if row.household_key.startswith("h:"):
                address = (
                    _street_key(row.fields.get("street", "")),
                    _postal_key(row.fields.get("postal_code", "")),
                )
                if address == ("", ""):
                    continue
                first_row, first_address = households.setdefault(row.household_key, (row, address))
                if first_row is not row and address != first_address:
                    self.error(
                        row,
                        "street",
                        _(
                            "Row %(row)d is in the same household with another address: "
                            "people in a household share one address."
                        )
                        % {"row": first_row.number},
                    )

    # -- step 3: the people already in the register

    def match(self, rows: list[_Row]) -> None:
        organisation = self.organisation
        alive = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
        by_index: dict[str, Person] = {}
        indexes = {row.index for row in rows if row.index}
        for chunk in _chunks(indexes):
            for found in alive.filter(identity_number_index__in=chunk):
                by_index[found.identity_number_index] = found
        by_key: dict[tuple[Any, ...], list[Person]] = defaultdict(list)
        fetched: set[int] = set()
        # By e-mail and name (the bucket `_candidates` chooses in), a query per 2,000 rows:
        # the key is matched whole, so only these people are read, not every namesake.
        unmatched = [row for row in rows if not (row.index and row.index in by_index)]
        keys = sorted(
            {
                _NAME_SEPARATOR.join(row.match_key[1:4])
                for row in unmatched
                if row.match_key[0] == "p"
            }
        )
        for chunk in _chunks(keys, 2000):
            query: Any = alive.annotate(
                _key=Concat(
                    Lower("email"),
                    models.Value(_NAME_SEPARATOR),
                    Lower("first_name"),
                    models.Value(_NAME_SEPARATOR),
                    Lower("last_name"),
                    output_field=models.TextField(),
                )
            ).filter(_key__in=chunk, kind=PersonKind.PERSON)
            for candidate in query:
                if candidate.pk not in fetched:
                    fetched.add(candidate.pk)
                    by_key[_person_key(candidate)[:-1]].append(candidate)
        org_names = {row.match_key[2] for row in unmatched if row.match_key[0] == "o"}
        for chunk in _chunks(org_names):
            query = alive.annotate(_name=Lower("organisation_name")).filter(
                _name__in=chunk, kind=PersonKind.ORGANISATION
            )
            for candidate in query:
                if candidate.pk not in fetched:
                    fetched.add(candidate.pk)
                    by_key[_person_key(candidate)[:-1]].append(candidate)
        numbers = {row.fields["member_number"] for row in rows if row.fields.get("member_number")}
        by_number: dict[int, Person] = {}
        for chunk in _chunks(numbers):
            for candidate in Person.objects.filter(
                organisation=organisation, member_number__in=chunk
            ):
                if candidate.member_number is not None:
                    by_number[candidate.member_number] = candidate
        claimed: dict[int, _Row] = {}
        for row in rows:
            person: Person | None = by_index.get(row.index) if row.index else None
            if person is None:
                candidates = self._candidates(row, by_key.get(row.match_key[:-1], []))
                if len(candidates) > 1:
                    self.error(
                        row,
                        "identity_number" if "identity_number" in self.columns else "email",
                        _(
                            "%(count)d people in the register have this name, e-mail and date "
                            "of birth: add the identity number to tell them apart."
                        )
                        % {"count": len(candidates)},
                    )
                    continue
                person = candidates[0] if candidates else None
            number = row.fields.get("member_number")
            holder = by_number.get(number) if number is not None else None
            if person is None and holder is not None and self._same_person(row, holder):
                person = holder
            if holder is not None and (person is None or holder.pk != person.pk):
                self.error(
                    row,
                    "member_number",
                    _("%(name)s already has member number %(number)d.")
                    % {"name": holder.full_name or "–", "number": number},
                )
            if person is not None:
                first = claimed.setdefault(person.pk, row)
                if first is not row:
                    self.error(
                        row,
                        "identity_number" if row.index else NAME_FIELDS[0],
                        _("Row %(row)d is the same person in the register (%(name)s).")
                        % {"row": first.number, "name": person.full_name},
                    )
                    continue
                row.person = person

    @staticmethod
    def _candidates(row: _Row, people: list[Person]) -> list[Person]:
        """The people who are this row by e-mail + name + date of birth. A date of birth
        missing on one side does not count against a match when the e-mail is given."""
        birth = row.fields.get("birth_date")
        found = [
            person
            for person in people
            if not (row.index and person.identity_number_index)
            and (
                person.birth_date == birth
                or (row.match_key[1] and None in (birth, person.birth_date))
            )
        ]
        exact = [person for person in found if _person_key(person) == row.match_key]
        return exact or found

    @staticmethod
    def _same_person(row: _Row, holder: Person) -> bool:
        """A member number in the file and in the register, with the same name: the same
        person (so a file of numbers and names can be imported again)."""
        if holder.anonymised_at is not None or (row.index and holder.identity_number_index):
            return False
        if row.kind == PersonKind.ORGANISATION:
            return (
                holder.organisation_name.lower()
                == str(row.fields.get("organisation_name", "")).lower()
            )
        return (holder.first_name.lower(), holder.last_name.lower()) == (
            str(row.fields.get("first_name", "")).lower(),
            str(row.fields.get("last_name", "")).lower(),
        )

    # -- step 4: what each row changes, and the rules that depend on the register

    def plan(self, rows: list[_Row]) -> None:
        matched = [row.person.pk for row in rows if row.person is not None]
        self.existing_values: dict[tuple[int, int], Any] = {}
        wanted = set(self.attributes)
        if matched and wanted:
            for chunk in _chunks(matched):
                for value in AttributeValue.objects.filter(
                    organisation=self.organisation, person_id__in=chunk, attribute_id__in=wanted
                ).select_related("attribute"):
                    self.existing_values[(value.person_id, value.attribute_id)] = value
        for row in rows:
            if row.errors:
                continue
            if row.person is None:
                self._plan_new(row)
            else:
                self._plan_update(row)
            self._check_required(row)

    def _plan_new(self, row: _Row) -> None:
        row.action = CREATE
        row.new_status = row.status or MemberStatus.ACTIVE
        type_ = row.fields.get("membership_type")
        if type_ is None and row.new_status != MemberStatus.CONTACT:
            type_ = self.default_type
        row.final_type = type_

    def _plan_update(self, row: _Row) -> None:
        person = row.person
        assert person is not None  # noqa: S101 - only called for matched rows
        changes: dict[str, list[Any]] = {}
        for name, value in row.fields.items():
            current = getattr(person, name) if name != "membership_type" else None
            if name == "membership_type":
                if person.membership_type_id != value.pk:
                    changes[name] = [str(self.type_of(person) or ""), value.name]
            elif current != value:
                changes[name] = [current, value]
        if row.index and row.index != person.identity_number_index:
            changes["identity_number_masked"] = [
                person.identity_number_masked,
                row.identity.masked if row.identity else "",
            ]
        final_status = person.status
        if row.status and row.status != person.status:
            if not transitions.allowed(person.status, row.status):
                self.error(row, "status", transitions.refusal(person.status, row.status))
                return
            final_status = row.status
            row.new_status = row.status
            changes["status"] = [person.status, row.status]
        if person.status in READ_ONLY_STATUSES and final_status in READ_ONLY_STATUSES:
            edits = [name for name in changes if name != "status"]
            if edits:
                self.error(
                    row,
                    edits[0] if edits[0] in self.columns else NAME_FIELDS[0],
                    _("%(name)s is %(status)s: the record is read-only except for its status.")
                    % {
                        "name": person.full_name,
                        "status": MemberStatus(person.status).label.lower(),
                    },
                )
                return
        type_ = row.fields.get("membership_type") or self.type_of(person)
        if type_ is None and final_status == MemberStatus.ACTIVE:
            type_ = self.default_type
            if type_ is not None:
                row.fields["membership_type"] = type_
                changes["membership_type"] = ["", type_.name]
        row.final_type = type_
        row.changes = changes
        row.action = UPDATE

    def _check_required(self, row: _Row) -> None:
        status = row.new_status or (row.person.status if row.person else MemberStatus.ACTIVE)
        if status == MemberStatus.CONTACT or row.final_type is None:
            return
        type_changed = row.person is None or "membership_type" in row.changes or row.new_status
        for attribute in self.required.get(row.final_type.pk, []):
            key = f"{ATTRIBUTE_PREFIX}{attribute.pk}"
            if not type_changed and key not in self.columns:
                continue
            value = row.attributes.get(attribute.pk)
            if attribute_values.empty(value) and row.person is not None:
                stored = self.existing_values.get((row.person.pk, attribute.pk))
                value = stored.value if stored is not None else None
            if attribute_values.empty(value):
                self.error(
                    row,
                    key,
                    _("%(field)s is required for %(type)s members.")
                    % {"field": attribute.name, "type": row.final_type.name},
                )

    # -- step 5: households

    def plan_households(self, rows: list[_Row]) -> list[Household]:
        """Put rows that share a household (column) or an address (street + postal code)
        in one household: the one they are already in, one of that name or address, or a
        new one (returned, not yet saved)."""
        by_column = "household" in self.columns
        groups: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            person = row.person
            read_only = person is not None and person.is_read_only and not row.new_status
            if row.household_key and not read_only:
                groups[row.household_key].append(row)
        if not by_column:
            groups = {key: members for key, members in groups.items() if len(members) > 1}
        if not groups:
            return []
        current_ids = {
            row.person.household_id
            for members in groups.values()
            for row in members
            if row.person is not None and row.person.household_id
        }
        households = {
            h.pk: h
            for h in Household.objects.filter(organisation=self.organisation, pk__in=current_ids)
        }
        # A household column names the household: the one the people are already in if it
        # has that name, else a new one (another family may well have the same name).
        # Without one, the address does: a household already at it is the one.
        existing: dict[str, Household] = {}
        if not by_column:
            codes = {
                variant for key in groups for variant in _postal_variants(key.rsplit("|", 1)[1])
            }
            for chunk in _chunks(codes):
                for candidate in Household.objects.filter(
                    organisation=self.organisation, postal_code__in=chunk
                ).order_by("pk"):
                    key = f"a:{_street_key(candidate.street)}|{_postal_key(candidate.postal_code)}"
                    existing.setdefault(key, candidate)
        created: list[Household] = []
        for key, members in groups.items():
            counts = Counter(
                r.person.household_id
                for r in members
                if r.person
                and r.person.household_id in households
                and (
                    not by_column
                    or "h:" + normalise_header(households[r.person.household_id].name) == key
                )
            )
            household: Household | None = None
            if counts:
                household = households.get(counts.most_common(1)[0][0])
            if household is None:
                household = existing.get(key)
            address = self._group_address(members)
            if household is None:
                last_name = next(
                    (r.fields.get("last_name") for r in members if r.fields.get("last_name")),
                    "",
                )
                name = members[0].household_label or (
                    _("%(name)s household") % {"name": last_name}
                    if last_name
                    else address.get("street", "")
                )
                household = Household(
                    organisation=self.organisation, name=name[:200] or _("Household"), **address
                )
                created.append(household)
            else:
                for name, value in address.items():
                    if value and getattr(household, name) != value:
                        setattr(household, name, value)
                        household._address_changed = True  # type: ignore[attr-defined]
            for row in members:
                row.household = household
                for name in ADDRESS_FIELDS:
                    value = getattr(household, name)
                    if value:
                        row.fields[name] = value
        return created

    @staticmethod
    def _group_address(members: list[_Row]) -> dict[str, str]:
        address: dict[str, str] = {}
        source = next((r for r in members if r.fields.get("street")), members[0])
        for name in ADDRESS_FIELDS:
            value = source.fields.get(name) or next(
                (r.fields.get(name) for r in members if r.fields.get(name)), ""
            )
            if value:
                address[name] = value
        return address

    # -- step 6: what is left to do for each row

    def finish_plans(self, rows: list[_Row]) -> None:
        """Recompute the field changes of matched rows (households may have filled in
        addresses) and find rows that change nothing."""
        matched = [row for row in rows if row.person is not None]
        ids = [row.person.pk for row in matched if row.person is not None]
        self.tagged: set[tuple[int, str]] = set()
        self.grouped: set[tuple[int, int]] = set()
        self.noted: set[tuple[int, str]] = set()
        if ids and "tags" in self.columns:
            for chunk in _chunks(ids):
                for person_id, name in Tagging.objects.filter(
                    organisation=self.organisation, person_id__in=chunk
                ).values_list("person_id", "tag__name"):
                    self.tagged.add((person_id, name.lower()))
        if ids and "group" in self.columns:
            for chunk in _chunks(ids):
                self.grouped.update(
                    GroupMembership.objects.filter(
                        organisation=self.organisation, person_id__in=chunk
                    ).values_list("person_id", "group_id")
                )
        if ids and "note" in self.columns:
            for chunk in _chunks(ids):
                self.noted.update(
                    Note.objects.filter(
                        organisation=self.organisation, person_id__in=chunk
                    ).values_list("person_id", "body")
                )
        for row in matched:
            person = row.person
            assert person is not None  # noqa: S101
            for name in ADDRESS_FIELDS:
                row.changes.pop(name, None)
                value = row.fields.get(name)
                if value and getattr(person, name) != value:
                    row.changes[name] = [getattr(person, name), value]
            if row.household is not None and person.household_id != row.household.pk:
                row.changes["household"] = [person.household_id, row.household.name]
            attribute_changes = self._attribute_changes(row)
            extra = (
                attribute_changes
                or any((person.pk, tag.lower()) not in self.tagged for tag in row.tags)
                or (row.group is not None and (person.pk, row.group.pk) not in self.grouped)
                or (row.note and (person.pk, row.note) not in self.noted)
            )
            row.changes.update(attribute_changes)
            row.action = UPDATE if row.changes or extra else UNCHANGED

    def _attribute_changes(self, row: _Row) -> dict[str, list[Any]]:
        changes = {}
        assert row.person is not None  # noqa: S101
        for attribute_id, value in row.attributes.items():
            stored = self.existing_values.get((row.person.pk, attribute_id))
            current = stored.value if stored is not None else None
            if current != value:
                attribute = self.attributes[attribute_id]
                changes[f"attribute:{attribute.name}"] = [
                    attribute_values.display(attribute, current),
                    attribute_values.display(attribute, value),
                ]
        return changes

    # -- step 7: writing

    def write(self, rows: list[_Row], new_households: list[Household]) -> None:
        organisation, today = self.organisation, self.today
        now = timezone.now()
        reason = _("Imported")
        creates = [row for row in rows if row.action == CREATE]
        updates = [row for row in rows if row.action == UPDATE]
        # Member numbers: typed ones move the sequence on; the rest are taken in one go.
        explicit = [n for row in creates + updates if (n := row.fields.get("member_number"))]
        needing = [
            row
            for row in creates
            if row.fields.get("member_number") is None
            and row.new_status in transitions.MEMBER_STATUSES
        ] + [
            row
            for row in updates
            if row.person is not None
            and row.person.member_number is None
            and row.fields.get("member_number") is None
            and row.new_status in transitions.MEMBER_STATUSES
        ]
        floor = max(explicit, default=0)
        if needing:
            numbers = iter(
                sequences.take(
                    organisation, services.MEMBER_NUMBER_SEQUENCE, len(needing), floor=floor
                )
            )
            for row in needing:
                row.fields["member_number"] = next(numbers)
                if row.person is not None:
                    row.changes["member_number"] = [None, row.fields["member_number"]]
        elif floor > sequences.peek(organisation, services.MEMBER_NUMBER_SEQUENCE):
            sequences.take(organisation, services.MEMBER_NUMBER_SEQUENCE, floor=floor - 1)

        bulk.create(new_households)
        moved_households = {
            row.household.pk: row.household
            for row in rows
            if row.household is not None and getattr(row.household, "_address_changed", False)
        }

        # New people.
        people: list[Person] = []
        for row in creates:
            fields = dict(row.fields)
            new_person = Person(
                organisation=organisation,
                status=row.new_status,
                status_since=today,
                **fields,
            )
            if row.identity is not None:
                for name, value in services.identity_number_columns(
                    organisation, row.identity
                ).items():
                    setattr(new_person, name, value)
            if new_person.status in transitions.MEMBER_STATUSES and new_person.joined_on is None:
                new_person.joined_on = today
            if new_person.membership_type is None and row.final_type is not None:
                new_person.membership_type = row.final_type
            if new_person.status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
                new_person.left_on = today
                new_person.leave_reason = reason
            new_person.household = row.household
            new_person.search_text = new_person.compute_search_text()
            row.person = new_person
            people.append(new_person)
        bulk.create(people)

        # Changed people.
        changed_fields: set[str] = set()
        updated: list[Person] = []
        for row in updates:
            person = row.person
            assert person is not None  # noqa: S101
            for name, value in row.fields.items():
                if name in row.changes or name in ADDRESS_FIELDS:
                    setattr(person, name, value)
                    changed_fields.add(name)
            if row.index and row.index != person.identity_number_index and row.identity:
                for name, value in services.identity_number_columns(
                    organisation, row.identity
                ).items():
                    setattr(person, name, value)
                    changed_fields.add(name)
            if row.household is not None and person.household_id != row.household.pk:
                person.household = row.household
                changed_fields.add("household")
            if row.new_status and row.new_status != person.status:
                self._apply_status(person, row.new_status, reason)
                changed_fields.update(
                    {"status", "status_since", "joined_on", "left_on", "leave_reason"}
                )
            person.search_text = person.compute_search_text()
            person.updated_at = now
            updated.append(person)
        if updated:
            Person.objects.bulk_update(
                updated,
                sorted(changed_fields | {"search_text", "updated_at"}),
                batch_size=UPDATE_BATCH,
            )

        self._write_households(rows, new_households, moved_households, people + updated)
        self._write_history(creates, updates, reason)
        self._write_attributes(creates + updates)
        self._write_links(creates + updates)
        self._audit(creates, updates, new_households)

    def _apply_status(self, person: Person, to_status: str, reason: str) -> None:
        """What change_status_many does to a row, without its queries."""
        row_from = person.status
        person._from_status = row_from  # type: ignore[attr-defined]
        person.status = to_status
        person.status_since = self.today
        if to_status == MemberStatus.ACTIVE:
            if person.joined_on is None:
                person.joined_on = self.today
            person.left_on, person.leave_reason = None, ""
        elif to_status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            person.left_on = self.today
            person.leave_reason = reason

    def _write_households(
        self,
        rows: list[_Row],
        new_households: list[Household],
        moved: dict[int, Household],
        written: list[Person],
    ) -> None:
        members: dict[int, list[Person]] = defaultdict(list)
        for row in rows:
            if row.household is not None and row.person is not None:
                members[row.household.pk].append(row.person)
        new_ids = {household.pk for household in new_households}
        needs_payer = list(new_households)
        needs_payer += [
            household
            for household in {
                row.household.pk: row.household for row in rows if row.household
            }.values()
            if household.payer_id is None and household.pk not in new_ids
        ]
        adult_before = self.today.replace(year=self.today.year - 18)
        for household in needs_payer:
            people = members.get(household.pk, [])
            if people:
                household.payer = next(
                    (p for p in people if p.birth_date is None or p.birth_date <= adult_before),
                    people[0],
                )
        if needs_payer:
            Household.objects.bulk_update(needs_payer, ["payer"], batch_size=UPDATE_BATCH)
        if moved:
            now = timezone.now()
            for household in moved.values():
                household.updated_at = now
            Household.objects.bulk_update(
                list(moved.values()), [*ADDRESS_FIELDS, "updated_at"], batch_size=UPDATE_BATCH
            )
            written_ids = {p.pk for p in written}
            others = [
                p
                for p in Person.objects.filter(
                    organisation=self.organisation, household_id__in=list(moved)
                )
                if p.pk not in written_ids
            ]
            for person in others:
                for name in ADDRESS_FIELDS:
                    setattr(person, name, getattr(moved[person.household_id or 0], name))
            Person.objects.bulk_update(others, [*ADDRESS_FIELDS], batch_size=UPDATE_BATCH)
        # Someone who moved to another household stops paying for the old one.
        moved_people = {
            row.person.pk: row.household.pk
            for row in rows
            if row.person is not None and row.household is not None and "household" in row.changes
        }
        if moved_people:
            stale = []
            for household in Household.objects.filter(
                organisation=self.organisation, payer_id__in=list(moved_people)
            ):
                if moved_people.get(household.payer_id or 0) != household.pk:
                    household.payer = None
                    stale.append(household)
            Household.objects.bulk_update(stale, ["payer"], batch_size=UPDATE_BATCH)

    def _write_history(self, creates: list[_Row], updates: list[_Row], reason: str) -> None:
        user, label = self.actor.user, str(self.actor)[:254]
        history = [
            StatusChange(
                organisation=self.organisation,
                person=row.person,
                from_status="",
                to_status=row.person.status,
                effective_on=self.today,
                reason=reason,
                changed_by=user,
                changed_by_label=label,
            )
            for row in creates
            if row.person is not None
        ]
        history += [
            StatusChange(
                organisation=self.organisation,
                person=row.person,
                from_status=getattr(row.person, "_from_status", ""),
                to_status=row.person.status,
                effective_on=self.today,
                reason=reason,
                changed_by=user,
                changed_by_label=label,
            )
            for row in updates
            if row.person is not None and hasattr(row.person, "_from_status")
        ]
        bulk.create(history)

    def _write_attributes(self, rows: list[_Row]) -> None:
        new_values: list[AttributeValue] = []
        changed: list[AttributeValue] = []
        for row in rows:
            person = row.person
            assert person is not None  # noqa: S101
            for attribute_id, value in row.attributes.items():
                stored = self.existing_values.get((person.pk, attribute_id))
                if stored is None:
                    stored = AttributeValue(
                        organisation=self.organisation,
                        person=person,
                        attribute=self.attributes[attribute_id],
                    )
                    attribute_values.write_value(stored, value)
                    new_values.append(stored)
                elif stored.value != value:
                    attribute_values.write_value(stored, value)
                    changed.append(stored)
        bulk.create(new_values)
        now = timezone.now()
        for stored in changed:
            stored.updated_at = now
        AttributeValue.objects.bulk_update(
            changed, ["text", "number", "date", "boolean", "updated_at"], batch_size=UPDATE_BATCH
        )

    def _write_links(self, rows: list[_Row]) -> None:
        organisation = self.organisation
        names = {tag.lower(): tag for row in rows for tag in row.tags}
        tags: dict[str, Tag] = {}
        if names:
            for chunk in _chunks(names):
                for tag in (
                    Tag.objects.filter(organisation=organisation)
                    .annotate(_name=Lower("name"))
                    .filter(_name__in=chunk)
                ):
                    tags[tag.name.lower()] = tag
            missing = [
                Tag(organisation=organisation, name=names[key]) for key in names if key not in tags
            ]
            Tag.objects.bulk_create(missing, batch_size=BATCH)
            tags.update({tag.name.lower(): tag for tag in missing})
        taggings, memberships, notes = [], [], []
        label = str(self.actor)[:254]
        for row in rows:
            person = row.person
            assert person is not None  # noqa: S101
            for name in row.tags:
                if (person.pk, name.lower()) not in self.tagged:
                    taggings.append(
                        Tagging(organisation=organisation, tag=tags[name.lower()], person=person)
                    )
                    self.tagged.add((person.pk, name.lower()))
            if row.group is not None and (person.pk, row.group.pk) not in self.grouped:
                memberships.append(
                    GroupMembership(organisation=organisation, group=row.group, person=person)
                )
            if row.note and (person.pk, row.note) not in self.noted:
                notes.append(
                    Note(
                        organisation=organisation,
                        person=person,
                        subject=_("Note from the import"),
                        body=row.note,
                        created_by=self.actor.user,
                        created_by_label=label,
                    )
                )
        bulk.create(taggings)
        bulk.create(memberships)
        bulk.create(notes)

    def _audit(self, creates: list[_Row], updates: list[_Row], households: list[Household]) -> None:
        organisation, actor = self.organisation, self.actor
        created = {row.person.pk: row for row in creates if row.person is not None}
        changed = {row.person.pk: row for row in updates if row.person is not None}
        names = [
            f.attname
            for f in Person._meta.concrete_fields
            if f.attname not in _NOT_AUDITED and f.name not in _NOT_AUDITED
        ]

        def created_changes(person: models.Model) -> dict[str, Any]:
            return {name: [None, value] for name in names if (value := getattr(person, name, None))}

        audit.record_many(
            actor,
            "core.person.created",
            [row.person for row in created.values() if row.person is not None],
            organisation=organisation,
            changes=created_changes,
            source="import",
        )
        audit.record_many(
            actor,
            "core.person.updated",
            [row.person for row in changed.values() if row.person is not None],
            organisation=organisation,
            changes=lambda person: changed[person.pk].changes,
            source="import",
        )
        audit.record_many(
            actor,
            "households.household.created",
            list(households),
            organisation=organisation,
            source="import",
        )


def _preview_row(row: _Row) -> PreviewRow:
    fields = row.fields
    person = row.person
    action = INVALID if row.errors else row.action

    def value(name: str) -> Any:
        if name in fields:
            return fields[name]
        return getattr(person, name) if person is not None else None

    name = (
        fields.get("organisation_name")
        if row.kind == PersonKind.ORGANISATION
        else " ".join(part for part in (value("first_name"), value("last_name")) if part)
    ) or (person.full_name if person else "")
    status = row.new_status or (person.status if person else "")
    type_ = row.final_type
    birth = value("birth_date")
    number = value("member_number")
    masked = (
        row.identity.masked if row.identity else (person.identity_number_masked if person else "")
    )
    address = ", ".join(
        part
        for part in (
            value("street"),
            " ".join(p for p in (value("postal_code"), value("city")) if p),
        )
        if part
    )
    household = row.household.name if row.household else ""
    labels = {target.key: str(target.label) for target in TARGET_FIELDS}
    labels["identity_number_masked"] = labels["identity_number"]
    return PreviewRow(
        row=row.number,
        action=action,
        name=str(name or ""),
        identity_number=masked or "",
        birth_date=birth.isoformat() if isinstance(birth, dt.date) else "",
        email=str(value("email") or ""),
        phone=str(value("phone") or ""),
        address=address,
        membership_type=str(type_ or ""),
        status=str(MemberStatus(status).label) if status else "",
        member_number=str(number or ""),
        household=household,
        changes=[labels.get(key, key.removeprefix("attribute:")) for key in row.changes]
        if row.action == UPDATE
        else [],
    )


def import_members(
    organisation: Organisation,
    source: bytes | str | Path | IO[bytes] | UploadedFile[bytes] | Sheet,
    *,
    filename: str = "",
    actor: Actor,
    dry_run: bool = False,
    skip_invalid: bool = False,
    mapping: Mapping[int, str] | None = None,
) -> ImportReport:
    """Import people from a spreadsheet into `organisation`'s register.

    Every row is validated before anything is written. With errors, nothing is written
    unless `skip_invalid`, which writes the valid rows and skips the others. `mapping`
    (column index → field key) defaults to the guess from the headers. `dry_run` only
    reports what would happen. File-level problems raise ImportFileError.
    """
    sheet = source if isinstance(source, Sheet) else read_sheet(source, filename=filename)
    if mapping is None:
        mapping = guess_mapping(organisation, sheet.headers)
    name = filename or _name_of(source)
    if dry_run:
        return _run(organisation, sheet, mapping, actor, name, skip_invalid, dry_run=True)
    with transaction.atomic():
        # One import per association at a time: the second waits, then matches the people
        # the first one added instead of adding them again.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        return _run(organisation, sheet, mapping, actor, name, skip_invalid, dry_run=False)


def _run(
    organisation: Organisation,
    sheet: Sheet,
    mapping: Mapping[int, str],
    actor: Actor,
    filename: str,
    skip_invalid: bool,
    *,
    dry_run: bool,
) -> ImportReport:
    importer = _Importer(organisation, sheet, mapping, actor)
    rows = [importer.parse(number, cells) for number, cells in sheet.rows]
    importer.check_file_duplicates(rows)
    importer.match([row for row in rows if not row.errors])
    importer.plan(rows)
    valid = [row for row in rows if not row.errors]
    new_households = importer.plan_households(valid)
    importer.finish_plans(valid)

    report = ImportReport(rows_total=len(rows), dry_run=dry_run, skip_invalid=skip_invalid)
    report.errors = [error for row in rows for error in row.errors]
    report.created = sum(1 for row in valid if row.action == CREATE)
    report.updated = sum(1 for row in valid if row.action == UPDATE)
    report.unchanged = sum(1 for row in valid if row.action == UNCHANGED)
    used = {id(row.household) for row in valid if row.household is not None}
    households = [household for household in new_households if id(household) in used]
    report.households_created = len(households)
    if skip_invalid:
        report.skipped = len(rows) - len(valid)
    report.preview = [_preview_row(row) for row in rows[:PREVIEW_ROWS]]
    if dry_run or report.stopped:
        return report
    importer.write([row for row in valid if row.action != UNCHANGED], households)
    audit.record(
        actor,
        "members.import",
        organisation,
        filename=filename,
        rows=report.rows_total,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
    )
    report.committed = True
    return report


# --- uploads in the office ------------------------------------------------------------


def create_import(
    organisation: Organisation, upload: UploadedFile[bytes], *, actor: Actor
) -> tuple[MemberImport, Sheet]:
    """Check an uploaded file (size, that it is a spreadsheet with a header row) and keep
    it, with the guessed column mapping, for the mapping and preview steps."""
    sheet = read_sheet(upload, filename=upload.name or "", limit=SAMPLE_VALUES)
    mapping = guess_mapping(organisation, sheet.headers)
    upload.seek(0)
    member_import = MemberImport(
        organisation=organisation,
        original_name=Path(upload.name or "import").name[:200],
        uploaded_by=actor.user,
        mapping={str(index): key for index, key in mapping.items()},
    )
    member_import.file.save(member_import.original_name, upload, save=False)
    member_import.save()
    return member_import, sheet


def read_import(member_import: MemberImport, *, limit: int | None = None) -> Sheet:
    with member_import.file.open("rb") as handle:
        return read_sheet(handle, filename=member_import.original_name, limit=limit)


def stored_mapping(member_import: MemberImport) -> dict[int, str]:
    return {int(index): key for index, key in (member_import.mapping or {}).items() if key}


def set_import_mapping(
    member_import: MemberImport,
    mapping: Mapping[int, str],
    *,
    skip_invalid: bool,
    actor: Actor,
) -> MemberImport:
    """Keep the user's column mapping (checked against the file's headers)."""
    if member_import.status != ImportStatus.UPLOADED:
        raise services.RegisterError(_("This file has already been imported."))
    sheet = read_import(member_import, limit=1)
    clean = check_mapping(member_import.organisation, mapping, sheet.headers)
    member_import.mapping = {str(index): key for index, key in clean.items()}
    member_import.skip_invalid = skip_invalid
    member_import.save(update_fields=["mapping", "skip_invalid"])
    return member_import


def preview_import(member_import: MemberImport, *, actor: Actor) -> ImportReport:
    return import_members(
        member_import.organisation,
        read_import(member_import),
        filename=member_import.original_name,
        actor=actor,
        dry_run=True,
        skip_invalid=member_import.skip_invalid,
        mapping=stored_mapping(member_import),
    )


@audit.in_name_of_actor
@transaction.atomic
def commit_import(member_import: MemberImport, *, actor: Actor) -> ImportReport:
    """Import an uploaded file once. A second commit (a double click, a second tab) writes
    nothing and raises RegisterError."""
    locked = MemberImport.objects.select_for_update().get(
        pk=member_import.pk, organisation=member_import.organisation
    )
    if locked.status != ImportStatus.UPLOADED:
        raise services.RegisterError(_("This file has already been imported."))
    report = import_members(
        locked.organisation,
        read_import(locked),
        filename=locked.original_name,
        actor=actor,
        skip_invalid=locked.skip_invalid,
        mapping=stored_mapping(locked),
    )
    if report.committed:
        # The file holds personal data (identity numbers in clear): it goes once imported.
        _forget_file(locked)
        locked.status = ImportStatus.COMMITTED
        locked.committed_at = timezone.now()
        locked.result = report.as_dict()
        locked.save(update_fields=["file", "status", "committed_at", "result"])
        member_import.status = locked.status
    return report


def _forget_file(member_import: MemberImport) -> None:
    """Delete the stored upload once the transaction commits (it holds personal data)."""
    stored, storage = member_import.file.name, member_import.file.storage
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    member_import.file = ""


@audit.in_name_of_actor
@transaction.atomic
def discard_import(member_import: MemberImport, *, actor: Actor) -> None:
    """Cancel an upload that has not been imported: its file is deleted, the row stays as a
    record that it was uploaded and discarded."""
    locked = MemberImport.objects.select_for_update().get(
        pk=member_import.pk, organisation=member_import.organisation
    )
    if locked.status == ImportStatus.COMMITTED:
        raise services.RegisterError(_("This file has already been imported."))
    if locked.status == ImportStatus.DISCARDED:
        return
    _forget_file(locked)
    locked.status = ImportStatus.DISCARDED
    locked.save(update_fields=["file", "status"])
    audit.record(actor, "members.import.discarded", locked, organisation=locked.organisation)
    member_import.status, member_import.file = locked.status, locked.file


STALE_IMPORT_AGE = dt.timedelta(hours=24)


@transaction.atomic
def discard_stale_imports(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Discard every upload, in any association, left unimported for a day: a spreadsheet of
    members (identity numbers in clear) is not kept because someone closed the tab."""
    cutoff = (now or timezone.now()) - STALE_IMPORT_AGE
    with scopes_disabled():
        stale = list(
            MemberImport.objects.select_for_update()
            .filter(status=ImportStatus.UPLOADED, created_at__lt=cutoff)
            .select_related("organisation")
        )
        for member_import in stale:
            _forget_file(member_import)
            member_import.status = ImportStatus.DISCARDED
        MemberImport.objects.bulk_update(stale, ["file", "status"])
        by_organisation: dict[int, list[MemberImport]] = defaultdict(list)
        for member_import in stale:
            by_organisation[member_import.organisation_id].append(member_import)
        for imports in by_organisation.values():
            audit.record_many(
                actor,
                "members.import.discarded",
                list(imports),
                organisation=imports[0].organisation,
                reason="not imported within a day",
            )
    return len(stale)


__all__ = [
    "ImportFileError",
    "ImportReport",
    "PreviewRow",
    "RowError",
    "Sheet",
    "TARGET_FIELDS",
    "check_mapping",
    "commit_import",
    "create_import",
    "discard_import",
    "discard_stale_imports",
    "field_choices",
    "guess_mapping",
    "import_members",
    "normalise_header",
    "preview_import",
    "read_import",
    "read_sheet",
    "set_import_mapping",
]
