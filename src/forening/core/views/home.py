"""The start page after sign-in: the last association used, or a choice between several."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from forening.core.models import Organisation
from forening.core.views.base import account_view


def organisations_of(user: object) -> list[Organisation]:
    """Every association the user belongs to: by a role, as a person, or below a federation
    they administer (one query; Organisation is not a scoped model)."""
    belongs = (
        Q(person__user=user)
        | Q(roleassignment__user=user)
        | Q(parent__roleassignment__user=user, parent__roleassignment__role="admin")
        | Q(
            parent__parent__roleassignment__user=user,
            parent__parent__roleassignment__role="admin",
        )
    )
    return list(
        Organisation.objects.filter(belongs).distinct().select_related("parent").order_by("name")
    )


@account_view
def home(request: HttpRequest) -> HttpResponse:
    organisations = organisations_of(request.user)
    last = getattr(request.user, "last_organisation_id", None)
    if "choose" not in request.GET:
        if len(organisations) == 1:
            return redirect("org:dashboard", org_slug=organisations[0].slug)
        for organisation in organisations:
            if organisation.pk == last:
                return redirect("org:dashboard", org_slug=organisation.slug)
    return render(request, "core/organisations.html", {"organisations": organisations})
