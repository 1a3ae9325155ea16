"""Validating rows: each row on its own (its cells parsed, the member form's rules), then
the rows together (the same person or member number twice in the file)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from forening.core.models import PersonKind
from forening.members import attributes as attribute_values
from forening.members import identity, services
from forening.members.importing.cells import (
    CellError,
    identity_text,
    parse_country,
    parse_date_cell,
    parse_gender,
    parse_language,
    parse_member_number,
    parse_status,
    postal_key,
    split_full_name,
    street_key,
)
from forening.members.importing.context import PERSON_TEXT_FIELDS, ImportContext, Row
from forening.members.importing.mapping import ATTRIBUTE_PREFIX, NAME_FIELDS, normalise_header
from forening.members.importing.reading import Cell, cell_text


def parse_row(context: ImportContext, number: int, cells: list[Cell]) -> Row:
    """The row on its own: each cell parsed and checked, then the rules of the member
    form (`services.clean_person_fields`). Problems go to `row.errors`."""
    raw = {
        key: (cells[index] if index < len(cells) else "") for key, index in context.columns.items()
    }
    row = Row(number=number, cells=raw)
    fields = row.fields
    for key, value in raw.items():
        if value == "":
            continue
        try:
            _parse_cell(context, row, key, value)
        except CellError as problem:
            context.error(row, key, str(problem))
    if "full_name" in raw and not (fields.get("first_name") or fields.get("last_name")):
        full = fields.pop("full_name", "")
        if full:
            fields["first_name"], fields["last_name"] = split_full_name(full)
    fields.pop("full_name", None)
    if row.identity is not None:
        given = fields.get("birth_date")
        if given is not None and given != row.identity.birth_date:
            context.error(
                row,
                "birth_date",
                _("The date of birth does not match the identity number (%(date)s).")
                % {"date": row.identity.birth_date.isoformat()},
            )
        fields["birth_date"] = row.identity.birth_date
        if context.organisation.records_gender and row.kind == PersonKind.PERSON:
            fields["gender"] = row.identity.gender
    if not context.organisation.records_gender:
        fields.pop("gender", None)
    for name, length in context.max_lengths.items():
        text = fields.get(name)
        if isinstance(text, str) and length and len(text) > length:
            context.error(
                row,
                name,
                _("Use at most %(limit)d characters.") % {"limit": length},
            )
            fields.pop(name)
    if row.kind == PersonKind.ORGANISATION:
        fields["kind"] = PersonKind.ORGANISATION
    if not (fields.get("first_name") or fields.get("last_name") or fields.get("organisation_name")):
        name_key = next(key for key in NAME_FIELDS if key in context.columns)
        context.error(row, name_key, _("Enter a first name or a last name."))
    try:
        cleaned = services.clean_person_fields(context.organisation, fields)
    except ValidationError as invalid:
        for name, messages in invalid.message_dict.items():
            for message in messages:
                context.error(row, name, message)
            fields.pop(name, None)
    else:
        row.fields = cleaned
    _household_key(context, row)
    return row


def _parse_cell(context: ImportContext, row: Row, key: str, value: Cell) -> None:
    fields = row.fields
    if key in PERSON_TEXT_FIELDS or key == "full_name":
        fields[key] = " ".join(cell_text(value).split()) if key != "email" else cell_text(value)
    elif key in ("birth_date", "joined_on"):
        fields[key] = parse_date_cell(value)
    elif key == "identity_number":
        try:
            row.identity = identity.parse(identity_text(value), context.organisation.country)
        except identity.IdentityNumberError as problem:
            raise CellError(str(problem)) from None
        row.index = services.identity_index(context.organisation, row.identity.normalised)
    elif key == "gender":
        fields["gender"] = parse_gender(cell_text(value))
    elif key == "language":
        fields["language"] = parse_language(cell_text(value))
    elif key == "country":
        fields["country"] = parse_country(cell_text(value))
    elif key == "member_number":
        fields["member_number"] = parse_member_number(cell_text(value))
    elif key == "membership_type":
        found = context.types_by_name.get(normalise_header(cell_text(value)))
        if found is None:
            raise CellError(
                _("There is no membership type called “%(value)s”. The types are: %(types)s.")
                % {"value": value, "types": ", ".join(t.name for t in context.types)}
            )
        fields["membership_type"] = found
    elif key == "status":
        row.status = parse_status(cell_text(value))
    elif key == "household":
        row.household_label = " ".join(cell_text(value).split())[:200]
    elif key == "tags":
        names = [" ".join(part.split()) for part in re.split(r"[,;]", cell_text(value))]
        for name in names:
            if len(name) > 60:
                raise CellError(_("Keep each tag under 60 characters."))
            if name and name.lower() not in {t.lower() for t in row.tags}:
                row.tags.append(name)
    elif key == "group":
        candidates = context.groups.get(normalise_header(cell_text(value)), [])
        if not candidates:
            raise CellError(_("There is no group called “%(value)s”.") % {"value": value})
        if len(candidates) > 1:
            raise CellError(
                _("Several groups are called “%(value)s”: rename one of them first.")
                % {"value": value}
            )
        row.group = candidates[0]
    elif key == "note":
        row.note = cell_text(value)
    elif key.startswith(ATTRIBUTE_PREFIX):
        attribute = context.attributes[int(key[len(ATTRIBUTE_PREFIX) :])]
        try:
            coerced = attribute_values.coerce(attribute, value)
        except attribute_values.AttributeValueError as problem:
            raise CellError(str(problem)) from None
        if not attribute_values.empty(coerced):
            row.attributes[attribute.pk] = coerced


def _household_key(context: ImportContext, row: Row) -> None:
    if "household" in context.columns:
        if row.household_label:
            row.household_key = "h:" + normalise_header(row.household_label)
        return
    street, postal = row.fields.get("street", ""), row.fields.get("postal_code", "")
    if street and postal and row.kind == PersonKind.PERSON:
        row.household_key = f"a:{street_key(street)}|{postal_key(postal)}"


def check_file_duplicates(context: ImportContext, rows: list[Row]) -> None:
    """The rows together: the same person, member number or household (with another
    address) twice in the file."""
    by_index: dict[str, Row] = {}
    by_key: dict[tuple[Any, ...], Row] = {}
    by_number: dict[int, Row] = {}
    households: dict[str, tuple[Row, tuple[str, str]]] = {}
    for row in rows:
        if row.index:
            first = by_index.setdefault(row.index, row)
            if first is not row:
                context.error(
                    row,
                    "identity_number",
                    _("The same identity number is in row %(row)d.") % {"row": first.number},
                )
        elif (
            row.fields.get("first_name")
            or row.fields.get("last_name")
            or row.fields.get("organisation_name")
        ):
            first = by_key.setdefault(row.match_key, row)
            if first is not row:
                context.error(
                    row,
                    "email" if "email" in context.columns else NAME_FIELDS[0],
                    _("Row %(row)d has the same name, e-mail and date of birth.")
                    % {"row": first.number},
                )
        number = row.fields.get("member_number")
        if number is not None:
            first = by_number.setdefault(number, row)
            if first is not row:
                context.error(
                    row,
                    "member_number",
                    _("The same member number is in row %(row)d.") % {"row": first.number},
                )
        if row.household_key.startswith("h:"):
            address = (
                street_key(row.fields.get("street", "")),
                postal_key(row.fields.get("postal_code", "")),
            )
            if address == ("", ""):
                continue
            first_row, first_address = households.setdefault(row.household_key, (row, address))
            if first_row is not row and address != first_address:
                context.error(
                    row,
                    "street",
                    _(
                        "Row %(row)d is in the same household with another address: "
                        "people in a household share one address."
                    )
                    % {"row": first_row.number},
                )
