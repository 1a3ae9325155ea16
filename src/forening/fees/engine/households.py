"""The household pass of a fee run, after every person is billed: one line per household
for the categories charged per household, then the family cap, split over the household's
fees by `allocate`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.utils.translation import gettext as _

from forening.fees.engine.computation import BillKey, Computation, bill_order
from forening.fees.engine.texts import format_day, format_money
from forening.fees.models import FeeKind, PeriodKind
from forening.fees.results import LineKind


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` in proportion to `weights` (not negative, not all zero) so that the
    parts sum to `total` exactly; the leftover units go to the largest remainders, ties to
    the earlier weight. A part never exceeds its weight when `total` ≤ sum(weights)."""
    whole = sum(weights)
    if whole <= 0 or any(weight < 0 for weight in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    parts = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def bill_households(run: Computation) -> None:
    """One line per household for the categories charged per household."""
    by_id = {category.id: category for category in run.categories}
    for (category_id, _group_key), members in sorted(run.shared.items()):
        category = by_id[category_id]
        members.sort(key=lambda item: (item[1], item[0].id))
        first, starts_on, ends_on = members[0]
        key = run.payer(first)
        names = ", ".join(person.name for person, _start, _end in members)
        label = run.period.label
        if run.period.kind == PeriodKind.ROLLING and category.kind != FeeKind.TRAINING:
            label = f"{format_day(starts_on, run.language)}–{format_day(ends_on, run.language)}"
        head = f"{category.name} {label}"
        if first.household_id is None:
            description = f"{head}, {first.name}"
            type_text = run.texts.membership_type % {"type": first.type_name}
            reason = f"{head}, {type_text}"
        else:
            description = f"{head}, {first.household_name}"
            reason = ", ".join(
                [
                    head,
                    run.texts.household_fee % {"household": first.household_name, "names": names},
                ]
            )
        run.add_line(
            key,
            category,
            person_id=first.id if first.household_id is None else None,
            household_id=first.household_id,
            description=description,
            reason=reason,
            amount_minor=category.amount_minor,
            starts_on=starts_on,
            ends_on=ends_on,
        )


def apply_family_cap(run: Computation, household_names: dict[int, str]) -> None:
    """Under the family cap, negative "family cap" lines for each household whose
    membership fees come to more than the cap, split over its fees in proportion
    (`allocate`)."""
    cap = run.settings.family_cap_minor
    if cap is None:
        return
    membership = {c.id for c in run.categories if c.kind == FeeKind.MEMBERSHIP}
    # household → (bill, category) → amount, in a fixed order
    fees: dict[int, dict[tuple[BillKey, int], int]] = defaultdict(lambda: defaultdict(int))
    for key in sorted(run.bills, key=bill_order):
        for line in run.bills[key]:
            if line.household_id is not None and line.category_id in membership:
                fees[line.household_id][(key, line.category_id)] += line.amount_minor
    by_id = {category.id: category for category in run.categories}
    period = run.period
    for household_id in sorted(fees):
        groups = fees[household_id]
        total = sum(groups.values())
        if total <= cap:
            continue
        name = household_names[household_id]
        head = _("Family cap %(period)s") % {"period": period.label}
        reason = _(
            "%(head)s: a household pays at most %(cap)s in membership fees per period; "
            "the fees of %(household)s come to %(total)s"
        ) % {
            "head": head,
            "cap": format_money(cap, run.currency, run.language),
            "household": name,
            "total": format_money(total, run.currency, run.language),
        }
        keys = list(groups)
        parts = allocate(total - cap, [groups[k] for k in keys])
        for (key, category_id), part in zip(keys, parts, strict=True):
            if part:
                run.add_line(
                    key,
                    by_id[category_id],
                    person_id=None,
                    household_id=household_id,
                    description=f"{head}, {name}",
                    reason=reason,
                    amount_minor=-part,
                    starts_on=period.starts_on,
                    ends_on=period.ends_on,
                    kind=LineKind.FAMILY_CAP,
                )
