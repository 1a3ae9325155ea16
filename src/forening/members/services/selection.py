"""How the set-wise services take "these people"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet


def id_set(person_ids: Iterable[int] | QuerySet[Any]) -> Any:
    """People's ids for `pk__in`: a query of ids stays a subquery, so "everyone the search
    finds" is never a list of thousands of parameters (SQLite allows 32,766)."""
    if isinstance(person_ids, QuerySet):
        return person_ids
    return list(person_ids)
