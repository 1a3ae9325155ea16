"""Forms of the register settings and privacy pages.

They check the shape of the input; the rules (unique names, choices in use, a field's type
once it has values) live in `members.configuration` and `members.privacy`. Name fields ask
the same `check_unique_name` early, so a clash shows on the field, not as a constraint error.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_scopes.forms import SafeModelMultipleChoiceField

from forening.core.forms_base import BootstrapMixin
from forening.core.models import Organisation
from forening.members import configuration
from forening.members.models import (
    AttributeDefinition,
    ConsentPurpose,
    MembershipType,
)


class _NamedModelForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    """A settings row with a name unique in the association and an optional order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "position" in self.fields:
            self.fields["position"].required = False
            self.fields["position"].help_text = _("Lower numbers come first.")
        if self.instance.pk is None and "is_active" in self.fields:
            # Something new is in use; taking it out of use is an edit.
            del self.fields["is_active"]

    def clean_name(self) -> str:
        name = configuration.clean_name(self.cleaned_data.get("name"))
        if not name:
            raise ValidationError(_("Enter a name."))
        try:
            configuration.check_unique_name(self.instance, name)
        except ValidationError as error:
            raise ValidationError(error.message_dict["name"]) from None
        return name

    def clean_position(self) -> int:
        return self.cleaned_data.get("position") or 0


class MembershipTypeForm(_NamedModelForm):
    class Meta:
        model = MembershipType
        fields = ["name", "kind", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "kind": _("Fees and statistics use the kind; the name is what people see."),
            "is_active": _("Types out of use are kept for the people who have them."),
        }


class AttributeForm(_NamedModelForm):
    options = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "For choice fields: one choice per line. Edit a line in place to rename a "
            "choice; the people who have it keep it."
        ),
    )
    required_for = SafeModelMultipleChoiceField(
        queryset=MembershipType.objects.none(),
        required=False,
        label=_("Required for"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of these types must have a value."),
    )

    class Meta:
        model = AttributeDefinition
        fields = ["name", "kind", "help_text", "is_active", "position"]
        help_texts = {
            "kind": _("The type cannot change once people have values in the field."),
            "help_text": _("Shown under the field on the member form."),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = MembershipType.objects.filter(organisation=organisation)
        if self.instance.pk is None:
            types = types.filter(is_active=True)
        cast("forms.ModelMultipleChoiceField[Any]", self.fields["required_for"]).queryset = types
        if self.instance.pk is not None:
            self.fields["options"].initial = "\n".join(
                option["label"] for option in self.instance.options
            )
            self.fields["required_for"].initial = list(
                self.instance.required_for.values_list("pk", flat=True)
            )
        # Order: the choices right after the type they belong to.
        order = ["name", "kind", "options", "help_text", "required_for", "is_active", "position"]
        self.order_fields([name for name in order if name in self.fields])

    def clean_options(self) -> list[str]:
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


class ConsentPurposeForm(_NamedModelForm):
    class Meta:
        model = ConsentPurpose
        fields = ["name", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "description": _("What the person agrees to, as they will read it."),
            "is_active": _("Purposes out of use are no longer asked for; given consents stay."),
        }


class TagForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)


class RetentionForm(BootstrapMixin, forms.Form):
    retention_years = forms.IntegerField(
        label=_("Keep former members' personal data for (years)"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_(
            "Former members and rejected applicants are anonymised this many years after "
            "they left. Empty: keep until removed by hand."
        ),
    )


class ConfirmForm(BootstrapMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class AnonymiseForm(ConfirmForm):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For the audit log, e.g. “Asked to be forgotten, e-mail of 3 May”."),
    )

    field_order = ["reason", "confirm"]
