"""Billing runs (INV-01): the fee engine's bills for a period become invoices.

`plan()` computes what a run would invoice, leaving out every fee already invoiced for the
same category, person (or household) and period start: repeating a run, or running it
again after new members joined, invoices only what is new, and a run that is repeated
after it was killed half-way finds nothing half-done, because `commit()` writes the run,
its invoices and their vouchers in one transaction. The unique `InvoiceLine.billing_key`
makes a duplicate impossible even for two runs at the same moment.

A run for a period that overlaps a different period already invoiced (a season after a
calendar year covering the same months) is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from forening.billing import locks
from forening.billing.models import BillingRun, InvoiceLine, LineKind
from forening.billing.services import (
    BillingError,
    Draft,
    DraftLine,
    issue_invoices,
    settings_for,
)
from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.fees import engine
from forening.fees.models import FeeCategory, FeeKind
from forening.fees.periods import Period, current_settings, period_for
from forening.members.models import SavedSearch
from forening.members.search import saved_search_people

PREVIEW_INVOICES = 20


def billing_key(line: engine.FeeLine) -> str:
    whom = f"p{line.person_id}" if line.person_id else f"h{line.household_id}"
    return f"fee:{line.category_id}:{whom}:{line.starts_on.isoformat()}"


@dataclass
class CategorySum:
    category_id: int
    name: str
    lines: int = 0
    amount_minor: int = 0


@dataclass
class Plan:
    """What a run would invoice. `drafts` are the invoices, in the order they would be
    numbered; `already_billed` counts the fees left out because they are invoiced."""

    period: Period
    selection: SavedSearch | None
    drafts: list[Draft]
    already_billed: int
    skipped: list[engine.Skipped]
    totals: list[CategorySum] = field(default_factory=list)
    label: str = ""

    @property
    def total_minor(self) -> int:
        return sum(draft.total_minor for draft in self.drafts)

    @property
    def selection_label(self) -> str:
        if self.label:
            return self.label
        return self.selection.name if self.selection else _("All members")


def check_period(organisation: Organisation, period: Period) -> None:
    overlapping = (
        BillingRun.objects.filter(
            organisation=organisation, starts_on__lte=period.ends_on, ends_on__gte=period.starts_on
        )
        .exclude(starts_on=period.starts_on, ends_on=period.ends_on)
        .first()
    )
    if overlapping is not None:
        raise BillingError(
            _(
                "The period %(period)s overlaps the period %(other)s, which has already been "
                "invoiced: a member would pay twice for the same months."
            )
            % {
                "period": f"{period.starts_on:%Y-%m-%d} – {period.ends_on:%Y-%m-%d}",
                "other": f"{overlapping.starts_on:%Y-%m-%d} – {overlapping.ends_on:%Y-%m-%d}",
            }
        )


def _people(organisation: Organisation, selection: SavedSearch | None) -> QuerySet[Person] | None:
    """The selection, widened to whole households (a household fee and the family cap
    need everyone in it)."""
    if selection is None:
        return None
    if selection.organisation_id != organisation.pk:
        raise BillingError(_("Choose a saved search of this association."))
    chosen = saved_search_people(selection)
    households = chosen.exclude(household=None).values("household")
    return Person.objects.filter(organisation=organisation).filter(
        pk__in=chosen.values("pk")
    ) | Person.objects.filter(organisation=organisation, household__in=households)


def _billed_before(organisation: Organisation, period: Period) -> tuple[set[str], dict[int, int]]:
    """The billing keys already invoiced for fees starting in the period, and per
    household what its membership fees came to (after caps and credits)."""
    lines = InvoiceLine.objects.filter(
        organisation=organisation, starts_on__gte=period.starts_on, starts_on__lte=period.ends_on
    )
    keys = set(lines.exclude(billing_key="").values_list("billing_key", flat=True))
    per_household = {
        household_id: int(total or 0)
        for household_id, total in lines.filter(
            category__kind=FeeKind.MEMBERSHIP,
            kind__in=[LineKind.FEE, LineKind.FAMILY_CAP, LineKind.CREDIT],
        )
        .exclude(household=None)
        .values("household")
        .annotate(total=Sum("amount_minor"))
        .values_list("household", "total")
    }
    return keys, per_household


def _draft_line(line: engine.FeeLine, key: str = "") -> DraftLine:
    return DraftLine(
        kind=LineKind.FEE if line.kind == engine.LineKind.FEE else LineKind.FAMILY_CAP,
        description=line.description,
        reason=line.reason,
        amount_minor=line.amount_minor,
        account_id=line.account_id,
        vat_rate=line.vat_rate,
        cost_centre_id=line.cost_centre_id,
        project_id=line.project_id,
        person_id=line.person_id,
        household_id=line.household_id,
        category_id=line.category_id,
        starts_on=line.starts_on,
        ends_on=line.ends_on,
        billing_key=key,
    )


def plan(
    organisation: Organisation,
    fee_year: int,
    selection: SavedSearch | None = None,
    *,
    people: QuerySet[Person] | None = None,
    label: str = "",
) -> Plan:
    """What a run for `fee_year` would invoice to `selection` (everyone when None),
    limited to `people` when given (automatic renewal's members with an anniversary)."""
    period = period_for(organisation, fee_year)
    check_period(organisation, period)
    chosen = _people(organisation, selection)
    if people is not None:
        chosen = people if chosen is None else chosen.filter(pk__in=people.values("pk"))
    result = engine.compute(organisation, period, chosen)
    billed, household_paid = _billed_before(organisation, period)
    membership = set(
        FeeCategory.objects.filter(organisation=organisation, kind=FeeKind.MEMBERSHIP).values_list(
            "pk", flat=True
        )
    )
    cap = current_settings(organisation).family_cap_minor
    names = {category.category_id: category.name for category in result.totals}
    sums: dict[int, CategorySum] = {}
    drafts = []
    already = 0
    for bill in result.bills:
        new: list[DraftLine] = []
        households_seen_before: set[int] = set()
        for line in bill.lines:
            if line.kind != engine.LineKind.FEE:
                continue
            key = billing_key(line)
            if key in billed:
                already += 1
                if line.household_id:
                    households_seen_before.add(line.household_id)
                continue
            new.append(_draft_line(line, key))
        if not new:
            continue
        for line in bill.lines:
            if (
                line.kind == engine.LineKind.FAMILY_CAP
                and line.household_id not in households_seen_before
            ) and any(n.household_id == line.household_id for n in new):
                new.append(_draft_line(line))
        if cap is not None:
            for household_id in households_seen_before:
                new.extend(
                    _cap_again(
                        new, household_id, household_paid.get(household_id, 0), cap, membership
                    )
                )
        draft = Draft(payer_id=bill.payer_id, household_id=bill.household_id, lines=new)
        if draft.total_minor <= 0:
            continue
        drafts.append(draft)
        for drafted in new:
            if drafted.category_id is None:
                continue
            found = sums.setdefault(
                drafted.category_id,
                CategorySum(drafted.category_id, names.get(drafted.category_id, "")),
            )
            found.lines += 1 if drafted.kind == LineKind.FEE else 0
            found.amount_minor += drafted.amount_minor
    return Plan(
        period=period,
        selection=selection,
        drafts=drafts,
        already_billed=already,
        skipped=result.skipped,
        totals=sorted(sums.values(), key=lambda s: s.name),
        label=label,
    )


def _cap_again(
    new: list[DraftLine], household_id: int, paid: int, cap: int, membership: set[int]
) -> list[DraftLine]:
    """The family cap for a household that was invoiced before in this period: new
    membership fees are reduced so that all of them together stay at the cap."""
    fees = [
        line
        for line in new
        if line.household_id == household_id
        and line.kind == LineKind.FEE
        and line.category_id in membership
    ]
    added = sum(line.amount_minor for line in fees)
    over = min(added, max(0, paid + added - cap))
    if not fees or over <= 0:
        return []
    parts = engine.allocate(over, [line.amount_minor for line in fees])
    head = _("Family cap")
    return [
        DraftLine(
            kind=LineKind.FAMILY_CAP,
            description=f"{head}: {line.description}"[:250],
            reason=_("The household has reached the family cap for the period."),
            amount_minor=-part,
            account_id=line.account_id,
            vat_rate=line.vat_rate,
            cost_centre_id=line.cost_centre_id,
            project_id=line.project_id,
            household_id=household_id,
            category_id=line.category_id,
            starts_on=line.starts_on,
            ends_on=line.ends_on,
        )
        for line, part in zip(fees, parts, strict=True)
        if part
    ]


@transaction.atomic
def commit(
    organisation: Organisation,
    fee_year: int,
    selection: SavedSearch | None = None,
    *,
    actor: Actor,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    automatic: bool = False,
    people: QuerySet[Person] | None = None,
    selection_label: str = "",
) -> tuple[BillingRun | None, Plan]:
    """Invoice the run: all of it or, on any error, nothing. Returns (None, plan) when
    there is nothing new to invoice."""
    # One run at a time per association: the second waits, then finds the first's work.
    locks.lock_settings(organisation)
    found = plan(organisation, fee_year, selection, people=people, label=selection_label)
    if not found.drafts:
        return None, found
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + dt.timedelta(days=settings_for(organisation).payment_terms_days)
    run = BillingRun.objects.create(
        organisation=organisation,
        fee_year=fee_year,
        period_kind=found.period.kind,
        starts_on=found.period.starts_on,
        ends_on=found.period.ends_on,
        selection=selection,
        selection_label=found.selection_label[:200],
        issued_on=issued_on,
        due_on=due_on,
        automatic=automatic,
        created_by=actor.user,
        created_by_label=str(actor)[:254],
    )
    invoices = issue_invoices(
        organisation, found.drafts, actor=actor, issued_on=issued_on, due_on=due_on, billing_run=run
    )
    run.invoice_count = len(invoices)
    run.total_minor = sum(invoice.total_minor for invoice in invoices)
    run.save(update_fields=["invoice_count", "total_minor", "updated_at"])
    audit.record(
        actor,
        "billing.run.committed",
        run,
        person=None,
        fee_year=fee_year,
        invoices=run.invoice_count,
        total_minor=run.total_minor,
    )
    return run, found
