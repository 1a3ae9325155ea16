"""The payments' invariants, added to `forening check-ledger` (see ledger.checks):

- every payment is placed in full: its allocations sum to its amount (to nothing once it
  is reversed), and money still unplaced belongs to a payment marked unplaced.
"""

from __future__ import annotations

from django.db.models import Q, Sum

from forening.billing.checks import capped
from forening.core.models import Organisation
from forening.ledger.checks import register
from forening.payments.models import Payment, PaymentAllocation, PaymentStatus


@register("every payment is placed in full")
def payments_placed(organisation: Organisation) -> list[str]:
    placed = dict(
        PaymentAllocation.objects.filter(organisation=organisation)
        .values("payment")
        .annotate(total=Sum("amount_minor"))
        .values_list("payment", "total")
    )
    problems = []
    for pk, amount, status in Payment.objects.filter(organisation=organisation).values_list(
        "pk", "amount_minor", "status"
    ):
        expected = 0 if status == PaymentStatus.REVERSED else amount
        if int(placed.get(pk) or 0) != expected:
            problems.append(f"payment {pk} ({status}): {amount}, placed {placed.get(pk) or 0}")
    unplaced = PaymentAllocation.objects.filter(organisation=organisation, kind="unplaced")
    still = unplaced.values("payment").annotate(total=Sum("amount_minor")).filter(~Q(total=0))
    marked = Payment.objects.filter(organisation=organisation, status=PaymentStatus.UNPLACED)
    stated = set(marked.values_list("pk", flat=True))
    for row in still:
        if row["payment"] not in stated:
            problems.append(f"payment {row['payment']} has money unplaced but is not marked so")
    return capped(problems)
