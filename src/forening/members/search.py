"""The member search (REG-07): one form, one function from search parameters to people.

A search is a set of parameters, as the search page's query string has them and as a
`SavedSearch.query` stores them (a dict of lists of strings). The names are fixed, since
mailings, invoicing and exports select people by them:

- `q`: free text. Every word must occur in a name, e-mail address, phone number (digits)
  or member number (`Person.search_text`); a phone number may be typed with spaces,
  dashes or a leading 0; a whole identity number matches exactly through the blind index.
- `status` (several): the statuses to show. Absent: active members and applicants (the
  everyday list). `all`: every status.
- `membership_type`, `section`, `group`, `tag` (several ids each): people with one of
  those membership types / in a group of one of the sections / in one of the groups /
  with one of the tags.
- `age_min`, `age_max`: age today; `born_from`, `born_to`: birth years.
- `gender` (several), `joined_from`, `joined_to` (dates).
- `missing` (several of `email`, `phone`): people without any e-mail address / phone.
- `consent_given` (several purpose ids): people with an open consent for one of them;
  `consent_withdrawn`: people whose latest consent for one of them was withdrawn.
- `attr_<id>`: a custom field: text contains, choice keys (several: any of them),
  `yes`/`no` (no = not yes, so also people without an answer); `attr_<id>_min`,
  `attr_<id>_max`: number and date ranges.
- `sort`: one of `SORTS`; `page` (for the page, ignored here).

Filters are combined with AND; several values of one filter with OR. Every filter is a
condition on the person row or an EXISTS subquery, so a search never needs DISTINCT and
stays fast on large registers. Invalid values give form errors, and an invalid search
selects nobody (a saved search whose tag was deleted must not suddenly mean everyone).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forening.core import audit
from forening.core.context import Actor
from forening.core.forms_base import BootstrapMixin
from forening.core.models import (
    Gender,
    Group,
    GroupMembership,
    MemberStatus,
    Organisation,
    Person,
    Section,
    person_name_key,
)
from forening.members import identity
from forening.members import services as register
from forening.members.dates import parse_date
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    ConsentPurpose,
    MembershipType,
    SavedSearch,
    Tag,
    Tagging,
)
from forening.members.status import EVERYDAY_STATUSES

PAGE_SIZE = 50
ALL_STATUSES = "all"
DEFAULT_STATUSES = tuple(status for status in MemberStatus.values if status in EVERYDAY_STATUSES)
MISSING_CHOICES = (
    ("email", gettext_lazy("No e-mail address")),
    ("phone", gettext_lazy("No phone")),
)

# Parameters with a fixed name (custom fields add attr_<id>, attr_<id>_min, attr_<id>_max).
PARAMETERS = (
    "q",
    "status",
    "membership_type",
    "age_min",
    "age_max",
    "born_from",
    "born_to",
    "gender",
    "section",
    "group",
    "tag",
    "joined_from",
    "joined_to",
    "missing",
    "consent_given",
    "consent_withdrawn",
    "sort",
)
ATTRIBUTE_PARAMETER = re.compile(r"^attr_(\d+)(_min|_max)?$")
_PHONE_LIKE = re.compile(r"^[\d\s()+\-./]+$")
_COUNTRY_CALLING_CODES = {"SE": "46", "DK": "45"}


def _name_key() -> Case:
    return person_name_key()


SORT_CHOICES = (
    ("name", gettext_lazy("Name (A–Z)")),
    ("-name", gettext_lazy("Name (Z–A)")),
    ("member_number", gettext_lazy("Member number (ascending)")),
    ("-member_number", gettext_lazy("Member number (descending)")),
    ("age", gettext_lazy("Age (youngest first)")),
    ("-age", gettext_lazy("Age (oldest first)")),
    ("joined_on", gettext_lazy("Member since (earliest first)")),
    ("-joined_on", gettext_lazy("Member since (latest first)")),
)


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


# --- parameters ---------------------------------------------------------------------


def as_params(params: Mapping[str, Any] | None) -> MultiValueDict[str, str]:
    """Parameters as a MultiValueDict (what forms read lists from), from a QueryDict or a
    dict of lists (or of single values). Empty values are dropped: an empty `status=` is
    the same as none."""
    data: MultiValueDict[str, str] = MultiValueDict()
    if params is None:
        return data
    if isinstance(params, MultiValueDict):
        items = [(key, params.getlist(key)) for key in params]
    else:
        items = list(params.items())
    for key, value in items:
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(item) for item in values if item is not None and str(item).strip()]
        if values:
            data.setlist(str(key), values)
    return data


def is_search_parameter(name: str) -> bool:
    return name in PARAMETERS or ATTRIBUTE_PARAMETER.match(name) is not None


def clean_query(params: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """The search part of `params` as a dict of lists: what a saved search stores.

    Drops the page, unknown parameters and empty values, so equal searches compare equal.
    """
    data = as_params(params)
    query: dict[str, list[str]] = {}
    for name in sorted(data):
        if not is_search_parameter(name) or name == "sort":
            continue
        values = [value.strip() for value in data.getlist(name) if value and value.strip()]
        if values:
            query[name] = values
    return query


def query_string(params: Mapping[str, Any] | None, **extra: Any) -> str:
    """`params` as a URL query string (for links to the search page or the export)."""
    query: dict[str, Any] = dict(clean_query(params))
    sort = as_params(params).get("sort")
    if sort:
        query["sort"] = [sort]
    query.update({key: value for key, value in extra.items() if value not in (None, "")})
    return urlencode(query, doseq=True)


# --- form fields --------------------------------------------------------------------


class NordicDateField(forms.DateField):
    """A date as people in the Nordics write it (2026-03-15, 15.3.2026, 15/3/26)."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise ValidationError(_("Enter a date, such as 2026-03-15."), code="invalid")
        return parsed


class NumberField(forms.CharField):
    """A decimal number with a comma or a point ("1,5" is one and a half)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            number = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            raise ValidationError(_("Enter a number."), code="invalid") from None
        if not number.is_finite() or abs(number) >= Decimal("1e14"):
            raise ValidationError(_("Enter a number."), code="invalid")
        return number


def _ids(label: str, choices: Iterable[tuple[int, str]]) -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        label=label,
        required=False,
        coerce=int,
        choices=[(str(pk), name) for pk, name in choices],
        widget=forms.CheckboxSelectMultiple,
    )


@dataclass(frozen=True)
class Filter:
    """One active filter, for a chip: its label and the parameter values that make it.

    `remove` lists (parameter, value) pairs to drop to remove the filter; a value of None
    drops every value of that parameter."""

    label: str
    remove: tuple[tuple[str, str | None], ...]


@dataclass(frozen=True)
class AttributeFilter:
    """A custom field in the search form, and the names of its form fields."""

    definition: AttributeDefinition
    names: tuple[str, ...]

    @property
    def is_range(self) -> bool:
        return self.definition.kind in (AttributeKind.NUMBER, AttributeKind.DATE)


@dataclass
class SearchChoices:
    """What the search form offers: one query per list, loaded once per request."""

    membership_types: list[MembershipType]
    sections: list[Section]
    groups: list[Group]
    tags: list[Tag]
    purposes: list[ConsentPurpose]
    attribute_definitions: list[AttributeDefinition]

    @classmethod
    def load(
        cls, organisation: Organisation | None, *, only_for: Mapping[str, Any] | None = None
    ) -> SearchChoices:
        """Every list, for the search page. With `only_for` (search parameters), only the
        lists those parameters name are read: running a search (a saved search for a
        mailing, a billing run) needs the groups it filters on, not every list."""
        where = {"organisation": organisation} if organisation is not None else {}

        def wanted(*names: str) -> bool:
            return only_for is None or any(only_for.get(name) for name in names)

        attributes = only_for is None or any(
            value and ATTRIBUTE_PARAMETER.match(name) for name, value in only_for.items()
        )
        return cls(
            membership_types=(
                list(MembershipType.objects.filter(**where)) if wanted("membership_type") else []
            ),
            sections=list(Section.objects.filter(**where)) if wanted("section") else [],
            groups=(
                list(Group.objects.filter(**where).select_related("section"))
                if wanted("group")
                else []
            ),
            tags=list(Tag.objects.filter(**where)) if wanted("tag") else [],
            purposes=(
                list(ConsentPurpose.objects.filter(**where))
                if wanted("consent_given", "consent_withdrawn")
                else []
            ),
            attribute_definitions=(
                list(AttributeDefinition.objects.filter(**where)) if attributes else []
            ),
        )


class SearchForm(BootstrapMixin, forms.Form):
    """The search page's filters. `people()` gives the matching people."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.SearchInput(
            attrs={
                "placeholder": gettext_lazy("Name, e-mail, phone, member or identity number"),
                "autocomplete": "off",
            }
        ),
    )
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[*MemberStatus.choices, (ALL_STATUSES, gettext_lazy("All statuses"))],
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: active members and applicants."),
    )
    age_min = forms.IntegerField(
        label=gettext_lazy("Age from"), required=False, min_value=0, max_value=150
    )
    age_max = forms.IntegerField(
        label=gettext_lazy("Age to"), required=False, min_value=0, max_value=150
    )
    born_from = forms.IntegerField(
        label=gettext_lazy("Born from year"), required=False, min_value=1800, max_value=9999
    )
    born_to = forms.IntegerField(
        label=gettext_lazy("Born to year"), required=False, min_value=1800, max_value=9999
    )
    gender = forms.MultipleChoiceField(
        label=gettext_lazy("Gender"),
        required=False,
        choices=Gender.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    joined_from = NordicDateField(label=gettext_lazy("Member since, from"), required=False)
    joined_to = NordicDateField(label=gettext_lazy("Member since, to"), required=False)
    missing = forms.MultipleChoiceField(
        label=gettext_lazy("Missing contact details"),
        required=False,
        choices=MISSING_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORT_CHOICES)

    RANGES = (
        ("age_min", "age_max", gettext_lazy("The lowest age is above the highest.")),
        ("born_from", "born_to", gettext_lazy("The first birth year is after the last.")),
        ("joined_from", "joined_to", gettext_lazy("The first date is after the last.")),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        organisation: Organisation | None,
        choices: SearchChoices | None = None,
        **kwargs: Any,
    ) -> None:
        """`choices` reuses lists loaded for another form of the same organisation.
        `organisation` None looks choices up through the tenant scope alone (for
        `describe` called without an organisation); searching always needs one."""
        super().__init__(as_params(data) if data is not None else None, **kwargs)
        self.organisation = organisation
        self.choices = choices or SearchChoices.load(organisation)
        self._insert_choice_fields()
        self.attribute_filters = [
            self._add_attribute(attr) for attr in self.choices.attribute_definitions
        ]
        # BootstrapMixin styled the fields of the class; style the ones added here too.
        self._style_added_fields()

    @property
    def membership_types(self) -> list[MembershipType]:
        return self.choices.membership_types

    @property
    def sections(self) -> list[Section]:
        return self.choices.sections

    @property
    def groups(self) -> list[Group]:
        return self.choices.groups

    @property
    def tags(self) -> list[Tag]:
        return self.choices.tags

    @property
    def purposes(self) -> list[ConsentPurpose]:
        return self.choices.purposes

    @property
    def attribute_definitions(self) -> list[AttributeDefinition]:
        return self.choices.attribute_definitions

    # -- building --

    def _insert_choice_fields(self) -> None:
        def not_in_use(name: str, in_use: bool) -> str:
            return name if in_use else _("%(name)s (not in use)") % {"name": name}

        def group_label(group: Group) -> str:
            label = f"{group.section.name} · {group.name}" if group.section else group.name
            return _("%(name)s (archived)") % {"name": label} if group.is_archived else label

        fields = {
            "membership_type": _ids(
                _("Membership type"),
                ((t.pk, not_in_use(t.name, t.is_active)) for t in self.membership_types),
            ),
            "section": _ids(_("Section"), ((s.pk, s.name) for s in self.sections)),
            "group": _ids(_("Group"), ((g.pk, group_label(g)) for g in self.groups)),
            "tag": _ids(_("Tag"), ((t.pk, t.name) for t in self.tags)),
            "consent_given": _ids(
                _("Consent given"),
                ((p.pk, not_in_use(p.name, p.is_active)) for p in self.purposes),
            ),
            "consent_withdrawn": _ids(
                _("Consent withdrawn"),
                ((p.pk, not_in_use(p.name, p.is_active)) for p in self.purposes),
            ),
        }
        # Keep a reading order: text, status, membership, age, groups, dates, consents.
        order = PARAMETERS
        merged = {**self.fields, **fields}
        self.fields = {name: merged[name] for name in order}

    def _add_attribute(self, attr: AttributeDefinition) -> AttributeFilter:
        name = f"attr_{attr.pk}"
        label = attr.name if attr.is_active else _("%(name)s (not in use)") % {"name": attr.name}
        kind = attr.kind
        if kind == AttributeKind.NUMBER:
            self.fields[f"{name}_min"] = NumberField(
                label=_("%(name)s from") % {"name": label}, required=False
            )
            self.fields[f"{name}_max"] = NumberField(
                label=_("%(name)s to") % {"name": label}, required=False
            )
            return AttributeFilter(attr, (f"{name}_min", f"{name}_max"))
        if kind == AttributeKind.DATE:
            self.fields[f"{name}_min"] = NordicDateField(
                label=_("%(name)s from") % {"name": label}, required=False
            )
            self.fields[f"{name}_max"] = NordicDateField(
                label=_("%(name)s to") % {"name": label}, required=False
            )
            return AttributeFilter(attr, (f"{name}_min", f"{name}_max"))
        if kind == AttributeKind.BOOLEAN:
            self.fields[name] = forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", _("Any")), ("yes", _("Yes")), ("no", _("No"))],
            )
        elif kind in (AttributeKind.CHOICE, AttributeKind.MULTIPLE_CHOICE):
            self.fields[name] = forms.MultipleChoiceField(
                label=label,
                required=False,
                choices=[(option["key"], option["label"]) for option in attr.options],
                widget=forms.CheckboxSelectMultiple,
            )
        else:
            self.fields[name] = forms.CharField(
                label=label, required=False, max_length=200, help_text=_("Contains")
            )
        return AttributeFilter(attr, (name,))

    def _style_added_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            existing = widget.attrs.get("class", "")
            if css not in existing.split():
                widget.attrs["class"] = f"{css} {existing}".strip()

    # -- validation --

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ranges = [(low, high, str(message)) for low, high, message in self.RANGES]
        for attribute in self.attribute_filters:
            if attribute.is_range:
                low, high = attribute.names
                ranges.append((low, high, _("The lowest value is above the highest.")))
        for low, high, message in ranges:
            first, last = cleaned.get(low), cleaned.get(high)
            if first is not None and last is not None and first > last:
                self.add_error(high, message)
        return cleaned

    # -- results --

    @property
    def statuses(self) -> list[str]:
        """The statuses searched (empty: all)."""
        chosen = (self.cleaned_data.get("status") or []) if self.is_bound else []
        if ALL_STATUSES in chosen:
            return []
        return chosen or list(DEFAULT_STATUSES)

    @property
    def uses_default_status(self) -> bool:
        return not (self.cleaned_data.get("status") if self.is_bound else None)

    def people(self) -> QuerySet[Person]:
        """The matching people, sorted; nobody when the form is not valid."""
        if self.organisation is None:
            raise ValueError("searching needs an organisation")
        if not self.is_valid():
            return Person.objects.none()
        data = self.cleaned_data
        people = Person.objects.filter(organisation=self.organisation)
        conditions = [
            *_person_conditions(self.organisation, data, self.statuses),
            *_related_conditions(self.organisation, data),
            *(
                condition
                for attribute in self.attribute_filters
                for condition in _attribute_conditions(self.organisation, attribute, data)
            ),
        ]
        if conditions:
            people = people.filter(*conditions)
        return people.order_by(*_ordering(data.get("sort") or "name"))

    # -- description --

    def filters(self) -> list[Filter]:
        """The active filters, each as a label and the parameters that set it."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        result: list[Filter] = []

        def add(label: str, name: str, value: Any = None) -> None:
            result.append(Filter(label, ((name, None if value is None else str(value)),)))

        def add_range(label_from: str, *names: str, fmt: Any = str) -> None:
            name_min, name_max = names
            low, high = data.get(name_min), data.get(name_max)
            if low is None and high is None:
                return
            if low is not None and high is not None:
                text = f"{fmt(low)}–{fmt(high)}"
            elif low is not None:
                text = _("from %(value)s") % {"value": fmt(low)}
            else:
                text = _("up to %(value)s") % {"value": fmt(high)}
            result.append(Filter(f"{label_from}: {text}", ((name_min, None), (name_max, None))))

        if data.get("q"):
            add(_("Text: “%(text)s”") % {"text": data["q"]}, "q")
        statuses = data.get("status") or []
        if ALL_STATUSES in statuses:
            add(_("All statuses"), "status", ALL_STATUSES)
        for status in statuses:
            if status != ALL_STATUSES:
                add(
                    _("Status: %(status)s") % {"status": MemberStatus(status).label},
                    "status",
                    status,
                )
        names = {
            "membership_type": ({t.pk: t.name for t in self.membership_types}, _("Membership")),
            "section": ({s.pk: s.name for s in self.sections}, _("Section")),
            "group": ({g.pk: g.name for g in self.groups}, _("Group")),
            "tag": ({t.pk: t.name for t in self.tags}, _("Tag")),
        }
        for field_name in ("membership_type",):
            self._add_id_filters(add, data, field_name, *names[field_name])
        add_range(_("Age"), "age_min", "age_max")
        add_range(_("Born"), "born_from", "born_to")
        for gender in data.get("gender") or []:
            add(_("Gender: %(gender)s") % {"gender": Gender(gender).label}, "gender", gender)
        for field_name in ("section", "group", "tag"):
            self._add_id_filters(add, data, field_name, *names[field_name])
        add_range(_("Member since"), "joined_from", "joined_to", fmt=_iso)
        missing_labels = dict(MISSING_CHOICES)
        for missing in data.get("missing") or []:
            add(str(missing_labels[missing]), "missing", missing)
        purposes = {p.pk: p.name for p in self.purposes}
        self._add_id_filters(add, data, "consent_given", purposes, _("Consent given"))
        self._add_id_filters(add, data, "consent_withdrawn", purposes, _("Consent withdrawn"))
        for attribute in self.attribute_filters:
            definition = attribute.definition
            if attribute.is_range:
                fmt = _iso if definition.kind == AttributeKind.DATE else _number
                add_range(definition.name, *attribute.names, fmt=fmt)
                continue
            name = attribute.names[0]
            value = data.get(name)
            if not value:
                continue
            if definition.kind == AttributeKind.BOOLEAN:
                answer = _("Yes") if value == "yes" else _("No")
                add(f"{definition.name}: {answer}", name)
            elif definition.kind == AttributeKind.TEXT:
                add(
                    _("%(field)s contains “%(text)s”") % {"field": definition.name, "text": value},
                    name,
                )
            else:
                labels = definition.option_labels
                for key in value:
                    add(f"{definition.name}: {labels.get(key, key)}", name, key)
        return result

    @staticmethod
    def _add_id_filters(
        add: Any, data: Mapping[str, Any], name: str, labels: Mapping[int, str], title: str
    ) -> None:
        for pk in data.get(name) or []:
            add(f"{title}: {labels.get(pk, pk)}", name, pk)


def _iso(value: dt.date) -> str:
    return value.isoformat()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- conditions ---------------------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
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
        conditions.append(Q(birth_date__lte=_years_before(today, data["age_min"])))
    if data.get("age_max") is not None:
        conditions.append(Q(birth_date__gt=_years_before(today, data["age_max"] + 1)))
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


# --- the public functions -----------------------------------------------------------


def search_people(organisation: Organisation, params: Mapping[str, Any] | None) -> QuerySet[Person]:
    """The people of `organisation` that `params` (a QueryDict or a dict of lists, such as
    `SavedSearch.query`) select, sorted as asked; nobody when a parameter is invalid."""
    params = as_params(params or {})
    choices = SearchChoices.load(organisation, only_for=params)
    return SearchForm(params, organisation=organisation, choices=choices).people()


def saved_search_people(saved_search: SavedSearch) -> QuerySet[Person]:
    """Who the saved search selects now (it is a rule, evaluated each time)."""
    return search_people(saved_search.organisation, saved_search.query)


def describe(
    params: Mapping[str, Any] | None,
    organisation: Organisation | None = None,
    *,
    choices: SearchChoices | None = None,
) -> list[str]:
    """A short description of each active filter ("Tag: Board", "Age: 7–12"), for chips
    and labels. Without `organisation`, names are looked up in the current tenant scope.
    The everyday default (active members and applicants) is not listed. Pass `choices`
    (`SearchChoices.load(organisation)`) when describing many searches."""
    form = SearchForm(params or {}, organisation=organisation, choices=choices)
    return [active.label for active in form.filters()]


# --- saved searches (the write path) ------------------------------------------------


@audit.in_name_of_actor
@transaction.atomic
def save_search(
    organisation: Organisation, name: str, params: Mapping[str, Any], *, actor: Actor
) -> SavedSearch:
    """Save the search rule `params` under `name`; saving an existing name (in any case)
    replaces its rule. Raises ValidationError for an empty name or an invalid search."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the search a name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("Keep the name under 120 characters.")})
    query = clean_query(params)
    form = SearchForm(query, organisation=organisation)
    if not form.is_valid():
        raise ValidationError(_("Correct the search before saving it."))
    saved = (
        SavedSearch.objects.select_for_update()
        .filter(organisation=organisation, name__iexact=name)
        .first()
    )
    if saved is None:
        saved = SavedSearch.objects.create(
            organisation=organisation, name=name, query=query, created_by=actor.user
        )
    elif saved.query != query or saved.name != name:
        saved.query, saved.name = query, name
        saved.save(update_fields=["query", "name", "updated_at"])
    return saved


@audit.in_name_of_actor
@transaction.atomic
def delete_saved_search(saved_search: SavedSearch, *, actor: Actor) -> None:
    saved_search.delete()
