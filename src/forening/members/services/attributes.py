"""Custom fields (attributes) of a person: coercing, requiring and writing their values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from forening.core.models import Organisation, Person
from forening.members import attributes as attribute_values
from forening.members.models import AttributeDefinition, AttributeValue, MembershipType
from forening.members.services.errors import RegisterError


def missing_required_attributes(
    organisation: Organisation,
    membership_type: MembershipType | None,
    values: Mapping[int, Any],
) -> list[AttributeDefinition]:
    """The custom fields required for `membership_type` that have no value in `values`
    (attribute id → coerced value)."""
    if membership_type is None:
        return []
    required = AttributeDefinition.objects.filter(
        organisation=organisation, is_active=True, required_for=membership_type
    )
    return [attr for attr in required if attribute_values.empty(values.get(attr.pk))]


def coerce_attributes(organisation: Organisation, raw: Mapping[int, Any]) -> dict[int, Any]:
    if not raw:
        return {}
    definitions = {
        attr.pk: attr
        for attr in AttributeDefinition.objects.filter(organisation=organisation, pk__in=list(raw))
    }
    coerced: dict[int, Any] = {}
    errors: dict[str, list[str]] = {}
    for attribute_id, value in raw.items():
        attribute = definitions.get(int(attribute_id))
        if attribute is None:
            raise RegisterError(_("Unknown custom field."))
        try:
            coerced[attribute.pk] = attribute_values.coerce(attribute, value)
        except attribute_values.AttributeValueError as error:
            errors.setdefault(f"attribute_{attribute.pk}", []).append(str(error))
    if errors:
        raise ValidationError(errors)
    return coerced


def require_attributes(
    organisation: Organisation, membership_type: MembershipType | None, values: Mapping[int, Any]
) -> None:
    missing = missing_required_attributes(organisation, membership_type, values)
    if missing:
        raise ValidationError(
            {
                f"attribute_{attr.pk}": _("%(field)s is required for %(type)s members.")
                % {"field": attr.name, "type": membership_type}
                for attr in missing
            }
        )


def write_attributes(person: Person, values: Mapping[int, Any]) -> None:
    if not values:
        return
    rows = {
        row.attribute_id: row
        for row in AttributeValue.objects.filter(
            person=person, attribute_id__in=list(values)
        ).select_related("attribute")
    }
    definitions = {
        attr.pk: attr for attr in AttributeDefinition.objects.filter(pk__in=list(values))
    }
    for attribute_id, value in values.items():
        row = rows.get(attribute_id)
        if attribute_values.empty(value):
            if row is not None:
                row.delete()
            continue
        if row is None:
            row = AttributeValue(
                organisation=person.organisation, person=person, attribute=definitions[attribute_id]
            )
        attribute_values.write_value(row, value)
        row.save()


def attribute_values_of(person: Person) -> dict[int, Any]:
    return {
        row.attribute_id: row.value
        for row in AttributeValue.objects.filter(person=person).select_related("attribute")
    }
