"""The register's settings (REG-05, REG-06, REG-10, GDPR-01): membership types, custom
fields, tags and consent purposes.

Every function is one transaction and the only way the settings pages (and anything else)
change these rows. Saves of the tracked models are recorded in the audit log automatically,
with a field-level diff; what is not a plain row change (a merge of two tags, a deleted tag's
taggings, the membership types a field is required for) is recorded with `audit.record`.
Bad input raises Django's `ValidationError` (per field) before anything is written.

Settings that are in use are never deleted: a membership type that people have, a custom
field with stored values, a consent purpose with recorded consents are taken out of use
(`is_active = False`) instead, so history keeps its meaning.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Person
from forening.members import locks
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeRequirement,
    AttributeValue,
    Consent,
    ConsentPurpose,
    MembershipType,
    Tag,
    Tagging,
)

CHOICE_KINDS = frozenset({AttributeKind.CHOICE, AttributeKind.MULTIPLE_CHOICE})
MAX_OPTION_LABEL = 100
MAX_OPTIONS = 200

Removal = Literal["deleted", "deactivated"]


# --- names ---------------------------------------------------------------------------


def clean_name(value: str | None) -> str:
    """A name as stored: surrounding and repeated spaces removed."""
    return " ".join((value or "").split())


def check_unique_name(instance: models.Model, name: str) -> None:
    """Refuse a name another row of the same kind in the association already has (names are
    unique regardless of case). Forms call this too, for an early message on the field."""
    model = type(instance)
    taken = (
        model._default_manager.filter(
            organisation_id=instance.organisation_id,  # type: ignore[attr-defined]
            name__iexact=name,
        )
        .exclude(pk=instance.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            {
                "name": _("There is already a %(kind)s called “%(name)s”.")
                % {"kind": model._meta.verbose_name, "name": name}
            }
        )


def _prepare_named(instance: Any) -> None:
    instance.name = clean_name(instance.name)
    if not instance.name:
        raise ValidationError({"name": _("Enter a name.")})
    check_unique_name(instance, instance.name)


# --- membership types (REG-10) ---------------------------------------------------------


@audit.in_name_of_actor
@transaction.atomic
def save_membership_type(membership_type: MembershipType, *, actor: Actor) -> MembershipType:
    """Create or change a membership type (name unique in the association)."""
    _prepare_named(membership_type)
    membership_type.full_clean()
    membership_type.save()
    return membership_type


@audit.in_name_of_actor
@transaction.atomic
def remove_membership_type(membership_type: MembershipType, *, actor: Actor) -> Removal:
    """Delete a membership type nobody has ever had; one in use is taken out of use."""
    in_use = Person.objects.filter(
        organisation_id=membership_type.organisation_id, membership_type=membership_type
    ).exists()
    return _delete_or_deactivate(membership_type, in_use=in_use)


def _delete_or_deactivate(instance: Any, *, in_use: bool) -> Removal:
    """Delete `instance`, or take it out of use when something refers to it (also rows of
    other apps that protect it, such as fee rules)."""
    if not in_use:
        try:
            with transaction.atomic():
                instance.delete()
        except models.ProtectedError:
            pass
        else:
            return "deleted"
    if instance.is_active:
        instance.is_active = False
        instance.save(update_fields=["is_active", "updated_at"])
    return "deactivated"


# --- custom fields (REG-05) ------------------------------------------------------------


def option_key(label: str, taken: Iterable[str]) -> str:
    """A stable key for a new choice: the label slugified, made unique among `taken`.

    Keys are stored in the values (",key,"), so they contain no commas and never change
    once given, whatever happens to the label."""
    base = slugify(label)[:40] or "option"
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key = f"{base}-{n}"
        n += 1
    return key


def merge_options(current: Sequence[dict[str, str]], labels: Sequence[str]) -> list[dict[str, str]]:
    """The new option list for `labels` (one label per line, in order), reusing keys.

    A line keeps the key of the existing option it matches: the same label (ignoring case),
    else the option whose key is the line's slug, else the option that stood on the same line
    before (a line edited in place is a rename). Other lines are new options with new keys.
    Existing options no line matched are dropped (the caller checks that none is in use).
    """
    labels = [clean_name(label)[:MAX_OPTION_LABEL] for label in labels]
    labels = [label for label in labels if label]
    unmatched = {option["key"]: option for option in current}
    result: list[dict[str, str] | None] = [None] * len(labels)

    def same_label(option: dict[str, str], label: str) -> bool:
        return option["label"].lower() == label.lower()

    def same_slug(option: dict[str, str], label: str) -> bool:
        return option["key"] == slugify(label)

    for matcher in (same_label, same_slug):
        for i, label in enumerate(labels):
            if result[i] is not None:
                continue
            found = next((o for o in unmatched.values() if matcher(o, label)), None)
            if found is not None:
                result[i] = {"key": found["key"], "label": label}
                del unmatched[found["key"]]
    for i, label in enumerate(labels):
        if result[i] is None and i < len(current) and current[i]["key"] in unmatched:
            result[i] = {"key": current[i]["key"], "label": label}
            del unmatched[current[i]["key"]]
    taken = {option["key"] for option in current}
    for i, label in enumerate(labels):
        if result[i] is None:
            key = option_key(label, taken)
            taken.add(key)
            result[i] = {"key": key, "label": label}
    return [option for option in result if option is not None]


def option_usage(attribute: AttributeDefinition, keys: Iterable[str]) -> dict[str, int]:
    """How many people have each of `keys` among their values of a choice field."""
    keys = list(keys)
    if not keys or attribute.pk is None:
        return {}
    counts = AttributeValue.objects.filter(attribute=attribute).aggregate(
        **{
            f"k{i}": models.Count("pk", filter=models.Q(text__contains=f",{key},"))
            for i, key in enumerate(keys)
        }
    )
    return {key: counts[f"k{i}"] for i, key in enumerate(keys)}


@audit.in_name_of_actor
@transaction.atomic
def save_attribute(
    attribute: AttributeDefinition,
    *,
    actor: Actor,
    option_labels: Sequence[str] | None = None,
    required_for: Iterable[MembershipType] | None = None,
) -> AttributeDefinition:
    """Create or change a custom field.

    `option_labels` are the choices of a choice field, in order (None keeps them); keys are
    made from the labels and kept when a label is renamed (see `merge_options`). A choice
    that people have cannot be removed, and the kind of a field that has values cannot
    change (their stored form would no longer fit). `required_for` are the membership types
    whose members must have a value (None leaves them as they are).
    """
    _prepare_named(attribute)
    stored = None
    if attribute.pk is not None:
        stored = locks.lock_attribute(attribute)
    has_values = stored is not None and AttributeValue.objects.filter(attribute=stored).exists()
    if stored is not None and stored.kind != attribute.kind and has_values:
        raise ValidationError(
            {
                "kind": _(
                    "People already have values in this field, so its type cannot change. "
                    "Create a new field instead."
                )
            }
        )
    current = list(stored.options) if stored is not None else []
    if attribute.kind in CHOICE_KINDS:
        if option_labels is not None:
            if len(option_labels) > MAX_OPTIONS:
                raise ValidationError(
                    {"options": _("Keep it to %(n)d choices.") % {"n": MAX_OPTIONS}}
                )
            attribute.options = merge_options(current, option_labels)
        if not attribute.options:
            raise ValidationError({"options": _("Enter the choices, one per line.")})
        labels = [option["label"].lower() for option in attribute.options]
        if len(set(labels)) != len(labels):
            raise ValidationError({"options": _("Each choice may appear only once.")})
        kept = {option["key"] for option in attribute.options}
        removed = [option for option in current if option["key"] not in kept]
        if removed and stored is not None and stored.kind in CHOICE_KINDS:
            usage = option_usage(stored, [option["key"] for option in removed])
            in_use = [option for option in removed if usage.get(option["key"])]
            if in_use:
                raise ValidationError(
                    {
                        "options": _(
                            "“%(label)s” cannot be removed: %(count)d people have it. "
                            "Change their values first, or keep the choice."
                        )
                        % {
                            "label": in_use[0]["label"],
                            "count": usage[in_use[0]["key"]],
                        }
                    }
                )
    else:
        attribute.options = []
    attribute.full_clean()
    attribute.save()
    if required_for is not None:
        _set_requirements(attribute, list(required_for), actor=actor)
    return attribute


def _set_requirements(
    attribute: AttributeDefinition, types: list[MembershipType], *, actor: Actor
) -> None:
    if any(t.organisation_id != attribute.organisation_id for t in types):
        raise ValidationError({"required_for": _("Choose membership types of this association.")})
    wanted = {t.pk: t for t in types}
    existing = set(
        AttributeRequirement.objects.filter(attribute=attribute).values_list(
            "membership_type_id", flat=True
        )
    )
    if existing == set(wanted):
        return
    AttributeRequirement.objects.filter(attribute=attribute).exclude(
        membership_type_id__in=list(wanted)
    ).delete()
    AttributeRequirement.objects.bulk_create(
        AttributeRequirement(
            organisation_id=attribute.organisation_id, attribute=attribute, membership_type=t
        )
        for pk, t in wanted.items()
        if pk not in existing
    )
    names = dict(
        MembershipType.objects.filter(pk__in=existing | set(wanted)).values_list("pk", "name")
    )
    audit.record(
        actor,
        "members.attributedefinition.updated",
        attribute,
        changes={
            "required_for": [
                sorted(names[pk] for pk in existing),
                sorted(names[pk] for pk in wanted),
            ]
        },
    )


@audit.in_name_of_actor
@transaction.atomic
def remove_attribute(attribute: AttributeDefinition, *, actor: Actor) -> Removal:
    """Delete a custom field nobody has a value in; one with values is taken out of use."""
    in_use = AttributeValue.objects.filter(attribute=attribute).exists()
    return _delete_or_deactivate(attribute, in_use=in_use)


# --- tags (REG-06) -----------------------------------------------------------------------


@dataclass(frozen=True)
class TagRename:
    tag: Tag
    merged: bool  # True: the name belonged to another tag, and the two became one
    moved: int = 0  # people newly tagged with `tag` by the merge


@audit.in_name_of_actor
@transaction.atomic
def rename_tag(tag: Tag, name: str, *, actor: Actor) -> TagRename:
    """Rename a tag. When another tag already has the name, the two are merged: everyone
    tagged with this one gets the other, and this one is deleted."""
    name = clean_name(name)
    if not name:
        raise ValidationError({"name": _("Give the tag a name.")})
    if len(name) > 60:
        raise ValidationError({"name": _("Keep the tag under 60 characters.")})
    other = (
        Tag.objects.filter(organisation_id=tag.organisation_id, name__iexact=name)
        .exclude(pk=tag.pk)
        .first()
    )
    if other is None:
        tag.name = name
        tag.full_clean()
        tag.save()
        return TagRename(tag=tag, merged=False)
    already = Tagging.objects.filter(tag=other).values("person_id")
    moved = Tagging.objects.filter(tag=tag).exclude(person_id__in=already).update(tag=other)
    people = Tagging.objects.filter(tag=tag).count() + moved
    Tagging.objects.filter(tag=tag).delete()
    audit.skip_automatic(tag)
    audit.record(
        actor,
        "members.tag.deleted",
        tag,
        person=None,
        name=tag.name,
        merged_into=other.name,
        people=people,
        moved=moved,
    )
    tag.delete()
    return TagRename(tag=other, merged=True, moved=moved)


@audit.in_name_of_actor
@transaction.atomic
def delete_tag(tag: Tag, *, actor: Actor) -> int:
    """Delete a tag and take it off everyone who has it (each person's history records the
    removal). Returns how many people had it."""
    person_ids = list(
        Tagging.objects.filter(tag=tag).order_by("person_id").values_list("person_id", flat=True)
    )
    Tagging.objects.filter(tag=tag).delete()
    audit.record_many(
        actor,
        "members.tag.removed",
        [Person(pk=pk, organisation_id=tag.organisation_id) for pk in person_ids],
        organisation=tag.organisation,
        tag=tag.name,
    )
    audit.skip_automatic(tag)
    audit.record(
        actor, "members.tag.deleted", tag, person=None, name=tag.name, people=len(person_ids)
    )
    tag.delete()
    return len(person_ids)


# --- consent purposes (GDPR-01) -------------------------------------------------------------


@audit.in_name_of_actor
@transaction.atomic
def save_consent_purpose(purpose: ConsentPurpose, *, actor: Actor) -> ConsentPurpose:
    """Create or change a consent purpose (name unique in the association)."""
    _prepare_named(purpose)
    purpose.full_clean()
    purpose.save()
    return purpose


@audit.in_name_of_actor
@transaction.atomic
def remove_consent_purpose(purpose: ConsentPurpose, *, actor: Actor) -> Removal:
    """Delete a purpose nobody has consented to; one with consents (also withdrawn ones,
    which are history) is taken out of use."""
    in_use = Consent.objects.filter(purpose=purpose).exists()
    return _delete_or_deactivate(purpose, in_use=in_use)
