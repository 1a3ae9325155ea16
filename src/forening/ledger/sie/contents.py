"""What a SIE file holds, as plain dataclasses: the writer's input and, for vouchers, the
reader's output; and `SieError`, which both raise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


class SieError(ValueError):
    """Input that cannot become a valid SIE file, or a file that is not valid SIE."""


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
