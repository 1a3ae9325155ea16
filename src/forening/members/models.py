"""The member register around `core.Person`: membership types, status history, tags,
custom attributes, consents, the correspondence log, saved searches and imports."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from forening.core.models import (
    MemberStatus,
    Organisation,
    Person,
    TimestampedModel,
    TrackedModel,
)


class MembershipKind(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    FAMILY = "family", _("Family")
    HONORARY = "honorary", _("Honorary")
    PASSIVE = "passive", _("Passive")
    SUPPORTING = "supporting", _("Supporting")
    OTHER = "other", _("The association's own")


class MembershipType(TrackedModel, TimestampedModel):
    """A kind of membership the association offers; fees hang on it later."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=20, choices=MembershipKind.choices, default=MembershipKind.OTHER
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("membership type")
        verbose_name_plural = _("membership types")
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("name"), name="membership_type_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class StatusChange(models.Model):
    """One transition of a person's status: who, when, why. Never changed afterwards."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("person")
    )
    from_status = models.CharField(
        _("from"), max_length=20, choices=MemberStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=20, choices=MemberStatus.choices)
    effective_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    changed_by_label = models.CharField(_("by"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [models.Index(fields=["organisation", "to_status", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.from_status} → {self.to_status}"


class Tag(TrackedModel, TimestampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=60)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        constraints = [models.UniqueConstraint("organisation", Lower("name"), name="tag_unique")]

    def __str__(self) -> str:
        return self.name


class Tagging(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="taggings")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="taggings")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tag", "person"], name="tagging_unique")]

    def __str__(self) -> str:
        return f"{self.tag_id} → {self.person_id}"


class AttributeKind(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    BOOLEAN = "boolean", _("Yes/no")
    CHOICE = "choice", _("One choice")
    MULTIPLE_CHOICE = "multiple", _("Several choices")


class AttributeDefinition(TrackedModel, TimestampedModel):
    """A field the association adds to its register (allergies, first-aid course, licence)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=AttributeKind.choices)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    # For choice fields: [{"key": "gluten", "label": "Gluten"}, …]. Keys never change once
    # used, so labels can be renamed without touching stored values.
    options = models.JSONField(_("choices"), default=list, blank=True)
    required_for = models.ManyToManyField(
        MembershipType,
        through="AttributeRequirement",
        blank=True,
        related_name="required_attributes",
        verbose_name=_("required for"),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="attribute_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def option_labels(self) -> dict[str, str]:
        return {option["key"]: option["label"] for option in self.options}


class AttributeRequirement(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    attribute = models.ForeignKey(AttributeDefinition, on_delete=models.CASCADE)
    membership_type = models.ForeignKey(MembershipType, on_delete=models.CASCADE)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["attribute", "membership_type"], name="attribute_requirement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id} ⇐ {self.membership_type_id}"


class AttributeValue(TrackedModel, models.Model):
    """One person's value of one custom field, in the column that fits its type.

    Choices are stored in `text` as ",key," (one choice) or ",a,b," (several), so "has
    option b" is `text__contains=",b,"` on every database.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attribute_values")
    attribute = models.ForeignKey(
        AttributeDefinition, on_delete=models.PROTECT, related_name="values"
    )
    text = models.TextField(blank=True)
    number = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    boolean = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "attribute"], name="attribute_value_unique")
        ]
        indexes = [
            models.Index(fields=["attribute", "number"]),
            models.Index(fields=["attribute", "date"]),
            models.Index(fields=["attribute", "boolean"]),
        ]

    def __str__(self) -> str:
        return f"{self.attribute_id}={self.value!r}"

    @property
    def value(self) -> Any:
        from forening.members import attributes

        return attributes.read_value(self.attribute, self)


class ConsentPurpose(TrackedModel, TimestampedModel):
    """Something the association asks consent for: photos on the website, the newsletter."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("what it means"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["position", "name", "pk"]
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        constraints = [
            models.UniqueConstraint(
                "organisation", Lower("name"), name="consent_purpose_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ConsentSource(models.TextChoices):
    FORM = "form", _("Form")
    OFFICE = "office", _("Office")
    PORTAL = "portal", _("My pages")
    IMPORT = "import", _("Import")


class Consent(models.Model):
    """One consent, given at a time from a source, and perhaps withdrawn later.

    Giving consent again after a withdrawal adds a new row: the history stays.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="consents")
    given_at = models.DateTimeField(_("given"))
    given_source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    given_by_label = models.CharField(_("recorded by"), max_length=254, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_source = models.CharField(
        _("withdrawn through"), max_length=20, choices=ConsentSource.choices, blank=True
    )
    withdrawn_by_label = models.CharField(_("withdrawal recorded by"), max_length=254, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-given_at", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="consent_one_open_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.purpose_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class NoteKind(models.TextChoices):
    NOTE = "note", _("Note")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone call")
    MEETING = "meeting", _("Meeting")


class Note(models.Model):
    """An entry in a person's correspondence log. Entries are not edited afterwards."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(
        _("kind"), max_length=20, choices=NoteKind.choices, default=NoteKind.NOTE
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by_label = models.CharField(_("by"), max_length=254, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.subject


def attachment_path(instance: NoteAttachment, filename: str) -> str:
    return f"attachments/{instance.organisation_id}/{uuid.uuid4().hex}"


class NoteAttachment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class SavedSearch(TrackedModel, TimestampedModel):
    """A named search rule. It is evaluated each time it is used, never frozen into a list."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=120)
    # The search form's data, as a dict of lists (what QueryDict.lists() gives).
    query = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        constraints = [
            models.UniqueConstraint("organisation", Lower("name"), name="saved_search_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    COMMITTED = "committed", _("Imported")
    DISCARDED = "discarded", _("Discarded")


def import_path(instance: MemberImport, filename: str) -> str:
    return f"imports/{instance.organisation_id}/{uuid.uuid4().hex}"


class MemberImport(models.Model):
    """An uploaded spreadsheet on its way through mapping and preview to the register."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
    file = models.FileField(upload_to=import_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # Column index (as a string) → field name, chosen by the user or guessed from headers.
    mapping = models.JSONField(default=dict, blank=True)
    skip_invalid = models.BooleanField(_("skip invalid rows"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    result = models.JSONField(default=dict, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(organisation="organisation")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")

    def __str__(self) -> str:
        return self.original_name
