"""Invoice, credit note and reminder PDFs (INV-03), rendered with WeasyPrint.

Each invoice starts on a new A4 page laid out for Swedish C5/E65 window envelopes: the
recipient's address sits 20 mm from the left and 45 mm from the top edge of the paper.
Each is in the invoice's own language and carries the association's name, logo and
colour.

`render_invoices` puts many invoices into one PDF for printing and posting: one HTML
document laid out once, which saves the per-document cost (about a third of a single
render) and any merging. Everything is read set-wise, a fixed number of queries whatever
the number of invoices or lines. Nothing is fetched from anywhere: the logo and the Swish
QR code are embedded as data URIs and the URL fetcher refuses every other URL.

Speed (WeasyPrint's cost is about the number of lines of text on a page) shaped the
template: see the head of invoice.css. Labels of the label/value columns are translated
here with gettext; the rest of the text is `{% translate %}` in the template.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import gc
import io
import logging
import mimetypes
import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban

from forening.billing import swish_qr
from forening.billing.models import BillingSettings, Invoice, InvoiceLine, Reminder
from forening.core.models import Organisation, Person
from forening.core.money import LOCALE_BY_LANGUAGE, format_money

logger = logging.getLogger(__name__)

TEMPLATE = "billing/pdf/invoice.html"
STYLESHEET = "billing/pdf/invoice.css"
DEFAULT_COLOUR = "#1f5f8b"
# One pixel per QR module: the page scales it to 28 mm without smoothing.
QR_SCALE = 1
# A logo larger than this is left out: it would make every batch slow and heavy.
MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"})
# Keep IN lists well below SQLite's limit on query parameters.
CHUNK = 5000

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


@dataclass(frozen=True)
class Brand:
    """What an association's pages share: key (for its CSS class), name, colour, logo."""

    key: int
    name: str
    organisation_number: str
    country: str
    colour: str
    logo: str  # a data URI, or "" without a (readable) logo


@dataclass(frozen=True)
class Columns:
    """Rows of label and value, laid out as two blocks of lines (`white-space: pre`):
    one text box per column instead of one per cell, which WeasyPrint lays out several
    times faster than a table or rows of inline blocks."""

    labels: str
    values: str

    @classmethod
    def of(cls, rows: Iterable[tuple[str, object]]) -> Columns:
        pairs = [(label, str(value)) for label, value in rows]
        return cls(
            labels="\n".join(label for label, _value in pairs),
            values="\n".join(value for _label, value in pairs),
        )

    def __bool__(self) -> bool:
        return bool(self.labels)


@dataclass(frozen=True)
class LineRow:
    description: str
    reason: str
    vat_rate: int
    amount: str


@dataclass(frozen=True)
class VatColumns:
    rates: str
    net: str
    vat: str


@dataclass(frozen=True)
class PaymentBlock:
    rows: Columns
    ocr: str
    swish_qr: str  # a data URI of the QR code's PNG, or ""


@dataclass
class Page:
    """One invoice, credit note or reminder, with every amount already formatted in its
    language; the template only lays it out."""

    invoice: Invoice
    brand: Brand
    language: str
    is_copy: bool
    is_credit_note: bool
    reminder_step: int | None
    due_on: dt.date
    credits_number: int | None
    address: str
    meta: Columns
    lines: list[LineRow]
    show_vat: bool
    vat: VatColumns | None
    total: str
    sums: Columns
    left: str  # what is left to pay, when part is paid or on a reminder
    payment: PaymentBlock | None
    note: str
    footer: str


# --- public API -------------------------------------------------------------------------


def invoice_html(invoice: Invoice, *, copy: bool = False, reminder: Reminder | None = None) -> str:
    """The HTML that `render_invoice` lays out."""
    if reminder is not None:
        if reminder.invoice_id != invoice.pk:
            raise ValueError("The reminder belongs to another invoice.")
        if invoice.is_credit_note:
            raise ValueError("A credit note has no reminders.")
    reminders = {invoice.pk: reminder} if reminder is not None else {}
    with translation.override(_language(invoice)):
        return _html(_pages([invoice], copy=copy, reminders=reminders))


def invoices_html(invoices: Sequence[Invoice], *, copy: bool = False) -> str:
    """The HTML that `render_invoices` lays out: one document, each invoice on a new page."""
    if not invoices:
        raise ValueError("No invoices to render.")
    pages = _pages(invoices, copy=copy, reminders={})
    return _html(pages)


def render_invoice(
    invoice: Invoice, *, copy: bool = False, reminder: Reminder | None = None
) -> bytes:
    """The invoice (or credit note) as a PDF; with `reminder`, that reminder for it.

    `copy` marks it as a copy, for sending an invoice again."""
    return html_to_pdf(invoice_html(invoice, copy=copy, reminder=reminder))


def render_invoices(invoices: Sequence[Invoice], *, copy: bool = False) -> bytes:
    """One PDF with every invoice, each starting on a new page, for printing and posting."""
    return html_to_pdf(invoices_html(invoices, copy=copy))


def html_to_pdf(html: str) -> bytes:
    """Lay out HTML from `invoice_html`/`invoices_html` offline and write it as PDF."""
    with _gc_paused():
        pdf: bytes = render_document(html).write_pdf()
    return pdf


def render_document(html: str) -> Any:
    """The laid-out `weasyprint.Document` (its `pages` tell the page count), with the
    invoice stylesheet and no access to any URL but data URIs."""
    import weasyprint  # a heavy import, needed only here

    stylesheet, font_config = _renderer()
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",), fail_on_errors=False)
    with _gc_paused():
        return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).render(
            stylesheets=[stylesheet], font_config=font_config
        )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while WeasyPrint works: a batch keeps every page's
    boxes alive, and the collector walking them again and again made a page of a batch
    of 200 take a third longer than a page of a batch of 20. What is garbage is collected
    as usual afterwards."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_local = threading.local()


def _renderer() -> tuple[Any, Any]:
    """The parsed stylesheet and a font configuration, made once per thread: parsing the
    CSS and setting up fonts took a third of the time of rendering a single invoice.
    Per thread, because Pango's font maps must not be shared between threads."""
    found: tuple[Any, Any] | None = getattr(_local, "renderer", None)
    if found is None:
        import weasyprint
        from weasyprint.text.fonts import FontConfiguration

        font_config = FontConfiguration()
        stylesheet = weasyprint.CSS(string=render_to_string(STYLESHEET), font_config=font_config)
        found = _local.renderer = (stylesheet, font_config)
    return found


# --- reading and formatting -------------------------------------------------------------


def _html(pages: list[Page]) -> str:
    brands = list({page.brand.key: page.brand for page in pages}.values())
    return render_to_string(TEMPLATE, {"pages": pages, "brands": brands})


def _pages(
    invoices: Sequence[Invoice], *, copy: bool, reminders: dict[int, Reminder]
) -> list[Page]:
    organisation_ids = {invoice.organisation_id for invoice in invoices}
    organisations = Organisation.objects.in_bulk(organisation_ids)
    settings_by_org = {
        found.organisation_id: found
        for found in BillingSettings.objects.filter(organisation_id__in=organisation_ids)
    }
    brands = {pk: _brand(organisation) for pk, organisation in organisations.items()}
    lines = _lines(invoices, organisation_ids)
    member_numbers = dict(
        _values(
            Person.objects.filter(organisation_id__in=organisation_ids),
            {invoice.payer_id for invoice in invoices},
            "member_number",
        )
    )
    credited_numbers = dict(
        _values(
            Invoice.objects.filter(organisation_id__in=organisation_ids),
            {invoice.credits_id for invoice in invoices if invoice.credits_id},
            "number",
        )
    )
    pages = []
    for invoice in invoices:
        organisation = organisations[invoice.organisation_id]
        billing = settings_by_org.get(invoice.organisation_id) or BillingSettings(
            organisation=organisation
        )
        with translation.override(_language(invoice)):
            pages.append(
                _page(
                    invoice,
                    brand=brands[invoice.organisation_id],
                    billing=billing,
                    lines=lines.get(invoice.pk, []),
                    copy=copy,
                    reminder=reminders.get(invoice.pk),
                    member_number=member_numbers.get(invoice.payer_id),
                    credits_number=credited_numbers.get(invoice.credits_id or 0),
                )
            )
    return pages


def _language(invoice: Invoice) -> str:
    return invoice.language or settings.LANGUAGE_CODE


def _values(queryset: Any, ids: set[int], column: str) -> Iterable[tuple[int, Any]]:
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        yield from queryset.filter(pk__in=wanted[start : start + CHUNK]).values_list("pk", column)


def _lines(invoices: Sequence[Invoice], organisation_ids: set[int]) -> dict[int, list[InvoiceLine]]:
    """Each invoice's lines: those already prefetched, the rest in one query per chunk."""
    found: dict[int, list[InvoiceLine]] = {}
    missing = []
    for invoice in invoices:
        cache = getattr(invoice, "_prefetched_objects_cache", {})
        if "lines" in cache:
            found[invoice.pk] = list(cache["lines"])
        else:
            missing.append(invoice.pk)
    grouped: dict[int, list[InvoiceLine]] = defaultdict(list)
    for start in range(0, len(missing), CHUNK):
        for row in InvoiceLine.objects.filter(
            organisation_id__in=organisation_ids, invoice_id__in=missing[start : start + CHUNK]
        ).only(
            "invoice", "position", "description", "reason", "amount_minor", "vat_rate", "vat_minor"
        ):
            grouped[row.invoice_id].append(row)
    found.update(grouped)
    return found


def _brand(organisation: Organisation) -> Brand:
    colour = organisation.primary_colour
    return Brand(
        key=organisation.pk,
        name=organisation.name,
        organisation_number=organisation.organisation_number,
        country=organisation.country,
        colour=colour if _COLOUR.fullmatch(colour or "") else DEFAULT_COLOUR,
        logo=_logo_data_uri(organisation),
    )


def _logo_data_uri(organisation: Organisation) -> str:
    """The logo as a data URI, or "" when there is none or it cannot be read."""
    logo = organisation.logo
    if not logo or not logo.name:
        return ""
    mime, _encoding = mimetypes.guess_type(logo.name)
    if mime not in LOGO_TYPES:
        return ""
    try:
        with logo.storage.open(logo.name, "rb") as handle:
            data = handle.read(MAX_LOGO_BYTES + 1)
    except (OSError, ValueError):
        logger.warning("Logo of organisation %s cannot be read: %s", organisation.pk, logo.name)
        return ""
    if not data or len(data) > MAX_LOGO_BYTES:
        return ""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _page(
    invoice: Invoice,
    *,
    brand: Brand,
    billing: BillingSettings,
    lines: list[InvoiceLine],
    copy: bool,
    reminder: Reminder | None,
    member_number: int | None,
    credits_number: int | None,
) -> Page:
    language = _language(invoice)

    def money(amount_minor: int) -> str:
        return _format_money(amount_minor, invoice.currency, language)

    def day(value: dt.date) -> str:
        return value.isoformat()

    is_credit_note = invoice.is_credit_note
    left_minor = reminder.open_minor if reminder is not None else invoice.open_minor
    due_on = reminder.due_on if reminder is not None else invoice.due_on

    meta: list[tuple[str, object]] = [
        (_("Credit note number") if is_credit_note else _("Invoice number"), invoice.number),
        (_("Date") if is_credit_note else _("Invoice date"), day(invoice.issued_on)),
    ]
    if credits_number:
        meta.append((_("Credits invoice"), credits_number))
    if reminder is not None:
        meta.append((_("Original due date"), day(invoice.due_on)))
        meta.append((_("New due date"), day(due_on)))
    elif not is_credit_note:
        meta.append((_("Due date"), day(due_on)))
    if invoice.ocr:
        meta.append((_("OCR reference"), invoice.ocr))
    if member_number:
        meta.append((_("Member number"), member_number))

    show_vat = any(line.vat_rate for line in lines)
    vat_columns = None
    if show_vat:
        net: dict[int, int] = defaultdict(int)
        vat: dict[int, int] = defaultdict(int)
        for line in lines:
            net[line.vat_rate] += line.amount_minor - line.vat_minor
            vat[line.vat_rate] += line.vat_minor
        rates = sorted(net, reverse=True)
        vat_columns = VatColumns(
            rates="\n".join(f"{rate} %" for rate in rates),
            net="\n".join(money(net[rate]) for rate in rates),
            vat="\n".join(money(vat[rate]) for rate in rates),
        )

    sums: list[tuple[str, object]] = []
    if show_vat:
        sums.append((_("of which VAT"), money(invoice.vat_minor)))
    left = ""
    if not is_credit_note and 0 < left_minor < invoice.total_minor:
        sums.append((_("Already paid"), money(invoice.total_minor - left_minor)))
        left = money(left_minor)
    elif reminder is not None:
        left = money(left_minor)

    payment = None
    if not is_credit_note and left_minor > 0:
        rows: list[tuple[str, object]] = []
        if billing.bankgiro:
            rows.append((_("Bankgiro"), billing.bankgiro))
        if billing.plusgiro:
            rows.append((_("PlusGiro"), billing.plusgiro))
        if billing.iban:
            rows.append((_("IBAN"), stdnum_iban.format(billing.iban)))
        if invoice.ocr:
            rows.append((_("OCR reference"), invoice.ocr))
        rows.append((_("Amount to pay"), money(left_minor)))
        rows.append((_("Due date"), day(due_on)))
        if billing.swish_number:
            rows.append((_("Swish"), _swish_display(billing.swish_number)))
        payment = PaymentBlock(
            rows=Columns.of(rows),
            ocr=invoice.ocr,
            swish_qr=_swish_qr(billing.swish_number, left_minor, invoice),
        )

    address = [
        _care_of(invoice.recipient_care_of),
        invoice.recipient_street,
        f"{invoice.recipient_postal_code} {invoice.recipient_city}".strip(),
        _country(invoice.recipient_country, brand.country, language),
    ]
    footer = [brand.name]
    if brand.organisation_number:
        footer.append(_("Org. no. %(number)s") % {"number": brand.organisation_number})
    if billing.bankgiro:
        footer.append(_("Bankgiro %(number)s") % {"number": billing.bankgiro})
    if billing.plusgiro:
        footer.append(_("PlusGiro %(number)s") % {"number": billing.plusgiro})
    return Page(
        invoice=invoice,
        brand=brand,
        language=language,
        is_copy=copy,
        is_credit_note=is_credit_note,
        reminder_step=reminder.step if reminder is not None else None,
        due_on=due_on,
        credits_number=credits_number,
        address="\n".join(part for part in address if part.strip()),
        meta=Columns.of(meta),
        lines=[
            LineRow(
                description=line.description,
                reason=line.reason,
                vat_rate=line.vat_rate,
                amount=money(line.amount_minor),
            )
            for line in lines
        ],
        show_vat=show_vat,
        vat=vat_columns,
        total=money(invoice.total_minor),
        sums=Columns.of(sums),
        left=left,
        payment=payment,
        note=billing.invoice_note,
        footer=" · ".join(footer),
    )


# The same few amounts recur on every page of a batch; Babel takes a while for each.
_format_money = functools.lru_cache(maxsize=4096)(format_money)


def _swish_display(number: str) -> str:
    """`1231181189` → `123 118 11 89`, the way Swish numbers are printed."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) != 10:
        return number
    return f"{digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"


def _swish_qr(number: str, amount_minor: int, invoice: Invoice) -> str:
    """A QR code that opens Swish with payee, amount and OCR reference filled in, as a
    PNG data URI; "" without a Swish number or when Swish cannot take the payment.

    A PNG rather than `swish_qr.qr_svg`: WeasyPrint draws the SVG path in Python, which
    took about a tenth of each page's time; the same symbol as a PNG of a few hundred
    bytes costs next to nothing and prints sharp (`image-rendering: pixelated`)."""
    if not number or invoice.currency != "SEK":
        return ""
    try:
        data = swish_qr.payload(payee=number, amount_ore=amount_minor, message=invoice.ocr)
    except swish_qr.SwishQrError:
        return ""
    buffer = io.BytesIO()
    swish_qr.qr_code(data).save(buffer, kind="png", scale=QR_SCALE, border=4)
    return f"data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _care_of(value: str) -> str:
    value = value.strip()
    if not value or value.lower().startswith("c/o"):
        return value
    return f"c/o {value}"


def _country(code: str, home: str, language: str) -> str:
    """The recipient's country name in the invoice's language, only when it is abroad."""
    if not code or code.upper() == (home or "").upper():
        return ""
    try:
        locale = Locale.parse(LOCALE_BY_LANGUAGE.get(language, "sv_SE"))
    except (UnknownLocaleError, ValueError):
        return code.upper()
    return str(locale.territories.get(code.upper(), code.upper()))
