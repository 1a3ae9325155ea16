"""Building the query: each filter of a valid search as a condition on the person row or
an EXISTS subquery (so a search never needs DISTINCT), and the sort order."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from forening.core.models import GroupMembership, Organisation, Person, person_name_key
from forening.members import identity
from forening.members import services as register
from forening.members.models import AttributeKind, AttributeValue, Consent, Tagging
from forening.members.search.fields import AttributeFilter

_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")
_COUNTRY_CALLING_CODES = {"SE": "46", "DK": "45"}


def _name_key() -> Case:
    return person_name_key()


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key == "name":
        parts: list[Any] = [_name_key(), Lower("first_name"), F("pk")]
        return [part.desc() if descending else part.asc() for part in parts]
    if key == "age":  # the youngest were born last
        column = F("birth_date")
        descending = not descending
    else:
        column = F(key)
    ordered = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return [ordered, F("pk").desc() if descending else F("pk").asc()]


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day `years` earlier (28 February for a 29 February without a leap year)."""
    year = day.year - years
    if year < dt.MINYEAR:
        return dt.date.min
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def text_condition(organisation: Organisation, text: str) -> Q:
    """Free text: every word in `search_text`, or a phone number typed any usual way, or
    exactly this identity number (through the blind index, no decryption)."""
    words = text.lower().split()
    if not words:
        return Q()
    alternatives = [reduce(lambda q, word: q & Q(search_text__contains=word), words, Q())]
    if _PHONE_LIKE.match(text):
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 5:
            variants = {digits}
            if digits.startswith("00"):
                variants.add(digits[2:])
            elif digits.startswith("0") and organisation.country in _COUNTRY_CALLING_CODES:
                variants.add(_COUNTRY_CALLING_CODES[organisation.country] + digits[1:])
            alternatives.extend(Q(search_text__contains=variant) for variant in sorted(variants))
    try:
        number = identity.parse(text, organisation.country)
    except identity.IdentityNumberError:
        pass
    else:
        index = register.identity_index(organisation, number.normalised)
        alternatives.append(Q(identity_number_index=index))
    return reduce(or_, alternatives)


def _person_conditions(
    organisation: Organisation, data: Mapping[str, Any], statuses: list[str]
) -> list[Q]:
    today = timezone.localdate()
    conditions = []
    if data.get("q"):
        conditions.append(text_condition(organisation, data["q"]))
    if statuses:
        conditions.append(Q(status__in=statuses))
    if data.get("membership_type"):
        conditions.append(Q(membership_type_id__in=data["membership_type"]))
    if data.get("age_min") is not None:
        conditions.append(Q(birth_date__lte=years_before(today, data["age_min"])))
    if data.get("age_max") is not None:
        conditions.append(Q(birth_date__gt=years_before(today, data["age_max"] + 1)))
    if data.get("born_from") is not None:
        conditions.append(Q(birth_date__gte=dt.date(data["born_from"], 1, 1)))
    if data.get("born_to") is not None:
        conditions.append(Q(birth_date__lte=dt.date(data["born_to"], 12, 31)))
    if data.get("gender"):
        conditions.append(Q(gender__in=data["gender"]))
    if data.get("joined_from") is not None:
        conditions.append(Q(joined_on__gte=data["joined_from"]))
    if data.get("joined_to") is not None:
        conditions.append(Q(joined_on__lte=data["joined_to"]))
    missing = data.get("missing") or []
    if "email" in missing:
        conditions.append(Q(email="", email_secondary=""))
    if "phone" in missing:
        conditions.append(Q(phone="", phone_secondary=""))
    return conditions


def _related_conditions(organisation: Organisation, data: Mapping[str, Any]) -> list[Any]:
    conditions: list[Any] = []
    person = OuterRef("pk")
    if data.get("section"):
        conditions.append(
            Exists(
                GroupMembership.objects.filter(
                    organisation=organisation, person=person, group__section_id__in=data["section"]
                )
            )
        )
    if data.get("group"):
        conditions.append(
            Exists(
                GroupMembership.objects.filter(
                    organisation=organisation, person=person, group_id__in=data["group"]
                )
            )
        )
    if data.get("tag"):
        conditions.append(
            Exists(
                Tagging.objects.filter(
                    organisation=organisation, person=person, tag_id__in=data["tag"]
                )
            )
        )
    if data.get("consent_given"):
        conditions.append(
            Exists(
                Consent.objects.filter(
                    organisation=organisation,
                    person=person,
                    purpose_id__in=data["consent_given"],
                    withdrawn_at__isnull=True,
                )
            )
        )
    if data.get("consent_withdrawn"):
        # The latest consent is withdrawn when one was withdrawn and none is open (giving
        # consent again adds an open row; at most one is open per purpose).
        still_open = Consent.objects.filter(
            person_id=OuterRef("person_id"),
            purpose_id=OuterRef("purpose_id"),
            withdrawn_at__isnull=True,
        )
        conditions.append(
            Exists(
                Consent.objects.filter(
                    organisation=organisation,
                    person=person,
                    purpose_id__in=data["consent_withdrawn"],
                    withdrawn_at__isnull=False,
                ).filter(~Exists(still_open))
            )
        )
    return conditions


def _attribute_conditions(
    organisation: Organisation, attribute: AttributeFilter, data: Mapping[str, Any]
) -> list[Any]:
    definition = attribute.definition
    values = AttributeValue.objects.filter(
        organisation=organisation, person=OuterRef("pk"), attribute_id=definition.pk
    )
    if attribute.is_range:
        low, high = (data.get(name) for name in attribute.names)
        column = "number" if definition.kind == AttributeKind.NUMBER else "date"
        bounds = {}
        if low is not None:
            bounds[f"{column}__gte"] = low
        if high is not None:
            bounds[f"{column}__lte"] = high
        return [Exists(values.filter(**bounds))] if bounds else []
    value = data.get(attribute.names[0])
    if not value:
        return []
    if definition.kind == AttributeKind.BOOLEAN:
        said_yes = Exists(values.filter(boolean=True))
        return [said_yes if value == "yes" else ~said_yes]
    if definition.kind == AttributeKind.TEXT:
        return [Exists(values.filter(text__icontains=value))]
    any_key = reduce(or_, (Q(text__contains=f",{key},") for key in value))
    return [Exists(values.filter(any_key))]


def matching_people(
    organisation: Organisation,
    data: Mapping[str, Any],
    *,
    statuses: list[str],
    attribute_filters: Iterable[AttributeFilter],
) -> QuerySet[Person]:
    """The people of `organisation` that a valid search form's `data` (its cleaned_data)
    selects, sorted. `statuses` empty: every status."""
    people = Person.objects.filter(organisation=organisation)
    conditions = [
        *_person_conditions(organisation, data, statuses),
        *_related_conditions(organisation, data),
        *(
            condition
            for attribute in attribute_filters
            for condition in _attribute_conditions(organisation, attribute, data)
        ),
    ]
    if conditions:
        people = people.filter(*conditions)
    return people.order_by(*_ordering(data.get("sort") or "name"))
