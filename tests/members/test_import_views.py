"""The import pages: upload → map columns → preview → commit (REG-09)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent, Person
from forening.members import importing
from forening.members.models import ImportStatus, MemberImport
from tests.conftest import World
from tests.members.test_import import csv_file, pnr, xlsx

HEADER = ["Förnamn", "Efternamn", "Personnummer", "E-post", "Mobil", "Adress", "Postnr", "Ort"]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def org_people(world: World) -> list[Person]:
    """The people of world.org the import added (the world's own three left out)."""
    existing = [world.member_person.pk, world.ward.pk, world.group_person.pk]
    with scopes_disabled():
        return list(
            Person.objects.filter(organisation=world.org).exclude(pk__in=existing).order_by("pk")
        )


def good_rows(count: int = 3) -> list[list[Any]]:
    rows: list[list[Any]] = [HEADER]
    for i in range(count):
        rows.append(
            [
                f"Anna{i}",
                "Ek",
                pnr(f"1985031{i}", "238"),
                f"anna{i}@example.se",
                f"070123456{i}",
                "Ekvägen 1",
                "123 45",
                "By",
            ]
        )
    return rows


def upload(client: Any, world: World, data: bytes, name: str = "medlemmar.xlsx") -> Any:
    return client.post(url(world, "member-import"), {"file": SimpleUploadedFile(name, data)})


def stored_import(
    world: World, data: bytes, name: str = "medlemmar.xlsx", **fields: Any
) -> MemberImport:
    with scopes_disabled():
        member_import = MemberImport(organisation=world.org, original_name=name, **fields)
        member_import.file.save(name, ContentFile(data), save=False)
        member_import.save()
    return member_import


def test_the_upload_page_lists_recent_imports_in_constant_queries(
    admin_client, world, django_assert_max_num_queries
):
    for i in range(12):
        stored_import(world, "Förnamn\nA\n".encode(), name=f"fil{i}.csv")
    with django_assert_max_num_queries(12):
        response = admin_client.get(url(world, "member-import"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "fil11.csv" in body
    assert 'enctype="multipart/form-data"' in body


def test_an_upload_is_stored_with_the_guessed_mapping_and_leads_to_the_column_page(
    admin_client, world
):
    # when
    response = upload(admin_client, world, csv_file(good_rows(), encoding="cp1252"), "m.csv")
    # then
    with scopes_disabled():
        member_import = MemberImport.objects.get(organisation=world.org)
    assert response.status_code == 302
    assert response["Location"] == url(world, "member-import-map", import_id=member_import.pk)
    assert member_import.original_name == "m.csv"
    assert member_import.uploaded_by == world.admin
    assert member_import.mapping == {
        "0": "first_name",
        "1": "last_name",
        "2": "identity_number",
        "3": "email",
        "4": "phone",
        "5": "street",
        "6": "postal_code",
        "7": "city",
    }
    assert org_people(world) == []


def test_the_column_page_shows_headers_samples_and_the_guess(admin_client, world):
    member_import = stored_import(
        world,
        xlsx(good_rows(5) + [["<script>alert(1)</script>", "Ek"]]),
        mapping={"0": "first_name", "1": "last_name", "3": "email"},
    )
    response = admin_client.get(url(world, "member-import-map", import_id=member_import.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Förnamn" in body
    assert "Personnummer" in body
    assert "Anna0" in body
    assert "Anna2" in body
    assert "Anna3" not in body
    assert '<option value="first_name" selected>' in body
    assert '<option value="email" selected>' in body
    assert "<script>alert" not in body


def test_the_column_page_saves_the_users_mapping(admin_client, world):
    member_import = stored_import(world, xlsx([["A", "B"], ["Anna", "Ek"]]), mapping={})
    response = admin_client.post(
        url(world, "member-import-map", import_id=member_import.pk),
        {"column_0": "first_name", "column_1": "last_name", "skip_invalid": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == url(world, "member-import-preview", import_id=member_import.pk)
    member_import.refresh_from_db()
    assert member_import.mapping == {"0": "first_name", "1": "last_name"}
    assert member_import.skip_invalid is True


def test_the_column_page_refuses_a_field_chosen_twice(admin_client, world):
    member_import = stored_import(world, xlsx([["A", "B"], ["Anna", "Ek"]]), mapping={})
    response = admin_client.post(
        url(world, "member-import-map", import_id=member_import.pk),
        {"column_0": "first_name", "column_1": "first_name"},
    )
    assert response.status_code == 200
    assert escape("“A” and “B” both go to First name") in response.content.decode()
    member_import.refresh_from_db()
    assert member_import.mapping == {}


def test_the_preview_shows_counts_rows_and_every_error_and_writes_nothing(admin_client, world):
    # given: two good rows, then bad ones
    rows = good_rows(2) + [
        ["Bo", "Ek", "19850312-2388", "", "", "", "", ""],
        ["Cy", "Ek", "", "cy.example.se", "", "", "", ""],
        ['<script>alert("x")</script>', "Ek", "", "", "ring mig", "", "", ""],
    ]
    member_import = stored_import(
        world,
        xlsx(rows),
        mapping={
            str(i): key
            for i, key in enumerate(
                [
                    "first_name",
                    "last_name",
                    "identity_number",
                    "email",
                    "phone",
                    "street",
                    "postal_code",
                    "city",
                ]
            )
        },
    )
    # when
    response = admin_client.get(url(world, "member-import-preview", import_id=member_import.pk))
    # then
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.updated, report.invalid_rows) == (2, 0, 3)
    body = response.content.decode()
    assert "The check digit does not match" in body
    assert escape("Enter an e-mail address such as name@example.se.") in body
    assert "This is not a valid phone number" in body
    assert escape('<script>alert("x")</script>') in body
    assert '<script>alert("x")' not in body
    assert "nothing will be imported" in body
    assert "Import 2 people" not in body  # no commit button
    assert org_people(world) == []
    # and a commit is refused as a whole
    response = admin_client.post(url(world, "member-import-preview", import_id=member_import.pk))
    assert response.status_code == 200
    assert "Nothing was imported" in " ".join(messages_of(response))
    assert org_people(world) == []
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.UPLOADED


def test_the_preview_shows_the_first_20_rows_as_they_will_be_saved(admin_client, world):
    rows = [["Förnamn", "Efternamn", "Mobil"]] + [
        [f"P{i:02}", "Ek", "070-123 45 67"] for i in range(25)
    ]
    member_import = stored_import(
        world, xlsx(rows), mapping={"0": "first_name", "1": "last_name", "2": "phone"}
    )
    response = admin_client.get(url(world, "member-import-preview", import_id=member_import.pk))
    body = response.content.decode()
    assert "P19" in body
    assert "P20" not in body
    assert "+46701234567" in body
    assert "Import 25 people" in body


def test_committing_imports_once_and_redirects_to_the_register(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    # given
    admin_client.post(
        url(world, "member-import"),
        {"file": SimpleUploadedFile("m.xlsx", xlsx(good_rows(3)))},
    )
    with scopes_disabled():
        member_import = MemberImport.objects.get(organisation=world.org)
    preview = url(world, "member-import-preview", import_id=member_import.pk)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(preview)
    # then
    assert response.status_code == 302
    assert response["Location"] == reverse("org:members", args=[world.org.slug])
    assert messages_of(response) == [
        "The import is done: 3 added, 0 updated, 0 unchanged, 0 skipped."
    ]
    assert [p.first_name for p in org_people(world)] == ["Anna0", "Anna1", "Anna2"]
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.COMMITTED
    assert member_import.result["created"] == 3
    # The file held identity numbers in clear: it is gone once imported.
    assert not member_import.file
    assert not [p for p in (settings.MEDIA_ROOT / "imports").rglob("*") if p.is_file()]
    # when: a second commit (double click, another tab)
    response = admin_client.post(preview)
    # then: nothing more is written
    assert response.status_code == 302
    assert messages_of(response)[-1] == "This file has already been imported."
    assert len(org_people(world)) == 3
    # and the committed import shows its result
    response = admin_client.get(preview)
    assert response.status_code == 200
    assert "Imported" in response.content.decode()
    response = admin_client.get(url(world, "member-import-map", import_id=member_import.pk))
    assert response.status_code == 302


def test_skip_invalid_commits_the_valid_rows(admin_client, world):
    rows = good_rows(2) + [["Bo", "Ek", "19850312-2388", "", "", "", "", ""]]
    member_import = stored_import(
        world,
        xlsx(rows),
        skip_invalid=True,
        mapping={"0": "first_name", "1": "last_name", "2": "identity_number"},
    )
    preview = url(world, "member-import-preview", import_id=member_import.pk)
    body = admin_client.get(preview).content.decode()
    assert "invalid, skipped" in body
    response = admin_client.post(preview)
    assert response.status_code == 302
    assert [p.first_name for p in org_people(world)] == ["Anna0", "Anna1"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n", "medlemmar.xlsx", "This is a PDF file"),
        (bytes(range(256)) * 10, "junk.csv", "junk.csv is not a spreadsheet"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_on_upload(
    admin_client, world, data, name, message
):
    response = upload(admin_client, world, data, name)
    assert response.status_code == 200
    assert message in response.content.decode()
    with scopes_disabled():
        assert not MemberImport.objects.exists()


def test_a_50_mb_upload_is_refused(admin_client, world):
    big = "Förnamn\n".encode() + b"A" * (50 * 1024 * 1024)
    response = upload(admin_client, world, big, "stor.csv")
    assert response.status_code == 200
    assert "the largest file that can be imported is 20 MB" in response.content.decode()
    with scopes_disabled():
        assert not MemberImport.objects.exists()


def test_another_associations_import_is_not_found(admin_client, world):
    with scopes_disabled():
        foreign = MemberImport(organisation=world.other_org, original_name="x.csv")
        foreign.file.save("x.csv", ContentFile(b"F\xf6rnamn\nA\n"), save=False)
        foreign.save()
    for name in ("member-import-map", "member-import-preview", "member-import-discard"):
        target = url(world, name, import_id=foreign.pk)
        assert admin_client.get(target).status_code == (405 if "discard" in name else 404)
        assert admin_client.post(target, {"column_0": "first_name"}).status_code == 404
    with scope(organisation=world.other_org.pk):
        foreign.refresh_from_db()
    assert foreign.status == ImportStatus.UPLOADED


def uploaded_files(settings: Any) -> list[Any]:
    return [p for p in (settings.MEDIA_ROOT / "imports").rglob("*") if p.is_file()]


def test_cancelling_an_import_deletes_the_file_and_ends_it(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    # given: an uploaded file, mapped and previewed
    upload(admin_client, world, xlsx(good_rows(2)))
    with scopes_disabled():
        member_import = MemberImport.objects.get(organisation=world.org)
    preview = url(world, "member-import-preview", import_id=member_import.pk)
    assert "Cancel the import" in admin_client.get(preview).content.decode()
    assert uploaded_files(settings)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url(world, "member-import-discard", import_id=member_import.pk)
        )
    # then
    assert response["Location"] == url(world, "member-import")
    assert messages_of(response) == ["The import was cancelled and the file deleted."]
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.DISCARDED
    assert not member_import.file
    assert not uploaded_files(settings)
    assert org_people(world) == []
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="members.import.discarded").count() == 1
    # and: the steps of a cancelled import lead back to the upload page; nothing is imported
    for name in ("member-import-map", "member-import-preview"):
        response = admin_client.post(url(world, name, import_id=member_import.pk))
        assert response.status_code == 302
        assert response["Location"] == url(world, "member-import")
    assert org_people(world) == []
    assert "Discarded" in admin_client.get(url(world, "member-import")).content.decode()


def test_an_imported_file_cannot_be_cancelled(admin_client, world):
    member_import = stored_import(
        world, xlsx(good_rows(1)), mapping={"0": "first_name", "1": "last_name"}
    )
    admin_client.post(url(world, "member-import-preview", import_id=member_import.pk))
    response = admin_client.post(url(world, "member-import-discard", import_id=member_import.pk))
    assert messages_of(response)[-1] == "This file has already been imported."
    member_import.refresh_from_db()
    assert member_import.status == ImportStatus.COMMITTED
    assert len(org_people(world)) == 1


def test_uploads_left_for_a_day_are_discarded_with_their_files(
    world, settings, django_capture_on_commit_callbacks
):
    # given: one upload of yesterday, one of now, in two associations
    old = stored_import(world, xlsx(good_rows(1)), name="gammal.xlsx")
    fresh = stored_import(world, xlsx(good_rows(1)), name="ny.xlsx")
    with scopes_disabled():
        MemberImport.objects.filter(pk=old.pk).update(
            created_at=old.created_at - importing.STALE_IMPORT_AGE
        )
        foreign = MemberImport(organisation=world.other_org, original_name="x.csv")
        foreign.file.save("x.csv", ContentFile(b"F\xf6rnamn\nA\n"), save=False)
        foreign.save()
        MemberImport.objects.filter(pk=foreign.pk).update(
            created_at=foreign.created_at - importing.STALE_IMPORT_AGE
        )
    assert len(uploaded_files(settings)) == 3
    # when
    with django_capture_on_commit_callbacks(execute=True):
        count = importing.discard_stale_imports(actor=Actor.system("test"))
    # then
    assert count == 2
    with scopes_disabled():
        statuses = dict(MemberImport.objects.values_list("original_name", "status"))
        assert AuditEvent.objects.filter(action="members.import.discarded").count() == 2
    assert statuses == {
        "gammal.xlsx": ImportStatus.DISCARDED,
        "ny.xlsx": ImportStatus.UPLOADED,
        "x.csv": ImportStatus.DISCARDED,
    }
    assert [p.name for p in uploaded_files(settings)] == [fresh.file.name.rsplit("/", 1)[-1]]
    # and again: nothing left to do
    assert importing.discard_stale_imports(actor=Actor.system("test")) == 0


ROW_LOCK = re.compile(r"\bFOR (UPDATE|NO KEY UPDATE|SHARE|KEY SHARE)(?: OF (.*?))?$", re.DOTALL)


def row_locks(sql: str) -> tuple[str, set[str]]:
    """A statement's row-lock strength and the tables it locks: with OF, the tables named;
    without, every table the query reads, joined ones too."""
    match = ROW_LOCK.search(sql)
    if match is None:
        return "", set()
    if match[2] is None:
        return match[1], set(re.findall(r'(?:FROM|JOIN) "(\w+)"', sql))
    return match[1], set(re.findall(r'"(\w+)"', match[2]))


def test_an_import_locks_the_association_only_against_other_imports(world):
    """On PostgreSQL, FOR UPDATE without OF locks the rows of every table the query joins,
    and FOR UPDATE on the association's row blocks every insert that references it (the
    foreign key check takes FOR KEY SHARE). Imports lock their own rows, and the
    association only FOR NO KEY UPDATE, which makes a second import wait and nothing else."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes no row locks")
    # given: an upload to import, and one left for a day
    ready = stored_import(
        world, xlsx(good_rows(2)), mapping={"0": "first_name", "1": "last_name", "3": "email"}
    )
    old = stored_import(world, xlsx(good_rows(1)), name="gammal.xlsx")
    with scopes_disabled():
        MemberImport.objects.filter(pk=old.pk).update(
            created_at=old.created_at - importing.STALE_IMPORT_AGE
        )
    # when
    with CaptureQueriesContext(connection) as queries:
        with scope(organisation=world.org):
            report = importing.commit_import(ready, actor=Actor.system("test"))
        count = importing.discard_stale_imports(actor=Actor.system("test"))
    # then
    assert report.committed
    assert count == 1
    locks = [row_locks(query["sql"]) for query in queries.captured_queries]
    assert ("UPDATE", {"members_memberimport"}) in locks
    on_organisation = [strength for strength, tables in locks if "core_organisation" in tables]
    assert on_organisation == ["NO KEY UPDATE"]
