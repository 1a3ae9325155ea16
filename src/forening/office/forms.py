"""Forms of the office pages: settings, sections, groups, roles, the audit filter, local units.

Forms check the shape of the input; business rules live in the services. Foreign keys use
django-scopes' `SafeModelChoiceField` with a queryset set in `__init__`, filtered by the
organisation, so a form never offers (or accepts) another association's rows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelChoiceField

from forening.core.forms_base import BootstrapMixin, model_choice
from forening.core.models import (
    Country,
    Group,
    Organisation,
    Person,
    Role,
    Section,
)

LOGO_MAX_BYTES = 1024 * 1024
LOGO_CONTENT_TYPES = {"image/png", "image/jpeg", "image/webp"}


class ColourInput(forms.TextInput):
    input_type = "color"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"class": "form-control-color", **(attrs or {})})


class OrganisationSettingsForm(BootstrapMixin, forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "organisation_number",
            "language",
            "primary_colour",
            "accent_colour",
            "logo",
            "require_admin_two_factor",
        ]
        widgets = {
            "primary_colour": ColourInput(),
            "accent_colour": ColourInput(),
            "logo": forms.ClearableFileInput(
                attrs={"accept": ",".join(sorted(LOGO_CONTENT_TYPES))}
            ),
        }
        help_texts = {
            "logo": _("PNG, JPEG or WebP, at most 1 MB. Shown in the menu bar."),
            "require_admin_two_factor": _(
                "Administrators must set up two-factor authentication before they can "
                "use the office pages."
            ),
        }

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        # A new upload has a content type; an unchanged logo is the stored file.
        content_type = getattr(logo, "content_type", None)
        if not logo or content_type is None:
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo may be at most 1 MB."))
        if content_type not in LOGO_CONTENT_TYPES:
            raise ValidationError(_("Upload the logo as a PNG, JPEG or WebP image."))
        return logo

    def changed_values(self) -> dict[str, Any]:
        """The cleaned values to hand to `update_organisation` (a cleared logo is "")."""
        values: dict[str, Any] = {}
        for name in self.Meta.fields:
            value = self.cleaned_data.get(name)
            if name == "logo":
                if value is None:
                    continue  # no new file and not cleared: keep the stored logo
                value = value or ""
            values[name] = value
        return values


class SectionForm(BootstrapMixin, forms.ModelForm[Section]):
    class Meta:
        model = Section
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        duplicates = Section.objects.filter(
            organisation_id=self.instance.organisation_id, name__iexact=name
        ).exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError(_("There is already a section with this name."))
        return name


class GroupForm(BootstrapMixin, forms.ModelForm[Group]):
    section = SafeModelChoiceField(
        queryset=Section.objects.none(),
        required=False,
        label=_("Section"),
        empty_label=_("No section"),
    )

    class Meta:
        model = Group
        fields = ["name", "section", "description", "is_archived"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"is_archived": _("Archived groups are hidden from leaders' lists.")}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "section").queryset = Section.objects.filter(organisation=organisation)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        name = (cleaned.get("name") or "").strip()
        if name and "section" not in self.errors:
            duplicates = Group.objects.filter(
                organisation_id=self.instance.organisation_id,
                section=cleaned.get("section"),
                name__iexact=name,
            ).exclude(pk=self.instance.pk)
            if duplicates.exists():
                self.add_error("name", _("There is already a group with this name in the section."))
        return cleaned


class GroupChoiceField(SafeModelChoiceField):  # type: ignore[misc]  # untyped library
    """A group, named with its section."""

    def label_from_instance(self, obj: Any) -> str:
        group: Group = obj
        return f"{group.section} · {group.name}" if group.section_id else group.name


class RoleGrantForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_(
            "If there is no account with this address yet, one is created without a "
            "password; the person chooses one via “Forgot password”."
        ),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    group = GroupChoiceField(
        queryset=Group.objects.none(),
        required=False,
        label=_("Group"),
        help_text=_("Required for a group leader."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "group").queryset = Group.objects.filter(
            organisation=organisation, is_archived=False
        ).select_related("section")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") == Role.LEADER and not cleaned.get("group"):
            if "group" not in self.errors:
                self.add_error("group", _("A group leader needs a group."))
        elif cleaned.get("role") == Role.ADMIN:
            cleaned["group"] = None
        return cleaned


class AuditFilterForm(BootstrapMixin, forms.Form):
    person = SafeModelChoiceField(
        queryset=Person.objects.none(), required=False, label=_("Person"), empty_label=_("All")
    )
    user = forms.CharField(label=_("User (e-mail)"), required=False, max_length=254)
    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"placeholder": "core.role"}),
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "person").queryset = Person.objects.filter(organisation=organisation)


class LocalUnitForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=60,
        help_text=_("Used in addresses, e.g. ik-demo. Lower-case letters, digits and hyphens."),
    )
    country = forms.ChoiceField(label=_("Country"), choices=Country.choices)
    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=20, required=False
    )
    admin_email = forms.EmailField(
        label=_("Administrator's e-mail address"),
        help_text=_("Gets the administrator role of the new local unit."),
    )

    def clean_slug(self) -> str:
        return str(self.cleaned_data["slug"]).lower()
