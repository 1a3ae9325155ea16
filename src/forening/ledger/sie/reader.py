"""A small SIE reader for SIE 1-4 (4E and 4I): `read_sie` parses a file's bytes into its
records and vouchers, checking the #KSUMMA CRC when the file has one."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from forening.ledger.sie.contents import SieError, Voucher, VoucherLine
from forening.ledger.sie.encoding import is_account_number

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
    if not is_account_number(account):
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
