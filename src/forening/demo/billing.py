"""A year of fee invoicing for the demo club (issue 4), made only through the services.

`build_billing` gives IK Demo its fee rules and billing settings, then lives through the
fee year as an office would: a billing run (for the members of the day), Bankgiro and
Swish payments over the following weeks (most in full, some partly, a few too much, a
couple without a reference), credit notes, a reversed payment, reminders on the days the
daily task would have sent them, and a second run for the members who joined since.

Every event is a service call, run in date order, so voucher numbers follow the dates
and `forening check-ledger` finds nothing. Everything is decided by the seeded `rng` and
`today`; all dates are on or before `today`. Texts written here (reasons, references)
are demo content in Swedish, like the rest of the demo.

The year is history, so nothing is queued for the task worker: the reminders are recorded
as sent without e-mailing them, and the invoices with an e-mail address are marked as
e-mailed on their issue day (`make run` would otherwise render and send dozens of PDFs
on its first start).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.utils import translation

from forening.billing import reminders, runs
from forening.billing import services as billing
from forening.billing.models import BillingRun, Invoice, InvoiceLine, LineKind
from forening.core.context import Actor, acting_as
from forening.core.models import Group, MemberStatus, Organisation, Person, Section
from forening.demo.people import at_nine
from forening.fees import services as fees
from forening.fees.models import AgeReference, ChargedPer, FeeKind, PeriodKind
from forening.ledger import services as ledger
from forening.ledger.models import CostCentre, Project
from forening.members.models import MembershipKind, MembershipType
from forening.payments import services as payments
from forening.payments.models import Channel, Payment

# Bankgirot's own test number and a Swish number of the 123 series (Swish Handel).
BANKGIRO = "5050-1055"
SWISH_NUMBER = "1231181189"
FAMILY_CAP = 150_000
MEMBERSHIP_BANDS = [
    fees.AgeBand(0, 6, 0, "Knatte"),
    fees.AgeBand(7, 12, 20_000, "Barn"),
    fees.AgeBand(13, 19, 30_000, "Ungdom"),
    fees.AgeBand(20, None, 45_000, "Vuxen"),
]
FAMILY_FEE = 100_000
SUPPORTING_FEE = 15_000
PASSIVE_FEE = 20_000
YOUTH_FOOTBALL_FEE = 90_000
SENIOR_FOOTBALL_FEE = 120_000
GYMNASTICS_FEE = 60_000

# Shares of the first run's invoices.
PAID_IN_FULL = 0.80
PARTLY_PAID = 0.05
OVERPAID = 0.03
# Of the partly paid, the share paying the rest after the first reminder; of the unpaid,
# the share paying only after the second reminder.
REST_AFTER_REMINDER = 0.5
PAID_AFTER_REMINDERS = 0.5

# Same-day order: reminders go out in the morning, payments arrive later, runs come last.
_REMINDERS, _MONEY, _RUN = 0, 1, 2


def build_billing(club: Organisation, *, rng: random.Random, today: dt.date, actor: Actor) -> None:
    """Fee rules, billing settings and a fee year of invoices, payments, credit notes and
    reminders for `club`, ending on `today`; the next year's run is ready to preview."""
    with translation.override(club.language), acting_as(actor):
        _settings(club, actor)
        _fee_rules(club, actor)
        fee_year = today.year - 1 if today.month < 3 else today.year
        _FeeYear(club, rng, today, actor, fee_year).live()


def _settings(club: Organisation, actor: Actor) -> None:
    billing.update_settings(
        club,
        actor=actor,
        bankgiro=BANKGIRO,
        swish_number=SWISH_NUMBER,
        payment_terms_days=30,
        reminder_steps=2,
        reminder_after_days=10,
        reminder_interval_days=14,
        reminder_terms_days=10,
        reminder_fee_minor=6_000,
        auto_renewal=False,  # the demo never invoices by itself
        renewal_month=12,
        renewal_day=1,
        invoice_note="Frågor om fakturan? Skriv till kansliet@ik-demo.se.",
    )
    fees.update_fee_settings(
        club,
        actor=actor,
        period_kind=PeriodKind.CALENDAR_YEAR,
        age_reference=AgeReference.END_OF_FEE_YEAR,
        age_reference_month=12,
        age_reference_day=31,
        family_cap_minor=FAMILY_CAP,
    )


def _fee_rules(club: Organisation, actor: Actor) -> None:
    """Membership fees by membership type (honorary members pay none: the engine leaves
    them out), training fees per group or section on the training-fee account."""
    accounts = ledger.accounts_by_role(club)
    types = {t.kind: t for t in MembershipType.objects.filter(organisation=club)}
    sections = {s.name: s for s in Section.objects.filter(organisation=club)}
    groups = {g.name: g for g in Group.objects.filter(organisation=club)}
    # Cost centres and projects are master data (no ledger service creates them yet).
    fotboll = CostCentre.objects.create(organisation=club, code="10", name="Fotboll")
    gymnastik = CostCentre.objects.create(organisation=club, code="20", name="Gymnastik")
    project = Project.objects.create(
        organisation=club, code="UNG", name="Ungdomsfotboll (Idrottslyftet)"
    )

    def membership(name: str, kind: str, position: int, **fields: Any) -> None:
        fees.create_fee_category(
            club,
            actor=actor,
            name=name,
            kind=FeeKind.MEMBERSHIP,
            account=accounts["membership_fees"],
            membership_types=[types[kind]],
            position=position,
            **fields,
        )

    membership("Medlemsavgift", MembershipKind.ORDINARY, 0, bands=MEMBERSHIP_BANDS)
    if MembershipKind.FAMILY in types:
        membership(
            "Familjemedlemskap",
            MembershipKind.FAMILY,
            1,
            amount_minor=FAMILY_FEE,
            charged_per=ChargedPer.HOUSEHOLD,
        )
    membership("Passivt medlemskap", MembershipKind.PASSIVE, 2, amount_minor=PASSIVE_FEE)
    membership("Stödmedlemskap", MembershipKind.SUPPORTING, 3, amount_minor=SUPPORTING_FEE)

    training = accounts["training_fees"]
    youth = sorted(
        (g for name, g in groups.items() if name[:1] in "PF" and name[1:].isdigit()),
        key=lambda g: g.name,
    )
    fees.create_fee_category(
        club,
        actor=actor,
        name="Träningsavgift fotboll ungdom",
        kind=FeeKind.TRAINING,
        amount_minor=YOUTH_FOOTBALL_FEE,
        account=training,
        cost_centre=fotboll,
        project=project,
        groups=youth,
        position=10,
    )
    fees.create_fee_category(
        club,
        actor=actor,
        name="Träningsavgift fotboll senior",
        kind=FeeKind.TRAINING,
        amount_minor=SENIOR_FOOTBALL_FEE,
        account=training,
        cost_centre=fotboll,
        groups=[groups[name] for name in ("Herrar", "Damer") if name in groups],
        position=11,
    )
    fees.create_fee_category(
        club,
        actor=actor,
        name="Träningsavgift gymnastik",
        kind=FeeKind.TRAINING,
        amount_minor=GYMNASTICS_FEE,
        account=training,
        cost_centre=gymnastik,
        section=sections["Gymnastik"],
        position=12,
    )


class _Pool:
    """The invoices not yet given a fate, in a random order."""

    def __init__(self, invoices: list[Invoice], rng: random.Random) -> None:
        self.left = invoices[:]
        rng.shuffle(self.left)

    def take(self, test: Callable[[Invoice], bool] | None = None) -> Invoice | None:
        chosen = next((inv for inv in self.left if test is None or test(inv)), None)
        if chosen is not None:
            self.left.remove(chosen)
        return chosen


@dataclass(order=True)
class _Event:
    day: dt.date
    order: int
    seq: int
    action: Callable[[], None] = field(compare=False)


class _FeeYear:
    """The fee year as a timeline of service calls, run in date order."""

    def __init__(
        self,
        club: Organisation,
        rng: random.Random,
        today: dt.date,
        actor: Actor,
        fee_year: int,
    ) -> None:
        self.club, self.rng, self.today, self.actor = club, rng, today, actor
        self.fee_year = fee_year
        self.issued_on = _issue_day(today, fee_year)
        self.events: list[_Event] = []
        self.counter = itertools.count()
        self.now = self.issued_on  # the day of the event being run

    def at(self, day: dt.date, action: Callable[[], None], order: int = _MONEY) -> None:
        """Schedule `action` on `day`, or on `today` when `day` is after it (nothing is
        dated in the future)."""
        heapq.heappush(self.events, _Event(min(day, self.today), order, next(self.counter), action))

    def after(self, days: int) -> dt.date:
        return self.issued_on + dt.timedelta(days=days)

    def live(self) -> None:
        club = self.club
        run, _plan = runs.commit(
            club,
            self.fee_year,
            actor=self.actor,
            issued_on=self.issued_on,
            # The members of the day; who joins later is invoiced by the second run.
            people=Person.objects.filter(organisation=club, joined_on__lte=self.issued_on),
            selection_label="Alla medlemmar",
        )
        if run is None:
            return
        _mark_emailed(run)
        found = billing.settings_for(club)
        first = run.due_on + dt.timedelta(days=found.reminder_after_days)
        for step in range(found.reminder_steps):
            day = first + dt.timedelta(days=step * found.reminder_interval_days)
            if day <= self.today:
                self.at(day, self.send_reminders, _REMINDERS)
        self.plan_first_run(run)
        catch_up = self.today - dt.timedelta(days=self.rng.randint(7, 20))
        if catch_up > self.issued_on:
            self.at(catch_up, partial(self.second_run, catch_up), _RUN)
        while self.events:
            event = heapq.heappop(self.events)
            self.now = event.day
            event.action()

    # --- what happens to the first run's invoices -----------------------------------

    def plan_first_run(self, run: BillingRun) -> None:
        club = self.club
        invoices = list(
            Invoice.objects.filter(organisation=club, billing_run=run).order_by("number")
        )
        training: dict[int, list[InvoiceLine]] = defaultdict(list)
        fee_lines: dict[int, int] = defaultdict(int)
        for line in InvoiceLine.objects.filter(
            organisation=club, invoice__billing_run=run, kind=LineKind.FEE
        ).select_related("category"):
            fee_lines[line.invoice_id] += 1
            if line.category is not None and line.category.kind == FeeKind.TRAINING:
                training[line.invoice_id].append(line)
        # Households someone joined since the run: the second run invoices them again and
        # would use up a credit balance, so the credit balances are made elsewhere.
        late = set(
            Person.objects.filter(
                organisation=club, status=MemberStatus.ACTIVE, joined_on__gt=self.issued_on
            )
            .exclude(household=None)
            .values_list("household", flat=True)
        )
        pool = _Pool(invoices, self.rng)
        self.plan_corrections(pool, training, fee_lines, late)
        self.plan_payments(pool, len(invoices), late)

    def plan_corrections(
        self,
        pool: _Pool,
        training: dict[int, list[InvoiceLine]],
        fee_lines: dict[int, int],
        late: set[int],
    ) -> None:
        """Credit notes, a reversed payment, payments without a reference."""
        rng = self.rng
        # A child stopped training: the training fee is credited, the rest paid.
        chosen = pool.take(lambda inv: bool(training[inv.pk]) and fee_lines[inv.pk] >= 2)
        if chosen is not None:
            line = training[chosen.pk][0]
            amounts = {line.pk: line.amount_minor}
            reason = "Slutat träna före terminsstart"
            self.at(self.after(rng.randint(8, 20)), partial(self.credit, chosen, reason, amounts))
            self.at(self.after(rng.randint(22, 32)), partial(self.pay, chosen))
        # Paid, then a line credited: the money goes to the payer's credit balance.
        chosen = pool.take(lambda inv: bool(training[inv.pk]) and inv.household_id not in late)
        if chosen is not None:
            line = training[chosen.pk][0]
            amounts = {line.pk: line.amount_minor}
            reason = "Skadad, tränar inte resten av året"
            self.at(self.after(rng.randint(3, 20)), partial(self.pay, chosen))
            self.at(self.after(rng.randint(60, 80)), partial(self.credit, chosen, reason, amounts))
        # Moved away before the year began: credited in whole.
        chosen = pool.take()
        if chosen is not None:
            reason = "Flyttat från orten före årsskiftet"
            self.at(self.after(rng.randint(5, 25)), partial(self.credit, chosen, reason, None))
        # Paid with this OCR reference by someone paying another club, and reversed: the
        # invoice is open again.
        chosen = pool.take()
        if chosen is not None:
            reversed_on = self.after(rng.randint(14, 28))
            self.at(
                self.after(rng.randint(5, 12)), partial(self.pay_and_reverse, chosen, reversed_on)
            )
        # Paid without a reference: one placed by the office a week later, one still not.
        chosen = pool.take()
        if chosen is not None:
            wait = rng.randint(5, 12)
            self.at(self.after(rng.randint(10, 25)), partial(self.pay_unknown, chosen, wait))
        chosen = pool.take()
        if chosen is not None:
            self.at(self.after(rng.randint(20, 35)), partial(self.pay_unknown, chosen, None))
        # Paid by bank transfer without the OCR reference; the office knew the payer.
        for _ in range(2):
            chosen = pool.take()
            if chosen is not None:
                self.at(self.after(rng.randint(5, 35)), partial(self.pay_by_person, chosen))

    def plan_payments(self, pool: _Pool, count: int, late: set[int]) -> None:
        """Too much, part, in full (mostly in time), or nothing."""
        rng = self.rng
        for _ in range(max(2, round(OVERPAID * count))):
            chosen = pool.take(lambda inv: inv.household_id not in late)
            if chosen is not None:
                extra = rng.choice([5_000, 10_000, 20_000])
                self.at(self.after(rng.randint(3, 30)), partial(self.pay, chosen, extra=extra))
        for _ in range(max(2, round(PARTLY_PAID * count))):
            chosen = pool.take()
            if chosen is not None:
                self.at(self.after(rng.randint(3, 35)), partial(self.pay_half, chosen))
                if rng.random() < REST_AFTER_REMINDER:
                    self.at(self.after(rng.randint(41, 53)), partial(self.pay, chosen))
        for _ in range(round(PAID_IN_FULL * count)):
            chosen = pool.take()
            if chosen is None:
                break
            roll = rng.random()
            if roll < 0.7:
                days = rng.randint(2, 30)  # in time
            elif roll < 0.9:
                days = rng.randint(31, 39)  # late, before the first reminder
            else:
                days = rng.randint(41, 53)  # after the first reminder, with its fee
            self.at(self.after(days), partial(self.pay, chosen))
        # The rest stay unpaid; some pay after the second reminder, the others end on the
        # collection list.
        for invoice in pool.left:
            if rng.random() < PAID_AFTER_REMINDERS:
                self.at(self.after(rng.randint(56, 85)), partial(self.pay, invoice))

    # --- the second run: members who joined since the first ---------------------------

    def second_run(self, day: dt.date) -> None:
        run, _plan = runs.commit(
            self.club,
            self.fee_year,
            actor=self.actor,
            issued_on=day,
            selection_label="Nya medlemmar",
        )
        if run is None:
            return
        _mark_emailed(run)
        waited = (self.today - day).days
        for invoice in Invoice.objects.filter(organisation=self.club, billing_run=run).order_by(
            "number"
        ):
            if waited > 0 and self.rng.random() < 0.5:
                paid_on = day + dt.timedelta(days=self.rng.randint(1, waited))
                self.at(paid_on, partial(self.pay, invoice))

    # --- the service calls -----------------------------------------------------------

    def send_reminders(self) -> None:
        # Recorded as sent on their day; e-mailing them now would send a past year's mail.
        reminders.send_due(self.club, today=self.now, actor=self.actor, email=False)

    def fresh(self, invoice: Invoice) -> Invoice:
        return Invoice.objects.get(organisation=self.club, pk=invoice.pk)

    def pay(self, invoice: Invoice, *, extra: int = 0) -> None:
        """Pay what is open (with any reminder fee) by Bankgiro, with the OCR reference."""
        invoice = self.fresh(invoice)
        if invoice.open_minor <= 0:
            return
        payments.register_payment(
            self.club,
            amount_minor=invoice.open_minor + extra,
            paid_on=self.now,
            channel=Channel.BANKGIRO,
            actor=self.actor,
            reference=invoice.ocr,
            payer_name=invoice.recipient_name,
        )

    def pay_half(self, invoice: Invoice) -> None:
        """Part of it by Swish, whole kronor, the OCR reference in the message."""
        invoice = self.fresh(invoice)
        amount = invoice.open_minor // 200 * 100
        if amount <= 0:
            return
        payments.register_payment(
            self.club,
            amount_minor=amount,
            paid_on=self.now,
            channel=Channel.SWISH,
            actor=self.actor,
            reference=invoice.ocr,
            payer_name=invoice.recipient_name,
        )

    def pay_by_person(self, invoice: Invoice) -> None:
        invoice = self.fresh(invoice)
        payments.register_payment(
            self.club,
            amount_minor=invoice.open_minor,
            paid_on=self.now,
            channel=Channel.BANK_TRANSFER,
            actor=self.actor,
            reference="Medlemsavgift",
            person=invoice.payer,
            payer_name=invoice.recipient_name,
        )

    def pay_unknown(self, invoice: Invoice, place_after: int | None) -> None:
        invoice = self.fresh(invoice)
        payment = payments.register_payment(
            self.club,
            amount_minor=invoice.open_minor,
            paid_on=self.now,
            channel=Channel.BANKGIRO,
            actor=self.actor,
            reference="Avgift barnen",
            payer_name=invoice.recipient_name.upper(),
        )
        if place_after is not None:
            self.at(
                self.now + dt.timedelta(days=place_after), partial(self.place, payment, invoice)
            )

    def place(self, payment: Payment, invoice: Invoice) -> None:
        payments.place_payment(
            payment, actor=self.actor, invoice=self.fresh(invoice), placed_on=self.now
        )

    def pay_and_reverse(self, invoice: Invoice, reversed_on: dt.date) -> None:
        invoice = self.fresh(invoice)
        payment = payments.register_payment(
            self.club,
            amount_minor=invoice.open_minor,
            paid_on=self.now,
            channel=Channel.BANKGIRO,
            actor=self.actor,
            reference=invoice.ocr,
            payer_name="Okänd betalare",
        )
        self.at(reversed_on, partial(self.reverse, payment))

    def reverse(self, payment: Payment) -> None:
        payments.reverse_payment(
            payment,
            actor=self.actor,
            reason="Felaktig OCR-referens: betalningen gällde en annan förening",
            reversed_on=self.now,
        )

    def credit(self, invoice: Invoice, reason: str, amounts: dict[int, int] | None = None) -> None:
        billing.credit_invoice(
            self.fresh(invoice),
            actor=self.actor,
            amounts=amounts,
            reason=reason,
            credited_on=self.now,
        )


def _mark_emailed(run: BillingRun) -> None:
    """The run's invoices with an e-mail address went out on the issue day (what the
    invoice-mail task records when it has sent one)."""
    Invoice.objects.filter(organisation=run.organisation_id, billing_run=run).exclude(
        recipient_email=""
    ).update(emailed_at=at_nine(run.issued_on))


def _issue_day(today: dt.date, fee_year: int) -> dt.date:
    """About ten months ago, but not before the renewal day (1 December) of the year
    before the fee year, and at least 90 days ago, so reminders have run their course."""
    ten_months = _months_back(today, 10)
    renewal = dt.date(fee_year - 1, 12, 1)
    return min(max(ten_months, renewal), today - dt.timedelta(days=90))


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, 28))
