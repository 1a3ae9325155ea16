"""Saved searches: a search rule kept under a name, evaluated again each time it is used
(for mailings, billing runs and exports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.members import locks
from forening.members.models import SavedSearch
from forening.members.search.form import SearchForm, search_people
from forening.members.search.params import clean_query


def saved_search_people(saved_search: SavedSearch) -> QuerySet[Person]:
    """Who the saved search selects now (it is a rule, evaluated each time)."""
    return search_people(saved_search.organisation, saved_search.query)


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
    saved = locks.lock_saved_search(organisation, name)
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
