"""Invoice, credit note and reminder PDFs (billing.pdf).

pdftotext is not on our machines, so content is checked on the text WeasyPrint laid out
on each page (`page_texts`, which reads WeasyPrint's page boxes: a private attribute, to
revisit when WeasyPrint is upgraded), escaping and the QR code on the HTML the PDF is
made from, and the PDF itself for its header and its page count."""

from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import re
import zlib
from typing import Any

import pytest
import zxingcpp
from django.core.files.base import ContentFile
from PIL import Image

from forening.billing import pdf, services, swish_qr
from forening.billing.models import Invoice, Reminder
from forening.core.money import format_money
from tests.factories.billing import ACTOR, line, make_invoice, pay
from tests.factories.core import PersonFactory

SWISH = "1231181189"


def kr(amount_minor: int) -> str:
    """An amount as the English pages show it (with the locale's no-break space)."""
    return format_money(amount_minor, "SEK", "en")


def page_texts(document: Any) -> list[str]:
    """The text WeasyPrint laid out on each page, absolutely placed boxes and margin
    boxes included."""

    def walk(box: Any, parts: list[str]) -> None:
        box = getattr(box, "_box", box)  # an absolutely placed box sits in a placeholder
        if isinstance(getattr(box, "text", None), str):
            parts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child, parts)

    texts = []
    for page in document.pages:
        parts: list[str] = []
        walk(page._page_box, parts)
        texts.append(" ".join(parts))
    return texts


def pdf_page_count(data: bytes) -> int:
    """The /Type /Page objects in a PDF, looked for in its compressed streams too."""
    chunks = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, flags=re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", chunk)) for chunk in chunks)


def on_page(html: str) -> str:
    """The text of a one-page document as WeasyPrint laid it out."""
    texts = page_texts(pdf.render_document(html))
    assert len(texts) == 1
    return texts[0]


def decode_qr(html: str) -> list[str]:
    """Read the Swish QR code on the page back with zxing-cpp, from its embedded PNG."""
    match = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="Swish">', html)
    assert match is not None
    image = Image.open(io.BytesIO(base64.b64decode(match[1])))
    image = image.resize((image.width * 6, image.height * 6), Image.Resampling.NEAREST)
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.fixture
def billing(org: Any) -> Any:
    return services.update_settings(
        org,
        actor=ACTOR,
        bankgiro="5050-1055",
        plusgiro="1234566",
        swish_number=SWISH,
        invoice_note="Questions? Write to kassor@example.se",
    )


@pytest.fixture
def payer(org: Any) -> Any:
    return PersonFactory(
        organisation=org,
        first_name="Greta",
        last_name="Garbo",
        care_of="Anna Andersson",
        street="Storgatan 1",
        postal_code="123 45",
        city="Storby",
        language="en",
        member_number=4711,
    )


def test_invoice_shows_recipient_numbers_lines_and_how_to_pay(
    org: Any, billing: Any, payer: Any
) -> None:
    invoice = make_invoice(org, payer, 30000, 15000, issued_on=dt.date(2026, 1, 15))
    html = pdf.invoice_html(invoice)
    text = on_page(html)
    for expected in (
        "IK Test",
        "802004-2514",
        "Invoice",
        "Greta Garbo",
        "c/o Anna Andersson",
        "Storgatan 1",
        "123 45 Storby",
        "Invoice number",
        "Invoice number Invoice date Due date OCR reference Member number",
        f"{invoice.number} 2026-01-15 2026-02-14 {invoice.ocr} 4711",  # the values beside
        "Medlemsavgift",
        kr(30000),
        f"Total {kr(45000)}",
        "How to pay",
        "Bankgiro PlusGiro OCR reference Amount to pay Due date Swish",
        f"5050-1055 123456-6 {invoice.ocr} {kr(45000)} 2026-02-14 123 118 11 89",
        "Questions? Write to kassor@example.se",
        "IK Test · Org. no. 802004-2514 · Bankgiro 5050-1055 · PlusGiro 123456-6",  # footer
    ):
        assert expected in text, expected
    for absent in ("VAT", "COPY", "Already paid", "Left to pay", "Credit"):
        assert absent not in text, absent


def test_invoice_is_a_one_page_pdf(org: Any, billing: Any, payer: Any) -> None:
    data = pdf.render_invoice(make_invoice(org, payer))
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_page_count(data) == 1


def test_invoice_with_vat_has_a_vat_column_and_summary_per_rate(
    org: Any, billing: Any, payer: Any
) -> None:
    invoice = services.issue_invoice(
        org,
        payer,
        [
            line(org, 12500, "T-shirt", vat_rate=25),
            line(org, 11200, "Cookbook", vat_rate=12, reason="Member price"),
            line(org, 30000),
        ],
        actor=ACTOR,
    )
    text = on_page(pdf.invoice_html(invoice))
    assert f"Description VAT Amount T-shirt 25 % {kr(12500)}" in text
    assert f"Cookbook Member price 12 % {kr(11200)}" in text
    assert f"Medlemsavgift 0 % {kr(30000)}" in text
    assert f"Total {kr(53700)} of which VAT {kr(3700)}" in text
    # per rate, highest first: the rates, the amounts without VAT, then the VAT
    assert (
        f"VAT rate Excl. VAT VAT 25 % 12 % 0 % {kr(10000)} {kr(10000)} {kr(30000)} "
        f"{kr(2500)} {kr(1200)} {kr(0)}"
    ) in text


def test_credit_note_names_the_invoice_and_has_no_payment_block(
    org: Any, billing: Any, payer: Any
) -> None:
    invoice = make_invoice(org, payer, 30000)
    note = services.credit_invoice(invoice, actor=ACTOR)
    html = pdf.invoice_html(note)
    text = on_page(html)
    assert "Credit note" in text
    assert f"This credit note credits invoice {invoice.number}." in text
    assert f"Credits invoice {note.number} " not in text
    assert "Credit note number Date Credits invoice" in text
    assert f"Total {kr(-30000)}" in text
    for absent in ("How to pay", "Due date", "OCR", "Swish", "Left to pay"):
        assert absent not in text, absent
    assert "<img" not in html


def test_copy_is_marked(org: Any, billing: Any, payer: Any) -> None:
    invoice = make_invoice(org, payer)
    assert "COPY" in on_page(pdf.invoice_html(invoice, copy=True))
    assert pdf.render_invoice(invoice, copy=True).startswith(b"%PDF-")


def test_partly_paid_invoice_shows_paid_and_left(org: Any, billing: Any, payer: Any) -> None:
    invoice = make_invoice(org, payer, 30000)
    pay(org, 10000, invoice=invoice)
    invoice.refresh_from_db()
    html = pdf.invoice_html(invoice)
    text = on_page(html)
    assert f"Total {kr(30000)} Already paid {kr(10000)} Left to pay {kr(20000)}" in text
    assert "Amount to pay Due date Swish" in text
    assert f"{invoice.ocr} {kr(20000)}" in text
    assert decode_qr(html) == [f"C{SWISH};200,00;{invoice.ocr};0"]


def test_reminder_shows_step_new_due_date_and_amount_left(
    org: Any, billing: Any, payer: Any
) -> None:
    invoice = make_invoice(org, payer, 30000, issued_on=dt.date(2026, 1, 15))
    reminder = Reminder.objects.create(
        organisation=org,
        invoice=invoice,
        step=2,
        sent_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 11),
        open_minor=25000,
    )
    html = pdf.invoice_html(invoice, reminder=reminder)
    text = on_page(html)
    assert "Reminder 2" in text
    assert "Invoice date Original due date New due date" in text
    assert "2026-01-15 2026-02-14 2026-03-11" in text
    assert "Please pay the amount left by 2026-03-11" in text
    assert f"Left to pay {kr(25000)}" in text
    assert f"{kr(25000)} 2026-03-11 123 118 11 89" in text  # amount to pay, due date
    assert decode_qr(html) == [f"C{SWISH};250,00;{invoice.ocr};0"]
    assert pdf.render_invoice(invoice, reminder=reminder).startswith(b"%PDF-")


def test_reminder_of_another_invoice_is_refused(org: Any, billing: Any, payer: Any) -> None:
    first, second = make_invoice(org, payer), make_invoice(org, payer)
    reminder = Reminder.objects.create(
        organisation=org,
        invoice=first,
        step=1,
        sent_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 3, 11),
        open_minor=30000,
    )
    with pytest.raises(ValueError, match="another invoice"):
        pdf.invoice_html(second, reminder=reminder)


def test_swish_qr_code_holds_payee_amount_and_ocr(org: Any, billing: Any, payer: Any) -> None:
    invoice = make_invoice(org, payer, 30000)
    expected = swish_qr.payload(SWISH, 30000, invoice.ocr)
    assert decode_qr(pdf.invoice_html(invoice)) == [expected]
    assert expected == f"C{SWISH};300,00;{invoice.ocr};0"


def test_no_swish_number_means_no_qr_code(org: Any, payer: Any) -> None:
    html = pdf.invoice_html(make_invoice(org, payer))
    assert "<img" not in html
    assert "Swish" not in on_page(html)


def test_user_data_is_escaped(org: Any, billing: Any) -> None:
    payer = PersonFactory(
        organisation=org, first_name="<script>alert(1)</script>", last_name="&", language="en"
    )
    invoice = make_invoice(org, payer)
    html = pdf.invoice_html(invoice)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in html
    assert "<script>alert(1)</script> &" in on_page(html)


def test_swedish_invoice_is_in_swedish(org: Any, billing: Any) -> None:
    payer = PersonFactory(organisation=org, language="sv")
    text = on_page(pdf.invoice_html(make_invoice(org, payer, 30000)))
    assert "Faktura" in text
    assert "Invoice" not in text
    assert "How to pay" not in text
    assert format_money(30000, "SEK", "sv") in text


def test_batch_puts_each_invoice_on_its_own_page_in_its_language(
    org: Any, billing: Any, payer: Any, django_assert_max_num_queries: Any
) -> None:
    other = PersonFactory(organisation=org, first_name="Sven", last_name="Svensson", language="sv")
    invoices = [make_invoice(org, payer), make_invoice(org, other), make_invoice(org, payer)]
    fresh = list(Invoice.objects.filter(pk__in=[i.pk for i in invoices]).order_by("number"))
    with django_assert_max_num_queries(5):
        html = pdf.invoices_html(fresh)
    texts = page_texts(pdf.render_document(html))
    assert len(texts) == 3
    for text, invoice in zip(texts, fresh, strict=True):
        assert invoice.ocr in text
        assert invoice.recipient_name in text
    assert texts[0].startswith("IK Test")
    assert "Invoice" in texts[0]
    assert "Faktura" in texts[1]
    assert "Invoice" in texts[2]
    data = pdf.render_invoices(fresh)
    assert data.startswith(b"%PDF-")
    assert pdf_page_count(data) == 3


def test_long_invoice_runs_onto_a_second_page_and_the_next_starts_afresh(
    org: Any, billing: Any, payer: Any
) -> None:
    long = services.issue_invoice(
        org,
        payer,
        [line(org, 10000, f"Course {n}", reason="Child") for n in range(1, 31)],
        actor=ACTOR,
    )
    short = make_invoice(org, payer, 30000)
    texts = page_texts(pdf.render_document(pdf.invoices_html([long, short])))
    assert len(texts) == 3
    assert "Course 1 " in texts[0]
    assert "Course 30" in texts[1]
    # a line is never split over two pages: its amount stays beside its description
    for n in range(1, 31):
        assert any(f"Course {n} Child {kr(10000)}" in text for text in texts[:2]), n
    assert f"Total {kr(300000)}" in texts[1]
    assert "How to pay" in texts[1]
    assert "Org. no. 802004-2514 · Bankgiro 5050-1055" in texts[1]  # the footer goes on
    assert short.ocr in texts[2]
    assert long.ocr not in texts[2]


def test_queries_do_not_grow_with_invoices_or_lines(
    org: Any, billing: Any, payer: Any, django_assert_max_num_queries: Any
) -> None:
    invoices = [make_invoice(org, payer, *([1000] * 5)) for _ in range(12)]
    fresh = list(Invoice.objects.filter(pk__in=[i.pk for i in invoices]))
    with django_assert_max_num_queries(5):
        pdf.invoices_html(fresh)


def test_logo_is_embedded_and_a_missing_file_is_left_out(
    org: Any, billing: Any, payer: Any
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 10), "#1f5f8b").save(buffer, format="PNG")
    org.logo.save("logo.png", ContentFile(buffer.getvalue()), save=True)
    invoice = make_invoice(org, payer)
    html = pdf.invoice_html(invoice)
    assert 'background-image: url("data:image/png;base64,' in html
    assert "IK Test" in on_page(html)

    org.logo.storage.delete(org.logo.name)
    html = pdf.invoice_html(invoice)
    assert "background-image" not in html
    assert pdf.render_invoice(invoice).startswith(b"%PDF-")


def test_nothing_is_fetched_from_the_network(caplog: Any) -> None:
    html = '<html><body><img src="http://127.0.0.1:9/x.png"><p>x</p></body></html>'
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf.render_document(html)
    assert "disallowed protocol" in caplog.text


def test_pdf_file_names_are_in_the_invoices_language(org: Any, billing: Any, payer: Any) -> None:
    from forening.billing.views.pdf import file_name

    invoice = make_invoice(org, payer, 30000)
    note = services.credit_invoice(invoice, actor=ACTOR)

    invoice.language = note.language = "sv"
    assert file_name(invoice) == f"faktura-{invoice.number}.pdf"
    assert file_name(invoice, copy=True) == f"kopia-faktura-{invoice.number}.pdf"
    assert file_name(note) == f"kreditfaktura-{note.number}.pdf"
