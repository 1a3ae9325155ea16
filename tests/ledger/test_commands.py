"""`forening export-sie` (ACC-02) and `forening check-ledger` (ACC-01) on real data."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation
from django_scopes import scope

from forening.core.context import Actor
from forening.core.models import AuditEvent
from forening.ledger import services
from forening.ledger.models import (
    Account,
    CostCentre,
    FiscalYear,
    LedgerSettings,
    Project,
    Voucher,
    VoucherLine,
)
from forening.ledger.services import Entry, Line
from forening.ledger.sie import SieFile, format_amount, read_sie
from tests.factories.core import OrganisationFactory, PersonFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
D = dt.date
YEAR_0 = (D(2025, 7, 1), D(2026, 6, 30))
YEAR_1 = (D(2024, 7, 1), D(2025, 6, 30))


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def post(org, day: dt.date, text: str, *lines: Line, series: str = "A") -> Voucher:
    return services.post(org, Entry(day, text, list(lines), series=series), actor=ACTOR)


@pytest.fixture
def books(org) -> dict[str, Any]:
    """Four fiscal years from 1 July: 2023/24 and 2024/25 before the one exported (2025/26),
    and 2026/27 after it, with cost centres, projects, people, three series and a reversal."""
    services.ensure_chart(org)
    LedgerSettings.objects.filter(organisation=org).update(fiscal_year_start_month=7)
    football = CostCentre.objects.create(organisation=org, code="FB", name="Fotboll")
    floorball = CostCentre.objects.create(organisation=org, code="IB", name="Innebandy")
    grant = Project.objects.create(organisation=org, code="P2025", name="Kommunbidrag")
    ada = PersonFactory(organisation=org)
    rent = Account.objects.get(organisation=org, number="5010")
    # 2023/24: a surplus of 100.00
    post(org, D(2023, 9, 1), "Avgifter 2023", Line("bank", 10000), Line("membership_fees", -10000))
    # 2024/25: fees 300.00, rent 120.00, a surplus of 180.00
    post(
        org,
        D(2024, 8, 1),
        "Medlemsavgift Ada",
        Line("receivables", 30000, person_id=ada.pk),
        Line("membership_fees", -30000, cost_centre=football),
        series="F",
    )
    post(org, D(2025, 6, 30), "Hyra juni", Line(rent, 12000, project=grant), Line("bank", -12000))
    # 2025/26, the year exported
    post(
        org,
        D(2025, 7, 1),
        "Betalning Ada",
        Line("bank", 30000),
        Line("receivables", -30000, person_id=ada.pk),
        series="B",
    )
    fee = post(
        org,
        D(2025, 9, 15),
        "Medlemsavgift Bo",
        Line("receivables", 25000),
        Line("membership_fees", -20000, cost_centre=floorball),
        Line("membership_fees", -5000, cost_centre=football, project=grant),
        series="F",
    )
    services.reverse(fee, booked_on=D(2025, 10, 1), text="Kreditering Bo", actor=ACTOR)
    post(org, D(2026, 1, 10), "Hyra januari", Line(rent, 15000), Line("cash", -15000))
    post(org, D(2026, 6, 30), "Bankavgift", Line("bank_fees", 9900), Line("bank", -9900))
    # 2026/27: after the year exported
    post(org, D(2026, 7, 1), "Nästa år", Line("bank", 777), Line("membership_fees", -777))
    return {"org": org, "football": football, "grant": grant}


def export(org, path: Path, year: str = "2025") -> str:
    out = io.StringIO()
    call_command("export-sie", "--org", org.slug, "--year", year, "-o", str(path), stdout=out)
    return out.getvalue()


def balances(sie: SieFile, label: str) -> dict[tuple[int, str], int]:
    found: Counter[tuple[int, str]] = Counter()
    for record in sie.all(label):
        year, account, amount = record.text(0), record.text(1), record.text(2)
        found[(int(year), account)] += round(float(amount) * 100)
    return dict(found)


def year_movements(org, kinds: str) -> dict[str, int]:
    """The year's lines per account, summed from the database, for the given account kinds."""
    moved: Counter[str] = Counter()
    for number, kind, amount in VoucherLine.objects.filter(
        organisation=org, voucher__booked_on__range=YEAR_0
    ).values_list("account__number", "account__kind", "amount"):
        if kind in kinds:
            moved[number] += amount
    return {number: amount for number, amount in moved.items() if amount}


# --- export-sie ----------------------------------------------------------------------------


def test_export_writes_the_years_vouchers_chart_and_dimensions(books, tmp_path):
    org = books["org"]
    path = tmp_path / "books.se"

    output = export(org, path)

    assert output == f"Wrote 5 vouchers of 2025/26 to {path}.\n"
    sie = read_sie(path.read_bytes())
    assert sie.encoding == "cp437"
    assert sie.checksum is not None
    assert sie.company_name == "IK Test"
    assert sie.first("#ORGNR").fields == ("802004-2514",)  # type: ignore[union-attr]
    assert [r.fields for r in sie.all("#RAR")] == [
        ("0", "20250701", "20260630"),
        ("-1", "20240701", "20250630"),
    ]
    chart = Account.objects.filter(organisation=org)
    assert sie.accounts == dict(chart.values_list("number", "name"))
    assert {r.fields for r in sie.all("#KTYP")} == set(chart.values_list("number", "kind"))
    assert [r.fields[0] for r in sie.all("#DIM")] == ["1", "6"]
    assert [r.fields for r in sie.all("#OBJEKT")] == [
        ("1", "FB", "Fotboll"),
        ("1", "IB", "Innebandy"),
        ("6", "P2025", "Kommunbidrag"),
    ]
    today = timezone.localdate()
    assert [(v.series, v.number, v.booked_on, v.text, v.registered_on) for v in sie.vouchers] == [
        ("A", 1, D(2026, 1, 10), "Hyra januari", today),
        ("A", 2, D(2026, 6, 30), "Bankavgift", today),
        ("B", 1, D(2025, 7, 1), "Betalning Ada", today),
        ("F", 1, D(2025, 9, 15), "Medlemsavgift Bo", today),
        ("F", 2, D(2025, 10, 1), "Kreditering Bo", today),
    ]
    fee = sie.vouchers[3]
    assert [(line.account, line.amount, line.objects) for line in fee.lines] == [
        ("1510", 25000, ()),
        ("3010", -20000, ((1, "IB"),)),
        ("3010", -5000, ((1, "FB"), (6, "P2025"))),
    ]
    assert sie.unbalanced_vouchers() == []
    assert AuditEvent.objects.filter(action="ledger.sie.exported", organisation=org).count() == 1


def test_opening_balances_are_last_years_closing_plus_its_result_carried_forward(books, tmp_path):
    path = tmp_path / "books.se"
    export(books["org"], path)

    sie = read_sie(path.read_bytes())
    opening, closing = balances(sie, "#IB"), balances(sie, "#UB")
    results = balances(sie, "#RES")

    result_1 = sum(amount for (year, _), amount in results.items() if year == -1)
    assert result_1 == -30000 + 12000  # 2024/25: a surplus of 180.00
    accounts = {account for _, account in opening | closing}
    for account in accounts:
        carried = result_1 if account == "2068" else 0
        assert opening.get((0, account), 0) == closing.get((-1, account), 0) + carried, account
    # 2068 holds the surpluses of 2023/24 (100.00) and, from the year exported, 2024/25.
    assert closing[(-1, "2068")] == -10000
    assert opening[(0, "2068")] == -10000 - 18000
    assert opening[(0, "1930")] == 10000 - 12000
    assert sum(amount for (year, _), amount in opening.items() if year == 0) == 0


def test_closing_minus_opening_balances_are_the_years_movements(books, tmp_path):
    org = books["org"]
    path = tmp_path / "books.se"
    export(org, path)

    sie = read_sie(path.read_bytes())
    opening, closing = balances(sie, "#IB"), balances(sie, "#UB")
    results = balances(sie, "#RES")

    accounts = {account for year, account in opening | closing if year == 0}
    moved = {a: closing.get((0, a), 0) - opening.get((0, a), 0) for a in accounts}
    assert {a: amount for a, amount in moved.items() if amount} == year_movements(org, "TS")
    assert {a: amount for (y, a), amount in results.items() if y == 0} == year_movements(org, "IK")
    # From the vouchers in the file too; the voucher of 2026/27 is not in the balances.
    in_file: Counter[str] = Counter()
    for voucher in sie.vouchers:
        for line in voucher.lines:
            in_file[line.account] += line.amount
    assert {a: amount for a, amount in in_file.items() if amount} == year_movements(org, "TSIK")
    # The year's result is #RES, not in the closing balances: together they sum to zero.
    year_0_closing = sum(amount for (year, _), amount in closing.items() if year == 0)
    assert year_0_closing + sum(a for (y, _), a in results.items() if y == 0) == 0


def test_pysie_accounting_reads_the_export(books, tmp_path):
    """A SIE reader we did not write (see test_sie.py). It reports balances only for accounts
    with an #SRU code, which our chart does not have, so its copy of the file gets them."""
    from pysie_accounting.pysie import PySIE

    path = tmp_path / "books.se"
    export(books["org"], path)
    data = path.read_bytes()
    ours = read_sie(data)
    for_pysie = tmp_path / "with-sru.se"
    for_pysie.write_bytes(re.sub(rb"(#KTYP (\d+) [TSKI]\n)", rb"\1#SRU \2 7000\n", data))
    sru_table = tmp_path / "sru.csv"
    sru_table.write_text("SRU,Ink2\n7000,1.1\n")

    reader = PySIE()
    reader.sie_encoding = "cp437"
    reader.open_trans(str(sru_table))
    reader.open(str(for_pysie))

    assert reader.fnamn == "IK Test"
    assert [tuple(row) for row in reader.dfrar[["Year", "Start"]].itertuples(index=False)] == [
        ("0", 20250701),
        ("-1", 20240701),
    ]
    # It keys vouchers by number alone, so of each number the last series read is kept.
    expected = {
        str(v.number): (
            f"{v.booked_on:%Y%m%d}",
            v.text,
            f"{v.registered_on:%Y%m%d}",
            [
                (
                    line.account,
                    " ".join(f'"{dim}" "{code}"' for dim, code in line.objects),
                    format_amount(line.amount),
                )
                for line in v.lines
            ],
        )
        for v in ours.vouchers
    }
    assert reader.verifikat == expected
    for label, frame in (("#IB", reader.dfib), ("#UB", reader.dfub), ("#RES", reader.dfres)):
        theirs = {
            (int(row.Year), str(row.Konto)): round(row.Balance * 100) for row in frame.itertuples()
        }
        assert theirs == balances(ours, label), label


def test_a_year_without_vouchers_is_refused_and_leaves_no_file(books, tmp_path):
    org = books["org"]
    FiscalYear.objects.create(organisation=org, starts_on=D(2027, 7, 1), ends_on=D(2028, 6, 30))
    path = tmp_path / "books.se"

    with pytest.raises(CommandError, match="There are no vouchers in the fiscal year 2027/28"):
        export(org, path, "2027")
    with pytest.raises(CommandError, match="ik-test has no fiscal year starting in 2030"):
        export(org, path, "2030")

    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_leaves_an_existing_file_alone(books, tmp_path):
    org = books["org"]
    path = tmp_path / "books.se"
    path.write_bytes(b"last year's file")
    FiscalYear.objects.create(organisation=org, starts_on=D(2027, 7, 1), ends_on=D(2028, 6, 30))

    with pytest.raises(CommandError, match="no vouchers"):
        export(org, path, "2027")

    assert path.read_bytes() == b"last year's file"
    assert list(tmp_path.iterdir()) == [path]


def test_data_sie_cannot_hold_gives_a_message_and_no_half_written_file(books, tmp_path):
    org = books["org"]
    Account.objects.filter(organisation=org, number="1930").update(number="19A0")
    path = tmp_path / "books.se"

    with pytest.raises(CommandError, match="cannot be written as a SIE file.*not numeric"):
        export(org, path)

    assert list(tmp_path.iterdir()) == []


def test_bad_arguments_give_a_message(books, tmp_path):
    org = books["org"]
    with pytest.raises(CommandError, match="no organisation has the short name 'nobody'"):
        call_command("export-sie", "--org", "nobody", "--year", "2025", "-o", "x.se")
    with pytest.raises(CommandError, match="neither YYYY nor YYYY-MM-DD"):
        export(org, tmp_path / "books.se", "2025-13-01")
    with pytest.raises(CommandError, match="Cannot write"):
        export(org, tmp_path / "missing" / "books.se")
    assert list(tmp_path.iterdir()) == []


def test_two_years_starting_in_one_calendar_year_are_told_apart_by_their_first_day(org, tmp_path):
    post(org, D(2024, 5, 1), "Kalenderår", Line("bank", 50), Line("membership_fees", -50))
    LedgerSettings.objects.filter(organisation=org).update(fiscal_year_start_month=7)
    post(org, D(2025, 3, 1), "Kort år", Line("bank", 100), Line("membership_fees", -100))
    post(org, D(2025, 8, 1), "Helt år", Line("bank", 200), Line("membership_fees", -200))
    path = tmp_path / "books.se"

    with pytest.raises(CommandError, match="--year 2025-01-01, 2025-07-01"):
        export(org, path, "2025")
    export(org, path, "2025-07-01")

    sie = read_sie(path.read_bytes())
    assert [r.fields for r in sie.all("#RAR")] == [
        ("0", "20250701", "20260630"),
        ("-1", "20250101", "20250630"),
    ]
    assert [v.text for v in sie.vouchers] == ["Helt år"]
    assert balances(sie, "#IB")[(0, "2068")] == -150
    assert balances(sie, "#UB")[(-1, "2068")] == -50


@pytest.mark.django_db(transaction=True)
def test_export_outside_a_transaction_reads_one_snapshot(tmp_path):
    """Outside the test's transaction the command opens its own (REPEATABLE READ on
    PostgreSQL); the server-side cursor over the vouchers works inside it."""
    org = OrganisationFactory(slug="ik-snapshot")
    with scope(organisation=org.pk):
        for day in (D(2025, 1, 2), D(2025, 2, 3)):
            post(org, day, "Avgift", Line("bank", 100), Line("membership_fees", -100))
    path = tmp_path / "books.se"

    assert export(org, path) == f"Wrote 2 vouchers of 2025 to {path}.\n"
    assert len(read_sie(path.read_bytes()).vouchers) == 2


# --- check-ledger --------------------------------------------------------------------------


def check(org) -> str:
    out = io.StringIO()
    call_command("check-ledger", "--org", org.slug, stdout=out)
    return out.getvalue()


def test_check_ledger_passes_on_books_kept_by_the_services(books):
    output = check(books["org"])

    assert re.search(r"^All \d+ checks hold for ik-test\.$", output, re.MULTILINE)
    assert "FAIL" not in output
    assert "ok    every voucher balances" in output
    assert "ok    voucher numbers have no gaps and no duplicates" in output


def voucher(org, series: str, number: int, start: dt.date = YEAR_0[0]) -> Voucher:
    return Voucher.objects.get(
        organisation=org, series=series, number=number, fiscal_year__starts_on=start
    )


def execute(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def change_an_amount(org, other) -> str:
    line = voucher(org, "A", 1).lines.first()
    execute("UPDATE ledger_voucherline SET amount = amount + 1 WHERE id = %s", line.pk)
    return "every voucher balances\n      voucher A1 (2025) is off by 1 minor units"


def add_a_stray_line(org, other) -> str:
    VoucherLine.objects.bulk_create(
        [
            VoucherLine(
                organisation=org,
                voucher=voucher(org, "F", 2),
                account=Account.objects.get(organisation=org, number="1930"),
                amount=-250,
            )
        ]
    )
    return "voucher F2 (2025) is off by -250 minor units"


def add_a_zero_line(org, other) -> str:
    target = voucher(org, "B", 1)
    VoucherLine.objects.bulk_create(
        [
            VoucherLine(
                organisation=org, voucher=target, account=target.lines.first().account, amount=0
            )
        ]
    )
    return "of voucher B1 is zero"


def renumber_a_voucher(org, other) -> str:
    execute("UPDATE ledger_voucher SET number = 5 WHERE id = %s", voucher(org, "A", 2).pk)
    return "series A of the year from 2025-07-01 has gaps: 2 vouchers numbered 1–5"


def add_a_voucher_without_lines(org, other) -> str:
    Voucher.objects.create(
        organisation=org,
        fiscal_year=voucher(org, "A", 1).fiscal_year,
        series="A",
        number=3,
        booked_on=D(2026, 2, 1),
        text="Tom",
        source="manual",
    )
    return "voucher A3 (2025) has no lines"


def move_a_voucher_out_of_its_year(org, other) -> str:
    execute(
        "UPDATE ledger_voucher SET booked_on = %s WHERE id = %s",
        D(2026, 7, 2),
        voucher(org, "A", 2).pk,
    )
    return "voucher A2 is dated 2026-07-02, outside its fiscal year from 2025-07-01"


def add_an_overlapping_year(org, other) -> str:
    FiscalYear.objects.create(organisation=org, starts_on=D(2026, 6, 1), ends_on=D(2026, 6, 30))
    return "the year 2025-07-01–2026-06-30 overlaps the year from 2026-06-01"


def book_on_another_associations_account(org, other) -> str:
    with scope(organisation=other.pk):
        services.ensure_chart(other)
        foreign = Account.objects.get(organisation=other, number="1930")
    target = voucher(org, "A", 1)
    VoucherLine.objects.bulk_create(
        [
            VoucherLine(organisation=org, voucher=target, account=foreign, amount=100),
            VoucherLine(organisation=org, voucher=target, account=foreign, amount=-100),
        ]
    )
    return "belongs to another association's account"


def reverse_a_voucher_twice(org, other) -> str:
    reversal = voucher(org, "F", 2)
    execute(
        "UPDATE ledger_voucher SET reverses_id = %s WHERE id = %s",
        reversal.reverses_id,
        voucher(org, "A", 1).pk,
    )
    return "voucher F1 (2025) is reversed 2 times"


BREAKAGES = [
    change_an_amount,
    add_a_stray_line,
    add_a_zero_line,
    renumber_a_voucher,
    add_a_voucher_without_lines,
    move_a_voucher_out_of_its_year,
    add_an_overlapping_year,
    book_on_another_associations_account,
    reverse_a_voucher_twice,
]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.__name__ for b in BREAKAGES])
def test_check_ledger_lists_what_is_broken_and_fails(books, breakage):
    org = books["org"]
    other = OrganisationFactory(slug="andra-if")
    problem = breakage(org, other)
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"^[12] violation\(s\) in ik-test\.$") as failed:
        call_command("check-ledger", "--org", org.slug, stdout=out)

    assert failed.value.returncode == 1
    output = out.getvalue()
    assert problem in output
    assert output.count("FAIL  ") == 1
    assert "checks hold" not in output


def test_check_ledger_exits_non_zero_from_the_command_line(books, capsys, monkeypatch):
    org = books["org"]
    # run_from_argv closes every connection when it ends; the test's transaction needs its own.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    # Without the system checks, which pytest-django's template settings upset.
    command = ["forening", "check-ledger", "--org", org.slug, "--skip-checks"]
    execute_from_command_line(command)  # no SystemExit: status 0
    assert "All " in capsys.readouterr().out
    renumber_a_voucher(org, None)
    change_an_amount(org, None)

    with pytest.raises(SystemExit) as exited:
        execute_from_command_line(command)

    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "FAIL  every voucher balances" in captured.out
    assert "FAIL  voucher numbers have no gaps and no duplicates" in captured.out
    assert "2 violation(s) in ik-test." in captured.err


def test_check_ledger_needs_a_known_organisation(db):
    with pytest.raises(CommandError, match="no organisation has the short name 'nobody'"):
        call_command("check-ledger", "--org", "nobody")
