"""The fee engine (FEE-01, FEE-02): what every payer owes for one period, and why.

`compute()` reads the association's fee rules and its active members set-wise, with a
fixed number of queries whatever the number of people (rows come as tuples, never as model
instances), and returns bills per payer with one line per fee and a reason for each
amount, totals per fee category, and the members who owe nothing with the reason why.
It writes nothing; the billing run turns the result into invoices.

Rules, in the order the engine applies them:

- Only active members (MemberStatus.ACTIVE) are billed.
- The membership period is the calendar year, a season (fee year 2027 = the season that
  starts in 2027), or rolling: the year from each member's anniversary of the join date
  that falls in the fee year (the join date itself in the year they joined; 29 February
  joiners renew on 28 February in common years). Training fees follow the fee year.
- Membership and other fees go by membership type: a member pays the categories of that
  kind that name their type, or, when none does, those that name no type. Honorary members
  pay none of them. Training fees go to the participants of the category's groups.
- Age is counted on the category's reference day (or the association's default).
- A category charged per household is charged once per household, to its payer.
- The payer is the household's payer, else for a minor the first guardian (by id), else
  the member.
- The family cap: when a household's membership fees come to more than the cap, negative
  "family cap" lines bring them down to it, split over its fees in proportion.

The modules, each importing only those above it: `texts` (messages and formats), `loading`
(the rules and people, set-wise), `computation` (each person's fees), `households` (fees
per household and the family cap, `allocate`) and `run` (`compute`).
"""

from forening.fees.engine.households import allocate
from forening.fees.engine.run import compute
from forening.fees.periods import Period, period_for
from forening.fees.results import (
    Bill,
    CategoryTotal,
    FeeLine,
    FeeResult,
    LineKind,
    Skipped,
    SkipReason,
)

__all__ = [
    "Bill",
    "CategoryTotal",
    "FeeLine",
    "FeeResult",
    "LineKind",
    "Period",
    "SkipReason",
    "Skipped",
    "allocate",
    "compute",
    "period_for",
]
