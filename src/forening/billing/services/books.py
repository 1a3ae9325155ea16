"""The association's books as invoicing reads them (`Books`), and how invoice lines become
voucher lines: receivables against revenue and VAT by the invoice method, against the
interim account by the cash method."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from forening.billing.models import InvoiceLine
from forening.billing.services.common import (
    CASH_INTERIM,
    PERSONAL_ROLES,
    VAT_ROLES,
    BillingError,
    DraftLine,
    vat_part,
)
from forening.core.models import Organisation
from forening.ledger import services as ledger
from forening.ledger.models import Account, AccountingMethod, CostCentre, Project


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
