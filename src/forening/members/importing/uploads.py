"""Imports in the office: an uploaded file is kept (`MemberImport`) through the mapping and
preview pages until it is imported or discarded; its file, which holds personal data,
is deleted then, or after a day when nobody finished the import."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import Organisation
from forening.members import locks, services
from forening.members.importing.mapping import check_mapping, guess_mapping
from forening.members.importing.reading import SAMPLE_VALUES, Sheet, read_sheet
from forening.members.importing.report import ImportReport
from forening.members.importing.run import import_members
from forening.members.models import ImportStatus, MemberImport


def create_import(
    organisation: Organisation, upload: UploadedFile[bytes], *, actor: Actor
) -> tuple[MemberImport, Sheet]:
    """Check an uploaded file (size, that it is a spreadsheet with a header row) and keep
    it, with the guessed column mapping, for the mapping and preview steps."""
    sheet = read_sheet(upload, filename=upload.name or "", limit=SAMPLE_VALUES)
    mapping = guess_mapping(organisation, sheet.headers)
    upload.seek(0)
    member_import = MemberImport(
        organisation=organisation,
        original_name=Path(upload.name or "import").name[:200],
        uploaded_by=actor.user,
        mapping={str(index): key for index, key in mapping.items()},
    )
    member_import.file.save(member_import.original_name, upload, save=False)
    member_import.save()
    return member_import, sheet


def read_import(member_import: MemberImport, *, limit: int | None = None) -> Sheet:
    with member_import.file.open("rb") as handle:
        return read_sheet(handle, filename=member_import.original_name, limit=limit)


def stored_mapping(member_import: MemberImport) -> dict[int, str]:
    return {int(index): key for index, key in (member_import.mapping or {}).items() if key}


def set_import_mapping(
    member_import: MemberImport,
    mapping: Mapping[int, str],
    *,
    skip_invalid: bool,
    actor: Actor,
) -> MemberImport:
    """Keep the user's column mapping (checked against the file's headers)."""
    if member_import.status != ImportStatus.UPLOADED:
        raise services.RegisterError(_("This file has already been imported."))
    sheet = read_import(member_import, limit=1)
    clean = check_mapping(member_import.organisation, mapping, sheet.headers)
    member_import.mapping = {str(index): key for index, key in clean.items()}
    member_import.skip_invalid = skip_invalid
    member_import.save(update_fields=["mapping", "skip_invalid"])
    return member_import


def preview_import(member_import: MemberImport, *, actor: Actor) -> ImportReport:
    return import_members(
        member_import.organisation,
        read_import(member_import),
        filename=member_import.original_name,
        actor=actor,
        dry_run=True,
        skip_invalid=member_import.skip_invalid,
        mapping=stored_mapping(member_import),
    )


@audit.in_name_of_actor
@transaction.atomic
def commit_import(member_import: MemberImport, *, actor: Actor) -> ImportReport:
    """Import an uploaded file once. A second commit (a double click, a second tab) writes
    nothing and raises RegisterError."""
    locked = locks.lock_import(member_import)
    if locked.status != ImportStatus.UPLOADED:
        raise services.RegisterError(_("This file has already been imported."))
    report = import_members(
        locked.organisation,
        read_import(locked),
        filename=locked.original_name,
        actor=actor,
        skip_invalid=locked.skip_invalid,
        mapping=stored_mapping(locked),
    )
    if report.committed:
        # The file holds personal data (identity numbers in clear): it goes once imported.
        _forget_file(locked)
        locked.status = ImportStatus.COMMITTED
        locked.committed_at = timezone.now()
        locked.result = report.as_dict()
        locked.save(update_fields=["file", "status", "committed_at", "result"])
        member_import.status = locked.status
    return report


def _forget_file(member_import: MemberImport) -> None:
    """Delete the stored upload once the transaction commits (it holds personal data)."""
    stored, storage = member_import.file.name, member_import.file.storage
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    member_import.file = ""


@audit.in_name_of_actor
@transaction.atomic
def discard_import(member_import: MemberImport, *, actor: Actor) -> None:
    """Cancel an upload that has not been imported: its file is deleted, the row stays as a
    record that it was uploaded and discarded."""
    locked = locks.lock_import(member_import)
    if locked.status == ImportStatus.COMMITTED:
        raise services.RegisterError(_("This file has already been imported."))
    if locked.status == ImportStatus.DISCARDED:
        return
    _forget_file(locked)
    locked.status = ImportStatus.DISCARDED
    locked.save(update_fields=["file", "status"])
    audit.record(actor, "members.import.discarded", locked, organisation=locked.organisation)
    member_import.status, member_import.file = locked.status, locked.file


STALE_IMPORT_AGE = dt.timedelta(hours=24)


@transaction.atomic
def discard_stale_imports(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Discard every upload, in any association, left unimported for a day: a spreadsheet of
    members (identity numbers in clear) is not kept because someone closed the tab."""
    cutoff = (now or timezone.now()) - STALE_IMPORT_AGE
    with scopes_disabled():
        # Only the uploads are locked; the organisation is joined for the audit rows.
        stale = locks.lock_imports(
            MemberImport.objects.filter(
                status=ImportStatus.UPLOADED, created_at__lt=cutoff
            ).select_related("organisation")
        )
        for member_import in stale:
            _forget_file(member_import)
            member_import.status = ImportStatus.DISCARDED
        MemberImport.objects.bulk_update(stale, ["file", "status"])
        by_organisation: dict[int, list[MemberImport]] = defaultdict(list)
        for member_import in stale:
            by_organisation[member_import.organisation_id].append(member_import)
        for imports in by_organisation.values():
            audit.record_many(
                actor,
                "members.import.discarded",
                list(imports),
                organisation=imports[0].organisation,
                reason="not imported within a day",
            )
    return len(stale)
