"""Groups and tags: putting people in them (set-wise) and taking them out."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor, acting_as
from forening.core.models import Group, GroupMembership, GroupRole, Organisation, Person
from forening.members.models import Tag, Tagging
from forening.members.services.errors import RegisterError
from forening.members.services.selection import id_set


@audit.in_name_of_actor
@transaction.atomic
def add_to_group(
    organisation: Organisation,
    person_ids: Iterable[int],
    group: Group,
    *,
    actor: Actor,
    role: str = GroupRole.PARTICIPANT,
) -> int:
    """Put people in a group (set-wise); those already in it keep their role."""
    if group.organisation_id != organisation.pk:
        raise RegisterError(_("Choose a group in this association."))
    if role not in GroupRole.values:
        raise RegisterError(_("Unknown role in the group."))
    people = Person.objects.filter(organisation=organisation, pk__in=id_set(person_ids))
    ids = set(people.values_list("pk", flat=True))
    already = set(
        GroupMembership.objects.filter(group=group, person_id__in=people.values("pk")).values_list(
            "person_id", flat=True
        )
    )
    new = [
        GroupMembership(organisation=organisation, group=group, person_id=pk, role=role)
        for pk in sorted(ids - already)
    ]
    GroupMembership.objects.bulk_create(new, batch_size=1000)
    audit.record_many(
        actor,
        "members.group.added",
        [Person(pk=m.person_id, organisation=organisation) for m in new],
        organisation=organisation,
        group=group.name,
        role=role,
    )
    return len(new)


@audit.in_name_of_actor
@transaction.atomic
def remove_from_group(membership: GroupMembership, *, actor: Actor) -> None:
    membership.delete()


@audit.in_name_of_actor
@transaction.atomic
def set_group_role(membership: GroupMembership, role: str, *, actor: Actor) -> GroupMembership:
    if role not in GroupRole.values:
        raise RegisterError(_("Unknown role in the group."))
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


def get_or_create_tag(organisation: Organisation, name: str, *, actor: Actor) -> Tag:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Give the tag a name.")})
    if len(name) > 60:
        raise ValidationError({"name": _("Keep the tag under 60 characters.")})
    tag = Tag.objects.filter(organisation=organisation, name__iexact=name).first()
    if tag is None:
        with acting_as(actor):
            tag = Tag.objects.create(organisation=organisation, name=name)
    return tag


@audit.in_name_of_actor
@transaction.atomic
def tag_people(
    organisation: Organisation, person_ids: Iterable[int], tag: Tag, *, actor: Actor
) -> int:
    if tag.organisation_id != organisation.pk:
        raise RegisterError(_("Choose a tag in this association."))
    people = Person.objects.filter(organisation=organisation, pk__in=id_set(person_ids))
    ids = set(people.values_list("pk", flat=True))
    already = set(
        Tagging.objects.filter(tag=tag, person_id__in=people.values("pk")).values_list(
            "person_id", flat=True
        )
    )
    new = [
        Tagging(organisation=organisation, tag=tag, person_id=pk) for pk in sorted(ids - already)
    ]
    Tagging.objects.bulk_create(new, batch_size=1000)
    audit.record_many(
        actor,
        "members.tag.added",
        [Person(pk=t.person_id, organisation=organisation) for t in new],
        organisation=organisation,
        tag=tag.name,
    )
    return len(new)


@audit.in_name_of_actor
@transaction.atomic
def untag_person(person: Person, tag: Tag, *, actor: Actor) -> None:
    deleted, _rows = Tagging.objects.filter(person=person, tag=tag).delete()
    if deleted:
        audit.record(actor, "members.tag.removed", person, tag=tag.name)
