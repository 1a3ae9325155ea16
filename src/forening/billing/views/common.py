"""What the invoicing and payment pages share: links, amounts in messages, the person
search of their forms, and how a failed action is reported."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.urls import reverse

from forening.billing import services
from forening.core.context import Actor
from forening.core.models import Organisation, Person
from forening.core.views.base import OrganisationRequest

PAGE_SIZE = 50
PEOPLE_LIMIT = 20


def actor(request: OrganisationRequest) -> Actor:
    return Actor.from_request(request)


def url(request: OrganisationRequest, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": request.organisation.slug, **kwargs})


def amount(organisation: Organisation, amount_minor: int) -> str:
    return services.format_amount(organisation, amount_minor)


def _search_words(text: str) -> list[str]:
    # PostgreSQL refuses NUL characters in a query parameter
    return [word for word in text.replace("\x00", "").lower().split() if word][:5]


def people_ids(
    organisation: Organisation, query: str, *chosen: str | int | None
) -> tuple[list[int], list[int]]:
    """(ids for a person field, the search results among them): up to PEOPLE_LIMIT people
    matching every word of `query` by name, e-mail, phone or member number, plus the ids in
    `chosen` (the one already picked). The form's queryset keeps only this association's."""
    found: list[int] = []
    words = _search_words(query)
    if words:
        people = Person.objects.filter(organisation=organisation, anonymised_at__isnull=True)
        for word in words:
            people = people.filter(search_text__contains=word)
        found = list(
            people.order_by("last_name", "first_name", "pk").values_list("pk", flat=True)[
                :PEOPLE_LIMIT
            ]
        )
    extra = [
        int(value) for value in chosen if value and str(value).isdigit() and len(str(value)) < 19
    ]
    return [*found, *extra], found


def only_one(chosen: str | None, results: list[int]) -> str | int | None:
    """The person to preselect: the one chosen, or the only one the search found."""
    if chosen and chosen.isdigit() and len(chosen) < 19:
        return chosen
    return results[0] if len(results) == 1 else None


def failed(request: OrganisationRequest, text: str, form: Any) -> None:
    """Say that an action on a detail page failed, and why when it is not one field's
    fault (the service's reason; the page marks the fields)."""
    messages.error(request, " ".join([text, *form.non_field_errors()]))
