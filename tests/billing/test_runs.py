"""Billing runs (INV-01): preview, commit, repeat without duplicates, overlapping periods."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from forening.billing import runs
from forening.billing.models import BillingRun, Invoice, InvoiceLine, LineKind
from forening.billing.services import BillingError
from forening.core.context import Actor
from forening.core.models import MemberStatus, Person
from forening.fees import services as fees
from forening.fees.models import PeriodKind
from forening.ledger.models import Voucher
from forening.members.models import MembershipKind
from tests.factories.billing import make_invoice, pay
from tests.factories.core import PersonFactory
from tests.factories.fees import make_category
from tests.factories.members import HouseholdFactory, MembershipTypeFactory, SavedSearchFactory

SYSTEM = Actor.system("test")
ISSUED = dt.date(2027, 1, 10)


@pytest.fixture
def ordinary(org: Any) -> Any:
    return MembershipTypeFactory(organisation=org, kind=MembershipKind.ORDINARY, name="Ordinary")


def member(org: Any, membership_type: Any, **fields: Any) -> Person:
    return PersonFactory(organisation=org, membership_type=membership_type, **fields)


def commit(org: Any, year: int = 2027, **kwargs: Any) -> Any:
    return runs.commit(org, year, actor=SYSTEM, issued_on=ISSUED, **kwargs)


def test_preview_writes_nothing_and_commit_invoices_every_payer(org: Any, ordinary: Any) -> None:
    make_category(org, name="Membership", amount_minor=30000)
    home = HouseholdFactory(organisation=org, name="Berg")
    parent = member(org, ordinary, household=home)
    child = member(org, ordinary, household=home)
    home.payer = parent
    home.save()
    alone = member(org, ordinary)
    member(org, ordinary, status=MemberStatus.INACTIVE)

    plan = runs.plan(org, 2027)
    assert len(plan.drafts) == 2
    assert plan.total_minor == 90000
    assert [(t.name, t.lines, t.amount_minor) for t in plan.totals] == [("Membership", 3, 90000)]
    assert not Invoice.objects.exists()

    run, _plan = commit(org)
    assert run is not None
    assert (run.invoice_count, run.total_minor) == (2, 90000)
    by_payer = {inv.payer_id: inv for inv in Invoice.objects.filter(billing_run=run)}
    assert set(by_payer) == {parent.pk, alone.pk}
    assert by_payer[parent.pk].total_minor == 60000
    assert by_payer[parent.pk].due_on == ISSUED + dt.timedelta(days=30)
    assert sorted(
        InvoiceLine.objects.filter(invoice=by_payer[parent.pk]).values_list("person_id", flat=True)
    ) == sorted([parent.pk, child.pk])


def test_running_again_creates_nothing_new(org: Any, ordinary: Any) -> None:
    make_category(org, amount_minor=30000)
    member(org, ordinary)
    commit(org)
    invoices, vouchers = Invoice.objects.count(), Voucher.objects.count()
    run, plan = commit(org)
    assert run is None
    assert plan.already_billed == 1
    assert (Invoice.objects.count(), Voucher.objects.count()) == (invoices, vouchers)


def test_a_new_member_is_invoiced_by_the_next_run(org: Any, ordinary: Any) -> None:
    make_category(org, amount_minor=30000)
    member(org, ordinary)
    commit(org)
    newcomer = member(org, ordinary)
    run, _plan = commit(org)
    assert run is not None
    assert [inv.payer_id for inv in run.invoices.all()] == [newcomer.pk]


def test_the_family_cap_holds_across_runs(org: Any, ordinary: Any) -> None:
    fees.update_fee_settings(org, actor=SYSTEM, family_cap_minor=70000)
    make_category(org, amount_minor=30000)
    home = HouseholdFactory(organisation=org)
    first = member(org, ordinary, household=home)
    home.payer = first
    home.save()
    member(org, ordinary, household=home)
    commit(org)  # 2 × 300 = 600, under the cap
    member(org, ordinary, household=home)
    member(org, ordinary, household=home)
    run, _plan = commit(org)  # 2 more: 1 200 in all, capped to 700
    assert run is not None
    assert run.total_minor == 10000
    caps = InvoiceLine.objects.filter(invoice__billing_run=run, kind=LineKind.FAMILY_CAP)
    assert sum(line.amount_minor for line in caps) == -50000


def test_a_selection_invoices_only_its_people_with_their_households(
    org: Any, ordinary: Any
) -> None:
    make_category(org, amount_minor=30000)
    chosen = member(org, ordinary, first_name="Valda")
    member(org, ordinary, first_name="Andra")
    search = SavedSearchFactory(organisation=org, name="Valda", query={"q": ["Valda"]})
    run, _plan = commit(org, selection=search)
    assert run is not None
    assert run.selection_label == "Valda"
    assert [inv.payer_id for inv in run.invoices.all()] == [chosen.pk]


def test_an_overlapping_period_is_refused(org: Any, ordinary: Any) -> None:
    make_category(org, amount_minor=30000)
    member(org, ordinary)
    commit(org)
    fees.update_fee_settings(
        org, actor=SYSTEM, period_kind=PeriodKind.SEASON, season_start_month=8, season_start_day=1
    )
    with pytest.raises(BillingError, match="overlaps"):
        runs.plan(org, 2027)
    assert BillingRun.objects.count() == 1


def test_a_credit_balance_is_used_by_the_run(org: Any, ordinary: Any) -> None:
    make_category(org, amount_minor=30000)
    person = member(org, ordinary)
    old = make_invoice(org, person, 10000, issued_on=dt.date(2026, 1, 1))
    pay(org, 15000, invoice=old)
    run, _plan = commit(org)
    assert run is not None
    invoice = run.invoices.get()
    assert invoice.total_minor == 25000
    assert invoice.lines.filter(kind=LineKind.CREDIT_BALANCE).get().amount_minor == -5000


def test_a_run_that_fails_half_way_leaves_nothing(
    org: Any, ordinary: Any, monkeypatch: Any
) -> None:
    make_category(org, amount_minor=30000)
    for _ in range(3):
        member(org, ordinary)
    from forening.billing.services import issuing

    real = issuing.bulk.insert

    def crash(model: Any, *args: Any, **kwargs: Any) -> Any:
        keys = real(model, *args, **kwargs)
        if model is issuing.InvoiceLine:  # killed right after the last insert
            raise RuntimeError("killed")
        return keys

    monkeypatch.setattr(issuing.bulk, "insert", crash)
    with pytest.raises(RuntimeError):
        commit(org)
    monkeypatch.undo()
    assert not Invoice.objects.exists()
    assert not Voucher.objects.exists()
    assert not BillingRun.objects.exists()
    run, _plan = commit(org)
    assert run is not None
    assert run.invoice_count == 3


def test_commit_uses_a_fixed_number_of_queries(org: Any, ordinary: Any) -> None:
    from django.test.utils import CaptureQueriesContext

    make_category(org, amount_minor=30000)
    for _ in range(5):
        member(org, ordinary)
    with CaptureQueriesContext(connection) as few:
        commit(org)
    for _ in range(40):
        member(org, ordinary)
    with CaptureQueriesContext(connection) as many:
        commit(org, 2028)
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
