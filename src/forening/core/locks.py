"""Row locks: the one order every transaction takes them in, and the helpers that take them.

On PostgreSQL writers run concurrently. A service that reads rows, decides and writes locks
the rows it decides on (`SELECT … FOR UPDATE OF` its own table, never a join that would
lock the association's row as well) so that a concurrent writer waits instead of deciding
on the same old values. Two transactions that lock the same rows in opposite orders
deadlock; PostgreSQL then aborts one of them. So every transaction takes its locks in this
order, and within one kind in primary-key order:

1. **The association's serialising rows**: rows that one change at a time may use per
   association. Settings rows (billing settings: a billing or a reminder run; ledger
   settings: a switch of the accounting method; fee settings and a fee category: editing
   the fee rules), the register's configuration (a custom field, a saved search), an upload
   being imported or discarded, and for a member import the association's own row
   `FOR NO KEY UPDATE` (which does not block other writers' foreign keys to it).
   Administrator roles when one is revoked.
2. **A payment** being placed or reversed.
3. **Households, then their people**: a person's household is locked before the person,
   because changing a person's address rewrites everyone in the household.
4. **Rows of one person**, such as an open consent, after the person.
5. **Invoices**, of a payer or a reminder run, by primary key.
6. **Vouchers** that a new voucher reverses.
7. **Number sequences** (member, invoice and voucher numbers): last, as late as possible,
   in name order, and nothing is locked after a number is taken. Every financial write of
   an association passes through its voucher series, so that row is held for the shortest
   time this way, and a rolled-back transaction gives its number back.

Each app's `locks.py` has the helpers for its rows and says where they sit in this order;
services lock only through them (`tests/test_locks.py` checks that no module outside a
`locks.py` calls `select_for_update`, and runs conflicting operations at once on
PostgreSQL). On SQLite the locks do nothing: `transaction_mode=IMMEDIATE` makes writers
take the database's one write lock at BEGIN, so they never interleave.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from forening.core.models import NumberSequence, Organisation, Role, RoleAssignment

M = TypeVar("M", bound=Model)


def lock_rows(queryset: QuerySet[M, Any]) -> list[M]:
    """Lock the rows of `queryset` (its own table only) in primary-key order and return
    them in that order; sort them afterwards in Python if another order is needed."""
    return list(queryset.select_for_update(of=("self",)).order_by("pk"))


def lock_row(queryset: QuerySet[M, Any], **filters: Any) -> M:
    """Lock the one row of `queryset` that `filters` find (DoesNotExist if none)."""
    row: M = queryset.select_for_update(of=("self",)).get(**filters)
    return row


def lock_sequence(organisation: Organisation, name: str) -> NumberSequence:
    """The association's counter `name`, created when missing and locked (step 7)."""
    NumberSequence.objects.get_or_create(organisation=organisation, name=name)
    return lock_row(NumberSequence.objects.all(), organisation=organisation, name=name)


def lock_admin_roles(organisation: Organisation) -> list[RoleAssignment]:
    """Every administrator role of the association (step 1), so that two administrators
    removing each other at once cannot both succeed and leave nobody."""
    return lock_rows(RoleAssignment.objects.filter(organisation=organisation, role=Role.ADMIN))
