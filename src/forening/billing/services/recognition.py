"""The cash method (kontantmetoden): revenue when paid.

Under the cash method an invoice books receivables against the interim account "invoiced,
not yet paid"; revenue and VAT move from there as the invoice is paid, in proportion to
what is paid (`recognised`). `recognise_payments` gives the voucher lines for payments
and their reversals; issuing, reminder fees and credit notes use the same functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from django.db.models import Q

from forening.billing.models import Invoice, InvoiceLine, LineKind
from forening.billing.services.books import Books
from forening.billing.services.common import CASH_INTERIM, VAT_ROLES, DraftLine, vat_part
from forening.core.models import Organisation
from forening.ledger import services as ledger

RevenueKey = tuple[int, int | None, int | None]  # account, cost centre, project


@dataclass(frozen=True)
class RevenueLine:
    """An invoice line on a revenue account as the cash method sees it: what is left of it
    after its credit notes (`amount_minor` incl. VAT, `vat_minor` of it as booked). Lines
    on the credit-balance account are not revenue and are never RevenueLines."""

    account_id: int
    cost_centre_id: int | None
    project_id: int | None
    vat_rate: int
    amount_minor: int
    vat_minor: int
    # A reminder fee added to the invoice: paid after the invoice's own lines.
    is_added_fee: bool = False
    line_id: int = 0

    @property
    def key(self) -> RevenueKey:
        return (self.account_id, self.cost_centre_id, self.project_id)


@dataclass
class Recognised:
    """Revenue (net of VAT) per account, cost centre and project, and VAT per rate."""

    revenue: dict[RevenueKey, int] = field(default_factory=dict)
    vat: dict[int, int] = field(default_factory=dict)


def settled_minor(lines: Sequence[RevenueLine], open_minor: int) -> int:
    """How much of the revenue lines' total is paid, when `open_minor` is left to pay: the
    rest of the invoice's total was paid or set off with a credit balance. Never below
    zero nor above the lines' total (a payment reversed after its invoice was credited
    opens more than is left of the lines)."""
    gross = sum(line.amount_minor for line in lines)
    return max(0, min(gross, gross - open_minor))


def _divide(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    quotient = (2 * abs(numerator) + abs(denominator)) // (2 * abs(denominator))
    return quotient if (numerator < 0) == (denominator < 0) else -quotient


def _spread(amounts: Sequence[int], share: int) -> list[int]:
    """`share` of `sum(amounts)` split in proportion to `amounts`, rounding the running
    total, so the parts add up to `share` exactly and each is its amount when `share` is
    the whole sum. Amounts may be negative (a family cap)."""
    total = sum(amounts)
    if share == total:
        return list(amounts)
    if not total or not share:
        return [0] * len(amounts)
    parts = []
    running = before = 0
    for amount in amounts:
        running += amount
        upto = _divide(running * share, total)
        parts.append(upto - before)
        before = upto
    return parts


def recognised(lines: Sequence[RevenueLine], settled: int) -> Recognised:
    """The revenue and VAT recognised when `settled` of the lines' total is paid.

    Cumulative, not per payment: each payment books what `recognised` gives after it less
    what it gave before, so rounding never drifts, and a fully paid invoice has its lines'
    revenue and VAT exactly as the invoice method books them. The invoice's own lines are
    paid in proportion to their amounts (the running total is rounded); reminder fees added
    later are paid after them, in order, so that adding a fee never moves revenue already
    recognised. A line's VAT is `vat_part` of its paid part, and its booked VAT once it is
    paid in full."""
    own = [line for line in lines if not line.is_added_fee]
    fees = [line for line in lines if line.is_added_fee]
    own_total = sum(line.amount_minor for line in own)
    if not fees:
        first = settled
    elif own_total <= 0:
        first = own_total
    else:
        first = min(settled, own_total)
    left = settled - first
    fee_parts = []
    for line in fees:
        take = max(0, min(left, line.amount_minor))
        fee_parts.append(take)
        left -= take
    parts = [*_spread([line.amount_minor for line in own], first + left), *fee_parts]
    found = Recognised(revenue=defaultdict(int), vat=defaultdict(int))
    for line, paid in zip([*own, *fees], parts, strict=True):
        part = line.vat_minor if paid == line.amount_minor else vat_part(paid, line.vat_rate)
        found.revenue[line.key] += paid - part
        if part:
            found.vat[line.vat_rate] += part
    return found


def recognised_lines(
    books: Books, payer_id: int, before: Recognised, after: Recognised
) -> list[ledger.Line]:
    """The voucher lines that take the invoice from `before` to `after`: revenue and VAT
    credited by what is newly recognised (debited when it shrinks) against the interim
    account, with the payer. They balance on their own."""
    result = []
    moved = 0
    keys = set(before.revenue) | set(after.revenue)
    for key in sorted(keys, key=lambda k: (k[0], k[1] or 0, k[2] or 0)):
        delta = after.revenue.get(key, 0) - before.revenue.get(key, 0)
        if not delta:
            continue
        account_id, cost_centre_id, project_id = key
        result.append(
            ledger.Line(
                books.account(account_id),
                -delta,
                cost_centre=books.cost_centres.get(cost_centre_id or 0),
                project=books.projects.get(project_id or 0),
            )
        )
        moved += delta
    for rate in sorted(set(before.vat) | set(after.vat)):
        delta = after.vat.get(rate, 0) - before.vat.get(rate, 0)
        if delta:
            result.append(ledger.Line(books.role(VAT_ROLES[rate]), -delta))
            moved += delta
    if moved:
        result.insert(0, ledger.Line(books.role(CASH_INTERIM), moved, person_id=payer_id))
    return result


def merge_lines(lines: Iterable[ledger.Line]) -> list[ledger.Line]:
    """One line per account, cost centre, project, person and text, in the order first
    seen; lines that come to zero are left out."""
    merged: dict[tuple[object, ...], ledger.Line] = {}
    for line in lines:
        account = line.account if isinstance(line.account, str) else line.account.pk
        key = (
            account,
            line.cost_centre.pk if line.cost_centre else None,
            line.project.pk if line.project else None,
            line.person_id,
            line.text,
        )
        found = merged.get(key)
        merged[key] = line if found is None else replace(found, amount=found.amount + line.amount)
    return [line for line in merged.values() if line.amount]


def revenue_lines(
    organisation: Organisation, books: Books, invoice_ids: Iterable[int]
) -> dict[int, list[RevenueLine]]:
    """The revenue lines of each invoice (kind invoice), net of its credit notes, in the
    order of the invoice. One query."""
    ids = list(set(invoice_ids))
    if not ids:
        return {}
    rows = (
        InvoiceLine.objects.filter(organisation=organisation)
        .filter(Q(invoice_id__in=ids) | Q(credits_line__invoice_id__in=ids))
        .exclude(account_id__in=books.personal_ids())
        .order_by("position", "pk")
        .values_list(
            "pk",
            "invoice_id",
            "credits_line_id",
            "kind",
            "account_id",
            "cost_centre_id",
            "project_id",
            "vat_rate",
            "amount_minor",
            "vat_minor",
        )
    )
    originals: dict[int, tuple[int, RevenueLine]] = {}
    credits: list[tuple[int, int, int]] = []
    for pk, invoice_id, credits_id, kind, account, cost_centre, project, rate, amount, vat in rows:
        if credits_id is not None:
            credits.append((credits_id, amount, vat))
        elif invoice_id in ids:
            originals[pk] = (
                invoice_id,
                RevenueLine(
                    account_id=account,
                    cost_centre_id=cost_centre,
                    project_id=project,
                    vat_rate=rate,
                    amount_minor=amount,
                    vat_minor=vat,
                    is_added_fee=kind == LineKind.REMINDER_FEE,
                    line_id=pk,
                ),
            )
    for credits_id, amount, vat in credits:
        if credits_id in originals:
            invoice_id, line = originals[credits_id]
            originals[credits_id] = (
                invoice_id,
                replace(
                    line,
                    amount_minor=line.amount_minor + amount,
                    vat_minor=line.vat_minor + vat,
                ),
            )
    found: dict[int, list[RevenueLine]] = {pk: [] for pk in ids}
    for invoice_id, line in originals.values():
        found[invoice_id].append(line)
    return found


def recognise_payments(
    organisation: Organisation, books: Books, changes: Iterable[tuple[Invoice, int]]
) -> list[ledger.Line]:
    """Under the cash method, the voucher lines that recognise revenue and VAT as each
    invoice's open amount changes by the amount given (a payment: negative; a payment
    reversed: positive), read before the change. Nothing under the invoice method."""
    if not books.cash_method:
        return []
    by_invoice: dict[int, tuple[Invoice, int]] = {}
    for invoice, change in changes:
        earlier = by_invoice.get(invoice.pk, (invoice, 0))[1]
        by_invoice[invoice.pk] = (invoice, earlier + change)
    lines_of = revenue_lines(organisation, books, by_invoice)
    result: list[ledger.Line] = []
    for pk, (invoice, change) in by_invoice.items():
        lines = lines_of[pk]
        before = recognised(lines, settled_minor(lines, invoice.open_minor))
        after = recognised(lines, settled_minor(lines, invoice.open_minor + change))
        result += recognised_lines(books, invoice.payer_id, before, after)
    return result


def draft_revenue(books: Books, lines: Iterable[DraftLine]) -> list[RevenueLine]:
    personal = books.personal_ids()
    return [
        RevenueLine(
            account_id=line.account_id,
            cost_centre_id=line.cost_centre_id,
            project_id=line.project_id,
            vat_rate=line.vat_rate,
            amount_minor=line.amount_minor,
            vat_minor=vat_part(line.amount_minor, line.vat_rate),
            is_added_fee=line.kind == LineKind.REMINDER_FEE,
        )
        for line in lines
        if line.account_id not in personal
    ]
