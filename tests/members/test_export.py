"""Export (REG-09): columns, formula injection, CSV for Nordic Excel, readable .xlsx,
an audit row per export, batched lookups, the download page and the command."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from forening.core.context import Actor
from forening.core.models import AuditEvent, Person
from forening.members import exporting, search, services
from forening.members.models import AttributeKind
from tests.conftest import World
from tests.factories.core import GroupFactory, GroupMembershipFactory, OrganisationFactory
from tests.factories.members import (
    PERSONNUMMER,
    AttributeDefinitionFactory,
    ConsentPurposeFactory,
    MembershipTypeFactory,
    SavedSearchFactory,
    TagFactory,
    make_member,
)

ACTOR = Actor.system("test")


def export_csv(
    org: Any, columns: list[str], queryset: Any = None, **kwargs: Any
) -> list[list[str]]:
    out = io.BytesIO()
    queryset = queryset if queryset is not None else search.search_people(org, {})
    with translation.override("en"):
        exporting.write_export(
            queryset, organisation=org, columns=columns, fmt="csv", out=out, actor=ACTOR, **kwargs
        )
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))


def export_xlsx(org: Any, columns: list[str], queryset: Any = None) -> list[tuple[Any, ...]]:
    out = io.BytesIO()
    queryset = queryset if queryset is not None else search.search_people(org, {})
    with translation.override("en"):
        exporting.write_export(
            queryset, organisation=org, columns=columns, fmt="xlsx", out=out, actor=ACTOR
        )
    out.seek(0)
    sheet = load_workbook(out, read_only=True).active
    return list(sheet.iter_rows(values_only=True))


# --- columns ------------------------------------------------------------------------


def test_columns_include_custom_fields_and_never_the_full_identity_number(org):
    allergy = AttributeDefinitionFactory(organisation=org, name="Allergi")
    columns = exporting.available_columns(org)
    assert columns[f"attr_{allergy.pk}"] == "Allergi"
    assert "identity_number_masked" in columns
    assert not {"identity_number", "identity_number_ciphertext", "identity_number_index"} & set(
        columns
    )


def test_every_column_exports_its_value(org):
    family = MembershipTypeFactory(organisation=org, name="Familj")
    football = GroupFactory(organisation=org, name="P12")
    tag = TagFactory(organisation=org, name="Styrelse")
    photos = ConsentPurposeFactory(organisation=org, name="Foton")
    size = AttributeDefinitionFactory(organisation=org, name="Storlek", kind=AttributeKind.NUMBER)
    course = AttributeDefinitionFactory(organisation=org, name="Kurs", kind=AttributeKind.DATE)
    flag = AttributeDefinitionFactory(organisation=org, name="Ok", kind=AttributeKind.BOOLEAN)
    diet = AttributeDefinitionFactory(
        organisation=org,
        name="Kost",
        kind=AttributeKind.MULTIPLE_CHOICE,
        options=[{"key": "veg", "label": "Vegetarisk"}, {"key": "gf", "label": "Glutenfri"}],
    )
    anna = make_member(
        org,
        first_name="Anna",
        last_name="Ek",
        identity_number=PERSONNUMMER,
        email="anna@example.se",
        phone="070-123 45 67",
        street="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        member_number=17,
        membership_type=family,
        joined_on=dt.date(2020, 2, 3),
        attributes={size.pk: "38,5", course.pk: "2024-05-01", flag.pk: "ja", diet.pk: "veg,gf"},
    )
    GroupMembershipFactory(organisation=org, group=football, person=anna, role="leader")
    services.tag_people(org, [anna.pk], tag, actor=ACTOR)
    services.give_consent(anna, photos, actor=ACTOR)
    columns = [
        "member_number",
        "name",
        "identity_number_masked",
        "birth_date",
        "gender",
        "email",
        "phone",
        "city",
        "status",
        "membership_type",
        "joined_on",
        "groups",
        "tags",
        "consents",
        f"attr_{size.pk}",
        f"attr_{course.pk}",
        f"attr_{flag.pk}",
        f"attr_{diet.pk}",
    ]
    header, row = export_csv(org, columns)
    assert header[:3] == ["Member number", "Name", "Identity number (masked)"]
    assert header[-4:] == ["Storlek", "Kurs", "Ok", "Kost"]
    values = dict(zip(columns, row, strict=True))
    assert values["member_number"] == "17"
    assert values["name"] == "Anna Ek"
    assert values["identity_number_masked"] == "19850312-****"
    assert PERSONNUMMER not in ";".join(row)
    assert values["birth_date"] == "1985-03-12"
    assert values["gender"] == "Female"
    assert values["phone"] == "'+46701234567"  # neutralised: a + starts a formula
    assert values["status"] == "Active"
    assert values["membership_type"] == "Familj"
    assert values["joined_on"] == "2020-02-03"
    assert values["groups"] == "P12 (Leader)"
    assert values["tags"] == "Styrelse"
    assert values["consents"] == "Foton"
    assert values[f"attr_{size.pk}"] == "38,5"  # decimal comma for Nordic Excel
    assert values[f"attr_{course.pk}"] == "2024-05-01"
    assert values[f"attr_{flag.pk}"] == "Yes"
    assert values[f"attr_{diet.pk}"] == "Vegetarisk, Glutenfri"


def test_the_search_decides_rows_and_order(org):
    make_member(org, first_name="Anna", last_name="Berg", gender="female")
    make_member(org, first_name="Cilla", last_name="Alm", gender="female")
    make_member(org, first_name="Bo", last_name="Ek", gender="male")
    people = search.search_people(org, {"gender": ["female"], "sort": ["-name"]})
    rows = export_csv(org, ["first_name"], queryset=people)
    assert rows == [["First name"], ["Anna"], ["Cilla"]]


def test_unknown_columns_and_formats_are_refused(org):
    with pytest.raises(exporting.ExportError):
        export_csv(org, ["identity_number"])
    with pytest.raises(exporting.ExportError):
        export_csv(org, [])
    with pytest.raises(exporting.ExportError):
        exporting.write_export(
            Person.objects.none(),
            organisation=org,
            columns=["name"],
            fmt="pdf",
            out=io.BytesIO(),
            actor=ACTOR,
        )
    assert not AuditEvent.objects.filter(action="members.export").exists()


def test_a_custom_field_of_another_association_is_not_a_column(org):
    other = OrganisationFactory()
    with scopes_disabled():
        foreign = AttributeDefinitionFactory(organisation=other)
    with pytest.raises(exporting.ExportError):
        export_csv(org, [f"attr_{foreign.pk}"])


def test_a_queryset_of_another_association_exports_nothing_of_it(org):
    other = OrganisationFactory()
    with scopes_disabled():
        stranger = make_member(other, first_name="Stranger")
        everyone = Person.objects.filter(pk=stranger.pk)
        out = io.BytesIO()
        rows = exporting.write_export(
            everyone, organisation=org, columns=["first_name"], fmt="csv", out=out, actor=ACTOR
        )
    assert rows == 0
    assert b"Stranger" not in out.getvalue()


# --- formula injection --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Anna", "Anna"),
        ("Anna=Bo", "Anna=Bo"),
        ("", ""),
    ],
)
def test_neutralise(value, expected):
    assert exporting.neutralise(value) == expected


def test_formula_cells_are_neutralised_in_csv_and_xlsx(org):
    make_member(
        org, first_name="=1+2", last_name="@SUM(A1)", city="-2+3", street="+cmd|' /C calc'!A0"
    )
    csv_rows = export_csv(org, ["first_name", "last_name", "city", "street"])
    assert csv_rows[1] == ["'=1+2", "'@SUM(A1)", "'-2+3", "'+cmd|' /C calc'!A0"]
    xlsx_rows = export_xlsx(org, ["first_name", "last_name", "city", "street"])
    assert xlsx_rows[1] == ("'=1+2", "'@SUM(A1)", "'-2+3", "'+cmd|' /C calc'!A0")


def test_numbers_and_dates_stay_typed_in_xlsx(org):
    size = AttributeDefinitionFactory(organisation=org, kind=AttributeKind.NUMBER)
    make_member(
        org,
        first_name="Anna",
        member_number=5,
        birth_date=dt.date(1990, 1, 2),
        attributes={size.pk: "-3,5"},
    )
    header, row = export_xlsx(org, ["member_number", "birth_date", "age", f"attr_{size.pk}"])
    assert header[0] == "Member number"
    assert row[0] == 5
    assert row[1].date() == dt.date(1990, 1, 2)
    assert isinstance(row[2], int)
    assert float(row[3]) == -3.5  # a negative number is a number, not a formula


# --- files --------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_semicolons_and_quotes_where_needed(org):
    make_member(org, first_name="Åsa; Örjan", last_name='Ek "Eken"', city="Malmö")
    out = io.BytesIO()
    exporting.write_export(
        search.search_people(org, {}),
        organisation=org,
        columns=["first_name", "last_name", "city"],
        fmt="csv",
        out=out,
        actor=ACTOR,
    )
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").split("\r\n")
    assert lines[1] == '"Åsa; Örjan";"Ek ""Eken""";Malmö'


def test_xlsx_is_readable_and_strips_characters_xml_cannot_hold(org):
    make_member(org, first_name="Anna\x07", last_name="Ek", city="Malmö")
    rows = export_xlsx(org, ["first_name", "last_name", "city"])
    assert rows == [("First name", "Last name", "City"), ("Anna", "Ek", "Malmö")]


def test_xlsx_is_well_formed_with_a_bold_frozen_heading_and_date_cells(org):
    make_member(org, first_name="Anna", last_name="Ek & <Co>", birth_date=dt.date(1990, 1, 2))
    out = io.BytesIO()
    with translation.override("en"):
        exporting.write_export(
            search.search_people(org, {}),
            organisation=org,
            columns=["first_name", "last_name", "birth_date", "email"],
            fmt="xlsx",
            out=out,
            actor=ACTOR,
        )
    with zipfile.ZipFile(out) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # noqa: S314 - our own file
    out.seek(0)
    sheet = load_workbook(out).active  # the full (stricter) reader, not read-only
    assert sheet.title == "Members"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b
    assert not sheet["A2"].font.b
    assert sheet["B2"].value == "Ek & <Co>"
    assert sheet["C2"].is_date
    assert sheet["C2"].number_format == "yyyy\\-mm\\-dd"
    assert sheet["D2"].value is None
    assert sheet.column_dimensions["A"].width >= 12


def test_an_empty_search_gives_a_file_with_headings_only(org):
    assert export_xlsx(org, ["name"], queryset=Person.objects.none()) == [("Name",)]
    assert export_csv(org, ["name"], queryset=Person.objects.none()) == [["Name"]]


# --- audit and performance ----------------------------------------------------------


def test_every_export_is_audited(org):
    make_member(org, first_name="Anna")
    out = io.BytesIO()
    rows = exporting.write_export(
        search.search_people(org, {}),
        organisation=org,
        columns=["name", "email"],
        fmt="xlsx",
        out=out,
        actor=ACTOR,
        search={"q": ["anna"]},
    )
    assert rows == 1
    event = AuditEvent.objects.get(action="members.export")
    assert event.organisation_id == org.pk
    assert event.actor_label == "test"
    assert event.changes == {
        "rows": 1,
        "columns": ["name", "email"],
        "format": "xlsx",
        "search": {"q": ["anna"]},
    }


def _people_with_everything(org: Any, n: int, tag: Any, group: Any, photos: Any) -> None:
    for i in range(n):
        person = make_member(org, first_name=f"P{i}")
        services.tag_people(org, [person.pk], tag, actor=ACTOR)
        GroupMembershipFactory(organisation=org, group=group, person=person)
        services.give_consent(person, photos, actor=ACTOR)


def test_related_values_are_looked_up_per_chunk_not_per_row(org, monkeypatch):
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 10)
    tag, group = TagFactory(organisation=org), GroupFactory(organisation=org)
    photos = ConsentPurposeFactory(organisation=org)
    AttributeDefinitionFactory(organisation=org, kind=AttributeKind.NUMBER)
    columns = list(exporting.available_columns(org))  # every column, custom fields too

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_csv(org, columns)
        return len(captured)

    _people_with_everything(org, 3, tag, group, photos)
    few = count_queries()  # one chunk
    _people_with_everything(org, 7, tag, group, photos)
    ten = count_queries()  # still one chunk
    assert few == ten
    _people_with_everything(org, 10, tag, group, photos)
    twenty = count_queries()  # two chunks: four lookups more (groups, tags, consents, fields)
    assert twenty - ten <= 5  # not one query per row (10 more rows here)


# --- the page -----------------------------------------------------------------------


def url(world: World, name: str, query: str = "") -> str:
    address = reverse(f"org:{name}", kwargs={"org_slug": world.org.slug})
    return f"{address}?{query}" if query else address


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def test_the_page_offers_columns_for_the_current_search(admin_client, world):
    with scope(organisation=world.org.pk):
        tag = TagFactory(organisation=world.org, name="Styrelse")
        AttributeDefinitionFactory(organisation=world.org, name="Allergi")
    response = admin_client.get(url(world, "members-export", f"tag={tag.pk}"))
    assert response.status_code == 200
    assert response.context["count"] == 0
    assert response.context["chips"] == ["Tag: Styrelse"]
    html = response.content.decode()
    assert "Allergi" in html
    assert "Identity number (masked)" in html
    assert list(response.context["form"]["columns"].initial) == list(exporting.DEFAULT_COLUMNS)


def test_downloading_streams_the_file_audits_it_and_remembers_the_choice(admin_client, world):
    with scope(organisation=world.org.pk):
        make_member(world.org, first_name="Exportera", last_name="Mig", gender="female")
    address = url(world, "members-export", "gender=female")
    response = admin_client.post(address, {"format": "csv", "columns": ["first_name", "email"]})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert ".csv" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    assert "Exportera" in content.decode("utf-8")
    with scope(organisation=world.org.pk):
        event = AuditEvent.objects.get(action="members.export")
    assert event.actor == world.admin
    assert event.changes["search"] == "gender=female"
    assert event.changes["rows"] == 1
    # The next visit starts from the columns chosen last time.
    response = admin_client.get(address)
    assert list(response.context["form"]["columns"].initial) == ["first_name", "email"]
    assert response.context["form"]["format"].initial == "csv"


def test_downloading_xlsx(admin_client, world):
    response = admin_client.post(
        url(world, "members-export"), {"format": "xlsx", "columns": ["first_name"]}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    names = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert world.member_person.first_name in names
    assert world.stranger_person.first_name not in names


@pytest.mark.parametrize(
    "data", [{"format": "csv"}, {"format": "pdf", "columns": ["name"]}, {"columns": ["secret"]}]
)
def test_bad_choices_show_the_form_again_and_export_nothing(admin_client, world, data):
    response = admin_client.post(url(world, "members-export"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.export").exists()


def test_an_invalid_search_exports_nothing(admin_client, world):
    response = admin_client.post(
        url(world, "members-export", "age_min=abc"), {"format": "csv", "columns": ["name"]}
    )
    assert response.status_code == 200
    assert response.context["search_form"].errors
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="members.export").exists()


def test_export_is_for_the_office_only(client, world):
    client.force_login(world.member)
    response = client.post(url(world, "members-export"), {"format": "csv", "columns": ["name"]})
    assert response.status_code == 403
    client.force_login(world.outsider)
    assert client.get(url(world, "members-export")).status_code == 404


# --- the command --------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export-members", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def exported_org(db: Any) -> Any:
    organisation = OrganisationFactory(slug="ik-export", language="en")
    with scope(organisation=organisation.pk):
        tag = TagFactory(organisation=organisation, name="Styrelse")
        anna = make_member(organisation, first_name="Anna", last_name="Ek", email="=cmd@example.se")
        make_member(organisation, first_name="Bo", last_name="Ström")
        services.tag_people(organisation, [anna.pk], tag, actor=ACTOR)
        SavedSearchFactory(
            organisation=organisation, name="Styrelsen", query={"tag": [str(tag.pk)]}
        )
    return organisation


def test_command_exports_a_saved_search_to_xlsx(exported_org, tmp_path):
    target = tmp_path / "styrelsen.xlsx"
    output = run(
        "--org",
        "ik-export",
        "--search",
        "styrelsen",
        "--format",
        "xlsx",
        "--columns",
        "first_name,email",
        "-o",
        str(target),
    )
    assert "Exported 1 people" in output
    rows = list(load_workbook(target, read_only=True).active.iter_rows(values_only=True))
    assert rows == [("First name", "E-mail address"), ("Anna", "'=cmd@example.se")]
    with scopes_disabled():
        event = AuditEvent.objects.get(action="members.export")
    assert event.organisation_id == exported_org.pk
    assert event.actor_label == "export-members"
    assert event.changes["search"]["saved_search"] == "Styrelsen"


def test_command_exports_the_everyday_list_to_csv_with_default_columns(exported_org, tmp_path):
    target = tmp_path / "all.csv"
    run("--org", "ik-export", "--format", "csv", "-o", str(target))
    text = target.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text[3:].decode()), delimiter=";"))
    assert len(rows) == 3
    assert len(rows[0]) == len(exporting.DEFAULT_COLUMNS)


def test_command_takes_search_parameters(exported_org, tmp_path):
    target = tmp_path / "bo.csv"
    run(
        "--org",
        "ik-export",
        "--query",
        "q=bo",
        "--format",
        "csv",
        "--columns",
        "first_name",
        "-o",
        str(target),
    )
    assert target.read_text(encoding="utf-8-sig").split() == ["First", "name", "Bo"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--format", "csv"], "no organisation"),
        (["--org", "ik-export", "--format", "csv", "--search", "nope"], "no saved search"),
        (["--org", "ik-export", "--format", "csv", "--columns", "secret"], "secret"),
        (["--org", "ik-export", "--format", "csv", "--query", "age_min=x"], "not valid"),
        (["--org", "ik-export", "--columns", "name"], "--format"),
    ],
)
def test_command_refuses_bad_input_and_writes_nothing(exported_org, tmp_path, args, message):
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=message):
        run(*args, "-o", str(target))
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_command_lists_the_columns(exported_org):
    with scope(organisation=exported_org.pk):
        field = AttributeDefinitionFactory(organisation=exported_org, name="Allergi")
    output = run("--org", "ik-export", "--list-columns")
    assert "member_number\tMember number" in output
    assert f"attr_{field.pk}\tAllergi" in output


def test_command_refuses_a_missing_folder(exported_org, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run("--org", "ik-export", "--format", "csv", "-o", str(tmp_path / "no" / "x.csv"))
    assert not Path(tmp_path / "no").exists()
