"""Gap-free numbers per association (member numbers now, invoice numbers later).

A number is taken inside the caller's transaction with the counter row locked, so two
concurrent takers wait for each other and a rolled-back transaction gives its number back.
"""

from __future__ import annotations

from django.db import transaction

from forening.core import locks
from forening.core.models import NumberSequence, Organisation


def take(organisation: Organisation, name: str, count: int = 1, *, floor: int = 0) -> range:
    """Reserve `count` consecutive numbers; none is below `floor` + 1."""
    if count < 1:
        return range(0)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequences.take must run inside a transaction")
    row = locks.lock_sequence(organisation, name)
    start = max(row.last_value, floor) + 1
    NumberSequence.objects.filter(pk=row.pk).update(last_value=start + count - 1)
    return range(start, start + count)


def peek(organisation: Organisation, name: str) -> int:
    row = NumberSequence.objects.filter(organisation=organisation, name=name).first()
    return row.last_value if row else 0
