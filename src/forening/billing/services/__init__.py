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

The modules, each importing only those above it:

- `common`: BillingError, the drafts, the account roles, `vat_part`, `display_name`;
- `settings`: the association's BillingSettings, read and changed;
- `books`: `Books`, which turns invoice lines into voucher lines;
- `recognition`: the cash method, revenue when paid (`recognise_payments`);
- `crediting`: credit notes and credit balances;
- `issuing`: issuing invoices, and adding a line (a reminder fee) to an open one;
- `reading`: the member ledger and a person's invoices.

Callers import from this package: `from forening.billing import services`.
"""

from forening.billing.services.books import Books
from forening.billing.services.common import (
    CASH_INTERIM,
    INVOICE_SEQUENCE,
    OCR_WIDTH,
    PERSONAL_ROLES,
    VAT_ROLES,
    BillingError,
    Draft,
    DraftLine,
    display_name,
    vat_part,
)
from forening.billing.services.crediting import credit_balances, credit_invoice, credited_minor
from forening.billing.services.issuing import add_line, issue_invoice, issue_invoices
from forening.billing.services.reading import (
    LedgerRow,
    MemberLedger,
    format_amount,
    invoices_for,
    member_ledger,
)
from forening.billing.services.recognition import (
    Recognised,
    RevenueKey,
    RevenueLine,
    merge_lines,
    recognise_payments,
    recognised,
    recognised_lines,
    revenue_lines,
    settled_minor,
)
from forening.billing.services.settings import SETTINGS_FIELDS, settings_for, update_settings

__all__ = [
    "CASH_INTERIM",
    "INVOICE_SEQUENCE",
    "OCR_WIDTH",
    "PERSONAL_ROLES",
    "SETTINGS_FIELDS",
    "VAT_ROLES",
    "BillingError",
    "Books",
    "Draft",
    "DraftLine",
    "LedgerRow",
    "MemberLedger",
    "Recognised",
    "RevenueKey",
    "RevenueLine",
    "add_line",
    "credit_balances",
    "credit_invoice",
    "credited_minor",
    "display_name",
    "format_amount",
    "invoices_for",
    "issue_invoice",
    "issue_invoices",
    "member_ledger",
    "merge_lines",
    "recognise_payments",
    "recognised",
    "recognised_lines",
    "revenue_lines",
    "settings_for",
    "settled_minor",
    "update_settings",
    "vat_part",
]
