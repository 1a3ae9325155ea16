"""Row locks follow the one order of `core.locks`: services lock only through the apps'
`locks.py`, never a join's other tables, and two conflicting operations run at once on
PostgreSQL neither deadlock nor lose an update.

The concurrent tests widen every race on purpose: each thread pauses right after every
statement that takes a row lock, so both threads hold their first lock before either asks
for its second. Taken in the same order, the second thread waits for the first and the
two run one after the other; taken in opposite orders they deadlock, which the control
test shows the harness catches.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_scopes import scope, scopes_disabled

from forening.billing import services as billing
from forening.billing.models import Invoice, InvoiceStatus
from forening.core import services as core_services
from forening.core.context import Actor
from forening.core.models import Person, Role, RoleAssignment
from forening.core.services import CoreError
from forening.households import services as households
from forening.ledger import checks
from forening.members import services as register
from forening.payments.models import Payment
from tests.factories.billing import make_invoice, pay
from tests.factories.core import (
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
    UserFactory,
)

SRC = Path(__file__).resolve().parent.parent / "src" / "forening"
ACTOR = Actor.system("locks-test")
PAUSE = 0.3  # seconds each thread waits after taking a lock

on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite runs one writer at a time: nothing to interleave",
)


# --- where locks are taken ----------------------------------------------------------------


def test_services_lock_only_through_the_apps_locks_modules() -> None:
    offending = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        if path.name != "locks.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "select_for_update(" in line
    ]
    assert not offending


def test_every_lock_names_its_own_table() -> None:
    """`select_for_update` without `of=` would also lock every joined table (the
    association's row, for one), so every call in a locks.py names its table."""
    for path in SRC.rglob("locks.py"):
        calls = re.findall(r"select_for_update\(([^)]*)\)", path.read_text())
        assert all("of=" in arguments for arguments in calls), path


# --- the harness --------------------------------------------------------------------------


class Run:
    """What each thread did: the statements that locked, and what went wrong."""

    def __init__(self) -> None:
        self.locks: list[str] = []
        self.errors: list[BaseException] = []
        self.mutex = threading.Lock()


def _pause_after_locks(run: Run) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any) -> Any:
        result = execute(sql, params, many, ctx)
        if " FOR UPDATE" in sql or " FOR NO KEY UPDATE" in sql:
            with run.mutex:
                run.locks.append(sql)
            time.sleep(PAUSE)
        return result

    return wrapper


def concurrently(*operations: Callable[[], Any]) -> Run:
    """Run each operation in its own thread (and database connection) at the same moment."""
    run = Run()
    barrier = threading.Barrier(len(operations))

    def worker(operation: Callable[[], Any]) -> None:
        try:
            with connection.execute_wrapper(_pause_after_locks(run)):
                barrier.wait(timeout=10)
                operation()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            with run.mutex:
                run.errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(op,)) for op in operations]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting"
    return run


def deadlocks(run: Run) -> list[BaseException]:
    return [error for error in run.errors if "deadlock detected" in str(error)]


@contextmanager
def in_scope(organisation_id: int) -> Iterator[None]:
    with scope(organisation=organisation_id):
        yield


# --- concurrent operations (PostgreSQL) ------------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_the_harness_sees_a_deadlock_when_two_transactions_lock_in_opposite_orders() -> None:
    with scopes_disabled():
        org = OrganisationFactory()
        first, second = PersonFactory(organisation=org), PersonFactory(organisation=org)

    def lock(*people: Person) -> Callable[[], None]:
        def operation() -> None:
            with scopes_disabled(), transaction.atomic():
                for person in people:
                    Person.objects.select_for_update(of=("self",)).get(pk=person.pk)

        return operation

    run = concurrently(lock(first, second), lock(second, first))

    assert len(deadlocks(run)) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_of_one_household_moving_at_once_do_not_deadlock() -> None:
    # given: a household of two, each changing their own address on My pages at once
    with scopes_disabled():
        org = OrganisationFactory()
        anna = PersonFactory(organisation=org, street="Gamla vägen 1")
        bo = PersonFactory(organisation=org, street="Gamla vägen 1")
    with scope(organisation=org.pk):
        household = households.create_household(
            org, actor=ACTOR, name="Familjen", people=[anna, bo]
        )

    def move(person: Person, street: str) -> Callable[[], None]:
        def operation() -> None:
            with in_scope(org.pk):
                register.update_contact_details(person, actor=ACTOR, street=street)

        return operation

    # when
    run = concurrently(move(anna, "Annas gata 2"), move(bo, "Bos gata 3"))

    # then: both went through, one after the other, and the household shares one address
    assert run.errors == []
    with scopes_disabled():
        streets = set(Person.objects.filter(household=household).values_list("street", flat=True))
        household.refresh_from_db()
    assert len(streets) == 1
    assert streets == {household.street}
    assert household.street in {"Annas gata 2", "Bos gata 3"}
    assert all(" OF " in sql for sql in run.locks)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_paying_and_crediting_one_invoice_at_once_keeps_the_books_right() -> None:
    with scopes_disabled():
        org = OrganisationFactory()
        payer = PersonFactory(organisation=org)
    with scope(organisation=org.pk):
        invoice = make_invoice(org, payer, 30000)

    def paying() -> None:
        with in_scope(org.pk):
            pay(org, 30000, invoice=invoice)

    def crediting() -> None:
        with in_scope(org.pk):
            billing.credit_invoice(invoice, actor=ACTOR, reason="Fel belopp")

    run = concurrently(paying, crediting)

    assert run.errors == []
    with scope(organisation=org.pk):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.CREDITED  # credited after being paid, or before
        assert Payment.objects.filter(organisation=org).count() == 1
        assert billing.credit_balances(org) == {payer.pk: 30000}  # the money is not lost
        assert checks.run(org) == {name: [] for name in checks.run(org)}
    assert all(" OF " in sql for sql in run.locks)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_payments_from_one_payer_at_once_settle_the_oldest_invoices_once() -> None:
    with scopes_disabled():
        org = OrganisationFactory()
        payer = PersonFactory(organisation=org)
    with scope(organisation=org.pk):
        older = make_invoice(org, payer, 20000, due_on=None)
        newer = make_invoice(org, payer, 20000)

    def paying(amount: int) -> Callable[[], None]:
        def operation() -> None:
            with in_scope(org.pk):
                pay(org, amount, person=payer)

        return operation

    run = concurrently(paying(20000), paying(20000))

    assert run.errors == []
    with scope(organisation=org.pk):
        statuses = set(
            Invoice.objects.filter(pk__in=[older.pk, newer.pk]).values_list("status", flat=True)
        )
        assert statuses == {InvoiceStatus.PAID}
        assert billing.credit_balances(org) == {}
        assert checks.run(org) == {name: [] for name in checks.run(org)}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_removing_each_other_at_once_leave_one() -> None:
    with scopes_disabled():
        org = OrganisationFactory()
        first = RoleAssignmentFactory(organisation=org, user=UserFactory(), role=Role.ADMIN)
        second = RoleAssignmentFactory(organisation=org, user=UserFactory(), role=Role.ADMIN)

    def revoke(assignment: RoleAssignment) -> Callable[[], None]:
        def operation() -> None:
            with in_scope(org.pk):
                core_services.revoke_role(assignment, actor=ACTOR)

        return operation

    run = concurrently(revoke(first), revoke(second))

    assert not deadlocks(run)
    assert [type(error) for error in run.errors] == [CoreError]
    with scopes_disabled():
        assert RoleAssignment.objects.filter(organisation=org, role=Role.ADMIN).count() == 1
