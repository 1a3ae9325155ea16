"""The journal's write path (ledger/services.py, ACC-01): the chart, fiscal years, posting,
reversing and balances, and the append-only guard of the models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_scopes import scope

from forening.core import sequences
from forening.core.context import Actor
from forening.ledger import checks, services
from forening.ledger.chart import REQUIRED_ROLES, chart_for
from forening.ledger.models import (
    Account,
    AccountingMethod,
    CostCentre,
    FiscalYear,
    LedgerSettings,
    Project,
    Series,
    Voucher,
    VoucherLine,
    VoucherSource,
)
from forening.ledger.services import Entry, LedgerError, Line
from tests.factories.core import OrganisationFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system("test")
D = dt.date


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English (the msgids)."""
    with translation.override("en"):
        yield


@pytest.fixture
def roles(org) -> dict[str, Account]:
    return services.accounts_by_role(org)


def fee(day: dt.date, amount: int = 30000, *, series: str = Series.GENERAL, **kw: Any) -> Entry:
    return Entry(
        day,
        kw.pop("text", "Medlemsavgift"),
        [Line("bank", amount), Line("membership_fees", -amount)],
        series=series,
        **kw,
    )


def numbers(org) -> list[tuple[int, str, int]]:
    return list(
        Voucher.objects.filter(organisation=org)
        .order_by("fiscal_year__starts_on", "series", "number")
        .values_list("fiscal_year__starts_on__year", "series", "number")
    )


def set_start_month(org, month: int) -> None:
    LedgerSettings.objects.filter(organisation=org).update(fiscal_year_start_month=month)


def years(org) -> list[tuple[dt.date, dt.date]]:
    return list(
        FiscalYear.objects.filter(organisation=org)
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    )


def nothing_stored(org) -> bool:
    return not (
        Voucher.objects.filter(organisation=org).exists()
        or VoucherLine.objects.filter(organisation=org).exists()
        or FiscalYear.objects.filter(organisation=org).exists()
    )


# --- chart of accounts and settings -----------------------------------------------------


def test_ensure_chart_seeds_the_swedish_chart_once(org):
    assert services.ensure_chart(org) == len(chart_for("SE"))
    assert services.ensure_chart(org) == 0

    accounts = Account.objects.filter(organisation=org)
    assert accounts.count() == len(chart_for("SE"))
    assert accounts.get(number="1930").name == "Företagskonto"
    assert accounts.get(number="1930").kind == "T"
    settings = LedgerSettings.objects.get(organisation=org)
    assert settings.fiscal_year_start_month == 1
    assert settings.accounting_method == AccountingMethod.INVOICE


def test_a_danish_association_gets_danish_names(db):
    danish = OrganisationFactory(slug="dansk-if", country="DK", currency="DKK")
    with scope(organisation=danish.pk):
        services.ensure_chart(danish)
        names = dict(Account.objects.filter(organisation=danish).values_list("number", "name"))
    assert names["3010"] == "Kontingenter"
    assert names["1689"] == "Tilgodehavende hos MobilePay"
    assert len(names) == len(chart_for("DK"))


def test_accounts_by_role_gives_every_required_role_and_follows_renumbering(org, roles):
    assert set(roles) == REQUIRED_ROLES["SE"]
    assert roles["bank"].number == "1930"

    Account.objects.filter(pk=roles["bank"].pk).update(number="1931")

    assert services.accounts_by_role(org)["bank"].number == "1931"


# --- fiscal years --------------------------------------------------------------------------


def test_the_fiscal_year_is_the_calendar_year_by_default(org):
    year = services.fiscal_year_for(org, D(2025, 3, 15))

    assert (year.starts_on, year.ends_on) == (D(2025, 1, 1), D(2025, 12, 31))
    assert str(year) == "2025"
    assert services.fiscal_year_for(org, D(2025, 12, 31)).pk == year.pk
    assert FiscalYear.objects.filter(organisation=org).count() == 1


@pytest.mark.parametrize(
    ("day", "starts", "ends"),
    [
        (D(2025, 6, 30), D(2024, 7, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2025, 7, 1), D(2026, 6, 30)),
        (D(2026, 1, 31), D(2025, 7, 1), D(2026, 6, 30)),
    ],
)
def test_a_year_starting_in_july_runs_from_1_july_to_30_june(org, day, starts, ends):
    services.ensure_chart(org)
    set_start_month(org, 7)

    year = services.fiscal_year_for(org, day)

    assert (year.starts_on, year.ends_on) == (starts, ends)
    assert year.contains(day)
    assert str(year) == f"{starts.year}/{ends.year % 100:02d}"


def test_a_year_starting_in_march_ends_on_the_last_day_of_february(org):
    services.ensure_chart(org)
    set_start_month(org, 3)

    assert services.year_bounds(org, D(2024, 2, 29)) == (D(2023, 3, 1), D(2024, 2, 29))
    assert services.year_bounds(org, D(2024, 3, 1)) == (D(2024, 3, 1), D(2025, 2, 28))


def test_moving_the_start_to_july_makes_a_short_year_not_an_overlap(org):
    services.post(org, fee(D(2024, 5, 1)), actor=ACTOR)
    set_start_month(org, 7)

    services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    services.post(org, fee(D(2025, 9, 1)), actor=ACTOR)
    # A year is still found by the date, whichever month starts years now.
    services.post(org, fee(D(2024, 12, 31)), actor=ACTOR)

    assert years(org) == [
        (D(2024, 1, 1), D(2024, 12, 31)),
        (D(2025, 1, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2026, 6, 30)),
    ]
    assert checks.years_do_not_overlap(org) == []
    assert checks.vouchers_in_their_year(org) == []


def test_moving_the_start_back_to_january_fits_years_between_existing_ones(org):
    services.ensure_chart(org)
    set_start_month(org, 7)
    services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)  # 2024-07-01 … 2025-06-30
    set_start_month(org, 1)

    services.post(org, fee(D(2025, 8, 1)), actor=ACTOR)
    services.post(org, fee(D(2026, 2, 1)), actor=ACTOR)
    services.post(org, fee(D(2024, 3, 1)), actor=ACTOR)

    assert years(org) == [
        (D(2024, 1, 1), D(2024, 6, 30)),
        (D(2024, 7, 1), D(2025, 6, 30)),
        (D(2025, 7, 1), D(2025, 12, 31)),
        (D(2026, 1, 1), D(2026, 12, 31)),
    ]
    assert checks.years_do_not_overlap(org) == []


def test_the_overlap_check_sees_a_year_inside_a_longer_one(org):
    for starts, ends in [
        (D(2024, 1, 1), D(2024, 12, 31)),
        (D(2025, 1, 1), D(2025, 12, 31)),
        (D(2025, 3, 1), D(2025, 4, 30)),
        (D(2025, 6, 1), D(2025, 8, 31)),
        (D(2026, 1, 1), D(2026, 6, 30)),
    ]:
        FiscalYear.objects.create(organisation=org, starts_on=starts, ends_on=ends)

    assert checks.years_do_not_overlap(org) == [
        "the year 2025-01-01–2025-12-31 overlaps the year from 2025-03-01",
        "the year 2025-01-01–2025-12-31 overlaps the year from 2025-06-01",
    ]


# --- posting -------------------------------------------------------------------------------


def test_post_books_a_balanced_voucher_with_its_lines(org, roles):
    user = UserFactory(email="kassor@example.se")
    person = PersonFactory(organisation=org)
    section = CostCentre.objects.create(organisation=org, code="FB", name="Fotboll")
    grant = Project.objects.create(organisation=org, code="P1", name="Kommunbidrag")
    rent = Account.objects.get(organisation=org, number="5010")

    voucher = services.post(
        org,
        Entry(
            D(2025, 2, 3),
            "  Hyra och avgift  ",
            [
                Line("receivables", 45000, person_id=person.pk, text="Faktura 7"),
                Line("membership_fees", -45000, cost_centre=section),
                Line(rent, 12345, cost_centre=section, project=grant),
                Line(roles["bank"], -12345),
            ],
            source=VoucherSource.INVOICE,
            series=Series.INVOICES,
            reference="F-7",
        ),
        actor=Actor(user=user, label=user.email),
    )

    voucher = Voucher.objects.get(pk=voucher.pk)
    assert (voucher.series, voucher.number, voucher.booked_on) == ("F", 1, D(2025, 2, 3))
    assert (voucher.text, voucher.source, voucher.reference) == (
        "Hyra och avgift",
        "invoice",
        "F-7",
    )
    assert (voucher.created_by, voucher.created_by_label) == (user, "kassor@example.se")
    assert voucher.fiscal_year.starts_on == D(2025, 1, 1)
    assert voucher.reverses is None
    assert list(
        voucher.lines.values_list(
            "account__number", "amount", "cost_centre__code", "project__code", "person", "text"
        )
    ) == [
        ("1510", 45000, None, None, person.pk, "Faktura 7"),
        ("3010", -45000, "FB", None, None, ""),
        ("5010", 12345, "FB", "P1", None, ""),
        ("1930", -12345, None, None, None, ""),
    ]


def test_numbers_are_gap_free_per_series_and_fiscal_year(org):
    for day, series in [
        (D(2025, 1, 5), "A"),
        (D(2025, 1, 6), "A"),
        (D(2025, 1, 7), "F"),
        (D(2025, 12, 31), "A"),
        (D(2026, 1, 1), "A"),
        (D(2025, 6, 1), "B"),
    ]:
        services.post(org, fee(day, series=series), actor=ACTOR)

    assert numbers(org) == [
        (2025, "A", 1),
        (2025, "A", 2),
        (2025, "A", 3),
        (2025, "B", 1),
        (2025, "F", 1),
        (2026, "A", 1),
    ]


def test_post_many_numbers_each_series_in_date_order_and_keeps_the_entry_order(org):
    entries = [
        fee(D(2025, 3, 3), text="third"),
        fee(D(2025, 3, 1), text="first"),
        fee(D(2025, 3, 2), series="F", text="only F"),
        fee(D(2025, 3, 2), text="second"),
    ]

    vouchers = services.post_many(org, entries, actor=ACTOR)

    assert [(v.text, v.series, v.number) for v in vouchers] == [
        ("third", "A", 3),
        ("first", "A", 1),
        ("only F", "F", 1),
        ("second", "A", 2),
    ]
    assert [e.voucher for e in entries] == vouchers
    assert all(v.pk for v in vouchers)


def test_post_many_of_nothing_posts_nothing(org):
    with CaptureQueriesContext(connection) as queries:
        assert services.post_many(org, [], actor=ACTOR) == []

    assert [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]] == []


def test_post_many_posts_nothing_when_one_entry_is_wrong(org):
    entries = [
        fee(D(2025, 3, 1)),
        fee(D(2026, 3, 1), series="F"),
        Entry(D(2025, 3, 2), "Fel", [Line("bank", 100), Line("membership_fees", -99)]),
    ]

    with pytest.raises(LedgerError, match="differ by 0.01"):
        services.post_many(org, entries, actor=ACTOR)

    assert nothing_stored(org)
    assert [e.voucher for e in entries] == [None, None, None]
    services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    assert numbers(org) == [(2025, "A", 1)]


def test_a_voucher_in_a_closed_year_rolls_back_the_whole_batch(org):
    services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    FiscalYear.objects.filter(organisation=org).update(closed_at=timezone.now())

    with pytest.raises(LedgerError, match="The fiscal year 2025 is closed"):
        services.post_many(org, [fee(D(2026, 1, 2)), fee(D(2025, 12, 1))], actor=ACTOR)

    assert numbers(org) == [(2025, "A", 1)]
    assert years(org) == [(D(2025, 1, 1), D(2025, 12, 31))]
    assert sequences.peek(org, "voucher:20260101:A") == 0
    services.post(org, fee(D(2026, 1, 2)), actor=ACTOR)
    assert numbers(org) == [(2025, "A", 1), (2026, "A", 1)]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([Line("bank", 100), Line("membership_fees", -99)], "differ by 0.01"),
        ([Line("bank", 100), Line("membership_fees", -10100)], "differ by 100.00"),
        ([Line("bank", 100.0), Line("membership_fees", -100.0)], "whole numbers"),  # type: ignore[arg-type]
        ([Line("bank", Decimal(1)), Line("membership_fees", Decimal(-1))], "whole numbers"),  # type: ignore[arg-type]
        ([Line("bank", "100"), Line("membership_fees", "-100")], "whole numbers"),  # type: ignore[arg-type]
        # True would count as 1 and balance the -1.
        ([Line("bank", True), Line("membership_fees", -1)], "whole numbers"),
        ([Line("bank", 0), Line("bank", 100), Line("membership_fees", -100)], "cannot be zero"),
        ([Line("bank", 10**15), Line("membership_fees", -(10**15))], "too large"),
        ([Line("bank", 100)], "at least two lines"),
        ([], "at least two lines"),
        ([Line("nonexistent_role", 100), Line("bank", -100)], "No account is set up"),
    ],
)
def test_bad_lines_are_refused_and_leave_nothing_behind(org, lines, message):
    with pytest.raises(LedgerError, match=message):
        services.post(org, Entry(D(2025, 3, 1), "Avgift", lines), actor=ACTOR)

    assert nothing_stored(org)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": "   "}, "Give the voucher a text"),
        ({"series": "Z"}, "Unknown voucher series"),
        ({"series": ""}, "Unknown voucher series"),
        ({"source": "magic"}, "Unknown voucher source"),
    ],
)
def test_bad_vouchers_are_refused(org, changes, message):
    entry = fee(D(2025, 3, 1), **{k: v for k, v in changes.items() if k == "text"})
    for name in ("series", "source"):
        if name in changes:
            setattr(entry, name, changes[name])

    with pytest.raises(LedgerError, match=message):
        services.post(org, entry, actor=ACTOR)

    assert nothing_stored(org)


@pytest.fixture
def other_org(db):
    other = OrganisationFactory(slug="andra-if", name="Andra IF")
    with scope(organisation=other.pk):
        services.ensure_chart(other)
    return other


@pytest.mark.parametrize("what", ["account", "cost_centre", "project", "person"])
def test_lines_for_another_associations_records_are_refused(org, other_org, what):
    with scope(organisation=other_org.pk):
        foreign = {
            "account": Account.objects.get(organisation=other_org, number="1930"),
            "cost_centre": CostCentre.objects.create(organisation=other_org, code="FB", name="F"),
            "project": Project.objects.create(organisation=other_org, code="P1", name="P"),
            "person": PersonFactory(organisation=other_org),
        }[what]
    line = {
        "account": Line(foreign, 100),
        "cost_centre": Line("bank", 100, cost_centre=foreign),
        "project": Line("bank", 100, project=foreign),
        "person": Line("receivables", 100, person_id=foreign.pk),
    }[what]

    with pytest.raises(LedgerError, match="of this association"):
        services.post(
            org,
            Entry(D(2025, 3, 1), "Avgift", [line, Line("membership_fees", -100)]),
            actor=ACTOR,
        )

    assert nothing_stored(org)


def test_a_voucher_of_another_association_cannot_be_reversed(org, other_org):
    with scope(organisation=other_org.pk):
        foreign = services.post(other_org, fee(D(2025, 3, 1)), actor=ACTOR)

    with pytest.raises(LedgerError, match="voucher of this association"):
        services.post(org, fee(D(2025, 3, 2), reverses=foreign), actor=ACTOR)

    assert nothing_stored(org)


def test_posting_is_set_wise_the_queries_do_not_grow_with_the_entries(org):
    person = PersonFactory(organisation=org)

    def batch(count: int) -> list[Entry]:
        return [
            Entry(
                D(2025 + n % 2, 1 + n % 12, 1 + n % 28),
                f"Avgift {n}",
                [Line("receivables", 100 + n, person_id=person.pk), Line("bank", -100 - n)],
                series="ABF"[n % 3],
            )
            for n in range(count)
        ]

    services.post_many(org, batch(6), actor=ACTOR)  # the chart, years and counters exist
    with CaptureQueriesContext(connection) as few:
        services.post_many(org, batch(12), actor=ACTOR)
    with CaptureQueriesContext(connection) as many:
        services.post_many(org, batch(600), actor=ACTOR)

    # SQLite: inserts come in batches (of 2,000 rows or fewer: it caps query parameters).
    # PostgreSQL: the keys from the table's sequence, then COPY (not a captured query).
    def reads_and_updates(queries: CaptureQueriesContext) -> list[str]:
        return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("INSERT")]

    assert len(reads_and_updates(many)) == len(reads_and_updates(few)) <= 30
    if connection.vendor == "postgresql":
        assert len(many.captured_queries) == len(few.captured_queries)
        assert not any(q["sql"].startswith("INSERT") for q in many.captured_queries)
    assert checks.voucher_numbers(org) == []


# --- reversing -----------------------------------------------------------------------------


def test_reverse_posts_the_negated_lines_and_brings_the_balances_back(org, roles):
    person = PersonFactory(organisation=org)
    section = CostCentre.objects.create(organisation=org, code="FB", name="Fotboll")
    original = services.post(
        org,
        Entry(
            D(2025, 3, 1),
            "Faktura 12",
            [
                Line("receivables", 30000, person_id=person.pk, text="Ada"),
                Line("membership_fees", -30000, cost_centre=section),
            ],
            series="F",
            source=VoucherSource.INVOICE,
            reference="12",
        ),
        actor=ACTOR,
    )

    reversal = services.reverse(
        original, booked_on=D(2025, 3, 5), text="Kreditering av faktura 12", actor=ACTOR
    )

    reversal = Voucher.objects.get(pk=reversal.pk)
    assert (reversal.series, reversal.number, reversal.reverses) == ("F", 2, original)
    assert (reversal.source, reversal.reference) == ("invoice", "12")
    assert list(
        reversal.lines.values_list("account__number", "amount", "cost_centre", "person", "text")
    ) == [("1510", -30000, None, person.pk, "Ada"), ("3010", 30000, section.pk, None, "")]
    receivables = [roles["receivables"]]
    assert services.balance(org, receivables) == 0
    assert services.balance(org, receivables, until=D(2025, 3, 4)) == 30000
    assert services.balance(org, receivables, person_id=person.pk, until=D(2025, 3, 4)) == 30000


def test_a_reversal_in_the_next_year_is_numbered_in_that_year(org):
    original = services.post(org, fee(D(2025, 12, 30)), actor=ACTOR)

    reversal = services.reverse(
        original,
        booked_on=D(2026, 1, 2),
        text="Rättelse",
        actor=ACTOR,
        source=VoucherSource.CORRECTION,
    )

    assert (reversal.fiscal_year.starts_on, reversal.number, reversal.source) == (
        D(2026, 1, 1),
        1,
        "correction",
    )


def test_a_voucher_is_reversed_only_once(org):
    original = services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    services.reverse(original, booked_on=D(2025, 3, 2), text="Ångrad", actor=ACTOR)

    with pytest.raises(LedgerError, match="A1 has already been reversed"):
        services.reverse(original, booked_on=D(2025, 3, 3), text="Igen", actor=ACTOR)
    # Not by hand either.
    with pytest.raises(LedgerError, match="already been reversed"):
        services.post(org, fee(D(2025, 3, 3), -30000, reverses=original), actor=ACTOR)

    assert numbers(org) == [(2025, "A", 1), (2025, "A", 2)]


def test_one_batch_cannot_reverse_a_voucher_twice(org):
    original = services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)

    with pytest.raises(LedgerError, match="already been reversed"):
        services.post_many(
            org,
            [fee(D(2025, 3, 2), -30000, reverses=original) for _ in range(2)],
            actor=ACTOR,
        )

    assert numbers(org) == [(2025, "A", 1)]


def test_a_closed_year_refuses_a_reversal_dated_in_it(org):
    original = services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    FiscalYear.objects.filter(organisation=org).update(closed_at=timezone.now())

    with pytest.raises(LedgerError, match="is closed"):
        services.reverse(original, booked_on=D(2025, 3, 2), text="Ångrad", actor=ACTOR)
    reversal = services.reverse(original, booked_on=D(2026, 1, 1), text="Ångrad", actor=ACTOR)

    assert reversal.reverses == original


# --- balances ------------------------------------------------------------------------------


def test_balance_sums_lines_by_account_person_and_date(org, roles):
    ada, bo = PersonFactory(organisation=org), PersonFactory(organisation=org)
    for day, person, amount in [
        (D(2025, 1, 10), ada, 30000),
        (D(2025, 2, 10), bo, 20000),
        (D(2025, 3, 10), ada, -10000),
    ]:
        services.post(
            org,
            Entry(
                day,
                "Avgift",
                [Line("receivables", amount, person_id=person.pk), Line("bank", -amount)],
            ),
            actor=ACTOR,
        )

    receivables, bank = roles["receivables"], roles["bank"]
    assert services.balance(org, [receivables]) == 40000
    assert services.balance(org, [receivables, bank]) == 0
    assert services.balance(org, [receivables], person_id=ada.pk) == 20000
    assert services.balance(org, [receivables], person_id=ada.pk, until=D(2025, 3, 9)) == 30000
    assert services.balance(org, [receivables], until=D(2025, 1, 9)) == 0
    assert services.balance(org, []) == 0


# --- append-only ---------------------------------------------------------------------------


def test_vouchers_and_lines_cannot_be_changed_or_deleted(org):
    voucher = services.post(org, fee(D(2025, 3, 1)), actor=ACTOR)
    line = VoucherLine.objects.filter(voucher=voucher).first()
    assert line is not None

    voucher.text = "Ändrad"
    line.amount = 1
    attempts = [
        voucher.save,
        voucher.delete,
        lambda: Voucher.objects.filter(pk=voucher.pk).update(text="Ändrad"),
        lambda: Voucher.objects.filter(pk=voucher.pk).delete(),
        lambda: Voucher.objects.bulk_update([voucher], ["text"]),
        line.save,
        line.delete,
        lambda: VoucherLine.objects.filter(voucher=voucher).update(amount=1),
        lambda: VoucherLine.objects.filter(voucher=voucher).delete(),
        lambda: VoucherLine.objects.bulk_update([line], ["amount"]),
    ]
    for attempt in attempts:
        # bulk_update's own atomic block would leave the test's transaction broken.
        with pytest.raises(TypeError, match="correcting voucher"), transaction.atomic():
            attempt()

    assert Voucher.objects.get(pk=voucher.pk).text == "Medlemsavgift"
    assert list(VoucherLine.objects.filter(voucher=voucher).values_list("amount", flat=True)) == [
        30000,
        -30000,
    ]
