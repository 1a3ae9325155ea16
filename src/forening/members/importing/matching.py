"""Matching rows to the people already in the register, so that importing a file again
updates them instead of adding them twice."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models
from django.db.models.functions import Concat, Lower
from django.utils.translation import gettext as _

from forening.core.models import Person, PersonKind
from forening.members.importing.context import ImportContext, Row, chunks
from forening.members.importing.mapping import NAME_FIELDS


def _person_key(person: Person) -> tuple[Any, ...]:
    email = person.email.lower()
    if person.kind == PersonKind.ORGANISATION:
        return ("o", email, person.organisation_name.lower(), None)
    return ("p", email, person.first_name.lower(), person.last_name.lower(), person.birth_date)


# Joins e-mail and names for matching; a name holding it only fetches an extra
# candidate, which the full key then tells apart.
_NAME_SEPARATOR = "\x1f"


def match_people(context: ImportContext, rows: list[Row]) -> None:
    """Set `row.person` to the person in the register each row is: by identity number,
    else by e-mail + name + date of birth, else by member number and name. A row that
    could be several people, or is the same person as another row, gets an error."""
    organisation = context.organisation
    alive = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
    by_index: dict[str, Person] = {}
    indexes = {row.index for row in rows if row.index}
    for chunk in chunks(indexes):
        for found in alive.filter(identity_number_index__in=chunk):
            by_index[found.identity_number_index] = found
    by_key: dict[tuple[Any, ...], list[Person]] = defaultdict(list)
    fetched: set[int] = set()
    # By e-mail and name (the bucket `_candidates` chooses in), a query per 2,000 rows:
    # the key is matched whole, so only these people are read, not every namesake.
    unmatched = [row for row in rows if not (row.index and row.index in by_index)]
    keys = sorted(
        {_NAME_SEPARATOR.join(row.match_key[1:4]) for row in unmatched if row.match_key[0] == "p"}
    )
    for chunk in chunks(keys, 2000):
        query: Any = alive.annotate(
            _key=Concat(
                Lower("email"),
                models.Value(_NAME_SEPARATOR),
                Lower("first_name"),
                models.Value(_NAME_SEPARATOR),
                Lower("last_name"),
                output_field=models.TextField(),
            )
        ).filter(_key__in=chunk, kind=PersonKind.PERSON)
        for candidate in query:
            if candidate.pk not in fetched:
                fetched.add(candidate.pk)
                by_key[_person_key(candidate)[:-1]].append(candidate)
    org_names = {row.match_key[2] for row in unmatched if row.match_key[0] == "o"}
    for chunk in chunks(org_names):
        query = alive.annotate(_name=Lower("organisation_name")).filter(
            _name__in=chunk, kind=PersonKind.ORGANISATION
        )
        for candidate in query:
            if candidate.pk not in fetched:
                fetched.add(candidate.pk)
                by_key[_person_key(candidate)[:-1]].append(candidate)
    numbers = {row.fields["member_number"] for row in rows if row.fields.get("member_number")}
    by_number: dict[int, Person] = {}
    for chunk in chunks(numbers):
        for candidate in Person.objects.filter(organisation=organisation, member_number__in=chunk):
            if candidate.member_number is not None:
                by_number[candidate.member_number] = candidate
    claimed: dict[int, Row] = {}
    for row in rows:
        person: Person | None = by_index.get(row.index) if row.index else None
        if person is None:
            candidates = _candidates(row, by_key.get(row.match_key[:-1], []))
            if len(candidates) > 1:
                context.error(
                    row,
                    "identity_number" if "identity_number" in context.columns else "email",
                    _(
                        "%(count)d people in the register have this name, e-mail and date "
                        "of birth: add the identity number to tell them apart."
                    )
                    % {"count": len(candidates)},
                )
                continue
            person = candidates[0] if candidates else None
        number = row.fields.get("member_number")
        holder = by_number.get(number) if number is not None else None
        if person is None and holder is not None and _same_person(row, holder):
            person = holder
        if holder is not None and (person is None or holder.pk != person.pk):
            context.error(
                row,
                "member_number",
                _("%(name)s already has member number %(number)d.")
                % {"name": holder.full_name or "–", "number": number},
            )
        if person is not None:
            first = claimed.setdefault(person.pk, row)
            if first is not row:
                context.error(
                    row,
                    "identity_number" if row.index else NAME_FIELDS[0],
                    _("Row %(row)d is the same person in the register (%(name)s).")
                    % {"row": first.number, "name": person.full_name},
                )
                continue
            row.person = person


def _candidates(row: Row, people: list[Person]) -> list[Person]:
    """The people who are this row by e-mail + name + date of birth. A date of birth
    missing on one side does not count against a match when the e-mail is given."""
    birth = row.fields.get("birth_date")
    found = [
        person
        for person in people
        if not (row.index and person.identity_number_index)
        and (
            person.birth_date == birth or (row.match_key[1] and None in (birth, person.birth_date))
        )
    ]
    exact = [person for person in found if _person_key(person) == row.match_key]
    return exact or found


def _same_person(row: Row, holder: Person) -> bool:
    """A member number in the file and in the register, with the same name: the same
    person (so a file of numbers and names can be imported again)."""
    if holder.anonymised_at is not None or (row.index and holder.identity_number_index):
        return False
    if row.kind == PersonKind.ORGANISATION:
        return (
            holder.organisation_name.lower() == str(row.fields.get("organisation_name", "")).lower()
        )
    return (holder.first_name.lower(), holder.last_name.lower()) == (
        str(row.fields.get("first_name", "")).lower(),
        str(row.fields.get("last_name", "")).lower(),
    )
