"""Invoices and payments made through the services, so each has its voucher as a real one
does: `make_invoice` issues, `pay` registers a payment, `use_cash_method` switches the
association to the cash method."""

from __future__ import annotations

import datetime as dt
from typing import Any

from forening.billing import services
from forening.billing.models import Invoice
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.ledger.models import AccountingMethod
from forening.ledger.services import accounts_by_role, set_accounting_method
from forening.payments import services as payments
from forening.payments.models import Channel, Payment

ACTOR = Actor.system("test")


def line(
    organisation: Organisation,
    amount_minor: int,
    description: str = "Medlemsavgift",
    *,
    role: str = "membership_fees",
    **fields: Any,
) -> services.DraftLine:
    """A draft line on the account with `role` in the association's chart."""
    account = accounts_by_role(organisation)[role]
    return services.DraftLine(
        description=description, amount_minor=amount_minor, account_id=account.pk, **fields
    )


def make_invoice(
    organisation: Organisation,
    payer: Person,
    *amounts: int,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    **fields: Any,
) -> Invoice:
    """An invoice to `payer` with one membership-fee line per amount (300 kr if none)."""
    lines = [line(organisation, amount) for amount in (amounts or (30000,))]
    return services.issue_invoice(
        organisation,
        payer,
        lines,
        actor=ACTOR,
        issued_on=issued_on or dt.date(2026, 1, 15),
        due_on=due_on,
        **fields,
    )


def pay(
    organisation: Organisation,
    amount_minor: int,
    *,
    paid_on: dt.date | None = None,
    channel: str = Channel.BANKGIRO,
    **fields: Any,
) -> Payment:
    return payments.register_payment(
        organisation,
        amount_minor=amount_minor,
        paid_on=paid_on or dt.date(2026, 2, 1),
        channel=channel,
        actor=ACTOR,
        **fields,
    )


def use_cash_method(organisation: Organisation) -> None:
    """Book revenue when paid (kontantmetoden), as the office would switch it."""
    set_accounting_method(organisation, AccountingMethod.CASH, actor=ACTOR)
