"""SIE 4 files: a streaming SIE 4E writer and a small reader for SIE 1-4 (4E and 4I).

Rules come from "SIE filformat, utgåva 4B" (SIE-Gruppen, 2008-09-30); section numbers below
are those of shared/reference/NORDIC-FORMATS.md §5, which summarises it.

The writer takes plain dataclasses, so it knows nothing of our models: the ledger's export
service reads the database and feeds it vouchers from an iterator. It writes CP437 bytes as it
goes and keeps the #KSUMMA CRC running, so memory stays flat however many vouchers a year has.
Bad input raises `SieError` (a ValueError) with an English message, and `out` is then left
with an incomplete file: write to a temporary file and discard it on error.

Text that CP437 cannot hold is replaced, not refused (see `clean_text`): control characters
become spaces, "€" becomes "EUR", Danish/Norwegian "ø"/"Ø" become "ö"/"Ö" (the Swedish
transliteration), accented letters CP437 lacks lose the accent, typographic quotes and dashes become
ASCII, and anything else becomes "?".
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import BinaryIO, NoReturn

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


class SieError(ValueError):
    """Input that cannot become a valid SIE file, or a file that is not valid SIE."""


# --- input (and, for vouchers, reader output) ----------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Company:
    name: str
    generated_on: date
    program: str
    program_version: str
    organisation_number: str | None = None  # NNNNNN-NNNN
    generated_by: str | None = None  # #GEN signature
    currency: str = "SEK"
    company_type: str = "X"  # #FTYP: X = other, e.g. an ideell förening without trade
    chart_type: str = "EUBAS97"  # #KPTYP: BAS 2xxx charts are declared as EUBAS97


@dataclass(frozen=True, slots=True)
class FiscalYear:
    index: int  # 0 = the year exported, -1 = the one before, ...
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Account:
    number: str  # digits only
    name: str
    kind: str | None = None  # #KTYP: T tillgång, S skuld, K kostnad, I intäkt
    sru: str | None = None  # SRU code for the tax return


@dataclass(frozen=True, slots=True)
class Dimension:
    number: int  # 1 kostnadsställe, 6 projekt, 20+ free (§5.3)
    name: str


@dataclass(frozen=True, slots=True)
class DimensionObject:
    dimension: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Balance:
    year: int  # fiscal year index
    account: str
    amount: int  # öre, debit positive


@dataclass(frozen=True, slots=True)
class VoucherLine:
    account: str
    amount: int  # öre, debit positive, credit negative
    objects: tuple[tuple[int, str], ...] = ()  # (dimension, object code) pairs
    text: str | None = None
    transaction_on: date | None = None  # None: the voucher's date


@dataclass(frozen=True, slots=True)
class Voucher:
    series: str
    number: int | None  # None only when read from a 4I file, where the importer numbers it
    booked_on: date
    text: str
    lines: tuple[VoucherLine, ...]
    registered_on: date | None = None


# --- text and numbers --------------------------------------------------------------------

# Control characters (0-31, 127) are not allowed in SIE strings (§5.1).
_CONTROL = dict.fromkeys((*range(32), 127), " ")
_CP437_PRINTABLE = frozenset(bytes(range(32, 256)).decode("cp437")) - {"\x7f", "\xa0"}
_SPECIAL = {
    "€": "EUR",
    "ø": "ö",
    "Ø": "Ö",
    "\xa0": " ",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "−": "-",
    "•": "*",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "Ð": "D",
    "þ": "th",
    "Þ": "Th",
    "œ": "oe",
    "Œ": "OE",
}
# Anything that needs more than `'"' + text + '"'`: control chars, quote, backslash, non-ASCII.
# Text is built as "byte characters": each character is the CP437 byte it becomes
# (chr(0x86) for "å"), so a batch encodes with the fast latin-1 codec instead of the
# per-character cp437 one. ASCII is the same in both.
_BYTE_CHARS = {ord(c): chr(b) for b, c in enumerate(bytes(range(128, 256)).decode("cp437"), 128)}
_ASCII_NEEDS_WORK = re.compile(r'[\x00-\x1f\x7f"\\]')
_CP437_UPPER_HALF = "".join(sorted(_CP437_PRINTABLE - set(map(chr, range(128)))))
# Printable CP437 except the quote and the backslash, which need escaping or cleaning.
_NOT_PLAIN_CP437 = re.compile("[^ !#-\\[\\]-~" + re.escape(_CP437_UPPER_HALF) + "]")
_AMBIGUOUS_BACKSLASH = re.compile(r'\\(?="|$)')


@lru_cache(maxsize=4096)
def _replace_char(char: str) -> str:
    if char in _SPECIAL:
        return _SPECIAL[char]
    category = unicodedata.category(char)
    if category == "Zs":
        return " "
    if category in ("Mn", "Cf"):  # a stray accent or an invisible format character
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if c in _CP437_PRINTABLE)
    if kept and all(c in _CP437_PRINTABLE or unicodedata.combining(c) for c in decomposed):
        return kept
    return "?"


def clean_text(text: str) -> str:
    """Make `text` fit a SIE string: CP437 characters only, no control characters.

    A backslash right before a quote or at the end becomes "/": SIE defines only `\\"`, so a
    reader could not tell such a backslash from an escape.
    """
    text = text.translate(_CONTROL)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)  # "e" + combining acute → "é", in CP437
        text = "".join(c if c in _CP437_PRINTABLE else _replace_char(c) for c in text)
    if "\\" in text:
        text = _AMBIGUOUS_BACKSLASH.sub("/", text)
    return text


def _quoted(text: str) -> tuple[str, str]:
    """(the field as written, its value for #KSUMMA), both in byte characters."""
    if text.isascii():
        if _ASCII_NEEDS_WORK.search(text) is None:
            return f'"{text}"', text
    elif _NOT_PLAIN_CP437.search(text) is None:
        value = text.translate(_BYTE_CHARS)
        return f'"{value}"', value
    value = clean_text(text).translate(_BYTE_CHARS)
    return '"' + value.replace('"', '\\"') + '"', value


def format_amount(minor: int) -> str:
    """Öre to a SIE amount: 123450 → "1234.50", -5 → "-0.05" (point, two decimals, no "+")."""
    units, cents = divmod(-minor if minor < 0 else minor, 100)
    return f"{'-' if minor < 0 else ''}{units}.{cents:02d}"


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


# --- the writer ----------------------------------------------------------------------------

_COMPANY_TYPES = frozenset(
    ("AB", "E", "HB", "KB", "EK", "KHF", "BRF", "BF", "SF", "I", "S", "FL")
    + ("BAB", "MB", "SB", "BFL", "FAB", "OFB", "SE", "SCE", "TSF", "X")
)
_ACCOUNT_KINDS = frozenset("TSKI")
_ORGANISATION_NUMBER = re.compile(r"\d{6}-\d{4}")
_TOKEN = re.compile(r"[A-Z0-9]+")
_EMPTY = '""'  # an empty field
_FLUSH_EVERY = 500  # vouchers per write: few syscalls, small buffers


def _is_account_number(number: object) -> bool:
    return isinstance(number, str) and number.isascii() and number.isdigit()


class _Sink:
    """Buffers records, writes them as CP437 and keeps the #KSUMMA CRC over their values.

    Every string given to it is in byte characters (see `_BYTE_CHARS`).
    """

    def __init__(self, out: BinaryIO, *, checksum: bool) -> None:
        self.out = out
        self.checksum = checksum
        self.crc = 0
        self.text: list[str] = []
        self.values: list[str] = []

    def record(self, label: str, *fields: tuple[str, str]) -> None:
        """One record from (written, value) pairs."""
        self.text.append(" ".join((label, *(written for written, _ in fields))) + "\n")
        self.values.append(label + "".join(value for _, value in fields))

    def flush(self) -> None:
        self.out.write("".join(self.text).encode("latin-1"))
        if self.checksum:
            self.crc = zlib.crc32("".join(self.values).encode("latin-1"), self.crc)
        self.text.clear()
        self.values.clear()


def _plain(value: str) -> tuple[str, str]:
    return value, value


def write_sie4e(
    out: BinaryIO,
    *,
    company: Company,
    years: Sequence[FiscalYear],
    accounts: Iterable[Account],
    dimensions: Iterable[Dimension] = (),
    objects: Iterable[DimensionObject] = (),
    opening_balances: Iterable[Balance] = (),
    closing_balances: Iterable[Balance] = (),
    results: Iterable[Balance] = (),
    vouchers: Iterable[Voucher],
    checksum: bool = True,
) -> int:
    """Write a SIE 4E file (balances and vouchers) to `out` and return the vouchers written.

    `vouchers` is consumed once, lazily, in the order given; numbers must ascend within each
    series. Every account and object a balance or line uses must be declared. Raises
    `SieError` for a voucher without lines or whose lines do not sum to zero, for amounts that
    are not int öre, for a non-numeric or undeclared account, for a number that does not
    ascend in its series, and for malformed company, year or chart data.
    """
    sink = _Sink(out, checksum=checksum)
    year_indexes = _write_header(sink, company, years)
    declared_accounts = _write_chart(sink, accounts)
    declared_objects = _write_objects(sink, dimensions, objects)
    for label, balances in (("#IB", opening_balances), ("#UB", closing_balances)):
        _write_balances(sink, label, balances, year_indexes, declared_accounts)
    _write_balances(sink, "#RES", results, year_indexes, declared_accounts)
    sink.flush()
    first_day = min(year.starts_on for year in years)
    last_day = max(year.ends_on for year in years)
    count = _write_vouchers(
        sink, vouchers, declared_accounts, declared_objects, first_day, last_day
    )
    sink.flush()
    if checksum:
        out.write(f"#KSUMMA {sink.crc}\n".encode("ascii"))
    return count


def _write_header(sink: _Sink, company: Company, years: Sequence[FiscalYear]) -> set[int]:
    if company.organisation_number is not None and not _ORGANISATION_NUMBER.fullmatch(
        company.organisation_number
    ):
        raise SieError(f"Organisation number {company.organisation_number!r} is not NNNNNN-NNNN.")
    if company.company_type not in _COMPANY_TYPES:
        raise SieError(f"Unknown company type (#FTYP) {company.company_type!r}.")
    for token, what in ((company.chart_type, "chart type"), (company.currency, "currency")):
        if not _TOKEN.fullmatch(token):
            raise SieError(f"The {what} {token!r} must be capital letters and digits.")
    indexes = [year.index for year in years]
    if not indexes or indexes != list(range(0, -len(indexes), -1)):
        raise SieError("Fiscal years must be given as index 0, -1, -2, ... in that order.")
    for year in years:
        if year.starts_on > year.ends_on:
            raise SieError(f"Fiscal year {year.index} ends before it starts.")

    # #FLAGGA stays outside the checksum; the #KSUMMA marker opens it (§5.4).
    sink.out.write(b"#FLAGGA 0\n")
    if sink.checksum:
        sink.out.write(b"#KSUMMA\n")
    sink.record("#PROGRAM", _quoted(company.program), _quoted(company.program_version))
    sink.record("#FORMAT", _plain("PC8"))
    generated = [_plain(_ymd(company.generated_on))]
    if company.generated_by:
        generated.append(_quoted(company.generated_by))
    sink.record("#GEN", *generated)
    sink.record("#SIETYP", _plain("4"))
    sink.record("#FTYP", _plain(company.company_type))
    if company.organisation_number is not None:
        sink.record("#ORGNR", _plain(company.organisation_number))
    sink.record("#FNAMN", _quoted(company.name))
    for year in years:
        sink.record(
            "#RAR",
            _plain(str(year.index)),
            _plain(_ymd(year.starts_on)),
            _plain(_ymd(year.ends_on)),
        )
    sink.record("#KPTYP", _plain(company.chart_type))
    sink.record("#VALUTA", _plain(company.currency))
    return set(indexes)


def _write_chart(sink: _Sink, accounts: Iterable[Account]) -> frozenset[str]:
    declared: set[str] = set()
    for account in accounts:
        if not _is_account_number(account.number):
            raise SieError(f"Account number {account.number!r} is not numeric.")
        if account.number in declared:
            raise SieError(f"Account {account.number} is declared twice.")
        declared.add(account.number)
        number = _plain(account.number)
        sink.record("#KONTO", number, _quoted(account.name))
        if account.kind is not None:
            if account.kind not in _ACCOUNT_KINDS:
                raise SieError(f"Account {account.number}: kind must be T, S, K or I.")
            sink.record("#KTYP", number, _plain(account.kind))
        if account.sru is not None:
            if not _is_account_number(account.sru):
                raise SieError(
                    f"Account {account.number}: SRU code {account.sru!r} is not numeric."
                )
            sink.record("#SRU", number, _plain(account.sru))
    return frozenset(declared)


def _write_objects(
    sink: _Sink, dimensions: Iterable[Dimension], objects: Iterable[DimensionObject]
) -> frozenset[tuple[int, str]]:
    declared_dimensions: set[int] = set()
    for dimension in dimensions:
        if dimension.number < 1 or dimension.number in declared_dimensions:
            raise SieError(f"Dimension {dimension.number} is invalid or declared twice.")
        declared_dimensions.add(dimension.number)
        sink.record("#DIM", _plain(str(dimension.number)), _quoted(dimension.name))
    declared: set[tuple[int, str]] = set()
    for obj in objects:
        if obj.dimension not in declared_dimensions:
            raise SieError(f"Object {obj.code!r} belongs to undeclared dimension {obj.dimension}.")
        if not obj.code or (obj.dimension, obj.code) in declared:
            raise SieError(f"Object {obj.code!r} in dimension {obj.dimension} is empty or twice.")
        declared.add((obj.dimension, obj.code))
        sink.record("#OBJEKT", _plain(str(obj.dimension)), _quoted(obj.code), _quoted(obj.name))
    return frozenset(declared)


def _write_balances(
    sink: _Sink,
    label: str,
    balances: Iterable[Balance],
    years: set[int],
    accounts: frozenset[str],
) -> None:
    for balance in balances:
        if balance.year not in years:
            raise SieError(f"{label} for account {balance.account}: no fiscal year {balance.year}.")
        if balance.account not in accounts:
            raise SieError(f"{label}: account {balance.account!r} is not in the chart.")
        if type(balance.amount) is not int:
            raise SieError(f"{label} {balance.account}: amount must be int öre.")
        sink.record(
            label,
            _plain(str(balance.year)),
            _plain(balance.account),
            _plain(format_amount(balance.amount)),
        )


def _write_vouchers(
    sink: _Sink,
    vouchers: Iterable[Voucher],
    accounts: frozenset[str],
    objects: frozenset[tuple[int, str]],
    first_day: date,
    last_day: date,
) -> int:
    # Hot loop: 200,000 vouchers must take a few seconds, so records are built inline, the
    # values that repeat (dates, series, object lists) are cached, and error messages are
    # only composed when raising.
    text, values = sink.text, sink.values
    days: dict[date, str] = {}
    series_fields: dict[str, tuple[str, str]] = {}
    object_fields: dict[tuple[tuple[int, str], ...], tuple[str, str]] = {(): ("{}", "")}
    last_number: dict[str, int] = {}
    count = 0
    for voucher in vouchers:
        series, number, lines, booked_on = (
            voucher.series,
            voucher.number,
            voucher.lines,
            voucher.booked_on,
        )
        if type(number) is not int or number <= last_number.get(series, -1):
            _refuse_number(voucher, last_number.get(series))
        last_number[series] = number
        if not lines:
            raise SieError(f"{_name(voucher)} has no lines.")
        if not first_day <= booked_on <= last_day:
            raise SieError(f"{_name(voucher)} is dated {booked_on}, outside the fiscal years.")
        if (series_field := series_fields.get(series)) is None:
            if not series:
                raise SieError(f"{_name(voucher)}: a SIE 4E voucher needs a series.")
            series_field = series_fields[series] = _quoted(series)
        if (day := days.get(booked_on)) is None:
            day = days[booked_on] = _ymd(booked_on)
        voucher_text, voucher_text_value = _quoted(voucher.text)
        registered = "" if voucher.registered_on is None else _ymd(voucher.registered_on)
        # The number is quoted, as Fortnox writes it; any field may be (§5.1).
        text.append(
            f'#VER {series_field[0]} "{number}" {day} {voucher_text} {registered}\n{{\n'
            if registered
            else f'#VER {series_field[0]} "{number}" {day} {voucher_text}\n{{\n'
        )
        values.append(f"#VER{series_field[1]}{number}{day}{voucher_text_value}{registered}")

        total = 0
        for line in lines:
            account, amount = line.account, line.amount
            if account not in accounts or type(amount) is not int:
                _refuse_line(voucher, line)
            total += amount
            if (object_field := object_fields.get(line.objects)) is None:
                object_field = _object_list(line.objects, objects, voucher)
                if len(object_fields) < 10_000:
                    object_fields[line.objects] = object_field
            if amount < 0:
                units, cents = divmod(-amount, 100)
                formatted = f"-{units}.{cents:02d}"
            else:
                units, cents = divmod(amount, 100)
                formatted = f"{units}.{cents:02d}"
            if line.text is None and line.transaction_on is None:
                text.append(f"\t#TRANS {account} {object_field[0]} {formatted}\n")
                values.append(f"#TRANS{account}{object_field[1]}{formatted}")
                continue
            # An absent transaction date is written "" so that a text can follow it.
            tday = "" if line.transaction_on is None else _ymd(line.transaction_on)
            line_text, line_text_value = _quoted(line.text or "")
            text.append(
                f"\t#TRANS {account} {object_field[0]} {formatted} {tday or _EMPTY} {line_text}\n"
            )
            values.append(f"#TRANS{account}{object_field[1]}{formatted}{tday}{line_text_value}")
        if total != 0:
            raise SieError(
                f"{_name(voucher)} does not balance: its lines sum to {format_amount(total)}."
            )
        text.append("}\n")
        count += 1
        if count % _FLUSH_EVERY == 0:
            sink.flush()
    return count


def _name(voucher: Voucher) -> str:
    return f"Voucher {voucher.series} {voucher.number}"


def _refuse_number(voucher: Voucher, previous: int | None) -> NoReturn:
    if type(voucher.number) is not int or voucher.number < 0:
        raise SieError(f"{_name(voucher)}: a SIE 4E voucher needs a number of 0 or more.")
    raise SieError(
        f"{_name(voucher)} follows {voucher.series} {previous}: "
        "numbers must ascend within a series."
    )


def _refuse_line(voucher: Voucher, line: VoucherLine) -> NoReturn:
    if not _is_account_number(line.account):
        raise SieError(f"{_name(voucher)}: account {line.account!r} is not numeric.")
    if type(line.amount) is not int:
        raise SieError(f"{_name(voucher)}: amount {line.amount!r} must be int öre.")
    raise SieError(f"{_name(voucher)}: account {line.account} is not in the chart.")


def _object_list(
    pairs: tuple[tuple[int, str], ...], declared: frozenset[tuple[int, str]], voucher: Voucher
) -> tuple[str, str]:
    written, value = [], []
    for pair in pairs:
        if pair not in declared:
            raise SieError(
                f"{_name(voucher)}: object {pair[1]!r} in dimension {pair[0]} is not declared."
            )
        code, code_value = _quoted(pair[1])
        written.append(f'"{pair[0]}" {code}')
        value.append(f"{pair[0]}{code_value}")
    return "{" + " ".join(written) + "}", "".join(value)


# --- the reader ----------------------------------------------------------------------------

Field = str | tuple[str, ...]  # a value, or the values of an object list {dim obj ...}


@dataclass(frozen=True, slots=True)
class SieRecord:
    label: str  # "#KONTO"
    fields: tuple[Field, ...]

    def text(self, index: int) -> str:
        """Field `index` as a string, "" when absent (readers ignore missing trailing fields)."""
        value = self.fields[index] if index < len(self.fields) else ""
        return value if isinstance(value, str) else ""


@dataclass(slots=True)
class SieFile:
    encoding: str  # how the bytes were decoded: "cp437" for a file that follows the spec
    records: list[SieRecord]  # every record outside voucher blocks, in file order
    vouchers: list[Voucher]
    checksum: int | None = None  # the #KSUMMA, verified; None when the file has none
    _first: dict[str, SieRecord] = field(default_factory=dict, repr=False)

    def first(self, label: str) -> SieRecord | None:
        if not self._first:
            for record in reversed(self.records):
                self._first[record.label] = record
        return self._first.get(label)

    def all(self, label: str) -> list[SieRecord]:
        return [record for record in self.records if record.label == label]

    @property
    def company_name(self) -> str:
        record = self.first("#FNAMN")
        return record.text(0) if record else ""

    @property
    def accounts(self) -> dict[str, str]:
        return {r.text(0): r.text(1) for r in self.all("#KONTO")}

    def unbalanced_vouchers(self) -> list[Voucher]:
        return [v for v in self.vouchers if sum(line.amount for line in v.lines) != 0]


# A quoted field, a brace, or a word. In a quoted field \" is a quote and any other backslash
# is itself; a bare quote inside a word, or in a quoted field but not before a separator, is
# kept as text, since some writers leave them unescaped (SoftOne XE writes ö as "). A line
# that still has an unpaired quote is read again with the last quote closing the field.
_FIELD = re.compile(r'"((?:\\"|[^"]|"(?![\s}]|$))*)"(?=[\s}]|$)|([{}])|([^\s"{}][^\s{}]*)|(")')
_FIELD_GREEDY = re.compile(r'"((?:\\"|.)*)"(?=[\s}]|$)|([{}])|([^\s"{}][^\s{}]*)|(")')
_NORDIC_LETTERS = frozenset("åäöÅÄÖéÉüÜæÆøØ")


def _detect_encoding(data: bytes) -> str:
    # Files declare "#FORMAT PC8" whatever they hold, so the bytes decide: valid UTF-8 with
    # non-ASCII text is UTF-8 (CP437 å/ä/ö are continuation bytes, never valid UTF-8 here);
    # otherwise the 8-bit code page that yields the most Nordic letters, CP437 on a tie.
    if data.isascii():
        return "cp437"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    best, best_score = "cp437", -1
    for encoding in ("cp437", "cp1252", "iso-8859-15"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = sum(text.count(letter) for letter in _NORDIC_LETTERS)
        if score > best_score:
            best, best_score = encoding, score
    return best


def _split(line: str, number: int) -> tuple[list[Field], str]:
    """The fields of one line (label first) and their #KSUMMA text."""
    tokens = _FIELD.findall(line)
    if any(stray for *_, stray in tokens):
        tokens = _FIELD_GREEDY.findall(line)
        if any(stray for *_, stray in tokens):
            raise SieError(f"Line {number}: a quote is not closed.")
    fields: list[Field] = []
    group: list[str] | None = None
    for quoted, brace, word, _stray in tokens:
        if brace == "{":
            if group is not None:
                raise SieError(f"Line {number}: nested braces.")
            group = []
        elif brace == "}":
            if group is None:
                raise SieError(f"Line {number}: '}}' without '{{'.")
            fields.append(tuple(group))
            group = None
        else:
            value = quoted.replace('\\"', '"') if quoted else word
            (fields if group is None else group).append(value)
    if group is not None:
        raise SieError(f"Line {number}: an object list is not closed.")
    flat = "".join(v if isinstance(v, str) else "".join(v) for v in fields)
    return fields, flat


def _date(value: str, what: str) -> date:
    if len(value) != 8 or not value.isdigit():
        raise SieError(f"{what}: {value!r} is not a date YYYYMMDD.")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise SieError(f"{what}: {value!r} is not a date.") from None


def _minor(value: str, what: str) -> int:
    try:
        minor = Decimal(value) * 100
    except InvalidOperation:
        raise SieError(f"{what}: {value!r} is not an amount.") from None
    if minor != minor.to_integral_value():
        raise SieError(f"{what}: {value!r} has more than two decimals.")
    return int(minor)


def _text(fields: list[Field], index: int) -> str:
    value = fields[index] if index < len(fields) else ""
    return value if isinstance(value, str) else ""


def _voucher_head(
    fields: list[Field], where: str
) -> tuple[str, int | None, date, str, date | None]:
    series, number = _text(fields, 1), _text(fields, 2)
    if number and not number.isdigit():
        raise SieError(f"{where}: voucher number {number!r} is not a number.")
    registered = _text(fields, 5)
    return (
        series,
        int(number) if number else None,
        _date(_text(fields, 3), where),
        _text(fields, 4),
        _date(registered, where) if registered else None,
    )


def _voucher_line(fields: list[Field], where: str) -> VoucherLine:
    account = _text(fields, 1)
    if not _is_account_number(account):
        raise SieError(f"{where}: account {account!r} is not numeric.")
    rest = fields[2:]
    objects: tuple[str, ...] = ()
    if rest and isinstance(rest[0], tuple):  # a few writers leave the object list out
        objects, rest = rest[0], rest[1:]
    if len(objects) % 2:
        raise SieError(f"{where}: object list {objects!r} is not dimension/object pairs.")
    try:
        pairs = tuple((int(objects[i]), objects[i + 1]) for i in range(0, len(objects), 2))
    except ValueError:
        raise SieError(f"{where}: object list {objects!r} has a non-numeric dimension.") from None
    amount = _text(rest, 0)
    if not amount:
        raise SieError(f"{where}: a #TRANS line has no amount.")
    day = _text(rest, 1)
    return VoucherLine(
        account=account,
        amount=_minor(amount, where),
        objects=pairs,
        text=_text(rest, 2) or None,
        transaction_on=_date(day, where) if day else None,
    )


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped:
            yield number, stripped


def read_sie(data: bytes, *, check_balance: bool = True) -> SieFile:
    """Parse a SIE 1-4 file (4E or 4I) from its bytes.

    The encoding is detected (see `_detect_encoding`). Unknown labels are kept as records and
    extra trailing fields are ignored, as the spec asks of readers. Raises `SieError` for
    a malformed line, amount or date, a #VER without a well-formed block, a #KSUMMA that does
    not match or is missing its closing record (a truncated file), and, unless
    `check_balance` is false, a voucher whose lines do not sum to zero.
    """
    encoding = _detect_encoding(data)
    records: list[SieRecord] = []
    vouchers: list[Voucher] = []
    crc: int | None = None
    declared: int | None = None
    lines = _lines(data.decode(encoding))
    for number, line in lines:
        if declared is not None:
            raise SieError(f"Line {number}: records follow the closing #KSUMMA.")
        fields, flat = _split(line, number)
        label = _text(fields, 0).upper()
        if not label.startswith("#"):
            raise SieError(f"Line {number}: expected a record starting with '#'.")
        if label == "#KSUMMA":
            if crc is None and len(fields) == 1:
                crc = 0
                continue
            if crc is None or len(fields) == 1:
                raise SieError(f"Line {number}: #KSUMMA without its opening marker.")
            declared = int(_text(fields, 1)) if _text(fields, 1).isdigit() else -1
            if declared != crc:
                raise SieError(
                    f"Checksum mismatch: #KSUMMA says {_text(fields, 1)}, the content gives {crc}."
                )
            continue
        if crc is not None:
            crc = zlib.crc32(flat.encode(encoding, "replace"), crc)
        if label != "#VER":
            records.append(SieRecord(label, tuple(fields[1:])))
            continue
        where = f"Line {number} (#VER {_text(fields, 1)} {_text(fields, 2)})"
        series, voucher_number, booked_on, text, registered_on = _voucher_head(fields, where)
        opening = next(lines, None)
        if opening is None or opening[1] != "{":
            raise SieError(f"{where}: expected '{{' on the line after #VER.")
        voucher_lines: list[VoucherLine] = []
        for number, line in lines:
            if line == "}":
                break
            fields, flat = _split(line, number)
            if crc is not None:
                crc = zlib.crc32(flat.encode(encoding, "replace"), crc)
            label = _text(fields, 0).upper()
            # #RTRANS is followed by the same row as #TRANS; #BTRANS rows were removed (§5.2).
            if label == "#TRANS":
                voucher_lines.append(_voucher_line(fields, f"Line {number}"))
            elif label not in ("#RTRANS", "#BTRANS"):
                raise SieError(f"Line {number}: unexpected {label or line!r} inside a voucher.")
        else:
            raise SieError(f"{where}: the voucher block is not closed with '}}'.")
        voucher = Voucher(
            series=series,
            number=voucher_number,
            booked_on=booked_on,
            text=text,
            lines=tuple(voucher_lines),
            registered_on=registered_on,
        )
        if check_balance and sum(line.amount for line in voucher_lines) != 0:
            raise SieError(f"{where} does not balance.")
        vouchers.append(voucher)
    if crc is not None and declared is None:
        raise SieError("The file opens a #KSUMMA checksum but never closes it: truncated?")
    return SieFile(encoding=encoding, records=records, vouchers=vouchers, checksum=declared)
