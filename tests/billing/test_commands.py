"""`forening billing-run`, `export-invoices`, `register-payment` and `daily`."""

from __future__ import annotations

import csv
import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from forening.billing.models import Invoice, InvoiceStatus
from forening.members.models import MembershipKind
from forening.payments.models import Payment, PaymentStatus
from tests.factories.billing import make_invoice
from tests.factories.core import PersonFactory
from tests.factories.fees import make_category
from tests.factories.members import MembershipTypeFactory


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def members(org: Any) -> None:
    ordinary = MembershipTypeFactory(organisation=org, kind=MembershipKind.ORDINARY)
    make_category(org, name="Medlemsavgift", amount_minor=30000)
    for name in ("Ada", "Bo"):
        PersonFactory(organisation=org, membership_type=ordinary, first_name=name)


def test_billing_run_previews_then_commits_once(org: Any, members: None) -> None:
    shown = run("billing-run", "--org", org.slug, "--period", "2027")
    assert "Medlemsavgift" in shown
    assert "600,00" in shown
    assert "Preview only" in shown
    assert not Invoice.objects.exists()
    done = run(
        "billing-run", "--org", org.slug, "--period", "2027", "--commit", "--date", "2027-01-10"
    )
    assert "Issued 2 invoices" in done
    again = run("billing-run", "--org", org.slug, "--period", "2027", "--commit")
    assert "Nothing new to invoice." in again
    assert Invoice.objects.count() == 2


def test_billing_run_bad_arguments(org: Any, members: None) -> None:
    with pytest.raises(CommandError, match="no organisation"):
        run("billing-run", "--org", "nobody", "--period", "2027")
    with pytest.raises(CommandError, match="no saved search"):
        run("billing-run", "--org", org.slug, "--period", "2027", "--selection", "Saknas")


def test_export_invoices_csv_and_xlsx(org: Any, tmp_path: Path) -> None:
    payer = PersonFactory(organisation=org, first_name="=cmd()", last_name="Berg")
    invoice = make_invoice(org, payer, 12345)
    target = tmp_path / "invoices.csv"
    assert "Wrote 1 invoices" in run(
        "export-invoices", "--org", org.slug, "--format", "csv", "-o", str(target)
    )
    with target.open(encoding="utf-8-sig") as handle:
        header, row = list(csv.reader(handle, delimiter=";"))
    assert header[:3] == ["number", "kind", "ocr"]
    assert row[0] == str(invoice.number)
    assert row[2] == invoice.ocr
    assert row[3] == "'=cmd() Berg"
    assert row[7] == "123.45"
    book = tmp_path / "invoices.xlsx"
    run(
        "export-invoices",
        "--org",
        org.slug,
        "--period",
        "2026",
        "--format",
        "xlsx",
        "-o",
        str(book),
    )
    sheet = load_workbook(book).active
    values = list(sheet.values)
    assert values[1][0] == invoice.number
    assert float(values[1][8]) == 123.45
    run(
        "export-invoices",
        "--org",
        org.slug,
        "--period",
        "1999",
        "--format",
        "xlsx",
        "-o",
        str(book),
    )
    assert len(list(load_workbook(book).active.values)) == 1


def test_register_payment_by_ocr_and_by_number(org: Any) -> None:
    payer = PersonFactory(organisation=org)
    invoice = make_invoice(org, payer, 30000)
    shown = run(
        "register-payment",
        "--org",
        org.slug,
        "--ocr",
        invoice.ocr,
        "--amount",
        "100,50",
        "--date",
        "2026-02-01",
    )
    assert "Registered 100,50" in shown
    run(
        "register-payment",
        "--org",
        org.slug,
        "--invoice",
        str(invoice.number),
        "--amount",
        "199.50",
        "--date",
        "2026-02-02",
        "--channel",
        "swish",
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_register_payment_with_an_unknown_reference_is_kept_unplaced(org: Any) -> None:
    shown = run(
        "register-payment",
        "--org",
        org.slug,
        "--ocr",
        "1234",
        "--amount",
        "50",
        "--date",
        "2026-02-01",
    )
    assert "Not placed" in shown
    assert Payment.objects.get().status == PaymentStatus.UNPLACED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ocr", "1", "--amount", "0", "--date", "2026-02-01"], "more than zero"),
        (["--ocr", "1", "--amount", "-5", "--date", "2026-02-01"], "more than zero"),
        (["--ocr", "1", "--amount", "tio", "--date", "2026-02-01"], "not an amount"),
        (["--ocr", "1", "--amount", "5", "--date", "2026-13-01"], "not YYYY-MM-DD"),
        (["--invoice", "99", "--amount", "5", "--date", "2026-02-01"], "no invoice 99"),
    ],
)
def test_register_payment_bad_input_writes_nothing(org: Any, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("register-payment", "--org", org.slug, *args)
    assert not Payment.objects.exists()


def test_daily_command_sends_reminders(org: Any) -> None:
    make_invoice(org, PersonFactory(organisation=org), issued_on=dt.date(2026, 1, 1))
    shown = run("daily", "--date", "2026-03-01")
    assert "reminders: 1" in shown
    assert "reminders: 0" in run("daily", "--date", "2026-03-01")
