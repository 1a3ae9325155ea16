"""The streaming SIE 4E writer (`write_sie4e`): records go out as CP437 bytes as they are
made, with the #KSUMMA CRC kept running, so memory stays flat however many vouchers."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from datetime import date
from typing import BinaryIO, NoReturn

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
from forening.ledger.sie.encoding import format_amount, is_account_number, quoted, ymd

_COMPANY_TYPES = frozenset(
    ("AB", "E", "HB", "KB", "EK", "KHF", "BRF", "BF", "SF", "I", "S", "FL")
    + ("BAB", "MB", "SB", "BFL", "FAB", "OFB", "SE", "SCE", "TSF", "X")
)
_ACCOUNT_KINDS = frozenset("TSKI")
_ORGANISATION_NUMBER = re.compile(r"\d{6}-\d{4}")
_TOKEN = re.compile(r"[A-Z0-9]+")
_EMPTY = '""'  # an empty field
_FLUSH_EVERY = 500  # vouchers per write: few syscalls, small buffers


class _Sink:
    """Buffers records, writes them as CP437 and keeps the #KSUMMA CRC over their values.

    Every string given to it is in byte characters (see `encoding.quoted`).
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
    sink.record("#PROGRAM", quoted(company.program), quoted(company.program_version))
    sink.record("#FORMAT", _plain("PC8"))
    generated = [_plain(ymd(company.generated_on))]
    if company.generated_by:
        generated.append(quoted(company.generated_by))
    sink.record("#GEN", *generated)
    sink.record("#SIETYP", _plain("4"))
    sink.record("#FTYP", _plain(company.company_type))
    if company.organisation_number is not None:
        sink.record("#ORGNR", _plain(company.organisation_number))
    sink.record("#FNAMN", quoted(company.name))
    for year in years:
        sink.record(
            "#RAR",
            _plain(str(year.index)),
            _plain(ymd(year.starts_on)),
            _plain(ymd(year.ends_on)),
        )
    sink.record("#KPTYP", _plain(company.chart_type))
    sink.record("#VALUTA", _plain(company.currency))
    return set(indexes)


def _write_chart(sink: _Sink, accounts: Iterable[Account]) -> frozenset[str]:
    declared: set[str] = set()
    for account in accounts:
        if not is_account_number(account.number):
            raise SieError(f"Account number {account.number!r} is not numeric.")
        if account.number in declared:
            raise SieError(f"Account {account.number} is declared twice.")
        declared.add(account.number)
        number = _plain(account.number)
        sink.record("#KONTO", number, quoted(account.name))
        if account.kind is not None:
            if account.kind not in _ACCOUNT_KINDS:
                raise SieError(f"Account {account.number}: kind must be T, S, K or I.")
            sink.record("#KTYP", number, _plain(account.kind))
        if account.sru is not None:
            if not is_account_number(account.sru):
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
        sink.record("#DIM", _plain(str(dimension.number)), quoted(dimension.name))
    declared: set[tuple[int, str]] = set()
    for obj in objects:
        if obj.dimension not in declared_dimensions:
            raise SieError(f"Object {obj.code!r} belongs to undeclared dimension {obj.dimension}.")
        if not obj.code or (obj.dimension, obj.code) in declared:
            raise SieError(f"Object {obj.code!r} in dimension {obj.dimension} is empty or twice.")
        declared.add((obj.dimension, obj.code))
        sink.record("#OBJEKT", _plain(str(obj.dimension)), quoted(obj.code), quoted(obj.name))
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
            series_field = series_fields[series] = quoted(series)
        if (day := days.get(booked_on)) is None:
            day = days[booked_on] = ymd(booked_on)
        voucher_text, voucher_text_value = quoted(voucher.text)
        registered = "" if voucher.registered_on is None else ymd(voucher.registered_on)
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
            tday = "" if line.transaction_on is None else ymd(line.transaction_on)
            line_text, line_text_value = quoted(line.text or "")
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
    if not is_account_number(line.account):
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
        code, code_value = quoted(pair[1])
        written.append(f'"{pair[0]}" {code}')
        value.append(f"{pair[0]}{code_value}")
    return "{" + " ".join(written) + "}", "".join(value)
