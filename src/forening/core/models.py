"""Tenancy, people, accounts, roles and the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any, ClassVar, Self

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core import audit_protection, orgnumbers

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # followed by six hexadecimal digits.")
)


class Country(models.TextChoices):
    SWEDEN = "SE", _("Sweden")
    DENMARK = "DK", _("Denmark")


class Language(models.TextChoices):
    SWEDISH = "sv", "Svenska"
    DANISH = "da", "Dansk"
    ENGLISH = "en", "English"


CURRENCY_BY_COUNTRY = {Country.SWEDEN: "SEK", Country.DENMARK: "DKK"}
TIME_ZONE_BY_COUNTRY = {Country.SWEDEN: "Europe/Stockholm", Country.DENMARK: "Europe/Copenhagen"}


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class TrackedModel(models.Model):
    """A model whose loaded field values are remembered, so the audit log can record diffs."""

    # The field values as loaded (set by from_db), and whether the service that saves or
    # deletes this instance records the audit event itself (see audit.skip_automatic).
    _loaded_values: dict[str, Any]
    _audit_recorded: bool = False

    class Meta:
        abstract = True

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance


class Organisation(TrackedModel, TimestampedModel):
    """An association (the tenant), a federation, or a federation's local unit."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("short name"),
        max_length=60,
        unique=True,
        help_text=_("Used in addresses, e.g. ik-demo. Lower-case letters, digits and hyphens."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("federation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
    )
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    language = models.CharField(
        _("default language"), max_length=5, choices=Language.choices, default=Language.SWEDISH
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Stockholm")
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f5f8b", validators=[colour_validator]
    )
    accent_colour = models.CharField(
        _("accent colour"), max_length=7, default="#f2a900", validators=[colour_validator]
    )
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    require_admin_two_factor = models.BooleanField(
        _("admins must use two-factor authentication"), default=False
    )
    records_gender = models.BooleanField(
        _("record gender"),
        default=True,
        help_text=_("Grant reports count participants by gender."),
    )
    retention_years = models.PositiveSmallIntegerField(
        _("keep former members' personal data for (years)"),
        null=True,
        blank=True,
        help_text=_("Empty: keep until removed by hand."),
    )
    is_demo = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.organisation_number:
            self.organisation_number = orgnumbers.validate(
                self.organisation_number, self.country, field="organisation_number"
            )
        if not self.currency and self.country:
            self.currency = CURRENCY_BY_COUNTRY[Country(self.country)]

    @property
    def is_local_unit(self) -> bool:
        return self.parent_id is not None


class ScheduledRun(models.Model):
    """That a scheduled job (core.scheduler) was started for a day. One row per job and
    day, unique, so that of several workers exactly one starts it."""

    name = models.CharField(max_length=80)
    day = models.DateField()
    started_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "day"], name="scheduled_run_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.day}"


class NumberSequence(models.Model):
    """A per-association counter (member numbers, invoice numbers), see core.sequences."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(max_length=40)
    last_value = models.PositiveBigIntegerField(default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="number_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


class Section(TrackedModel, TimestampedModel):
    """A branch of one association (football, gymnastics)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="section_unique_name_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Group(TrackedModel, TimestampedModel):
    """A team or class that meets and has leaders."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "section", "name"],
                name="group_unique_name_per_section",
            )
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A login. Separate from Person: one account can act for several people."""

    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.SWEDISH
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("operator"),
        default=False,
        help_text=_("Operators run the installation; they are not members of any association."),
    )
    email_verified_at = models.DateTimeField(_("e-mail verified"), null=True, blank=True)
    date_joined = models.DateTimeField(_("created"), default=timezone.now)
    last_organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_unique_email_ci")]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None


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


class GroupRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    LEADER = "leader", _("Leader")
    ASSISTANT = "assistant", _("Assistant leader")


class GroupMembership(TrackedModel, TimestampedModel):
    """A person taking part in a group (a player in a team, a pupil in a class)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.PROTECT, related_name="memberships"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="group_memberships",
    )
    role = models.CharField(
        _("role in group"), max_length=20, choices=GroupRole.choices, default=GroupRole.PARTICIPANT
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="group_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.group}"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    LEADER = "leader", _("Group leader")


class RoleAssignment(TrackedModel, TimestampedModel):
    """A user's role in one organisation.

    An administrator of an organisation administers it and every local unit below it
    (so an administrator of a local unit administers that unit's subtree). A leader
    leads one group.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="leader_assignments",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["role", "pk"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user", "role"],
                condition=models.Q(group__isnull=True),
                name="role_assignment_unique_admin",
            ),
            models.UniqueConstraint(
                fields=["organisation", "user", "role", "group"],
                condition=models.Q(group__isnull=False),
                name="role_assignment_unique_leader",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="leader", group__isnull=False)
                    | models.Q(role="admin", group__isnull=True)
                ),
                name="role_assignment_group_matches_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"

    def clean(self) -> None:
        if self.role == Role.LEADER and self.group_id is None:
            raise ValidationError({"group": _("A group leader needs a group.")})
        if self.role == Role.ADMIN:
            self.group = None


AUDIT_ACTION_LABELS = {
    "core.login.succeeded": _("Signed in"),
    "core.login.failed": _("Failed sign-in"),
    "core.login.locked_out": _("Sign-in refused: too many attempts"),
    "core.login.second_factor": _("Signed in with two-factor authentication"),
    "core.logout": _("Signed out"),
    "core.password.reset": _("Password reset"),
    "core.password.reset_throttled": _("Password reset refused: too many requests"),
    "core.password.changed": _("Password changed"),
    "core.email.verified": _("E-mail address verified"),
    "core.two_factor.totp_added": _("Authenticator app added"),
    "core.two_factor.email_added": _("Codes by e-mail turned on"),
    "core.two_factor.recovery_codes_generated": _("New recovery codes"),
    "core.two_factor.removed": _("Two-factor method removed"),
    "core.role.granted": _("Role granted"),
    "core.role.revoked": _("Role removed"),
    "core.organisation.created_with_admin": _("Association created"),
    "core.demo.created": _("Demo data loaded"),
    "core.audit.redacted": _("Personal data removed from the audit log"),
    "members.identity_number.revealed": _("Identity number shown"),
    "members.status.changed": _("Status changed"),
    "members.group.added": _("Added to a group"),
    "members.tag.added": _("Tag added"),
    "members.tag.removed": _("Tag removed"),
    "members.tag.deleted": _("Tag deleted"),
    "members.tag.merged": _("Tags merged"),
    "members.guardian.added": _("Guardian added"),
    "members.guardian.removed": _("Guardian removed"),
    "members.consent.given": _("Consent given"),
    "members.consent.withdrawn": _("Consent withdrawn"),
    "members.note.added": _("Note added"),
    "members.export": _("Members exported"),
    "members.import": _("Members imported"),
    "members.import.discarded": _("Import cancelled; the file was deleted"),
    "members.privacy.extract": _("Register extract"),
    "members.privacy.anonymised": _("Personal data removed (anonymised)"),
    "members.retention.applied": _("Retention rule applied"),
    "members.identity_numbers.reencrypted": _("Identity numbers re-encrypted with a new key"),
    "billing.invoice.issued": _("Invoice issued"),
    "billing.invoice.credited": _("Invoice credited"),
    "billing.invoice.line_added": _("Line added to an invoice"),
    "billing.run.committed": _("Billing run committed"),
    "billing.reminders.sent": _("Reminders sent"),
    "billing.reports.exported": _("Financial reports exported"),
    "billing.invoices.exported": _("Invoices exported"),
    "payments.payment.registered": _("Payment registered"),
    "payments.payment.placed": _("Payment placed"),
    "payments.payment.reversed": _("Payment reversed"),
}
AUDIT_VERB_LABELS = {
    "created": _("%(object)s created"),
    "updated": _("%(object)s changed"),
    "deleted": _("%(object)s deleted"),
}


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """The audit log is append-only: no bulk delete, and a bulk update (`update()`,
    `bulk_update()`) only of `changes` and `object_repr` inside `core.audit.redaction()`.
    The database's triggers refuse the same (see `core.audit_protection`)."""

    def update(self, **kwargs: Any) -> int:
        audit_protection.check_update(kwargs)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only")


class AuditEvent(models.Model):
    """One line of the append-only audit log.

    Scoped to its organisation. Events of no organisation (sign-ins, password and two-factor
    changes) are outside every scope: the places that read them across organisations do so
    under `scopes_disabled()` and say why.
    """

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    object_type = models.CharField(_("object type"), max_length=80, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = ScopedManager(
        _manager_class=models.Manager.from_queryset(AuditEventQuerySet),
        organisation="organisation",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="audit_org_time"),
            models.Index(fields=["subject_user", "-created_at"], name="audit_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only")

    @property
    def action_label(self) -> str:
        """The action in words, in the reader's language ("Group changed")."""
        if self.action in AUDIT_ACTION_LABELS:
            return str(AUDIT_ACTION_LABELS[self.action])
        app_label, _dot, rest = self.action.partition(".")
        model_name, _dot, verb = rest.rpartition(".")
        if verb in AUDIT_VERB_LABELS:
            from django.apps import apps

            try:
                model = apps.get_model(app_label, model_name)
            except LookupError:
                return self.action
            name = str(model._meta.verbose_name)
            return str(AUDIT_VERB_LABELS[verb]) % {"object": name[:1].upper() + name[1:]}
        return self.action


class RateLimitHit(models.Model):
    """One counted attempt (a failed sign-in, a password-reset request) for rate limiting.

    Rows live in the database so limits hold across processes and machines; old rows
    are pruned whenever the same key is counted again.
    """

    key = models.CharField(max_length=90)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["key", "created_at"], name="rate_limit_key_time")]

    def __str__(self) -> str:
        return self.key
