"""`forening register-payment --org SLUG (--ocr OCR | --invoice NUMBER) --amount 123,45
--date YYYY-MM-DD [--channel NAME]` (PAY-01)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django_scopes import scope

from forening.billing.management.commands._common import organisation
from forening.billing.models import Invoice, InvoiceKind
from forening.core.context import Actor
from forening.core.money import format_money, parse_money
from forening.payments import services
from forening.payments.models import Channel


class Command(BaseCommand):
    help = (
        "Register a payment against an invoice (by OCR reference or number). A reference "
        "that matches no invoice is kept as an unplaced payment for the office to place."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--ocr", metavar="OCR")
        which.add_argument("--invoice", type=int, metavar="NUMBER")
        parser.add_argument("--amount", required=True, help="e.g. 123,45 or 123.45")
        parser.add_argument("--date", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--channel", default=Channel.BANKGIRO, choices=Channel.values)
        parser.add_argument("--payer-name", default="", help="the name the bank reported")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            self._run(options)

    def _run(self, options: dict[str, Any]) -> None:
        org = organisation(options["org"])
        try:
            amount = parse_money(options["amount"], org.currency)
        except ValueError:
            raise CommandError(f"--amount: {options['amount']!r} is not an amount.") from None
        try:
            paid_on = dt.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date: {options['date']!r} is not YYYY-MM-DD.") from None
        with scope(organisation=org.pk):
            invoice = None
            if options["invoice"] is not None:
                invoice = Invoice.objects.filter(
                    organisation=org, kind=InvoiceKind.INVOICE, number=options["invoice"]
                ).first()
                if invoice is None:
                    raise CommandError(f"--invoice: there is no invoice {options['invoice']}.")
            try:
                payment = services.register_payment(
                    org,
                    amount_minor=amount,
                    paid_on=paid_on,
                    channel=options["channel"],
                    actor=Actor.system("register-payment command"),
                    reference=options["ocr"] or "",
                    invoice=invoice,
                    payer_name=options["payer_name"],
                )
            except services.PaymentError as error:
                raise CommandError(str(error)) from None
            shown = format_money(payment.amount_minor, org.currency, "en")
            for allocation in payment.allocations.select_related("invoice"):
                where = (
                    f"invoice {allocation.invoice.number}"
                    if allocation.invoice
                    else allocation.get_kind_display()
                )
                self.stdout.write(
                    f"  {format_money(allocation.amount_minor, org.currency, 'en')} → {where}"
                )
            self.stdout.write(f"Registered {shown} ({payment.get_status_display()}).")
