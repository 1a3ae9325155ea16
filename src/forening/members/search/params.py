"""Search parameters: their names, reading them from a query string or a saved search, and
writing them back (the parameters themselves are described in the package docstring)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.utils.datastructures import MultiValueDict
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from forening.core.models import MemberStatus
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
