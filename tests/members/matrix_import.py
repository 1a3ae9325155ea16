"""Permission-matrix rows for the register's import pages (merged by
tests/core/test_permission_matrix.py): who may open each URL name, the URL kwargs it needs,
and a payload the page accepts."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from forening.members.models import MemberImport
from tests.conftest import World

# The office's shape: administrators of the association (and of its federation) only.
OFFICE: dict[str, Any] = {"admin": "ok", "federation_admin": "ok", "member": 403, "leader": 403}

EXPECTED: dict[str, dict[str, Any]] = {
    "member-import": OFFICE,
    "member-import-map": OFFICE,
    "member-import-preview": OFFICE,
    "member-import-discard": OFFICE,
}
POST_ONLY: set[str] = {"member-import-discard"}

CSV = "Förnamn;Efternamn;E-post\r\nMatris;Testsson;matris@example.se\r\n".encode("cp1252")


def _uploaded_import(world: World) -> MemberImport:
    member_import = MemberImport(
        organisation=world.org,
        original_name="medlemmar.csv",
        mapping={"0": "first_name", "1": "last_name", "2": "email"},
    )
    member_import.file.save("medlemmar.csv", ContentFile(CSV), save=False)
    member_import.save()
    return member_import


def kwargs(name: str, world: World) -> dict[str, Any] | None:
    if name in ("member-import-map", "member-import-preview", "member-import-discard"):
        return {"import_id": _uploaded_import(world).pk}
    return None


def valid_post(name: str, world: World) -> dict[str, Any] | None:
    if name == "member-import":
        return {"file": SimpleUploadedFile("medlemmar.csv", CSV, content_type="text/csv")}
    if name == "member-import-map":
        return {"column_0": "first_name", "column_1": "last_name", "column_2": "email"}
    if name in ("member-import-preview", "member-import-discard"):
        return {}
    return None
