"""People: members, contacts and organisations in the register, and their guardians."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models.base import Language, TimestampedModel, TrackedModel
from forening.core.models.organisations import Organisation


class PersonKind(models.TextChoices):
    PERSON = "person", _("Person")
    ORGANISATION = "organisation", _("Organisation")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")


class MemberStatus(models.TextChoices):
    """Where a person stands with the association (see members.status for the transitions)."""

    CONTACT = "contact", _("Contact (not a member)")
    APPLIED = "applied", _("Applied")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    INACTIVE = "inactive", _("Former member")
    DECEASED = "deceased", _("Deceased")


# Records in these states are read-only except for their status.
READ_ONLY_STATUSES = frozenset({MemberStatus.INACTIVE, MemberStatus.DECEASED})


def person_name_key() -> models.Case:
    """How people sort by name: an organisation by its name, a person by last name.

    Searches order by this expression, and an index on it (Person.Meta) lets the
    database read the first page in order instead of sorting the whole register.
    """
    return models.Case(
        models.When(kind=PersonKind.ORGANISATION, then=Lower("organisation_name")),
        default=Lower("last_name"),
    )


def person_photo_path(instance: Person, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()[:5] if "." in filename else "jpg"
    return f"photos/{instance.organisation_id}/{uuid.uuid4().hex}.{suffix}"


class Person(TrackedModel, TimestampedModel):
    """Someone the association knows: a member, an applicant, a former member or a contact.

    A person is either a natural person or an organisation (a company or another association
    that is a member). The rules for changing a person live in `forening.members.services`.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    kind = models.CharField(
        _("kind"), max_length=20, choices=PersonKind.choices, default=PersonKind.PERSON
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    email_secondary = models.EmailField(_("other e-mail address"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    phone_secondary = models.CharField(_("other phone"), max_length=20, blank=True)
    care_of = models.CharField(_("c/o"), max_length=200, blank=True)
    street = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, blank=True
    )
    photo = models.ImageField(_("photo"), upload_to=person_photo_path, blank=True)
    # The identity number (personnummer, samordningsnummer, CPR) is stored encrypted, with a
    # keyed hash for exact search and duplicate detection and a masked form for display.
    identity_number_ciphertext = models.TextField(blank=True, editable=False)
    identity_number_index = models.CharField(max_length=64, blank=True, editable=False)
    identity_number_masked = models.CharField(
        _("identity number"), max_length=20, blank=True, editable=False
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    membership_type = models.ForeignKey(
        "members.MembershipType",
        verbose_name=_("membership type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    member_number = models.PositiveIntegerField(_("member number"), null=True, blank=True)
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    leave_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True)
    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    # Lower-case names, e-mail addresses, phone digits and member number, for free-text search.
    search_text = models.TextField(blank=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="persons",
    )

    objects = ScopedManager(organisation="organisation")

    # Never copied into the audit log: the encrypted number and its derivatives.
    audit_exclude = ("identity_number_ciphertext", "identity_number_index", "search_text")

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(user__isnull=False),
                name="person_one_per_user_and_organisation",
            ),
            models.UniqueConstraint(
                fields=["organisation", "member_number"],
                condition=models.Q(member_number__isnull=False),
                name="person_member_number_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "identity_number_index"],
                condition=~models.Q(identity_number_index=""),
                name="person_identity_number_unique",
            ),
        ]
        indexes = [
            models.Index(
                models.F("organisation"),
                person_name_key(),
                Lower("first_name"),
                models.F("id"),
                name="person_name_sort",
            ),
            models.Index(fields=["organisation", "status", "last_name", "first_name"]),
            models.Index(fields=["organisation", "birth_date"]),
            models.Index(fields=["organisation", "joined_on"]),
            models.Index(fields=["organisation", "household"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = self.compute_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        if self.kind == PersonKind.ORGANISATION:
            return self.organisation_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def sort_name(self) -> str:
        if self.kind == PersonKind.ORGANISATION:
            return self.organisation_name
        return ", ".join(part for part in (self.last_name, self.first_name) if part)

    @property
    def is_read_only(self) -> bool:
        """Former members and the deceased keep their data as it was; only status changes."""
        return self.status in READ_ONLY_STATUSES or self.anonymised_at is not None

    @property
    def is_member(self) -> bool:
        return self.status in (MemberStatus.ACTIVE, MemberStatus.APPLIED)

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def compute_search_text(self) -> str:
        parts = [
            self.first_name,
            self.last_name,
            self.organisation_name,
            self.contact_name,
            self.email,
            self.email_secondary,
            "".join(ch for ch in self.phone if ch.isdigit()),
            "".join(ch for ch in self.phone_secondary if ch.isdigit()),
            str(self.member_number) if self.member_number else "",
        ]
        return " ".join(part for part in parts if part).lower()


class Guardianship(TimestampedModel):
    """A guardian (vårdnadshavare) who may act for a minor in the same association."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    guardian = models.ForeignKey(
        Person, verbose_name=_("guardian"), on_delete=models.CASCADE, related_name="wardships"
    )
    ward = models.ForeignKey(
        Person, verbose_name=_("child"), on_delete=models.CASCADE, related_name="guardianships"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "ward"], name="guardianship_unique"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("ward")), name="guardianship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.ward}"
