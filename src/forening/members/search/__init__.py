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

The modules: `params` (the parameters: reading, cleaning, query strings), `fields` and
`choices` (what the form is built from), `form` (`SearchForm`, `search_people`,
`describe`), `conditions` (the query), `saved` (saved searches). Callers import from this
package, not from its modules.
"""

from forening.members.search.choices import SearchChoices
from forening.members.search.conditions import text_condition
from forening.members.search.fields import AttributeFilter, NordicDateField, NumberField
from forening.members.search.form import Filter, SearchForm, describe, search_people
from forening.members.search.params import (
    ALL_STATUSES,
    ATTRIBUTE_PARAMETER,
    DEFAULT_STATUSES,
    MISSING_CHOICES,
    PAGE_SIZE,
    PARAMETERS,
    SORT_CHOICES,
    as_params,
    clean_query,
    is_search_parameter,
    query_string,
)
from forening.members.search.saved import delete_saved_search, save_search, saved_search_people

__all__ = [
    "ALL_STATUSES",
    "ATTRIBUTE_PARAMETER",
    "DEFAULT_STATUSES",
    "MISSING_CHOICES",
    "PAGE_SIZE",
    "PARAMETERS",
    "SORT_CHOICES",
    "AttributeFilter",
    "Filter",
    "NordicDateField",
    "NumberField",
    "SearchChoices",
    "SearchForm",
    "as_params",
    "clean_query",
    "delete_saved_search",
    "describe",
    "is_search_parameter",
    "query_string",
    "save_search",
    "saved_search_people",
    "search_people",
    "text_condition",
]
