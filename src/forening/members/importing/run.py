"""Running an import: the steps in order (parse and validate every row, match the register,
plan, households) and, when nothing is wrong or invalid rows are to be skipped, the
writing, all in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from forening.core import audit
from forening.core.context import Actor
from forening.core.models import MemberStatus, Organisation, PersonKind
from forening.members import locks
from forening.members.importing.context import (
    CREATE,
    INVALID,
    UNCHANGED,
    UPDATE,
    ImportContext,
    Row,
)
from forening.members.importing.households import plan_households
from forening.members.importing.mapping import TARGET_FIELDS, guess_mapping
from forening.members.importing.matching import match_people
from forening.members.importing.planning import Planner
from forening.members.importing.reading import Sheet, read_sheet, source_name
from forening.members.importing.report import ImportReport, PreviewRow
from forening.members.importing.rows import check_file_duplicates, parse_row
from forening.members.importing.writing import Writer

PREVIEW_ROWS = 20


def _preview_row(row: Row) -> PreviewRow:
    fields = row.fields
    person = row.person
    action = INVALID if row.errors else row.action

    def value(name: str) -> Any:
        if name in fields:
            return fields[name]
        return getattr(person, name) if person is not None else None

    name = (
        fields.get("organisation_name")
        if row.kind == PersonKind.ORGANISATION
        else " ".join(part for part in (value("first_name"), value("last_name")) if part)
    ) or (person.full_name if person else "")
    status = row.new_status or (person.status if person else "")
    type_ = row.final_type
    birth = value("birth_date")
    number = value("member_number")
    masked = (
        row.identity.masked if row.identity else (person.identity_number_masked if person else "")
    )
    address = ", ".join(
        part
        for part in (
            value("street"),
            " ".join(p for p in (value("postal_code"), value("city")) if p),
        )
        if part
    )
    household = row.household.name if row.household else ""
    labels = {target.key: str(target.label) for target in TARGET_FIELDS}
    labels["identity_number_masked"] = labels["identity_number"]
    return PreviewRow(
        row=row.number,
        action=action,
        name=str(name or ""),
        identity_number=masked or "",
        birth_date=birth.isoformat() if isinstance(birth, dt.date) else "",
        email=str(value("email") or ""),
        phone=str(value("phone") or ""),
        address=address,
        membership_type=str(type_ or ""),
        status=str(MemberStatus(status).label) if status else "",
        member_number=str(number or ""),
        household=household,
        changes=[labels.get(key, key.removeprefix("attribute:")) for key in row.changes]
        if row.action == UPDATE
        else [],
    )


def import_members(
    organisation: Organisation,
    source: bytes | str | Path | IO[bytes] | UploadedFile[bytes] | Sheet,
    *,
    filename: str = "",
    actor: Actor,
    dry_run: bool = False,
    skip_invalid: bool = False,
    mapping: Mapping[int, str] | None = None,
) -> ImportReport:
    """Import people from a spreadsheet into `organisation`'s register.

    Every row is validated before anything is written. With errors, nothing is written
    unless `skip_invalid`, which writes the valid rows and skips the others. `mapping`
    (column index → field key) defaults to the guess from the headers. `dry_run` only
    reports what would happen. File-level problems raise ImportFileError.
    """
    sheet = source if isinstance(source, Sheet) else read_sheet(source, filename=filename)
    if mapping is None:
        mapping = guess_mapping(organisation, sheet.headers)
    name = filename or source_name(source)
    if dry_run:
        return _run(organisation, sheet, mapping, actor, name, skip_invalid, dry_run=True)
    with transaction.atomic():
        # One import per association at a time: the second waits, then matches the people
        # the first one added instead of adding them again.
        locks.lock_organisation_for_import(organisation)
        return _run(organisation, sheet, mapping, actor, name, skip_invalid, dry_run=False)


def _run(
    organisation: Organisation,
    sheet: Sheet,
    mapping: Mapping[int, str],
    actor: Actor,
    filename: str,
    skip_invalid: bool,
    *,
    dry_run: bool,
) -> ImportReport:
    context = ImportContext(organisation, sheet, mapping, actor)
    rows = [parse_row(context, number, cells) for number, cells in sheet.rows]
    check_file_duplicates(context, rows)
    match_people(context, [row for row in rows if not row.errors])
    planner = Planner(context)
    planner.plan(rows)
    valid = [row for row in rows if not row.errors]
    new_households = plan_households(context, valid)
    planner.finish(valid)

    report = ImportReport(rows_total=len(rows), dry_run=dry_run, skip_invalid=skip_invalid)
    report.errors = [error for row in rows for error in row.errors]
    report.created = sum(1 for row in valid if row.action == CREATE)
    report.updated = sum(1 for row in valid if row.action == UPDATE)
    report.unchanged = sum(1 for row in valid if row.action == UNCHANGED)
    used = {id(row.household) for row in valid if row.household is not None}
    households = [household for household in new_households if id(household) in used]
    report.households_created = len(households)
    if skip_invalid:
        report.skipped = len(rows) - len(valid)
    report.preview = [_preview_row(row) for row in rows[:PREVIEW_ROWS]]
    if dry_run or report.stopped:
        return report
    Writer(context, planner.stored).write(
        [row for row in valid if row.action != UNCHANGED], households
    )
    audit.record(
        actor,
        "members.import",
        organisation,
        filename=filename,
        rows=report.rows_total,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        skipped=report.skipped,
    )
    report.committed = True
    return report
