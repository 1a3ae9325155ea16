"""Reading a spreadsheet file: .xlsx (openpyxl, read-only and streamed) or .csv (UTF-8 with
or without BOM, UTF-16 with BOM, or Windows-1252; `;`, `,` or tab), told apart by content,
not by name. What is not a spreadsheet, or is too large, is refused with a clear message."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import openpyxl
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from forening.members.importing.report import ImportFileError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# This many empty rows one after another end the data: a sheet formatted down to row
# 1,048,576 is read in a moment, and a gap that long is never meant to hold more members.
END_OF_DATA_EMPTY_ROWS = 10_000
MAX_COLUMNS = 200
SAMPLE_VALUES = 3

Cell = str | dt.date


def max_import_bytes() -> int:
    return int(getattr(settings, "FORENING_MAX_IMPORT_BYTES", DEFAULT_MAX_BYTES))


def max_import_rows() -> int:
    return int(getattr(settings, "FORENING_MAX_IMPORT_ROWS", DEFAULT_MAX_ROWS))


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
                    found[index].append(cell_text(value))
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
    name = filename or source_name(source)
    kind = _detect(data, name)
    if kind == "xlsx":
        return _read_xlsx(data, name, limit)
    return _read_csv(data, name, limit)


def source_name(source: Any) -> str:
    """The file name of a path or an upload ("" for bytes)."""
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
            headers = [cell_text(value) for value in cells[:width]]
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


def cell_text(value: Cell) -> str:
    """A cell as text (a date as 2026-03-15)."""
    return value.isoformat() if isinstance(value, dt.date) else value
