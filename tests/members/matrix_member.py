"""Permission-matrix rows for the register's member pages (merged by
tests/core/test_permission_matrix.py): who may open each URL name, the URL kwargs it needs,
and a payload the page accepts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.base import ContentFile
from django_scopes import scopes_disabled
from PIL import Image

from forening.core.models import MemberStatus
from forening.members.models import Note, NoteAttachment
from tests.conftest import World
from tests.factories.core import PersonFactory
from tests.factories.members import ConsentPurposeFactory, HouseholdFactory

ADMINS = {"admin": "ok", "federation_admin": "ok"}
OFFICE = {**ADMINS, "member": 403, "leader": 403}

EXPECTED: dict[str, dict[str, Any]] = dict.fromkeys(
    (
        "applications",
        "member-create",
        "member",
        "member-edit",
        "member-status",
        "member-reveal",
        "member-note-add",
        "member-attachment",
        "member-photo",
        "member-groups",
        "member-tags",
        "member-consents",
        "member-household",
        "member-guardians",
        "household",
    ),
    OFFICE,
)
# Opening these with GET is refused (405) for those who may use them.
POST_ONLY: set[str] = {"member-reveal", "member-groups", "member-tags", "member-consents"}

PERSON_PAGES = {
    "member",
    "member-edit",
    "member-status",
    "member-reveal",
    "member-note-add",
    "member-groups",
    "member-tags",
    "member-consents",
    "member-household",
}


def _attachment(world: World) -> NoteAttachment:
    with scopes_disabled():
        note = Note.objects.create(
            organisation=world.org, person=world.member_person, subject="Brev"
        )
        attachment = NoteAttachment(
            organisation=world.org,
            note=note,
            original_name="brev.txt",
            content_type="text/plain",
            size=5,
        )
        attachment.file.save("brev.txt", ContentFile(b"Hej!\n"), save=False)
        attachment.save()
    return attachment


def _photo(world: World) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#336699").save(buffer, "PNG")
    with scopes_disabled():
        world.member_person.photo.save("foto.png", ContentFile(buffer.getvalue()), save=True)


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name in PERSON_PAGES:
        return {"person_id": world.member_person.pk}
    if name == "member-guardians":
        return {"person_id": world.ward.pk}
    if name == "member-photo":
        _photo(world)
        return {"person_id": world.member_person.pk}
    if name == "member-attachment":
        attachment = _attachment(world)
        return {"person_id": world.member_person.pk, "attachment_id": attachment.pk}
    if name == "household":
        with scopes_disabled():
            household = HouseholdFactory(organisation=world.org)
        return {"household_id": household.pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    person = {"kind": "person", "first_name": "Nora", "last_name": "Nilsson"}
    if name == "member-create":
        return {**person, "status": MemberStatus.ACTIVE}
    if name == "member-edit":
        return person
    if name == "member-status":
        return {
            "status": MemberStatus.INACTIVE,
            "on": dt.date(2026, 1, 31).isoformat(),
            "reason": "Flyttat",
        }
    if name == "member-note-add":
        return {"kind": "phone", "subject": "Samtal om avgiften", "body": "Betalar i mars."}
    if name == "member-groups":
        return {"action": "add", "group": world.other_group.pk, "role": "leader"}
    if name == "member-tags":
        return {"action": "add", "name": "Styrelse"}
    if name == "member-consents":
        with scopes_disabled():
            purpose = ConsentPurposeFactory(organisation=world.org, name="Foton på webben")
        return {"action": "give", "purpose": purpose.pk}
    if name == "member-household":
        return {"action": "new", "name": "Familjen Nilsson"}
    if name == "member-guardians":
        return {"action": "add", "guardian": world.group_person.pk}
    if name == "household":
        return {"name": "Familjen Berg", "street": "Storgatan 1", "city": "Umeå"}
    if name == "applications":
        with scopes_disabled():
            applicant = PersonFactory(organisation=world.org, status=MemberStatus.APPLIED)
        return {"decision": "approve", "ids": [applicant.pk]}
    return None
