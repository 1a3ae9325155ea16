"""Issuing invoices (INV-01, INV-02): a run's drafts or one invoice by hand, each with its
voucher in series F in the same transaction; and a line (a reminder fee, INV-04) added to
an open invoice.

By the invoice method an invoice books receivables (with the payer) against revenue per
account, cost centre and project, and output VAT; by the cash method, against the interim
account (see `recognition`). A payer's credit balance is used first, as a negative line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forening.billing import locks, ocr
from forening.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from forening.billing.services.books import Books
from forening.billing.services.common import (
    INVOICE_SEQUENCE,
    OCR_WIDTH,
    VAT_ROLES,
    BillingError,
    Draft,
    DraftLine,
    display_name,
    vat_part,
)
from forening.billing.services.crediting import credit_balances
from forening.billing.services.recognition import (
    Recognised,
    draft_revenue,
    merge_lines,
    recognised,
    recognised_lines,
    revenue_lines,
    settled_minor,
)
from forening.billing.services.settings import settings_for
from forening.core import audit, bulk, sequences
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.households.models import Household
from forening.ledger import services as ledger
from forening.ledger.models import Account, Series, VoucherSource

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


def _issue_lines(books: Books, draft: Draft) -> list[ledger.Line]:
    """The voucher lines of a draft's invoice. Under the cash method the part paid with a
    credit balance is revenue at once; the rest waits on the interim account."""
    total = draft.total_minor
    lines = books.voucher_lines(draft.payer_id, draft.lines, receivables=total)
    personal = books.personal_ids()
    if not books.cash_method or not any(ln.account_id in personal for ln in draft.lines):
        return lines
    revenue = draft_revenue(books, draft.lines)
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
        changes=lambda inv: {"number": inv.number, "total_minor": inv.total_minor},
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
    invoice = locks.lock_invoice(invoice)
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
        grown = [*revenue, *draft_revenue(books, [line])]
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
