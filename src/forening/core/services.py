"""The write path of the core app: organisations, sections, groups, roles, accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_scopes import scope

from forening.core import audit, locks, orgnumbers
from forening.core.context import Actor
from forening.core.models import (
    CURRENCY_BY_COUNTRY,
    TIME_ZONE_BY_COUNTRY,
    Country,
    Group,
    Organisation,
    Role,
    RoleAssignment,
    Section,
    User,
)


class CoreError(Exception):
    """A business rule refused the action; the message is translated and safe to show."""


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    admin: User
    set_password_url: str


def password_setup_url(user: User) -> str:
    """A one-time link to choose a password (Django's reset token: void once used)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


@audit.in_name_of_actor
@transaction.atomic
def create_organisation(
    *,
    name: str,
    slug: str,
    country: str,
    admin_email: str,
    actor: Actor,
    organisation_number: str = "",
    parent: Organisation | None = None,
    language: str | None = None,
) -> NewOrganisation:
    """Create an association with its first administrator (the kernel's part only).

    Call `forening.office.onboarding.create_organisation`, which also runs every app's
    setup hook (membership types, the chart of accounts …) in the same transaction.

    The administrator's account is created without a password (or reused if the e-mail
    address already has one); the returned link lets them choose one. Raises
    ValidationError with per-field messages for a taken slug, an unknown country or an
    invalid organisation number; nothing is written then.
    """
    errors: dict[str, str] = {}
    if country not in Country.values:
        errors["country"] = _("Choose Sweden (SE) or Denmark (DK).")
    if Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = _("An association with this short name already exists.")
    number = ""
    if organisation_number and not errors.get("country"):
        try:
            number = orgnumbers.validate(organisation_number, country)
        except ValidationError as error:
            errors["organisation_number"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    organisation = Organisation(
        name=name,
        slug=slug,
        country=country,
        organisation_number=number,
        currency=CURRENCY_BY_COUNTRY[Country(country)],
        time_zone=TIME_ZONE_BY_COUNTRY[Country(country)],
        language=language or ("da" if country == Country.DENMARK else "sv"),
        parent=parent,
    )
    organisation.full_clean()
    organisation.save()
    email = User.objects.normalize_email(admin_email).lower()
    admin = User.objects.filter(email__iexact=email).first()
    if admin is None:
        admin = User.objects.create_user(email=email, password=None)
    with scope(organisation=organisation.pk):
        RoleAssignment.objects.create(
            organisation=organisation, user=admin, role=Role.ADMIN, granted_by=actor.user
        )
    audit.record(actor, "core.organisation.created_with_admin", organisation, admin=email)
    return NewOrganisation(organisation, admin, password_setup_url(admin))


@audit.in_name_of_actor
@transaction.atomic
def update_organisation(organisation: Organisation, *, actor: Actor, **fields: Any) -> Organisation:
    """Change settings and branding. Validates the organisation number for its country."""
    for name, value in fields.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    organisation.save(update_fields=[*fields.keys(), "updated_at"])
    return organisation


@audit.in_name_of_actor
@transaction.atomic
def save_section(section: Section, *, actor: Actor) -> Section:
    """Create or change a section; its name must be unique in the association."""
    section.full_clean()
    section.save()
    return section


@audit.in_name_of_actor
@transaction.atomic
def save_group(group: Group, *, actor: Actor) -> Group:
    """Create or change a group; its section must belong to the same association."""
    section = group.section
    if section is not None and section.organisation_id != group.organisation_id:
        raise CoreError(_("The section belongs to another association."))
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def grant_role(
    organisation: Organisation,
    *,
    user: User,
    role: str,
    group: Group | None = None,
    actor: Actor,
) -> RoleAssignment:
    """Give `user` a role (admin of the organisation, or leader of one group)."""
    if role not in Role.values:
        raise CoreError(_("Unknown role."))
    if role == Role.LEADER and group is None:
        raise CoreError(_("A group leader needs a group."))
    if group is not None and group.organisation_id != organisation.pk:
        raise CoreError(_("The group belongs to another association."))
    if role == Role.ADMIN:
        group = None
    assignment = RoleAssignment(
        organisation=organisation, user=user, role=role, group=group, granted_by=actor.user
    )
    audit.skip_automatic(assignment)  # recorded below as core.role.granted
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise CoreError(_("This person already has that role.")) from None
    audit.record(
        actor,
        "core.role.granted",
        assignment,
        subject_user=user,
        role=role,
        group=str(group) if group else None,
    )
    return assignment


@transaction.atomic
def revoke_role(assignment: RoleAssignment, *, actor: Actor) -> None:
    """Take a role away. The last administrator of an association cannot be removed."""
    if assignment.role == Role.ADMIN:
        admins = locks.lock_admin_roles(assignment.organisation)
        if not any(admin.pk != assignment.pk for admin in admins):
            raise CoreError(_("An association must keep at least one administrator."))
    audit.record(
        actor,
        "core.role.revoked",
        assignment,
        subject_user=assignment.user,
        role=assignment.role,
        group=str(assignment.group) if assignment.group_id else None,
    )
    audit.skip_automatic(assignment)
    assignment.delete()


@transaction.atomic
def grant_role_by_email(
    organisation: Organisation,
    *,
    email: str,
    role: str,
    group: Group | None = None,
    actor: Actor,
) -> RoleAssignment:
    """Give a role to the account with this e-mail address, creating the account if needed.

    A new account gets no password (the person chooses one with "Forgot password").
    Raises CoreError like `grant_role`; nothing is written then, not even the account.
    """
    normalised = User.objects.normalize_email(email.strip()).lower()
    if not normalised:
        raise CoreError(_("Enter an e-mail address."))
    user = User.objects.filter(email__iexact=normalised).first()
    if user is None:
        user = User.objects.create_user(normalised, None)
    return grant_role(organisation, user=user, role=role, group=group, actor=actor)


def normalise_phone(value: str, country: str) -> str:
    """A phone number in E.164 (+46701234567); national numbers are read in `country`.

    Raises ValidationError (on the field "phone") for a number that cannot exist.
    """
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, country or "SE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            {"phone": _("This is not a valid phone number. Example: 070-123 45 67.")}
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
