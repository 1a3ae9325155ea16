"""Invoicing services (INV-01 … INV-05): issue invoices, credit them, add reminder fees,
and read the member ledger. Every function here writes its invoices and their vouchers in
one transaction: an invoice is never without its voucher, nor a voucher without its
invoice.

By the invoice method (faktureringsmetoden), an invoice is booked on the day of issue:
receivables (with the payer on the line) against revenue per account, cost centre and
project, and output VAT. By the cash method (kontantmetoden), chosen per association in
its bookkeeping settings, receivables are booked the same way, but against the interim
account "invoiced, not yet paid"; revenue and VAT move from there when the invoice is
paid (`recognise_payments`), in proportion to what is paid (see `recognised`). Either way
the open invoices equal the receivables, payer by payer.

A payer's credit balance is used on their next invoice as a negative line on the
credit-balance account; under the cash method that part counts as paid at issue. Payments
are in `forening.payments.services`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError

from forening.billing import ocr
from forening.billing.models import (
    BillingSettings,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from forening.core import audit, bulk, money, sequences
from forening.core.context import Actor
from forening.core.models import Organisation, Person, PersonKind
from forening.households.models import Household
from forening.ledger import services as ledger
from forening.ledger.models import (
    Account,
    AccountingMethod,
    CostCentre,
    Project,
    Series,
    VoucherLine,
    VoucherSource,
)

INVOICE_SEQUENCE = "invoice"
# Invoice numbers in OCR references are zero-filled to this width: 99,999,999 invoices.
OCR_WIDTH = 8
VAT_ROLES = {25: "vat_out_25", 12: "vat_out_12", 6: "vat_out_6"}
# Lines on these accounts carry the payer: they are the member ledger.
PERSONAL_ROLES = ("receivables", "credit_balances")
# Under the cash method: what is invoiced and not yet paid, until it becomes revenue.
CASH_INTERIM = "cash_method_interim"


class BillingError(ValueError):
    """An invoicing action that cannot be done; str() is for the user."""


@dataclass
class DraftLine:
    """A line of an invoice to issue; `amount_minor` includes VAT at `vat_rate` per cent."""

    description: str
    amount_minor: int
    account_id: int
    kind: str = LineKind.MANUAL
    reason: str = ""
    vat_rate: int = 0
    cost_centre_id: int | None = None
    project_id: int | None = None
    person_id: int | None = None
    household_id: int | None = None
    category_id: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    billing_key: str = ""


@dataclass
class Draft:
    """An invoice to issue to `payer_id` (for `household_id`, when it is the household's)."""

    payer_id: int
    lines: list[DraftLine]
    household_id: int | None = None
    text: str = ""
    invoice: Invoice | None = field(default=None, init=False)

    @property
    def total_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)


# --- settings ---------------------------------------------------------------------------


def settings_for(organisation: Organisation) -> BillingSettings:
    found, _created = BillingSettings.objects.get_or_create(organisation=organisation)
    return found


SETTINGS_FIELDS = frozenset(
    {
        "bankgiro",
        "plusgiro",
        "swish_number",
        "iban",
        "payment_terms_days",
        "reminder_steps",
        "reminder_after_days",
        "reminder_interval_days",
        "reminder_terms_days",
        "reminder_fee_minor",
        "auto_renewal",
        "renewal_month",
        "renewal_day",
        "renewal_lead_days",
        "invoice_note",
    }
)


@transaction.atomic
@audit.in_name_of_actor
def update_settings(organisation: Organisation, *, actor: Actor, **fields: Any) -> BillingSettings:
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise TypeError(f"update_settings() got unknown fields: {sorted(unknown)}")
    found = settings_for(organisation)
    for name, value in fields.items():
        setattr(found, name, value)
    if found.bankgiro:
        found.bankgiro = _giro(found.bankgiro, _("Bankgiro number"))
    if found.plusgiro:
        found.plusgiro = _giro(found.plusgiro, _("PlusGiro number"))
    if found.swish_number:
        digits = "".join(ch for ch in found.swish_number if ch.isdigit())
        if not (digits.startswith("123") and len(digits) == 10):
            raise BillingError(_("A Swish number for payments has 10 digits and starts with 123."))
        found.swish_number = digits
    if found.iban:
        try:
            found.iban = stdnum_iban.compact(stdnum_iban.validate(found.iban))
        except StdnumError:
            raise BillingError(
                _("That is not a valid IBAN: check the country code, check digits and account.")
            ) from None
    if found.reminder_steps > 5:
        raise BillingError(_("At most five reminders can be sent for one invoice."))
    if found.payment_terms_days < 1 or found.payment_terms_days > 365:
        raise BillingError(_("Days to pay must be between 1 and 365."))
    found.save()
    return found


def _giro(value: str, label: str) -> str:
    """A Bankgiro (7–8 digits, shown 123-4567) or PlusGiro number (2–8 digits, 12 34 56-7)
    with a valid Luhn check digit, normalised to its digits and dash."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not 2 <= len(digits) <= 8 or not luhn.is_valid(digits):
        raise BillingError(_("%(label)s is not valid: check the digits.") % {"label": label})
    if label == _("Bankgiro number"):
        return f"{digits[:-4]}-{digits[-4:]}"
    return f"{digits[:-1]}-{digits[-1]}"


# --- issuing ----------------------------------------------------------------------------


def vat_part(amount_minor: int, rate: int) -> int:
    """The VAT included in `amount_minor` at `rate` per cent, rounded half away from zero."""
    if not rate:
        return 0
    sign = -1 if amount_minor < 0 else 1
    magnitude = abs(amount_minor) * rate
    return sign * ((2 * magnitude + 100 + rate) // (2 * (100 + rate)))


def display_name(kind: str, first: str, last: str, organisation_name: str) -> str:
    if kind == PersonKind.ORGANISATION:
        return organisation_name
    return f"{first} {last}".strip()


_PERSON_FIELDS = (
    "pk",
    "kind",
    "first_name",
    "last_name",
    "organisation_name",
    "care_of",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "language",
)


def _recipients(
    organisation: Organisation, drafts: Sequence[Draft]
) -> dict[tuple[int, int | None], dict[str, str]]:
    """Name, address, e-mail and language per (payer, household), with a fixed number of
    queries: the household's invoice recipient and address when it has them, else the
    payer's own."""
    household_ids = list({d.household_id for d in drafts if d.household_id})
    households: dict[int, dict[str, Any]] = {}
    for start in range(0, len(household_ids), 5000):
        chunk = household_ids[start : start + 5000]
        for row in Household.objects.filter(organisation=organisation, pk__in=chunk).values(
            "pk",
            "name",
            "care_of",
            "street",
            "postal_code",
            "city",
            "country",
            "invoice_recipient_id",
        ):
            households[row["pk"]] = dict(row)
    person_ids = {d.payer_id for d in drafts} | {
        h["invoice_recipient_id"] for h in households.values() if h["invoice_recipient_id"]
    }
    people: dict[int, dict[str, Any]] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 5000):
        for row in Person.objects.filter(
            organisation=organisation, pk__in=ids[start : start + 5000]
        ).values(*_PERSON_FIELDS):
            people[row["pk"]] = row
    found: dict[tuple[int, int | None], dict[str, str]] = {}
    for draft in drafts:
        payer = people.get(draft.payer_id)
        if payer is None:
            raise BillingError(_("Choose a person of this association as payer."))
        household = households.get(draft.household_id or 0)
        recipient = payer
        if household and household["invoice_recipient_id"] in people:
            recipient = people[household["invoice_recipient_id"]]
        address: dict[str, Any] = (
            dict(household) if household and household["street"] else recipient
        )
        found[(draft.payer_id, draft.household_id)] = {
            "recipient_name": display_name(
                recipient["kind"],
                recipient["first_name"],
                recipient["last_name"],
                recipient["organisation_name"],
            )[:250],
            "recipient_care_of": address["care_of"],
            "recipient_street": address["street"],
            "recipient_postal_code": address["postal_code"],
            "recipient_city": address["city"],
            "recipient_country": address["country"] or organisation.country,
            "recipient_email": recipient["email"] or payer["email"],
            "language": recipient["language"] or organisation.language,
        }
    return found


def credit_balances(
    organisation: Organisation, person_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """What the association owes each person on their credit balance (positive), from the
    journal; only people with a credit. One query."""
    account = ledger.accounts_by_role(organisation).get("credit_balances")
    if account is None:
        return {}
    lines = VoucherLine.objects.filter(organisation=organisation, account=account)
    if person_ids is not None:
        ids = list(person_ids)
        if len(ids) <= 5000:
            lines = lines.filter(person_id__in=ids)
    rows = (
        lines.filter(person__isnull=False)
        .values("person_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .values_list("person_id", "total")
    )
    return {person_id: -int(total) for person_id, total in rows}


def _use_credit_balances(
    organisation: Organisation, drafts: Sequence[Draft], account: Account
) -> None:
    """Add to each draft a negative line that uses the payer's credit balance, up to the
    invoice's total; a payer with several drafts uses it on the first ones."""
    available = credit_balances(organisation, {d.payer_id for d in drafts})
    if not available:
        return
    label = _("Credit balance used")
    for draft in drafts:
        left = available.get(draft.payer_id, 0)
        use = min(left, draft.total_minor)
        if use <= 0:
            continue
        available[draft.payer_id] = left - use
        draft.lines.append(
            DraftLine(
                kind=LineKind.CREDIT_BALANCE,
                description=label,
                reason=_("Paid earlier and not used: set off against this invoice."),
                amount_minor=-use,
                account_id=account.pk,
            )
        )


@dataclass
class Books:
    """The association's accounts, cost centres and projects by id, its accounts by role,
    and whether it books by the cash method: what turning invoice lines into voucher lines
    needs, read once."""

    accounts: dict[int, Account]
    cost_centres: dict[int, CostCentre]
    projects: dict[int, Project]
    roles: dict[str, Account]
    cash_method: bool = False

    @classmethod
    def load(cls, organisation: Organisation) -> Books:
        roles = ledger.accounts_by_role(organisation)
        method = ledger.settings_for(organisation).accounting_method
        return cls(
            accounts={a.pk: a for a in Account.objects.filter(organisation=organisation)},
            cost_centres={c.pk: c for c in CostCentre.objects.filter(organisation=organisation)},
            projects={p.pk: p for p in Project.objects.filter(organisation=organisation)},
            roles=roles,
            cash_method=method == AccountingMethod.CASH,
        )

    def role(self, name: str) -> Account:
        account = self.roles.get(name)
        if account is None:
            raise BillingError(
                _("No account is set up for “%(role)s”: choose one in the chart of accounts.")
                % {"role": name}
            )
        return account

    def account(self, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise BillingError(_("Choose an account of this association."))
        return account

    def personal_ids(self) -> set[int]:
        """The accounts of the member ledger (receivables, credit balances)."""
        return {self.roles[role].pk for role in PERSONAL_ROLES if role in self.roles}

    def voucher_lines(
        self,
        payer_id: int,
        lines: Iterable[DraftLine | InvoiceLine],
        *,
        receivables: int,
        sign: int = 1,
        credit_balance: int = 0,
    ) -> list[ledger.Line]:
        """Receivables (debit `receivables`, with the payer) and the payer's credit balance
        (debit `credit_balance`) against revenue and VAT per account, cost centre and
        project (credit). `sign=-1` turns the lines round, for a credit note. Zero sums
        are left out.

        By the cash method the revenue and VAT go to the interim account instead, as one
        line with the payer: nothing is revenue until it is paid (`recognised_lines` moves
        it). Lines on the credit-balance account are booked there by either method."""
        personal = self.personal_ids()
        revenue: dict[tuple[int, int | None, int | None], int] = defaultdict(int)
        vat: dict[int, int] = defaultdict(int)
        invoiced = 0
        for line in lines:
            if self.cash_method and line.account_id not in personal:
                invoiced += line.amount_minor
                continue
            part = vat_part(line.amount_minor, line.vat_rate)
            key = (line.account_id, line.cost_centre_id, line.project_id)
            revenue[key] += line.amount_minor - part
            if part:
                vat[line.vat_rate] += part
        result = []
        if receivables:
            result.append(ledger.Line(self.role("receivables"), receivables, person_id=payer_id))
        if credit_balance:
            result.append(
                ledger.Line(self.role("credit_balances"), credit_balance, person_id=payer_id)
            )
        if invoiced:
            result.append(
                ledger.Line(self.role(CASH_INTERIM), -sign * invoiced, person_id=payer_id)
            )
        for (account_id, cost_centre_id, project_id), amount in revenue.items():
            if not amount:
                continue
            result.append(
                ledger.Line(
                    self.account(account_id),
                    -sign * amount,
                    cost_centre=self.cost_centres.get(cost_centre_id or 0),
                    project=self.projects.get(project_id or 0),
                    person_id=payer_id if account_id in personal else None,
                )
            )
        for rate, amount in sorted(vat.items()):
            if amount:
                result.append(ledger.Line(self.role(VAT_ROLES[rate]), -sign * amount))
        return result


# --- the cash method: revenue when paid -------------------------------------------------

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


def _draft_revenue(books: Books, lines: Iterable[DraftLine]) -> list[RevenueLine]:
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


def _issue_lines(books: Books, draft: Draft) -> list[ledger.Line]:
    """The voucher lines of a draft's invoice. Under the cash method the part paid with a
    credit balance is revenue at once; the rest waits on the interim account."""
    total = draft.total_minor
    lines = books.voucher_lines(draft.payer_id, draft.lines, receivables=total)
    personal = books.personal_ids()
    if not books.cash_method or not any(ln.account_id in personal for ln in draft.lines):
        return lines
    revenue = _draft_revenue(books, draft.lines)
    after = recognised(revenue, settled_minor(revenue, total))
    return merge_lines([*lines, *recognised_lines(books, draft.payer_id, Recognised(), after)])


def _check_drafts(drafts: Sequence[Draft], books: Books) -> None:
    for draft in drafts:
        if not draft.lines:
            raise BillingError(_("An invoice needs at least one line."))
        for line in draft.lines:
            if not isinstance(line.amount_minor, int) or isinstance(line.amount_minor, bool):
                raise BillingError(_("Amounts are whole numbers of öre/øre."))
            if line.vat_rate not in (0, *VAT_ROLES):
                raise BillingError(_("VAT is 0, 6, 12 or 25 per cent."))
            if not line.description.strip():
                raise BillingError(_("Every invoice line needs a description."))
            books.account(line.account_id)
            if line.cost_centre_id and line.cost_centre_id not in books.cost_centres:
                raise BillingError(_("Choose a cost centre or project of this association."))
            if line.project_id and line.project_id not in books.projects:
                raise BillingError(_("Choose a cost centre or project of this association."))
        if draft.total_minor <= 0 and not any(
            line.kind == LineKind.CREDIT_BALANCE for line in draft.lines
        ):
            raise BillingError(_("An invoice must come to more than zero."))


_LINE_COLUMNS = (
    "organisation_id",
    "invoice_id",
    "position",
    "kind",
    "description",
    "reason",
    "amount_minor",
    "vat_rate",
    "vat_minor",
    "account_id",
    "cost_centre_id",
    "project_id",
    "person_id",
    "household_id",
    "category_id",
    "starts_on",
    "ends_on",
    "billing_key",
)


def _invoice_text(number: int, name: str) -> str:
    return _("Invoice %(number)s, %(name)s") % {"number": number, "name": name}


@transaction.atomic
def issue_invoices(
    organisation: Organisation,
    drafts: Sequence[Draft],
    *,
    actor: Actor,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    billing_run: Any = None,
    use_credit_balances: bool = True,
) -> list[Invoice]:
    """Issue every draft as an invoice with its voucher (series F), or none of them.

    Set-wise: a fixed number of queries plus a few per 2,000 invoices. Numbers are taken
    gap-free in the order of `drafts`; credit balances are used first (see module doc).
    Sets `draft.invoice` and returns the invoices. BillingError names what is wrong; a
    fee already billed (`billing_key`) makes the whole call fail with nothing written."""
    if not drafts:
        return []
    books = Books.load(organisation)
    _check_drafts(drafts, books)
    terms = settings_for(organisation).payment_terms_days
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + dt.timedelta(days=terms)
    if due_on < issued_on:
        raise BillingError(_("The due date cannot be before the invoice date."))
    if use_credit_balances:
        _use_credit_balances(organisation, drafts, books.role("credit_balances"))
    recipients = _recipients(organisation, drafts)
    numbers = sequences.take(organisation, INVOICE_SEQUENCE, len(drafts))
    entries = []
    invoices = []
    with translation.override(organisation.language):
        for draft, number in zip(drafts, numbers, strict=True):
            recipient = recipients[(draft.payer_id, draft.household_id)]
            total = draft.total_minor
            entries.append(
                ledger.Entry(
                    booked_on=issued_on,
                    text=_invoice_text(number, recipient["recipient_name"]),
                    lines=_issue_lines(books, draft),
                    source=VoucherSource.INVOICE,
                    series=Series.INVOICES,
                    reference=str(number),
                )
            )
            invoices.append(
                Invoice(
                    organisation=organisation,
                    number=number,
                    ocr=ocr.invoice_reference("", number, width=OCR_WIDTH),
                    payer_id=draft.payer_id,
                    household_id=draft.household_id,
                    currency=organisation.currency,
                    issued_on=issued_on,
                    due_on=due_on,
                    total_minor=total,
                    vat_minor=sum(vat_part(ln.amount_minor, ln.vat_rate) for ln in draft.lines),
                    open_minor=total,
                    status=InvoiceStatus.OPEN if total > 0 else InvoiceStatus.PAID,
                    billing_run=billing_run,
                    text=draft.text[:200],
                    created_by=actor.user,
                    created_by_label=str(actor)[:254],
                    **recipient,
                )
            )
    try:
        with transaction.atomic():
            vouchers = ledger.post_many(organisation, entries, actor=actor)
            for invoice, voucher in zip(invoices, vouchers, strict=True):
                invoice.voucher = voucher
            bulk.create(invoices)
            org_id = organisation.pk
            rows = []
            for draft, invoice in zip(drafts, invoices, strict=True):
                draft.invoice = invoice
                for position, line in enumerate(draft.lines, start=1):
                    rows.append(
                        (
                            org_id,
                            invoice.pk,
                            position,
                            line.kind,
                            line.description[:250],
                            line.reason[:250],
                            line.amount_minor,
                            line.vat_rate,
                            vat_part(line.amount_minor, line.vat_rate),
                            line.account_id,
                            line.cost_centre_id,
                            line.project_id,
                            line.person_id,
                            line.household_id,
                            line.category_id,
                            line.starts_on,
                            line.ends_on,
                            line.billing_key,
                        )
                    )
            bulk.insert(InvoiceLine, _LINE_COLUMNS, rows)
    except ledger.LedgerError as error:
        raise BillingError(str(error)) from error
    except IntegrityError as error:
        raise BillingError(
            _("Some of these fees have already been invoiced (by another run at the same time?).")
        ) from error
    audit.record_many(
        actor,
        "billing.invoice.issued",
        list(invoices),
        organisation=organisation,
        changes=lambda inv: {"number": inv.number, "total_minor": inv.total_minor},  # type: ignore[attr-defined]
    )
    return invoices


def issue_invoice(
    organisation: Organisation,
    payer: Person,
    lines: Sequence[DraftLine],
    *,
    actor: Actor,
    household: Household | None = None,
    text: str = "",
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
) -> Invoice:
    """One invoice by hand (the office's "new invoice")."""
    if payer.organisation_id != organisation.pk:
        raise BillingError(_("Choose a person of this association as payer."))
    draft = Draft(
        payer_id=payer.pk,
        household_id=household.pk if household else None,
        lines=list(lines),
        text=text,
    )
    return issue_invoices(organisation, [draft], actor=actor, issued_on=issued_on, due_on=due_on)[0]


# --- changing what is owed: reminder fees and credit notes ------------------------------


def _locked(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(
        organisation_id=invoice.organisation_id, pk=invoice.pk
    )


def _status(invoice: Invoice, credited: int) -> str:
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        return InvoiceStatus.CREDIT_NOTE
    if invoice.open_minor > 0:
        return InvoiceStatus.OPEN
    if credited >= invoice.total_minor:
        return InvoiceStatus.CREDITED
    return InvoiceStatus.PAID


def credited_minor(invoice: Invoice) -> int:
    """How much of `invoice` its credit notes have credited (positive)."""
    total = Invoice.objects.filter(
        organisation_id=invoice.organisation_id, credits=invoice
    ).aggregate(total=Sum("total_minor"))["total"]
    return -int(total or 0)


@transaction.atomic
def add_line(
    invoice: Invoice,
    line: DraftLine,
    *,
    actor: Actor,
    booked_on: dt.date,
    source: str = VoucherSource.REMINDER_FEE,
) -> InvoiceLine:
    """Add a positive line to an open invoice (a reminder fee): the invoice's total and
    open amount grow, and a voucher books it (by the cash method, on the interim account
    until it is paid)."""
    invoice = _locked(invoice)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status != InvoiceStatus.OPEN:
        raise BillingError(_("Only an open invoice can have a line added."))
    if line.amount_minor <= 0:
        raise BillingError(_("The amount must be more than zero."))
    organisation = invoice.organisation
    books = Books.load(organisation)
    _check_drafts([Draft(payer_id=invoice.payer_id, lines=[line])], books)
    with translation.override(organisation.language):
        text = _("%(line)s, invoice %(number)s") % {
            "line": line.description,
            "number": invoice.number,
        }
    lines = books.voucher_lines(invoice.payer_id, [line], receivables=line.amount_minor)
    if books.cash_method:
        # The fee waits on the interim account; the revenue already recognised on the
        # invoice stays where it is (see `recognised`), unless the line is not a fee.
        revenue = revenue_lines(organisation, books, [invoice.pk])[invoice.pk]
        grown = [*revenue, *_draft_revenue(books, [line])]
        before = recognised(revenue, settled_minor(revenue, invoice.open_minor))
        after = recognised(grown, settled_minor(grown, invoice.open_minor + line.amount_minor))
        lines = merge_lines([*lines, *recognised_lines(books, invoice.payer_id, before, after)])
    try:
        ledger.post(
            organisation,
            ledger.Entry(
                booked_on=booked_on,
                text=text,
                lines=lines,
                source=source,
                series=Series.INVOICES,
                reference=str(invoice.number),
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise BillingError(str(error)) from error
    position = invoice.lines.count() + 1
    row = InvoiceLine.objects.create(
        organisation=organisation,
        invoice=invoice,
        position=position,
        kind=line.kind,
        description=line.description[:250],
        reason=line.reason[:250],
        amount_minor=line.amount_minor,
        vat_rate=line.vat_rate,
        vat_minor=vat_part(line.amount_minor, line.vat_rate),
        account_id=line.account_id,
        cost_centre_id=line.cost_centre_id,
        project_id=line.project_id,
        person_id=line.person_id,
    )
    invoice.total_minor += line.amount_minor
    invoice.vat_minor += row.vat_minor
    invoice.open_minor += line.amount_minor
    invoice.save(update_fields=["total_minor", "vat_minor", "open_minor", "updated_at"])
    audit.record(
        actor,
        "billing.invoice.line_added",
        invoice,
        person=None,
        line=row.description,
        amount_minor=row.amount_minor,
    )
    return row


@transaction.atomic
def credit_invoice(
    invoice: Invoice,
    *,
    actor: Actor,
    amounts: dict[int, int] | None = None,
    reason: str = "",
    credited_on: dt.date | None = None,
) -> Invoice:
    """Issue a credit note for `invoice`: every line not yet credited (`amounts` None) or
    the given amounts per line id (positive, at most what is left of each line).

    The credit note gets the next invoice number and a voucher that reverses the credited
    lines: what is still open on the invoice is taken off receivables; what was already
    paid goes to the payer's credit balance. By the cash method the open part comes off
    the interim account (it never was revenue) and only the paid part takes revenue and
    VAT back. Nothing is written on a BillingError."""
    organisation = invoice.organisation
    invoice = _locked(invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise BillingError(_("A credit note cannot be credited."))
    lines = list(invoice.lines.all())
    already: dict[int, int] = defaultdict(int)
    for line_id, amount in InvoiceLine.objects.filter(
        organisation=organisation, credits_line__invoice=invoice
    ).values_list("credits_line_id", "amount_minor"):
        already[line_id] -= amount
    left = {line.pk: line.amount_minor - already[line.pk] for line in lines}
    if amounts is None:
        chosen = {pk: amount for pk, amount in left.items() if amount}
    else:
        chosen = {}
        for line_id, amount in amounts.items():
            if line_id not in left:
                raise BillingError(_("Choose lines of this invoice to credit."))
            if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
                raise BillingError(_("Credit amounts are positive whole numbers of öre/øre."))
            if amount > max(left[line_id], 0):
                raise BillingError(_("A credit note cannot credit more than is left of a line."))
            if amount:
                chosen[line_id] = amount
    total = sum(chosen.values())
    if not chosen or total <= 0:
        raise BillingError(_("Nothing is left to credit on this invoice."))
    if total > invoice.total_minor - sum(already.values()):
        raise BillingError(_("A credit note cannot be larger than its invoice."))
    credited_on = credited_on or timezone.localdate()
    by_pk = {line.pk: line for line in lines}
    note_lines = []
    for position, (line_id, amount) in enumerate(chosen.items(), start=1):
        original = by_pk[line_id]
        note_lines.append(
            InvoiceLine(
                organisation=organisation,
                position=position,
                kind=LineKind.CREDIT,
                description=original.description,
                reason=reason[:250],
                amount_minor=-amount,
                vat_rate=original.vat_rate,
                vat_minor=vat_part(-amount, original.vat_rate),
                account_id=original.account_id,
                cost_centre_id=original.cost_centre_id,
                project_id=original.project_id,
                person_id=original.person_id,
                household_id=original.household_id,
                category_id=original.category_id,
                starts_on=original.starts_on,
                ends_on=original.ends_on,
                credits_line=original,
            )
        )
    off_receivables = min(total, invoice.open_minor)
    to_credit_balance = total - off_receivables
    books = Books.load(organisation)
    number = sequences.take(organisation, INVOICE_SEQUENCE)[0]
    with translation.override(organisation.language):
        text = _("Credit note %(number)s for invoice %(invoice)s") % {
            "number": number,
            "invoice": invoice.number,
        }
    positive = [
        DraftLine(
            description=line.description,
            amount_minor=-line.amount_minor,
            account_id=line.account_id,
            vat_rate=line.vat_rate,
            cost_centre_id=line.cost_centre_id,
            project_id=line.project_id,
        )
        for line in note_lines
    ]
    entry_lines = books.voucher_lines(
        invoice.payer_id,
        positive,
        receivables=-off_receivables,
        credit_balance=-to_credit_balance,
        sign=-1,
    )
    if books.cash_method:
        entry_lines = merge_lines(
            [*entry_lines, *_credit_recognition(books, invoice, note_lines, off_receivables)]
        )
    try:
        voucher = ledger.post(
            organisation,
            ledger.Entry(
                booked_on=credited_on,
                text=text,
                lines=entry_lines,
                source=VoucherSource.CREDIT_NOTE,
                series=Series.INVOICES,
                reference=str(number),
            ),
            actor=actor,
        )
    except ledger.LedgerError as error:
        raise BillingError(str(error)) from error
    note = Invoice.objects.create(
        organisation=organisation,
        kind=InvoiceKind.CREDIT_NOTE,
        number=number,
        payer_id=invoice.payer_id,
        household_id=invoice.household_id,
        recipient_name=invoice.recipient_name,
        recipient_care_of=invoice.recipient_care_of,
        recipient_street=invoice.recipient_street,
        recipient_postal_code=invoice.recipient_postal_code,
        recipient_city=invoice.recipient_city,
        recipient_country=invoice.recipient_country,
        recipient_email=invoice.recipient_email,
        language=invoice.language,
        currency=invoice.currency,
        issued_on=credited_on,
        due_on=credited_on,
        total_minor=-total,
        vat_minor=sum(line.vat_minor for line in note_lines),
        open_minor=0,
        status=InvoiceStatus.CREDIT_NOTE,
        credits=invoice,
        voucher=voucher,
        text=reason[:200],
        created_by=actor.user,
        created_by_label=str(actor)[:254],
    )
    for line in note_lines:
        line.invoice = note
    InvoiceLine.objects.bulk_create(note_lines)
    invoice.open_minor -= off_receivables
    invoice.status = _status(invoice, sum(already.values()) + total)
    invoice.save(update_fields=["open_minor", "status", "updated_at"])
    audit.record(
        actor,
        "billing.invoice.credited",
        invoice,
        person=None,
        credit_note=note.number,
        amount_minor=total,
        to_credit_balance_minor=to_credit_balance,
        reason=reason,
    )
    return note


def _credit_recognition(
    books: Books, invoice: Invoice, note_lines: Sequence[InvoiceLine], off_receivables: int
) -> list[ledger.Line]:
    """Under the cash method, the lines that bring the invoice's recognised revenue to what
    is paid of what is left of it after the credit note (`note_lines`, negative)."""
    organisation = invoice.organisation
    revenue = revenue_lines(organisation, books, [invoice.pk])[invoice.pk]
    credited: dict[int, tuple[int, int]] = {
        line.credits_line_id: (line.amount_minor, line.vat_minor)
        for line in note_lines
        if line.credits_line_id is not None
    }
    left = [
        replace(
            line,
            amount_minor=line.amount_minor + credited.get(line.line_id, (0, 0))[0],
            vat_minor=line.vat_minor + credited.get(line.line_id, (0, 0))[1],
        )
        for line in revenue
    ]
    before = recognised(revenue, settled_minor(revenue, invoice.open_minor))
    after = recognised(left, settled_minor(left, invoice.open_minor - off_receivables))
    return recognised_lines(books, invoice.payer_id, before, after)


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One movement in a member's ledger: a voucher line on receivables or on the credit
    balance. `amount` is what it does to what the person owes (positive: owes more);
    `balance` is the running balance after it."""

    booked_on: dt.date
    voucher: str
    source: str
    text: str
    reference: str
    account: str
    amount: int
    balance: int


@dataclass
class MemberLedger:
    rows: list[LedgerRow]
    balance: int  # positive: the person owes; negative: the association owes them
    receivables: int
    credit: int  # their credit balance (positive)
    invoices: list[Invoice]
    overdue_minor: int


def member_ledger(
    organisation: Organisation, person: Person, *, today: dt.date | None = None
) -> MemberLedger:
    """The payer's ledger (INV-05), read from the journal: every line on receivables and
    on the credit-balance account with this person, in date order, with the running
    balance; and their invoices. Three queries."""
    today = today or timezone.localdate()
    books = ledger.accounts_by_role(organisation)
    accounts = [books[role] for role in PERSONAL_ROLES if role in books]
    lines = (
        VoucherLine.objects.filter(organisation=organisation, person=person, account__in=accounts)
        .select_related("voucher", "account")
        .order_by("voucher__booked_on", "voucher__created_at", "voucher_id", "pk")
    )
    rows = []
    balance = receivables = credit = 0
    receivables_pk = books["receivables"].pk if "receivables" in books else None
    for line in lines:
        balance += line.amount
        if line.account_id == receivables_pk:
            receivables += line.amount
        else:
            credit -= line.amount
        rows.append(
            LedgerRow(
                booked_on=line.voucher.booked_on,
                voucher=str(line.voucher),
                source=line.voucher.source,
                text=line.voucher.text,
                reference=line.voucher.reference,
                account=line.account.number,
                amount=line.amount,
                balance=balance,
            )
        )
    invoices = list(
        Invoice.objects.filter(organisation=organisation, payer=person).order_by(
            "-issued_on", "-number"
        )
    )
    overdue = sum(inv.open_minor for inv in invoices if inv.is_overdue(today))
    return MemberLedger(
        rows=rows,
        balance=balance,
        receivables=receivables,
        credit=credit,
        invoices=invoices,
        overdue_minor=overdue,
    )


def invoices_for(organisation: Organisation, person: Person) -> Any:
    """Invoices where `person` is the payer or has a line (a child billed to a parent).

    The invoices with the person's lines are looked up first (a few, by an index): an OR
    across the join to the lines, with DISTINCT, made PostgreSQL read every invoice of
    the association."""
    on_lines = list(
        InvoiceLine.objects.filter(organisation=organisation, person=person)
        .values_list("invoice_id", flat=True)
        .distinct()
    )
    return (
        Invoice.objects.filter(organisation=organisation)
        .filter(Q(payer=person) | Q(pk__in=on_lines))
        .select_related("payer")
        .order_by("-issued_on", "-number")
    )


def format_amount(organisation: Organisation, amount_minor: int) -> str:
    return money.format_money(
        amount_minor, organisation.currency, translation.get_language() or "sv"
    )
