"""The journal's invariants (ACC-01) under random sequences of operations.

A hypothesis state machine posts, posts in batches and reverses vouchers across two fiscal
years (1 July to 30 June) and three series, and tries batches with one bad entry in them.
It keeps its own model of every balance and of how many vouchers each series holds, and after
every step checks the stored journal: each voucher balances, the numbers of each series and
year are 1..n, all lines sum to zero, balances equal the model, and `check-ledger` finds
nothing. Every example runs in a new association, so examples do not see each other's books.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from contextlib import ExitStack
from typing import Any

import pytest
from django.db.models import Count, Sum
from django_scopes import scope
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from forening.core.context import Actor
from forening.core.models import NumberSequence
from forening.ledger import checks, services
from forening.ledger.models import FiscalYear, LedgerSettings, Voucher, VoucherLine
from forening.ledger.services import Entry, LedgerError, Line
from tests.factories.core import OrganisationFactory, PersonFactory
from tests.hypothesis_profiles import examples

ACTOR = Actor.system("hypothesis")
ROLES = ("bank", "cash", "receivables", "membership_fees", "bank_fees")
SERIES = ("A", "F", "B")
FIRST_DAY, LAST_DAY = dt.date(2024, 7, 1), dt.date(2026, 6, 30)
YEARS = {
    2024: (dt.date(2024, 7, 1), dt.date(2025, 6, 30)),
    2025: (dt.date(2025, 7, 1), dt.date(2026, 6, 30)),
}

days = st.dates(FIRST_DAY, LAST_DAY)
amounts = st.integers(-(10**9), 10**9).filter(bool)


def year_of(day: dt.date) -> int:
    return day.year if day.month >= 7 else day.year - 1


@st.composite
def lines(draw: Any) -> list[tuple[str, int, bool]]:
    """Balanced (role, amount, for the person) lines: a few, then one that balances them."""
    drawn = draw(
        st.lists(st.tuples(st.sampled_from(ROLES), amounts, st.booleans()), min_size=1, max_size=3)
    )
    total = sum(amount for _, amount, _ in drawn)
    if total:
        drawn.append((draw(st.sampled_from(ROLES)), -total, draw(st.booleans())))
    return drawn


@st.composite
def entries(draw: Any) -> dict[str, Any]:
    return {"day": draw(days), "series": draw(st.sampled_from(SERIES)), "lines": draw(lines())}


@st.composite
def bad_entries(draw: Any) -> Entry:
    """An entry the journal must refuse: unbalanced, with a zero or float line, or no text."""
    good = draw(entries())
    made = [Line(role, amount) for role, amount, _ in good["lines"]]
    flaw = draw(st.sampled_from(["unbalanced", "zero", "float", "text"]))
    text = "" if flaw == "text" else "Fel"
    if flaw == "unbalanced":
        made.append(Line(draw(st.sampled_from(ROLES)), draw(amounts)))
    elif flaw == "zero":
        made.insert(draw(st.integers(0, len(made))), Line("bank", 0))
    elif flaw == "float":
        made[0] = Line(made[0].account, float(made[0].amount))  # type: ignore[arg-type]
    return Entry(good["day"], text, made, series=good["series"])


class Journal(RuleBasedStateMachine):
    vouchers = Bundle("vouchers")

    def __init__(self) -> None:
        super().__init__()
        self.org = OrganisationFactory()
        self.stack = ExitStack()
        self.stack.enter_context(scope(organisation=self.org.pk))
        services.ensure_chart(self.org)
        LedgerSettings.objects.filter(organisation=self.org).update(fiscal_year_start_month=7)
        self.accounts = services.accounts_by_role(self.org)
        self.person = PersonFactory(organisation=self.org)
        # The model: balances by role (all lines, and the person's), vouchers per series and
        # year, each voucher's lines as (role, amount, for the person), and what is reversed.
        self.balances: Counter[str] = Counter()
        self.person_balances: Counter[str] = Counter()
        self.counts: Counter[tuple[int, str]] = Counter()
        self.lines: dict[int, list[tuple[str, int, bool]]] = {}
        self.reversed: set[int] = set()

    def teardown(self) -> None:
        self.stack.close()

    def entry(self, drawn: dict[str, Any], **extra: Any) -> Entry:
        made = [
            Line(role, amount, person_id=self.person.pk if mine else None)
            for role, amount, mine in drawn["lines"]
        ]
        return Entry(drawn["day"], "Verifikation", made, series=drawn["series"], **extra)

    def book(self, voucher: Voucher, lines: list[tuple[str, int, bool]]) -> None:
        for role, amount, mine in lines:
            self.balances[role] += amount
            if mine:
                self.person_balances[role] += amount
        self.counts[(year_of(voucher.booked_on), voucher.series)] += 1
        self.lines[voucher.pk] = lines

    def snapshot(self) -> tuple[Any, ...]:
        return (
            Voucher.objects.filter(organisation=self.org).count(),
            VoucherLine.objects.filter(organisation=self.org).count(),
            list(FiscalYear.objects.filter(organisation=self.org).values_list("pk", flat=True)),
            list(NumberSequence.objects.filter(organisation=self.org).values_list("last_value")),
        )

    # --- operations ------------------------------------------------------------------------

    @rule(target=vouchers, drawn=entries())
    def post(self, drawn: dict[str, Any]) -> Voucher:
        voucher = services.post(self.org, self.entry(drawn), actor=ACTOR)
        assert voucher.number == self.counts[(year_of(drawn["day"]), drawn["series"])] + 1
        self.book(voucher, drawn["lines"])
        return voucher

    @rule(target=vouchers, batch=st.lists(entries(), min_size=1, max_size=5))
    def post_many(self, batch: list[dict[str, Any]]) -> Any:
        before = self.counts.copy()
        posted = services.post_many(self.org, [self.entry(d) for d in batch], actor=ACTOR)
        assert [v.booked_on for v in posted] == [d["day"] for d in batch]
        # Within the batch, each series is numbered on from where it was, in date order.
        groups: dict[tuple[int, str], list[Voucher]] = defaultdict(list)
        for voucher in posted:
            groups[(year_of(voucher.booked_on), voucher.series)].append(voucher)
        for key, group in groups.items():
            in_date_order = sorted(group, key=lambda v: v.booked_on)
            start = before[key] + 1
            assert [v.number for v in in_date_order] == list(range(start, start + len(group)))
        for voucher, drawn in zip(posted, batch, strict=True):
            self.book(voucher, drawn["lines"])
        return multiple(*posted)

    @rule(
        good=st.lists(entries(), max_size=3),
        bad=bad_entries(),
        position=st.integers(0, 3),
    )
    def refuse_a_batch_with_a_bad_entry(
        self, good: list[dict[str, Any]], bad: Entry, position: int
    ) -> None:
        batch = [self.entry(d) for d in good]
        batch.insert(min(position, len(batch)), bad)
        before = self.snapshot()

        with pytest.raises(LedgerError):
            services.post_many(self.org, batch, actor=ACTOR)

        assert self.snapshot() == before
        assert all(e.voucher is None for e in batch)

    @rule(target=vouchers, voucher=vouchers, day=days)
    def reverse(self, voucher: Voucher, day: dt.date) -> Any:
        if voucher.pk in self.reversed:
            before = self.snapshot()
            with pytest.raises(LedgerError, match="already been reversed"):
                services.reverse(voucher, booked_on=day, text="Igen", actor=ACTOR)
            assert self.snapshot() == before
            return multiple()
        reversal = services.reverse(voucher, booked_on=day, text="Rättelse", actor=ACTOR)
        assert reversal.reverses_id == voucher.pk
        assert reversal.series == voucher.series
        assert reversal.number == self.counts[(year_of(day), voucher.series)] + 1
        self.book(
            reversal, [(role, -amount, mine) for role, amount, mine in self.lines[voucher.pk]]
        )
        self.reversed.add(voucher.pk)
        return reversal

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def every_voucher_balances(self) -> None:
        per_voucher = (
            VoucherLine.objects.filter(organisation=self.org)
            .values("voucher")
            .annotate(total=Sum("amount"), lines=Count("pk"))
            .order_by("voucher")
        )
        assert all(row["total"] == 0 and row["lines"] >= 2 for row in per_voucher)
        assert len(per_voucher) == Voucher.objects.filter(organisation=self.org).count()

    @invariant()
    def numbers_run_from_1_to_n_in_each_series_and_year(self) -> None:
        found: dict[tuple[int, str], list[int]] = defaultdict(list)
        for start, series, number in (
            Voucher.objects.filter(organisation=self.org)
            .order_by("number")
            .values_list("fiscal_year__starts_on", "series", "number")
        ):
            found[(start.year, series)].append(number)
        assert found == {key: list(range(1, n + 1)) for key, n in self.counts.items() if n}

    @invariant()
    def vouchers_fall_in_the_two_fiscal_years(self) -> None:
        stored = set(
            FiscalYear.objects.filter(organisation=self.org).values_list("starts_on", "ends_on")
        )
        assert stored == {YEARS[year] for year, _series in self.counts}

    @invariant()
    def all_lines_sum_to_zero(self) -> None:
        total = VoucherLine.objects.filter(organisation=self.org).aggregate(t=Sum("amount"))["t"]
        assert (total or 0) == 0

    @invariant()
    def balances_equal_the_model(self) -> None:
        for role in ROLES:
            account = [self.accounts[role]]
            assert services.balance(self.org, account) == self.balances[role], role
            mine = services.balance(self.org, account, person_id=self.person.pk)
            assert mine == self.person_balances[role], role

    @invariant()
    def check_ledger_finds_nothing(self) -> None:
        # The journal's own checks: invoicing's (open invoices = receivables) do not hold
        # for the random lines on receivables posted here without invoices.
        found = {
            name: check(self.org)
            for name, check in checks.CHECKS
            if check.__module__ == checks.__name__
        }
        assert {name: p for name, p in found.items() if p} == {}


@pytest.mark.slow
@pytest.mark.django_db
def test_no_sequence_of_operations_breaks_the_journal() -> None:
    run_state_machine_as_test(
        Journal,
        settings=settings(
            max_examples=examples(25),
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
