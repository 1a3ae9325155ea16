"""Forms of the member register's member pages: the person form, status, notes, groups, tags,
households and guardians.

Forms check the shape of the input and, so that the user sees every mistake at once, run the
same field checks the services run (`services.clean_person_fields`, `identity.parse`,
`attributes.coerce`). The services check again and stay the authority: a view maps their
`ValidationError` back onto these fields (custom fields are named `attribute_<id>`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from forening.core.countries import country_choices
from forening.core.forms_base import BootstrapMixin, add_validation_error, choice, model_choice
from forening.core.models import (
    Gender,
    Group,
    GroupRole,
    Language,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
)
from forening.members import attributes as attribute_values
from forening.members import identity, services
from forening.members import status as transitions
from forening.members.dates import parse_date
from forening.members.fields import PERSON, Use, names
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    MembershipType,
    NoteKind,
)

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_CONTENT_TYPES = {"image/jpeg", "image/png", "image/webp"}
MAX_ATTACHMENTS = 10

# The statuses a new person can start in.
START_STATUSES = [
    (MemberStatus.ACTIVE, _("Active member")),
    (MemberStatus.APPLIED, _("Applied for membership")),
    (MemberStatus.CONTACT, _("Contact (not a member)")),
]

# Fields that belong to one kind of person only; the other kind sends them empty.
PERSON_ONLY_FIELDS = ("first_name", "last_name", "birth_date", "gender")
ORGANISATION_ONLY_FIELDS = ("organisation_name", "organisation_number", "contact_name")
# The fields the form passes to the services as they are (members/fields.py), but for the
# photo (uploaded or cleared) and the member number (only when typed), handled on their own.
PLAIN_FIELDS = tuple(
    name for name in names(PERSON, use=Use.FORM) if name not in ("photo", "member_number")
)


def phone_display(number: str, country: str) -> str:
    """A stored E.164 number as people write it: nationally when it is a number of
    `country` (070-123 45 67), else internationally (+47 912 34 567)."""
    if not number:
        return ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    same_country = phonenumbers.region_code_for_number(parsed) == country
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if same_country
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(parsed, style))


def _bootstrap_class(widget: forms.Widget) -> None:
    """The Bootstrap class of a field added after BootstrapMixin set up the others."""
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return
    css = "form-select" if isinstance(widget, forms.Select) else "form-control"
    existing = widget.attrs.get("class", "")
    if css not in existing.split():
        widget.attrs["class"] = f"{css} {existing}".strip()


class NordicDateField(forms.Field):
    """A date typed as people in the Nordics write it (see members.dates), or from a date
    picker (ISO). An impossible date such as 2026-02-30 gets a clear message."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"invalid": _("Enter a real date, such as 2026-03-15.")}

    def to_python(self, value: Any) -> dt.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


class AnyStatusField(forms.ChoiceField):
    """Offers the allowed next statuses but accepts any known one, so that a refused
    transition (deceased → active) gets the service's explanation, not "invalid choice"."""

    def valid_value(self, value: Any) -> bool:
        return value in MemberStatus.values


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(item, initial) for item in data if item]
        return [single_clean(data, initial)] if data else []


class IdListField(forms.Field):
    """A list of ids from checkboxes with the same name (junk is refused, not ignored)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("The selection is not valid; reload the page.")}

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(item) for item in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


def _membership_types(
    organisation: Organisation, current: MembershipType | None
) -> QuerySet[MembershipType]:
    types = MembershipType.objects.filter(organisation=organisation, is_active=True)
    if current is not None and not current.is_active:
        types = MembershipType.objects.filter(organisation=organisation).filter(
            pk__in=[*types.values_list("pk", flat=True), current.pk]
        )
    return types.order_by("position", "name", "pk")


def attribute_field(attribute: AttributeDefinition) -> forms.Field:
    """The form field for one custom field (never required here: the requirement depends on
    the membership type and is checked in `PersonForm.clean` and by the service)."""
    common: dict[str, Any] = {
        "label": attribute.name,
        "required": False,
        "help_text": attribute.help_text,
    }
    kind = attribute.kind
    options = [(option["key"], option["label"]) for option in attribute.options]
    if kind == AttributeKind.NUMBER:
        return forms.CharField(
            max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
        )
    if kind == AttributeKind.DATE:
        return NordicDateField(**common)
    if kind == AttributeKind.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], **common)
    if kind == AttributeKind.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *options], **common)
    if kind == AttributeKind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=options,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **common,
        )
    return forms.CharField(max_length=1000, **common)


def _attribute_initial(attribute: AttributeDefinition, value: Any) -> Any:
    if attribute.kind == AttributeKind.BOOLEAN and value is not None:
        return "yes" if value else "no"
    if attribute.kind == AttributeKind.NUMBER and value is not None:
        return str(value)
    return value


@dataclass(frozen=True)
class CustomField:
    """A custom field on the person form, with the membership types that require it."""

    attribute: AttributeDefinition
    required_type_ids: tuple[int, ...]
    required_type_names: tuple[str, ...]

    @property
    def name(self) -> str:
        """The form field's name (the services' errors name custom fields this way too)."""
        return f"attribute_{self.attribute.pk}"


class PersonForm(BootstrapMixin, forms.Form):
    """Add or change a person or an organisation member (REG-01, REG-03, REG-05, REG-10)."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (PersonKind.PERSON, _("A person")),
            (PersonKind.ORGANISATION, _("An organisation")),
        ],
        initial=PersonKind.PERSON,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    organisation_name = forms.CharField(
        label=_("Organisation name"), max_length=200, required=False
    )
    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=20, required=False
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    identity_number = forms.CharField(
        label=_("Identity number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "numeric"}
        ),
    )
    remove_identity_number = forms.BooleanField(
        label=_("Remove the identity number"), required=False
    )
    birth_date = NordicDateField(label=_("Date of birth"), required=False)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", "—"), *Gender.choices], required=False
    )
    email = forms.CharField(
        label=_("E-mail address"), max_length=254, required=False, widget=forms.EmailInput
    )
    email_secondary = forms.CharField(
        label=_("Other e-mail address"), max_length=254, required=False, widget=forms.EmailInput
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    phone_secondary = forms.CharField(
        label=_("Other phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    care_of = forms.CharField(label=_("c/o"), max_length=200, required=False)
    street = forms.CharField(label=_("Street address"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=10, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("", _("The association's language")), *Language.choices],
        required=False,
    )
    photo = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("Optional. JPEG, PNG or WebP, at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(sorted(PHOTO_CONTENT_TYPES))}),
    )
    membership_type = SafeModelChoiceField(
        label=_("Membership type"),
        queryset=MembershipType.objects.none(),
        required=False,
        empty_label="—",
    )
    member_number = forms.IntegerField(
        label=_("Member number"), min_value=1, max_value=2_147_483_647, required=False
    )
    joined_on = NordicDateField(label=_("Member since"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=START_STATUSES, initial=MemberStatus.ACTIVE
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        person: Person | None = None,
        attribute_values_by_id: dict[int, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.organisation = organisation
        self.person = person
        self.is_new = person is None
        if person is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial_from(person, organisation.country)
        super().__init__(*args, **kwargs)
        current_type = person.membership_type if person is not None else None
        model_choice(self, "membership_type").queryset = _membership_types(
            organisation, current_type
        )
        choice(self, "country").choices = country_choices()
        if self.is_new:
            self.fields["country"].initial = organisation.country
            self.fields["member_number"].help_text = _("Leave empty for the next number.")
            default_type = services.default_membership_type(organisation)
            self.fields["membership_type"].initial = default_type.pk if default_type else None
            del self.fields["remove_identity_number"]
        else:
            del self.fields["status"]
            if person is not None and person.member_number:
                self.fields["member_number"].help_text = _("Clear to keep the current number.")
            if person is not None and person.identity_number_masked:
                self.fields["identity_number"].help_text = _(
                    "Stored: %(masked)s. Leave empty to keep it; type a new number to replace it."
                ) % {"masked": person.identity_number_masked}
                self.fields["identity_number"].widget.attrs["placeholder"] = (
                    person.identity_number_masked
                )
            else:
                del self.fields["remove_identity_number"]
        if not organisation.records_gender:
            del self.fields["gender"]
        self.fields["identity_number"].widget.attrs.setdefault(
            "placeholder",
            "DDMMYY-SSSS" if organisation.country == "DK" else "YYYYMMDD-NNNN",
        )
        self.custom_fields = self._add_custom_fields(attribute_values_by_id or {})
        self.photo_url = (
            reverse(
                "org:member-photo",
                kwargs={"org_slug": person.organisation.slug, "person_id": person.pk},
            )
            if person is not None and person.photo
            else ""
        )

    @staticmethod
    def _initial_from(person: Person, country: str) -> dict[str, Any]:
        initial = {name: getattr(person, name) for name in PLAIN_FIELDS}
        for name in ("phone", "phone_secondary"):
            initial[name] = phone_display(initial[name], country)
        initial["membership_type"] = person.membership_type_id
        initial["member_number"] = person.member_number
        initial["photo"] = person.photo or None
        return initial

    def _add_custom_fields(self, values: dict[int, Any]) -> list[CustomField]:
        definitions = (
            AttributeDefinition.objects.filter(organisation=self.organisation, is_active=True)
            .prefetch_related("required_for")
            .order_by("position", "name", "pk")
        )
        custom_fields = []
        for attribute in definitions:
            custom = CustomField(
                attribute=attribute,
                required_type_ids=tuple(sorted(t.pk for t in attribute.required_for.all())),
                required_type_names=tuple(str(t) for t in attribute.required_for.all()),
            )
            field = attribute_field(attribute)
            field.initial = _attribute_initial(attribute, values.get(attribute.pk))
            _bootstrap_class(field.widget)
            self.fields[custom.name] = field
            custom_fields.append(custom)
        return custom_fields

    # --- what the template lays out ---------------------------------------------------

    def attribute_rows(self) -> list[dict[str, Any]]:
        """[{field: BoundField, attribute, required_ids: "1 3", required_names}] in order."""
        selected = self["membership_type"].value()
        rows = []
        for custom in self.custom_fields:
            ids = custom.required_type_ids
            rows.append(
                {
                    "field": self[custom.name],
                    "attribute": custom.attribute,
                    "required_ids": " ".join(str(pk) for pk in ids),
                    "required_names": ", ".join(custom.required_type_names),
                    "required_now": bool(selected) and str(selected) in {str(i) for i in ids},
                }
            )
        return rows

    # --- validation -----------------------------------------------------------------

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if not isinstance(photo, UploadedFile):
            return photo  # unchanged (the stored file or None) or cleared (False)
        if photo.size is not None and photo.size > PHOTO_MAX_BYTES:
            raise ValidationError(_("The photo may be at most 5 MB."))
        if getattr(photo, "content_type", None) not in PHOTO_CONTENT_TYPES:
            raise ValidationError(_("Upload the photo as a JPEG, PNG or WebP image."))
        return photo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind") or PersonKind.PERSON
        if kind == PersonKind.ORGANISATION:
            for name in PERSON_ONLY_FIELDS:
                cleaned[name] = None if name == "birth_date" else ""
            cleaned["identity_number"] = ""  # an organisation has its organisation number
            if not (cleaned.get("organisation_name") or "").strip():
                self.add_error("organisation_name", _("Enter the organisation's name."))
        else:
            for name in ORGANISATION_ONLY_FIELDS:
                cleaned[name] = ""
            has_name = cleaned.get("first_name") or cleaned.get("last_name")
            if not has_name and "first_name" not in self.errors:
                self.add_error("first_name", _("Enter a first name or a last name."))
        self._check_identity_number(cleaned)
        self._check_plain_fields(cleaned)
        self._check_attributes(cleaned)
        return cleaned

    def _check_identity_number(self, cleaned: dict[str, Any]) -> None:
        raw = (cleaned.get("identity_number") or "").strip()
        cleaned["identity_number"] = raw
        if raw and cleaned.get("remove_identity_number"):
            self.add_error(
                "identity_number",
                _("Either type a new number or tick “remove”, not both."),
            )
            return
        if raw:
            try:
                identity.parse(raw, self.organisation.country)
            except identity.IdentityNumberError as error:
                self.add_error("identity_number", str(error))

    def _check_plain_fields(self, cleaned: dict[str, Any]) -> None:
        values = {
            name: cleaned[name]
            for name in PLAIN_FIELDS
            if name in cleaned and name not in self.errors and name in self.fields
        }
        try:
            services.clean_person_fields(self.organisation, values)
        except ValidationError as error:
            add_validation_error(self, error)

    def _check_attributes(self, cleaned: dict[str, Any]) -> None:
        coerced: dict[int, Any] = {}
        for custom in self.custom_fields:
            name = custom.name
            if name in self.errors:
                continue
            try:
                coerced[custom.attribute.pk] = attribute_values.coerce(
                    custom.attribute, cleaned.get(name)
                )
            except attribute_values.AttributeValueError as error:
                self.add_error(name, str(error))
        self.coerced_attributes = coerced
        status = cleaned.get("status") if self.person is None else self.person.status
        if status == MemberStatus.CONTACT or "membership_type" in self.errors:
            return
        membership_type = cleaned.get("membership_type")
        if membership_type is None and self.is_new:
            membership_type = services.default_membership_type(self.organisation)
        if membership_type is None:
            return
        for custom in self.custom_fields:
            name = custom.name
            if name in self.errors or membership_type.pk not in custom.required_type_ids:
                continue
            if attribute_values.empty(coerced.get(custom.attribute.pk)):
                self.add_error(
                    name,
                    _("%(field)s is required for %(type)s members.")
                    % {"field": custom.attribute.name, "type": membership_type},
                )

    # --- what the service gets ------------------------------------------------------

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for services.create_person / update_person."""
        data = self.cleaned_data
        arguments: dict[str, Any] = {name: data[name] for name in PLAIN_FIELDS if name in data}
        if "gender" not in self.fields:
            arguments.pop("gender", None)
        arguments["country"] = data.get("country") or ""
        if self.is_new:
            arguments["status"] = data["status"]
            if data["status"] == MemberStatus.CONTACT:
                arguments["membership_type"] = None  # a contact is not a member
            arguments["identity_number"] = data["identity_number"]
            if data.get("member_number"):
                arguments["member_number"] = data["member_number"]
        else:
            if data.get("remove_identity_number"):
                arguments["identity_number"] = ""
            elif data["identity_number"]:
                arguments["identity_number"] = data["identity_number"]
            if data.get("member_number"):
                arguments["member_number"] = data["member_number"]
        photo = data.get("photo")
        if photo is False:
            arguments["photo"] = ""
        elif isinstance(photo, UploadedFile):
            arguments["photo"] = photo
        arguments["attributes"] = {
            custom.attribute.pk: self.coerced_attributes.get(custom.attribute.pk)
            for custom in self.custom_fields
        }
        return arguments


class StatusForm(BootstrapMixin, forms.Form):
    """Change a person's status (REG-02): only the allowed next statuses are offered."""

    status = AnyStatusField(label=_("New status"))
    on = NordicDateField(label=_("Date"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        help_text=_("Required when a membership ends."),
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = transitions.TRANSITIONS.get(person.status, frozenset())
        choice(self, "status").choices = [
            ("", _("Choose…")),
            *((value, label) for value, label in MemberStatus.choices if value in allowed),
        ]
        self.fields["on"].initial = timezone.localdate()
        self.has_choices = bool(allowed)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("status") == MemberStatus.INACTIVE and not cleaned.get("reason"):
            self.add_error("reason", _("Give a reason for ending the membership."))
        return cleaned


class NoteForm(BootstrapMixin, forms.Form):
    """An entry in the correspondence log, with attachments (REG-08)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=NoteKind.choices, initial=NoteKind.NOTE)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, JPEG, PNG, text, Word, Excel or e-mail files."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_mb = services.attachment_limit() // (1024 * 1024)
        self.fields["attachments"].help_text = _(
            "PDF, JPEG, PNG, text, Word, Excel or e-mail files, at most %(limit)d MB each."
        ) % {"limit": limit_mb}

    def clean_attachments(self) -> list[UploadedFile[bytes]]:
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                _("Attach at most %(count)d files at a time.") % {"count": MAX_ATTACHMENTS}
            )
        errors = []
        for upload in files:
            try:
                services.check_attachment(upload)
            except ValidationError as error:
                errors.extend(error.message_dict.get("attachments", error.messages))
        if errors:
            raise ValidationError(errors)
        return files


class GroupChoiceField(SafeModelChoiceField):  # type: ignore[misc]  # untyped library
    """A group, named with its section."""

    def label_from_instance(self, obj: Any) -> str:
        group: Group = obj
        return group_label(group)


class GroupAddForm(BootstrapMixin, forms.Form):
    group = GroupChoiceField(label=_("Group"), queryset=Group.objects.none())
    role = forms.ChoiceField(
        label=_("Role in group"), choices=GroupRole.choices, initial=GroupRole.PARTICIPANT
    )

    def __init__(
        self, *args: Any, organisation: Organisation, person: Person | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "group").queryset = available_groups(organisation, person)


def available_groups(organisation: Organisation, person: Person | None) -> QuerySet[Group]:
    """The groups (not archived) someone can be added to: those they are not in yet."""
    groups = Group.objects.filter(organisation=organisation, is_archived=False)
    if person is not None:
        groups = groups.exclude(memberships__person=person)
    return groups.select_related("section").order_by("section__name", "name", "pk")


def group_label(group: Group) -> str:
    """A group named with its section: "Juniors · Tuesday training"."""
    section = group.section
    return f"{section.name} · {group.name}" if section is not None else group.name


class TagAddForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Tag"),
        max_length=60,
        widget=forms.TextInput(attrs={"list": "tag-names", "autocomplete": "off"}),
        help_text=_("Choose a tag or type a new one."),
    )


class ApplicationDecisionForm(forms.Form):
    """Approve or reject applications: one (a row's button, "approve:12") or the ticked ones
    (the buttons under the list, "approve")."""

    decision = forms.RegexField(regex=r"^(approve|reject)(:\d{1,12})?$")
    ids = IdListField(required=False)
    reason = forms.CharField(label=_("Reason for rejection"), max_length=200, required=False)

    @property
    def action(self) -> str:
        return str(self.cleaned_data["decision"]).split(":", 1)[0]

    def selected_ids(self) -> list[int]:
        _action, _sep, one = str(self.cleaned_data["decision"]).partition(":")
        return [int(one)] if one else list(self.cleaned_data.get("ids") or [])
