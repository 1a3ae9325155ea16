"""The financial reports page and its .xlsx workbook (ACC-03), made of sections.

Invoicing adds its sections here (income per fee category and per cost centre, the ageing
of receivables); an app above invoicing adds its own with `register` from its `ready()`
(payments: payments per channel and month), so this page never imports it. The contract
of a `ReportSection`:

- `context(organisation, period)` returns what its template shows, as context variables
  (merged into the page's; choose names that are yours); a fixed number of queries,
  whatever the data;
- `write(book, organisation, period)` adds its sheet(s) to the workbook through `Book`,
  which makes text safe and amounts numbers in major units;
- both only read. The page lays the sections out in `order`, each in a column of
  `width` Bootstrap classes.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from forening.billing import reports
from forening.core import audit, money
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members.exporting import neutralise


@dataclass(frozen=True)
class Period:
    """What the reports cover: income and payments from `starts_on` to `ends_on`, and
    receivables as they stood on `as_of`."""

    starts_on: dt.date
    ends_on: dt.date
    as_of: dt.date


_FORBIDDEN_IN_TITLES = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
_BOLD = Font(bold=True)


class Sheet:
    """One write-only worksheet: text made safe, amounts as numbers with a format."""

    def __init__(self, book: Any, title: str, currency: str) -> None:
        # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
        self.sheet = book.create_sheet(title=title.translate(_FORBIDDEN_IN_TITLES)[:31])
        self.currency = currency
        places = money.exponent(currency)
        self.amount_format = "#,##0." + "0" * places if places else "#,##0"

    def cell(self, value: Any, *, bold: bool = False, number_format: str = "") -> Any:
        if isinstance(value, str):
            # A name typed by a user is text, never a formula (CWE-1236), and holds no
            # control characters (an .xlsx file cannot).
            value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        cell = WriteOnlyCell(self.sheet, value=value)
        if bold:
            cell.font = _BOLD
        if number_format:
            cell.number_format = number_format
        return cell

    def amount(self, amount_minor: int, *, bold: bool = False) -> Any:
        value: Decimal = money.to_decimal(amount_minor, self.currency)
        return self.cell(value, bold=bold, number_format=self.amount_format)

    def date(self, day: dt.date, number_format: str = "yyyy-mm-dd") -> Any:
        return self.cell(day, number_format=number_format)

    def row(self, *cells: Any) -> None:
        self.sheet.append(list(cells))

    def title(self, title: str, *facts: tuple[str, Any]) -> None:
        self.row(self.cell(title, bold=True))
        for label, value in facts:
            self.row(self.cell(label), value)
        self.row()

    def header(self, headings: Sequence[str]) -> None:
        self.row(*(self.cell(heading, bold=True) for heading in headings))

    def period(self, period: Period) -> tuple[tuple[str, Any], ...]:
        """The facts of a sheet about the period: from and to."""
        return ((_("From"), self.date(period.starts_on)), (_("To"), self.date(period.ends_on)))


class Book:
    """The workbook the sections write their sheets to."""

    def __init__(self, currency: str) -> None:
        self.workbook = Workbook(write_only=True)
        self.currency = currency

    def sheet(self, title: str) -> Sheet:
        return Sheet(self.workbook, title, self.currency)

    def data(self) -> bytes:
        out = io.BytesIO()
        self.workbook.save(out)
        return out.getvalue()


@dataclass(frozen=True)
class ReportSection:
    name: str
    template: str
    context: Callable[[Organisation, Period], dict[str, Any]]
    write: Callable[[Book, Organisation, Period], None]
    order: int = 100
    width: str = "col-12"


_sections: dict[str, ReportSection] = {}


def register(section: ReportSection) -> None:
    if section.name in _sections:
        raise ValueError(f"report section {section.name!r} registered twice")
    _sections[section.name] = section


def sections() -> list[ReportSection]:
    return sorted(_sections.values(), key=lambda section: (section.order, section.name))


def page_context(organisation: Organisation, period: Period) -> dict[str, Any]:
    """The context of every section, and `report_sections` to lay them out."""
    context: dict[str, Any] = {"report_sections": sections()}
    for section in sections():
        context.update(section.context(organisation, period))
    return context


def workbook(organisation: Organisation, period: Period) -> bytes:
    """The reports as an .xlsx file, one sheet or more per section, headings in the active
    language and amounts as numbers in major units (kronor)."""
    book = Book(organisation.currency)
    for section in sections():
        section.write(book, organisation, period)
    return book.data()


def export_workbook(organisation: Organisation, period: Period, *, actor: Actor) -> bytes:
    """`workbook()` for a person who downloads it: the export is recorded in the audit log."""
    data = workbook(organisation, period)
    audit.record(
        actor,
        "billing.reports.exported",
        organisation,
        person=None,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
        as_of=period.as_of,
    )
    return data


# --- invoicing's sections ----------------------------------------------------------------


def _categories_context(organisation: Organisation, period: Period) -> dict[str, Any]:
    return {
        "categories": reports.income_by_category(organisation, period.starts_on, period.ends_on)
    }


def _write_categories(book: Book, organisation: Organisation, period: Period) -> None:
    categories = reports.income_by_category(organisation, period.starts_on, period.ends_on)
    sheet = book.sheet(_("Income by fee category"))
    sheet.title(_("Income by fee category"), *sheet.period(period))
    sheet.header([_("Fee category"), _("Lines"), _("Excl. VAT"), _("VAT")])
    for row in categories.rows:
        sheet.row(
            sheet.cell(row.name),
            row.line_count,
            sheet.amount(row.net_minor),
            sheet.amount(row.vat_minor),
        )
    sheet.row(
        sheet.cell(_("Total"), bold=True),
        sheet.cell(categories.line_count, bold=True),
        sheet.amount(categories.net_minor, bold=True),
        sheet.amount(categories.vat_minor, bold=True),
    )


def _centres_context(organisation: Organisation, period: Period) -> dict[str, Any]:
    return {
        "centres": reports.income_by_cost_centre(organisation, period.starts_on, period.ends_on)
    }


def _write_centres(book: Book, organisation: Organisation, period: Period) -> None:
    centres = reports.income_by_cost_centre(organisation, period.starts_on, period.ends_on)
    sheet = book.sheet(_("Income by cost centre"))
    sheet.title(_("Income by cost centre"), *sheet.period(period))
    sheet.header([_("Cost centre"), _("Account"), _("Account name"), _("Income")])
    for centre in centres.rows:
        for account in centre.accounts:
            sheet.row(
                sheet.cell(centre.label),
                sheet.cell(account.number),
                sheet.cell(account.name),
                sheet.amount(account.amount_minor),
            )
    sheet.row(
        sheet.cell(_("Total"), bold=True), None, None, sheet.amount(centres.total_minor, bold=True)
    )


def _ageing_context(organisation: Organisation, period: Period) -> dict[str, Any]:
    return {
        "ageing": reports.ageing(organisation, period.as_of),
        "payers": reports.ageing_by_payer(organisation, period.as_of),
        "payer_limit": reports.PAYER_LIMIT,
        "bucket_labels": reports.bucket_labels(),
    }


def _write_ageing(book: Book, organisation: Organisation, period: Period) -> None:
    aged = reports.ageing(organisation, period.as_of)
    payers = reports.ageing_by_payer(organisation, period.as_of, limit=reports.EXPORT_PAYER_LIMIT)
    labels = reports.bucket_labels()
    sheet = book.sheet(_("Receivables ageing"))
    sheet.title(_("Receivables ageing"), (_("As of"), sheet.date(period.as_of)))
    sheet.header([_("Days past due"), _("Invoices"), _("Left to pay")])
    for bucket in aged.buckets:
        sheet.row(sheet.cell(bucket.label), bucket.count, sheet.amount(bucket.amount_minor))
    sheet.row(
        sheet.cell(_("Total"), bold=True),
        sheet.cell(aged.count, bold=True),
        sheet.amount(aged.amount_minor, bold=True),
    )

    sheet = book.sheet(_("Overdue payers"))
    sheet.title(_("Overdue payers"), (_("As of"), sheet.date(period.as_of)))
    sheet.header(
        [
            _("Payer"),
            _("Invoices"),
            *(labels[key] for key, _first, _last in reports.BUCKETS),
            _("Overdue"),
            _("Left to pay"),
        ]
    )
    for payer in payers:
        sheet.row(
            sheet.cell(payer.name),
            payer.count,
            *(sheet.amount(amount) for amount in payer.amounts),
            sheet.amount(payer.overdue_minor),
            sheet.amount(payer.total_minor),
        )


register(
    ReportSection(
        name="categories",
        template="billing/_report_categories.html",
        context=_categories_context,
        write=_write_categories,
        order=10,
        width="col-xl-6",
    )
)
register(
    ReportSection(
        name="cost_centres",
        template="billing/_report_cost_centres.html",
        context=_centres_context,
        write=_write_centres,
        order=20,
        width="col-xl-6",
    )
)
register(
    ReportSection(
        name="ageing",
        template="billing/_report_ageing.html",
        context=_ageing_context,
        write=_write_ageing,
        order=30,
    )
)
