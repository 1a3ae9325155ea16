"""SIE 4 files: a streaming SIE 4E writer and a small reader for SIE 1-4 (4E and 4I).

Rules come from "SIE filformat, utgåva 4B" (SIE-Gruppen, 2008-09-30); section numbers below
(§5.1 …) are those of docs/formats.md § 5, which summarises it.

The writer takes plain dataclasses, so it knows nothing of our models: the ledger's export
service reads the database and feeds it vouchers from an iterator. It writes CP437 bytes as it
goes and keeps the #KSUMMA CRC running, so memory stays flat however many vouchers a year has.
Bad input raises `SieError` (a ValueError) with an English message, and `out` is then left
with an incomplete file: write to a temporary file and discard it on error.

Text that CP437 cannot hold is replaced, not refused (see `clean_text`): control characters
become spaces, "€" becomes "EUR", Danish/Norwegian "ø"/"Ø" become "ö"/"Ö" (the Swedish
transliteration), accented letters CP437 lacks lose the accent, typographic quotes and dashes become
ASCII, and anything else becomes "?".

The modules: `contents` (the dataclasses and `SieError`), `encoding` (CP437 text, amounts
and dates), `writer` (`write_sie4e`) and `reader` (`read_sie`).
"""

from forening.ledger.sie.contents import (
    Account,
    Balance,
    Company,
    Dimension,
    DimensionObject,
    FiscalYear,
    SieError,
    Voucher,
    VoucherLine,
)
from forening.ledger.sie.encoding import clean_text, format_amount
from forening.ledger.sie.reader import SieFile, SieRecord, read_sie
from forening.ledger.sie.writer import write_sie4e

__all__ = [
    "Account",
    "Balance",
    "Company",
    "Dimension",
    "DimensionObject",
    "FiscalYear",
    "SieError",
    "SieFile",
    "SieRecord",
    "Voucher",
    "VoucherLine",
    "clean_text",
    "format_amount",
    "read_sie",
    "write_sie4e",
]
