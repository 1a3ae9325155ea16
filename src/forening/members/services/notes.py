"""The correspondence log: notes with attachments, checked by their content."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Person
from forening.members.models import Note, NoteAttachment

ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "text/plain": "txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "message/rfc822": "eml",
}


def attachment_limit() -> int:
    return int(getattr(settings, "FORENING_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024))


def _sniff(head: bytes) -> str | None:
    """The content type from the first bytes, not from what the browser claims."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check_attachment(upload: UploadedFile[bytes]) -> str:
    """The attachment's content type, or ValidationError when too large or of a kind we
    don't keep."""
    if upload.size is not None and upload.size > attachment_limit():
        raise ValidationError(
            {
                "attachments": _("%(name)s is larger than %(limit)d MB.")
                % {"name": upload.name, "limit": attachment_limit() // (1024 * 1024)}
            }
        )
    head = upload.read(8)
    upload.seek(0)
    sniffed = _sniff(head)
    name = (upload.name or "").lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    by_suffix = {value: key for key, value in ATTACHMENT_TYPES.items()}
    claimed = by_suffix.get(suffix)
    if sniffed is not None and (claimed is None or claimed == sniffed):
        return sniffed
    if claimed in ("text/plain", "message/rfc822") and b"\x00" not in head:
        return claimed
    if claimed is not None and claimed.endswith((".document", ".sheet")) and head.startswith(b"PK"):
        return claimed
    raise ValidationError(
        {
            "attachments": _("%(name)s: attach PDF, JPEG, PNG, text, Word, Excel or e-mail files.")
            % {"name": upload.name}
        }
    )


@audit.in_name_of_actor
@transaction.atomic
def add_note(
    person: Person,
    *,
    actor: Actor,
    subject: str,
    body: str = "",
    kind: str = "note",
    files: Iterable[UploadedFile[bytes]] = (),
) -> Note:
    """Add an entry to the correspondence log, with attachments stored through Django's
    storage API. All files are checked before anything is written."""
    subject = (subject or "").strip()
    if not subject:
        raise ValidationError({"subject": _("Write a subject.")})
    files = list(files)
    types = [check_attachment(upload) for upload in files]
    note = Note.objects.create(
        organisation=person.organisation,
        person=person,
        kind=kind,
        subject=subject[:200],
        body=body or "",
        created_by=actor.user,
        created_by_label=str(actor)[:254],
    )
    for upload, content_type in zip(files, types, strict=True):
        NoteAttachment.objects.create(
            organisation=person.organisation,
            note=note,
            file=upload,
            original_name=(upload.name or "file")[:200],
            content_type=content_type,
            size=upload.size or 0,
        )
    audit.record(actor, "members.note.added", person, subject=note.subject, files=len(files))
    return note
