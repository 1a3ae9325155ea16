"""The search form: the page's filters, checked; the people they select; and the active
filters described for chips and labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forening.core.forms_base import BootstrapMixin
from forening.core.models import Gender, Group, MemberStatus, Organisation, Person, Section
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    ConsentPurpose,
    MembershipType,
    Tag,
)
from forening.members.search.choices import SearchChoices
from forening.members.search.conditions import matching_people
from forening.members.search.fields import AttributeFilter, NordicDateField, NumberField, ids_field
from forening.members.search.params import (
    ALL_STATUSES,
    DEFAULT_STATUSES,
    MISSING_CHOICES,
    PARAMETERS,
    SORT_CHOICES,
    as_params,
)


@dataclass(frozen=True)
class Filter:
    """One active filter, for a chip: its label and the parameter values that make it.

    `remove` lists (parameter, value) pairs to drop to remove the filter; a value of None
    drops every value of that parameter."""

    label: str
    remove: tuple[tuple[str, str | None], ...]


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
            "membership_type": ids_field(
                _("Membership type"),
                ((t.pk, not_in_use(t.name, t.is_active)) for t in self.membership_types),
            ),
            "section": ids_field(_("Section"), ((s.pk, s.name) for s in self.sections)),
            "group": ids_field(_("Group"), ((g.pk, group_label(g)) for g in self.groups)),
            "tag": ids_field(_("Tag"), ((t.pk, t.name) for t in self.tags)),
            "consent_given": ids_field(
                _("Consent given"),
                ((p.pk, not_in_use(p.name, p.is_active)) for p in self.purposes),
            ),
            "consent_withdrawn": ids_field(
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
        return matching_people(
            self.organisation,
            self.cleaned_data,
            statuses=self.statuses,
            attribute_filters=self.attribute_filters,
        )

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


def search_people(organisation: Organisation, params: Mapping[str, Any] | None) -> QuerySet[Person]:
    """The people of `organisation` that `params` (a QueryDict or a dict of lists, such as
    `SavedSearch.query`) select, sorted as asked; nobody when a parameter is invalid."""
    params = as_params(params or {})
    choices = SearchChoices.load(organisation, only_for=params)
    return SearchForm(params, organisation=organisation, choices=choices).people()


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
