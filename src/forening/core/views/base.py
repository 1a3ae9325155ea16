"""What every view does before its own work: sign-in, organisation, policy, tenant scope."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_scopes import scope

from forening.core import policy
from forening.core.models import Organisation, User

View = Callable[..., HttpResponseBase]  # a page, a redirect or a file (FileResponse)


class AuthenticatedRequest(HttpRequest):
    """The request an `account_view` or `organisation_view` receives: the user is signed in."""

    user: User  # narrowed from User | AnonymousUser


class OrganisationRequest(AuthenticatedRequest):
    """The request an `organisation_view` receives."""

    organisation: Organisation
    access: policy.Access


def mark_policy(view: View, action: str) -> View:
    """Record which policy action guards a view; the permission-matrix test reads it."""
    setattr(view, "policy_action", action)  # noqa: B010 - a function attribute, set once
    return view


def public_view(view: View) -> View:
    """A view anyone may call (health check, language switch): nothing to ask the policy."""
    return mark_policy(view, "public")


def organisation_view(action: str) -> Callable[[View], View]:
    """Decorate a view under /o/<org_slug>/: the user must be signed in and allowed `action`.

    Sets `request.organisation` and `request.access`, refuses with 404 a user who does
    not belong to the organisation (so its existence is not revealed) and with 403 one
    who belongs but may not do `action`, sends an administrator who must use two-factor
    authentication but has not to set it up, and runs the view inside the tenant scope.
    """
    if action not in policy.RULES:
        raise ValueError(f"unknown policy action {action!r}")

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(
            request: OrganisationRequest, org_slug: str, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            try:
                organisation = Organisation.objects.select_related("parent").get(slug=org_slug)
            except Organisation.DoesNotExist:
                raise Http404 from None
            access = policy.access_for(request.user, organisation)
            if not access.belongs:
                raise Http404
            if (
                access.is_admin
                and two_factor_required(organisation)
                and not request.user.is_verified()  # type: ignore[attr-defined]  # django-otp
            ):
                messages.warning(
                    request,
                    _("%(name)s requires administrators to use two-factor authentication.")
                    % {"name": organisation.name},
                )
                return redirect("accounts:security")
            policy.require(access, action)
            request.organisation = organisation
            request.access = access
            remember_organisation(request, organisation)
            with scope(organisation=organisation.pk):
                return view(request, *args, **kwargs)

        return mark_policy(wrapper, action)

    return decorator


def two_factor_required(organisation: Organisation) -> bool:
    """An organisation's own rule, or that of any federation above it."""
    return any(org.require_admin_two_factor for org in policy.ancestors(organisation))


def remember_organisation(request: AuthenticatedRequest, organisation: Organisation) -> None:
    user = request.user
    if user.last_organisation_id != organisation.pk:
        user.last_organisation = organisation
        user.save(update_fields=["last_organisation"])


def account_view(view: View) -> View:
    """A view about the signed-in user's own account (no organisation, no scope)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return mark_policy(wrapper, "account.own")
