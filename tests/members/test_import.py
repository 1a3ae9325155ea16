"""The register's import (REG-09): reading messy .xlsx and .csv files, recognising headers,
validating every row before writing, all or nothing, re-imports that update, households."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled
from stdnum import luhn

from forening.core.context import Actor
from forening.core.models import AuditEvent, GroupMembership, MemberStatus, Person
from forening.households import services as household_services
from forening.households.models import Household
from forening.members import importing, services
from forening.members.models import (
    AttributeKind,
    AttributeRequirement,
    AttributeValue,
    MembershipType,
    Note,
    StatusChange,
    Tagging,
)
from tests.factories.core import GroupFactory, OrganisationFactory
from tests.factories.members import (
    CPR,
    PERSONNUMMER,
    AttributeDefinitionFactory,
    make_member,
)

ACTOR = Actor.system("test-import")


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


# --- building real-looking files --------------------------------------------------------


def pnr(born: str, serial: str = "238", century: bool = True, sep: str = "-") -> str:
    """A valid Swedish personnummer for `born` (YYYYMMDD) and a three-digit serial."""
    short = born[2:]
    check = luhn.calc_check_digit(short + serial)
    return f"{born if century else short}{sep}{serial}{check}"


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(
    rows: list[list[Any]], *, delimiter: str = ";", encoding: str = "cp1252", bom: bool = False
) -> bytes:
    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        if delimiter in text or '"' in text:
            text = '"' + text.replace('"', '""') + '"'
        return text

    text = "\r\n".join(delimiter.join(cell(v) for v in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def with_empty_rows(data: bytes, count: int, width: int = 3) -> bytes:
    """The workbook with `count` formatted but empty rows after its data, as Excel writes a
    sheet whose columns were formatted all the way down."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                first = len(re.findall(r"<row ", text)) + 1
                letters = "ABCDEFGHIJ"[:width]
                rows = "".join(
                    f'<row r="{r}">' + "".join(f'<c r="{c}{r}" s="0"/>' for c in letters) + "</row>"
                    for r in range(first, first + count)
                )
                text = text.replace("</sheetData>", rows + "</sheetData>")
                text = re.sub(
                    r'<dimension ref="[^"]*"\s*/>',
                    f'<dimension ref="A1:{letters[-1]}{first + count - 1}"/>',
                    text,
                )
                content = text.encode()
            target.writestr(item, content)
    return out.getvalue()


def run(org: Any, data: bytes, **kwargs: Any) -> importing.ImportReport:
    kwargs.setdefault("filename", "medlemmar.xlsx")
    return importing.import_members(org, data, actor=ACTOR, **kwargs)


def errors_of(report: importing.ImportReport) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.message) for e in report.errors]


def people(org: Any) -> list[Person]:
    return list(Person.objects.filter(organisation=org).order_by("pk"))


SWEDISH_HEADER = [
    "Förnamn",
    "Efternamn",
    "Personnummer",
    "E-post",
    "Mobil",
    "Gatuadress",
    "Postnummer",
    "Postort",
    "Kön",
    "Medlemstyp",
    "Medlem sedan",
    "Etiketter",
]


@pytest.fixture
def types(org: Any) -> dict[str, MembershipType]:
    return {t.name: t for t in services.ensure_membership_types(org)}


# --- reading ------------------------------------------------------------------------------


def test_a_messy_swedish_workbook_is_imported_with_everything_normalised(org, types):
    # given: 12- and 10-digit numbers, `+` for someone over 100, dates in three Nordic
    # forms, phones typed every which way and a phone cell Excel made into a number
    born_1909 = pnr("19090527", "147", century=False, sep="+")
    data = xlsx(
        [
            SWEDISH_HEADER,
            [
                "Anna",
                "Svensson",
                pnr("19850312", "238"),
                "Anna.Svensson@Example.se",
                701234567,
                "Storgatan 1",
                "123 45",
                "Småstad",
                "K",
                "Ordinarie",
                "2026-03-15",
                "styrelse, ledare",
            ],
            [
                "Bo",
                "Svensson",
                pnr("19870101", "457", century=False),
                "bo@example.se",
                "070-123 45 68",
                "Storgatan 1",
                "12345",
                "Småstad",
                "M",
                "familj",
                "15.3.2026",
                "",
            ],
            [
                "Greta",
                "Gammal",
                born_1909,
                "",
                "+46 70 123 45 69",
                "Äldrevägen 2",
                "543 21",
                "By",
                "kvinna",
                "Hedersmedlem",
                dt.datetime(2020, 1, 2, tzinfo=dt.UTC).replace(tzinfo=None),  # noqa: DTZ001 - what openpyxl gives
                "",
            ],
            ["Dan", "Datum", "", "dan@example.se", "", "", "", "", "", "", "15/03/26", ""],
        ]
    )
    # when
    report = run(org, data)
    # then
    assert errors_of(report) == []
    assert (report.rows_total, report.created, report.updated) == (4, 4, 0)
    anna, bo, greta, dan = people(org)
    assert anna.phone == "+46701234567"
    assert bo.phone == "+46701234568"
    assert anna.gender == "female"
    assert bo.gender == "male"
    assert anna.birth_date == dt.date(1985, 3, 12)
    assert greta.birth_date == dt.date(1909, 5, 27)
    assert anna.identity_number_masked == "19850312-****"
    assert services.decrypt_identity_number(bo) == pnr("19870101", "457")
    assert services.find_by_identity_number(org, pnr("19850312", "238")) == anna
    assert anna.joined_on == bo.joined_on == dan.joined_on == dt.date(2026, 3, 15)
    assert greta.joined_on == dt.date(2020, 1, 2)
    assert anna.membership_type == types["Ordinarie"]
    assert bo.membership_type == types["Familj"]
    assert greta.membership_type == types["Hedersmedlem"]
    assert dan.membership_type == types["Ordinarie"]  # the default
    assert {p.member_number for p in (anna, bo, greta, dan)} == {1, 2, 3, 4}
    assert all(p.status == MemberStatus.ACTIVE for p in (anna, bo, greta, dan))
    assert "anna.svensson@example.se" in anna.search_text
    assert set(Tagging.objects.filter(person=anna).values_list("tag__name", flat=True)) == {
        "styrelse",
        "ledare",
    }
    # Anna and Bo share an address, so they share a household; the others live alone.
    assert anna.household_id == bo.household_id is not None
    assert greta.household_id is None
    assert dan.household_id is None
    household = Household.objects.get(pk=anna.household_id)
    assert household.payer_id == anna.pk
    assert (household.street, household.postal_code) == ("Storgatan 1", "123 45")
    assert bo.postal_code == "123 45"
    assert report.households_created == 1
    # Status history and the audit log are written, set-wise.
    assert StatusChange.objects.filter(organisation=org, from_status="").count() == 4
    assert AuditEvent.objects.filter(action="core.person.created", organisation=org).count() == 4
    summary = AuditEvent.objects.get(action="members.import", organisation=org)
    assert summary.changes["created"] == 4


def test_a_danish_csv_in_windows_1252_with_semicolons_is_imported(db):
    # given
    organisation = OrganisationFactory(country="DK", currency="DKK", organisation_number="")
    with scope(organisation=organisation.pk):
        data = csv_file(
            [
                [
                    "Fornavn",
                    "Efternavn",
                    "CPR-nummer",
                    "E-mail",
                    "Telefon",
                    "Adresse",
                    "Postnr",
                    "By",
                    "Køn",
                    "Indmeldt",
                    "Husstand",
                    "Bemærkning",
                ],
                [
                    "Søren",
                    "Ærlig-Østergård",
                    CPR,
                    "soren@example.dk",
                    "20 12 34 56",
                    "Åvej 3",
                    "8000",
                    "Århus",
                    "mand",
                    "1.2.2024",
                    "Østergård",
                    "Betaler kontant",
                ],
                [
                    "Åse",
                    "Østergård",
                    "",
                    "ase@example.dk",
                    "",
                    "Åvej 3",
                    "8000",
                    "Århus",
                    "kvinde",
                    "01-02-2024",
                    "Østergård",
                    "",
                ],
            ],
            encoding="cp1252",
            delimiter=";",
        )
        assert b"\xf8" in data  # ø in Windows-1252
        sheet = importing.read_sheet(data, filename="medlemmer.csv")
        assert (sheet.encoding, sheet.delimiter) == ("cp1252", ";")
        # when
        report = importing.import_members(organisation, data, filename="medlemmer.csv", actor=ACTOR)
        # then
        assert errors_of(report) == []
        soren, ase = people(organisation)
        assert soren.last_name == "Ærlig-Østergård"
        assert soren.identity_number_masked == "070761-****"
        assert soren.phone == "+4520123456"
        assert soren.joined_on == ase.joined_on == dt.date(2024, 2, 1)
        assert soren.household_id == ase.household_id
        assert Household.objects.get(pk=soren.household_id).name == "Østergård"
        note = Note.objects.get(person=soren)
        assert note.body == "Betaler kontant"


def test_an_english_utf8_csv_with_bom_and_commas_is_imported(org, types):
    # given: a quoted field with a comma and a quote, a BOM before the first header
    data = csv_file(
        [
            [
                "First name",
                "Last name",
                "Date of birth",
                "Email",
                "Phone",
                "Street",
                "Postal code",
                "City",
                "Gender",
                "Membership type",
                "Joined",
                "Status",
            ],
            [
                "Chloé",
                'O"Brien',
                "1990-07-04",
                "chloe@example.com",
                "0701234570",
                "Storgatan 5, lgh 1101",
                "11122",
                "Stockholm",
                "female",
                "Passive",
                "2025-01-01",
                "applied",
            ],
        ],
        encoding="utf-8",
        delimiter=",",
        bom=True,
    )
    types["Passiv"].name = "Passive"
    types["Passiv"].save()
    # when
    sheet = importing.read_sheet(data, filename="members.csv")
    report = run(org, data, filename="members.csv")
    # then
    assert (sheet.encoding, sheet.delimiter) == ("utf-8-sig", ",")
    assert sheet.headers[0] == "First name"
    assert errors_of(report) == []
    (chloe,) = people(org)
    assert (chloe.first_name, chloe.last_name) == ("Chloé", 'O"Brien')
    assert chloe.street == "Storgatan 5, lgh 1101"
    assert chloe.birth_date == dt.date(1990, 7, 4)
    assert chloe.status == MemberStatus.APPLIED
    assert chloe.member_number is None  # applicants get a number when approved
    assert chloe.membership_type.name == "Passive"


def test_dates_exported_as_excel_serial_numbers_are_read(org):
    run(org, csv_file([["Förnamn", "Medlem sedan"], ["Anna", "45366"]]), filename="a.csv")
    assert people(org)[0].joined_on == dt.date(2024, 3, 15)


def test_a_utf8_csv_without_bom_is_read_as_utf8():
    data = "Förnamn,Efternamn\nÅsa,Öberg\n".encode()
    sheet = importing.read_sheet(data, filename="a.csv")
    assert sheet.encoding == "utf-8"
    assert sheet.rows == [(2, ["Åsa", "Öberg"])]


def test_excel_text_formulas_and_tabs_are_read():
    data = 'Förnamn\tMobil\nÅsa\t="0701234567"\n'.encode()
    sheet = importing.read_sheet(data, filename="a.txt")
    assert sheet.delimiter == "\t"
    assert sheet.rows == [(2, ["Åsa", "0701234567"])]


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Förnamn", "first_name"),
        ("FORNAVN", "first_name"),
        ("First Name", "first_name"),
        (" efter-namn ", "last_name"),
        ("Efternamn", "last_name"),
        ("Efternavn", "last_name"),
        ("Personnummer", "identity_number"),
        ("CPR-nummer", "identity_number"),
        ("CPR nr.", "identity_number"),
        ("Personal identity number", "identity_number"),
        ("Födelsedatum", "birth_date"),
        ("Fødselsdato", "birth_date"),
        ("Date of birth", "birth_date"),
        ("E-post", "email"),
        ("E-mail", "email"),
        ("EMAIL", "email"),
        ("Mobilnummer", "phone"),
        ("Telefon", "phone"),
        ("Phone", "phone"),
        ("Gatuadress", "street"),
        ("Adresse", "street"),
        ("c/o", "care_of"),
        ("C/O", "care_of"),
        ("Postnr", "postal_code"),
        ("Post-nummer", "postal_code"),
        ("Postort", "city"),
        ("By", "city"),
        ("Land", "country"),
        ("Kön", "gender"),
        ("Køn", "gender"),
        ("Medlemsnr.", "member_number"),
        ("Medlemstype", "membership_type"),
        ("Inträdesdatum", "joined_on"),
        ("Indmeldt", "joined_on"),
        ("Hushåll", "household"),
        ("Husstand", "household"),
        ("Organisationsnummer", "organisation_number"),
        ("CVR", "organisation_number"),
        ("Anteckning", "note"),
        ("Etiketter", "tags"),
        ("Hold", "group"),
        ("Grupp", "group"),
        ("Status", "status"),
        ("Something else", None),
    ],
)
def test_headers_are_recognised_in_three_languages(org, header, key):
    mapping = importing.guess_mapping(org, [header])
    assert mapping.get(0) == key


def test_custom_fields_are_recognised_by_name_and_a_second_column_for_a_field_is_left_out(org):
    allergy = AttributeDefinitionFactory(organisation=org, name="Allergier")
    mapping = importing.guess_mapping(org, ["Förnamn", "ALLERGIER", "First name"])
    assert mapping == {0: "first_name", 1: f"attr_{allergy.pk}"}


def test_a_mapping_given_by_the_user_wins_over_the_guess(org):
    data = xlsx([["Kolumn A", "Kolumn B"], ["Anna", "Svensson"]])
    report = run(org, data, mapping={0: "first_name", 1: "last_name"})
    assert errors_of(report) == []
    assert [(p.first_name, p.last_name) for p in people(org)] == [("Anna", "Svensson")]


def test_a_full_name_column_is_split_into_first_and_last_name(org):
    data = xlsx([["Namn"], ["Anna Maria Svensson"], ["Berg, Bo"]])
    run(org, data)
    assert [(p.first_name, p.last_name) for p in people(org)] == [
        ("Anna Maria", "Svensson"),
        ("Bo", "Berg"),
    ]


def test_a_mapping_without_a_name_column_is_refused(org):
    data = xlsx([["E-post"], ["a@example.se"]])
    with pytest.raises(importing.ImportFileError, match="first name"):
        run(org, data)


def test_a_field_mapped_twice_is_refused(org):
    data = xlsx([["A", "B"], ["Anna", "Svensson"]])
    with pytest.raises(importing.ImportFileError, match="both go to"):
        run(org, data, mapping={0: "first_name", 1: "first_name"})


# --- what is not a spreadsheet ----------------------------------------------------------


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "medlemmar.xlsx", "PDF"),
        (bytes(range(256)) * 40, "medlemmar.csv", "not a spreadsheet"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "bild.xlsx", "not a spreadsheet"),
        (docx_bytes(), "brev.xlsx", "not a spreadsheet"),
        (b"PK\x03\x04 not really a zip", "trasig.xlsx", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "gammal.xls", ".xls"),
        (b"", "tom.csv", "empty"),
        (b"\r\n\r\n;;;\r\n", "tom.csv", "no rows"),
    ],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_clear_message(org, data, name, message):
    with pytest.raises(importing.ImportFileError, match=re.escape(message)):
        importing.import_members(org, data, filename=name, actor=ACTOR)
    assert people(org) == []


def test_a_damaged_workbook_is_refused(org):
    data = bytearray(xlsx([["Förnamn"], ["Anna"]]))
    names = zipfile.ZipFile(io.BytesIO(bytes(data))).namelist()
    assert "xl/workbook.xml" in names
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not xml")
    with pytest.raises(importing.ImportFileError, match="Excel file"):
        run(org, out.getvalue())


def test_a_50_mb_file_is_refused_before_it_is_parsed(org):
    # given: a real 50 MB file on disk and the same as an upload that says its size
    data = b"x" * (50 * 1024 * 1024)

    class Upload(io.BytesIO):
        size = len(data)
        name = "stor.csv"

        def read(self, *args: Any) -> bytes:  # must not be called
            raise AssertionError("read before the size check")

    # when / then
    with pytest.raises(importing.ImportFileError, match=r"50\.0 MB.*20 MB"):
        run(org, data)
    with pytest.raises(importing.ImportFileError, match="20 MB"):
        importing.read_sheet(Upload(), filename="stor.csv")


def test_the_size_limit_is_a_setting(org, settings):
    settings.FORENING_MAX_IMPORT_BYTES = 100
    with pytest.raises(importing.ImportFileError, match="0 MB"):
        run(org, csv_file([["Förnamn"], ["A" * 200]]))


def test_100000_empty_rows_after_the_data_are_fast_and_give_no_errors(org):
    # given: three members, then 100,000 formatted empty rows
    data = with_empty_rows(
        xlsx(
            [
                ["Förnamn", "Efternamn", "E-post"],
                ["Anna", "Ek", ""],
                ["Bo", "Ek", ""],
                ["Cy", "Ek", ""],
            ]
        ),
        100_000,
    )
    # when
    started = time.monotonic()
    report = run(org, data)
    elapsed = time.monotonic() - started
    # then
    assert errors_of(report) == []
    assert (report.rows_total, report.created) == (3, 3)
    assert elapsed < 5


def test_empty_rows_in_a_csv_are_skipped_and_row_numbers_stay_as_in_excel(org):
    data = csv_file(
        [
            ["Förnamn", "Efternamn", "E-post"],
            ["Anna", "Ek", "fel"],
            ["", "", ""],
            ["Bo", "Ek", "bo-at-example"],
        ]
        + [["", "", ""]] * 100_000,
    )
    report = run(org, data, filename="a.csv")
    assert report.rows_total == 2
    assert [(e.row, e.column) for e in report.errors] == [(2, "E-post"), (4, "E-post")]


def test_a_sheet_whose_dimension_is_too_small_is_read_whole(org):
    data = xlsx([["Förnamn", "Efternamn"], ["Anna", "Ek"], ["Bo", "Ek"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', content)
            target.writestr(item, content)
    assert run(org, out.getvalue()).created == 2


# --- bad rows: all or nothing -----------------------------------------------------------


@pytest.fixture
def first_aid(org: Any, types: dict[str, MembershipType]) -> Any:
    attribute = AttributeDefinitionFactory(
        organisation=org, name="Första hjälpen", kind=AttributeKind.DATE
    )
    AttributeRequirement.objects.create(
        organisation=org, attribute=attribute, membership_type=types["Ordinarie"]
    )
    return attribute


def bad_file() -> bytes:
    header = [
        "Förnamn",
        "Efternamn",
        "Personnummer",
        "Födelsedatum",
        "E-post",
        "Mobil",
        "Medlemstyp",
        "Första hjälpen",
    ]
    return xlsx(
        [
            header,
            [
                "Anna",
                "Ek",
                pnr("19850312", "238"),
                "",
                "anna@example.se",
                "0701234567",
                "Ordinarie",
                "2025-05-01",
            ],  # row 2: fine
            ["Bo", "Ek", "19850312-2388", "", "", "", "Passiv", ""],  # row 3: check digit
            ["Cy", "Ek", "", "2026-02-30", "", "", "Passiv", ""],  # row 4: no such date
            ["Di", "Ek", "", "", "di.example.se", "", "Passiv", ""],  # row 5: no @
            ["Ed", "Ek", "", "", "", "ring mig", "Passiv", ""],  # row 6: not a phone
            ["Fa", "Ek", "", "", "", "", "Ordinarie", ""],  # row 7: required field empty
            ["Gö", "Ek", "", "", "", "", "Passiv", "igår"],  # row 8: not a date
            [None, None, None, None, None, None, None, None],  # row 9: empty, ignored
            ["<script>", "Ek", "", "", "", "", "Guld", ""],  # row 10: unknown type
        ]
    )


def test_each_invalid_row_is_reported_with_row_column_and_reason_and_nothing_is_written(
    org, first_aid
):
    # given
    events_before = AuditEvent.objects.count()
    # when
    report = run(org, bad_file())
    # then
    assert errors_of(report) == [
        (3, "Personnummer", "The check digit does not match: look for a typing error."),
        (4, "Födelsedatum", "“2026-02-30” is not a date. Write it as 2026-03-15 or 15.3.2026."),
        (5, "E-post", "Enter an e-mail address such as name@example.se."),
        (6, "Mobil", "This is not a valid phone number. Example: 070-123 45 67."),
        (7, "Första hjälpen", "Första hjälpen is required for Ordinarie members."),
        (8, "Första hjälpen", "Enter a date, such as 2026-03-15."),
        (
            10,
            "Medlemstyp",
            "There is no membership type called “Guld”. The types are: "
            "Ordinarie, Familj, Hedersmedlem, Passiv, Stödmedlem.",
        ),
    ]
    assert report.stopped
    assert not report.committed
    assert report.rows_total == 8
    assert people(org) == []
    assert StatusChange.objects.count() == 0
    assert AttributeValue.objects.count() == 0
    assert Household.objects.count() == 0
    assert AuditEvent.objects.count() == events_before


def test_skip_invalid_writes_the_valid_rows_only(org, first_aid):
    report = run(org, bad_file(), skip_invalid=True)
    assert report.committed
    assert (report.created, report.skipped) == (1, 7)
    (anna,) = people(org)
    assert anna.first_name == "Anna"
    assert AttributeValue.objects.get(person=anna).date == dt.date(2025, 5, 1)


def test_a_dry_run_writes_nothing(org):
    report = run(org, xlsx([["Förnamn"], ["Anna"]]), dry_run=True)
    assert (report.created, report.committed) == (1, False)
    assert people(org) == []


def test_duplicates_inside_the_file_are_reported(org):
    number = pnr("19850312", "238")
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "Personnummer", "E-post", "Födelsedatum", "Medlemsnr"],
            ["Anna", "Ek", number, "", "", 10],
            ["Anna", "Ek", number.replace("-", ""), "", "", 11],  # the same number, unformatted
            ["Bo", "Ek", "", "bo@example.se", "1990-01-01", 12],
            ["BO", "ek", "", "Bo@Example.se", "1.1.1990", 10],  # same person, same number
        ]
    )
    report = run(org, data)
    assert errors_of(report) == [
        (3, "Personnummer", "The same identity number is in row 2."),
        (5, "E-post", "Row 4 has the same name, e-mail and date of birth."),
        (5, "Medlemsnr", "The same member number is in row 2."),
    ]
    assert people(org) == []


def test_a_date_of_birth_that_contradicts_the_identity_number_is_reported(org):
    data = xlsx([["Förnamn", "Personnummer", "Födelsedatum"], ["Anna", PERSONNUMMER, "1985-03-13"]])
    assert errors_of(run(org, data)) == [
        (2, "Födelsedatum", "The date of birth does not match the identity number (1985-03-12).")
    ]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Kön", "vet ej", "Write the gender as K or M"),
        ("Status", "kanske", "Unknown status"),
        ("Medlemsnr", "A-12", "whole number"),
        ("Land", "Atlantis", "two-letter code"),
        ("Grupp", "Finns inte", "There is no group called"),
        ("Organisationsnummer", "123", ""),
    ],
)
def test_other_bad_values_are_reported_on_their_column(org, column, value, message):
    report = run(org, xlsx([["Förnamn", column], ["Anna", value]]))
    ((row, reported_column, reported),) = errors_of(report)
    assert (row, reported_column) == (2, column)
    assert message in reported


# --- re-imports ---------------------------------------------------------------------------


def register_file(changes: dict[tuple[int, int], Any] | None = None) -> bytes:
    rows = [
        [
            "Förnamn",
            "Efternamn",
            "Personnummer",
            "E-post",
            "Mobil",
            "Adress",
            "Postnr",
            "Ort",
            "Etiketter",
        ],
        [
            "Anna",
            "Ek",
            pnr("19850312", "238"),
            "anna@example.se",
            "0701234567",
            "Ekvägen 1",
            "12345",
            "By",
            "a, b",
        ],
        ["Bo", "Ek", "", "bo@example.se", "0701234568", "Ekvägen 1", "12345", "By", ""],
        ["Cy", "Al", "", "", "", "", "", "", ""],
    ]
    for (row, column), value in (changes or {}).items():
        rows[row][column] = value
    return xlsx(rows)


def snapshot(org: Any) -> list[tuple[Any, ...]]:
    return [
        (
            p.pk,
            p.first_name,
            p.email,
            p.phone,
            p.street,
            p.household_id,
            p.member_number,
            p.identity_number_index,
            p.updated_at,
        )
        for p in people(org)
    ]


def test_importing_the_same_file_twice_leaves_the_register_as_after_the_first(org):
    # given
    first = run(org, register_file())
    assert (first.created, first.households_created) == (3, 1)
    before = snapshot(org)
    counts = (
        StatusChange.objects.count(),
        Household.objects.count(),
        Tagging.objects.count(),
        AuditEvent.objects.filter(action__startswith="core.person").count(),
    )
    # when
    second = run(org, register_file())
    # then
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert snapshot(org) == before
    assert counts == (
        StatusChange.objects.count(),
        Household.objects.count(),
        Tagging.objects.count(),
        AuditEvent.objects.filter(action__startswith="core.person").count(),
    )


def test_a_changed_file_updates_the_people_it_matches(org):
    # given
    run(org, register_file())
    anna_pk = Person.objects.get(first_name="Anna").pk
    # when: Anna is matched by number, Bo by e-mail + name, Cy by name alone
    report = run(
        org,
        register_file(
            {
                (1, 3): "anna.ny@example.se",
                (2, 4): "070-999 88 77",
                (3, 3): "cy@example.se",
                (1, 8): "a, c",
            }
        ),
    )
    # then: Cy got an e-mail, so he is no longer the same row (no e-mail + name before)
    assert errors_of(report) == []
    assert (report.created, report.updated, report.unchanged) == (1, 2, 0)
    anna = Person.objects.get(pk=anna_pk)
    assert anna.email == "anna.ny@example.se"
    assert "anna.ny@example.se" in anna.search_text
    assert Person.objects.get(first_name="Bo").phone == "+46709998877"
    assert set(Tagging.objects.filter(person=anna).values_list("tag__name", flat=True)) == {
        "a",
        "b",
        "c",
    }
    change = AuditEvent.objects.filter(action="core.person.updated", person=anna).get()
    assert change.changes["email"] == ["anna@example.se", "anna.ny@example.se"]
    assert change.actor_label == "test-import"


def test_people_are_matched_by_email_name_and_birth_date_case_insensitively(org):
    existing = make_member(
        org,
        first_name="Anna",
        last_name="Ek",
        email="Anna@Example.se",
        birth_date=dt.date(1985, 3, 12),
    )
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "E-post", "Födelsedatum", "Mobil"],
            ["anna", "EK", "anna@example.SE", "12.3.1985", "0701234567"],
        ]
    )
    report = run(org, data)
    assert (report.created, report.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.phone == "+46701234567"
    # The names as typed in the file replace the stored ones.
    assert (existing.first_name, existing.last_name) == ("anna", "EK")


def test_an_identity_number_is_matched_first_and_never_across_associations(org):
    other = OrganisationFactory()
    with scopes_disabled():
        stranger = make_member(other, first_name="Anna", identity_number=PERSONNUMMER)
    mine = make_member(org, first_name="Anna", identity_number=PERSONNUMMER, email="")
    data = xlsx([["Förnamn", "Personnummer", "E-post"], ["Anna", PERSONNUMMER, "ny@example.se"]])
    report = run(org, data)
    assert (report.created, report.updated) == (0, 1)
    mine.refresh_from_db()
    assert mine.email == "ny@example.se"
    with scopes_disabled():
        stranger.refresh_from_db()
    assert stranger.email != "ny@example.se"


def test_member_numbers_from_the_file_are_kept_and_the_sequence_moves_on(org):
    data = xlsx([["Förnamn", "Efternamn", "Medlemsnummer"], ["Anna", "Ek", 500], ["Bo", "Ek", ""]])
    run(org, data)
    assert {p.first_name: p.member_number for p in people(org)} == {"Anna": 500, "Bo": 501}
    assert make_member(org).member_number == 502
    # Importing it again: matched by member number and name.
    assert run(org, data).unchanged == 2


def test_a_member_number_held_by_someone_else_is_reported(org):
    make_member(org, first_name="Olle", last_name="Berg", member_number=7)
    report = run(org, xlsx([["Förnamn", "Medlemsnr"], ["Anna", 7]]))
    assert errors_of(report) == [(2, "Medlemsnr", "Olle Berg already has member number 7.")]


def test_status_changes_follow_the_rules_and_are_recorded(org):
    anna = make_member(org, first_name="Anna", last_name="Ek", email="a@example.se")
    dead = make_member(org, first_name="Död", last_name="Ek", email="d@example.se")
    services.change_status(dead, MemberStatus.DECEASED, actor=ACTOR)
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "E-post", "Status"],
            ["Anna", "Ek", "a@example.se", "Utträdd"],
            ["Död", "Ek", "d@example.se", "aktiv"],
        ]
    )
    report = run(org, data)
    assert errors_of(report) == [(3, "Status", "A deceased person's status cannot be changed.")]
    report = run(org, data, skip_invalid=True)
    anna.refresh_from_db()
    assert anna.status == MemberStatus.INACTIVE
    assert anna.left_on == timezone.localdate()
    change = StatusChange.objects.filter(person=anna).first()
    assert (change.from_status, change.to_status) == ("active", "inactive")


def test_a_former_member_is_read_only_except_for_the_status(org):
    former = make_member(org, first_name="Fd", last_name="Ek", email="f@example.se")
    services.change_status(former, MemberStatus.INACTIVE, actor=ACTOR, reason="Flyttat")
    header = ["Förnamn", "Efternamn", "E-post", "Mobil", "Status"]
    report = run(org, xlsx([header, ["Fd", "Ek", "f@example.se", "0701234567", ""]]))
    assert "read-only" in errors_of(report)[0][2]
    report = run(org, xlsx([header, ["Fd", "Ek", "f@example.se", "0701234567", "aktiv"]]))
    assert errors_of(report) == []
    former.refresh_from_db()
    assert (former.status, former.phone, former.left_on) == ("active", "+46701234567", None)


# --- households, groups, custom fields ----------------------------------------------------


def test_a_household_column_groups_rows_and_a_reimport_reuses_the_household(org):
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "Födelsedatum", "Hushåll", "Adress", "Postnr", "Ort"],
            ["Lisa", "Ek", "2015-01-01", "Familjen Ek", "", "", ""],
            ["Per", "Ek", "1980-01-01", "Familjen Ek", "Ekvägen 2", "111 22", "By"],
            ["Ola", "Ek", "1982-01-01", "familjen ek", "", "", ""],
            ["Ensam", "Ek", "1990-01-01", "Ensam", "", "", ""],
        ]
    )
    report = run(org, data)
    assert errors_of(report) == []
    assert report.households_created == 2
    lisa, per, ola, ensam = people(org)
    assert lisa.household_id == per.household_id == ola.household_id
    household = Household.objects.get(pk=lisa.household_id)
    assert household.name == "Familjen Ek"
    assert household.street == lisa.street == "Ekvägen 2"
    assert household.payer_id == per.pk  # the first adult, not the child in the first row
    assert ensam.household_id not in (None, household.pk)
    assert run(org, data).unchanged == 4
    assert Household.objects.count() == 2


def test_people_of_one_household_with_different_addresses_are_reported(org):
    data = xlsx(
        [
            ["Förnamn", "Hushåll", "Adress", "Postnr"],
            ["Per", "Ek", "Ekvägen 2", "111 22"],
            ["Ola", "Ek", "Björkvägen 9", "111 22"],
        ]
    )
    ((row, column, message),) = errors_of(run(org, data))
    assert (row, column) == (3, "Adress")
    assert "share one address" in message


def test_a_new_person_at_an_existing_households_address_joins_it(org):
    per = make_member(
        org, first_name="Per", last_name="Ek", street="Ekvägen 2", postal_code="111 22", city="By"
    )
    household = household_services.create_household(org, actor=ACTOR, name="Ek", people=[per])
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "Adress", "Postnr", "Ort"],
            ["Per", "Ek", "Ekvägen 2", "11122", "By"],
            ["Ola", "Ek", "ekvägen 2", "111 22", "By"],
        ]
    )
    report = run(org, data)
    assert errors_of(report) == []
    assert report.households_created == 0
    ola = Person.objects.get(first_name="Ola")
    assert ola.household_id == household.pk
    assert Household.objects.count() == 1


def test_groups_and_custom_fields_are_set_by_name(org, types):
    group = GroupFactory(organisation=org, name="P12 Blå")
    allergy = AttributeDefinitionFactory(
        organisation=org,
        name="Allergier",
        kind=AttributeKind.MULTIPLE_CHOICE,
        options=[{"key": "gluten", "label": "Gluten"}, {"key": "nuts", "label": "Nötter"}],
    )
    licence = AttributeDefinitionFactory(
        organisation=org, name="Licens", kind=AttributeKind.BOOLEAN
    )
    data = xlsx(
        [["Förnamn", "Grupp", "Allergier", "Licens"], ["Anna", "p12 blå", "Gluten, nötter", "ja"]]
    )
    report = run(org, data)
    assert errors_of(report) == []
    (anna,) = people(org)
    assert GroupMembership.objects.filter(person=anna, group=group).exists()
    values = services.attribute_values_of(anna)
    assert values == {allergy.pk: ["gluten", "nuts"], licence.pk: True}
    assert run(org, data).unchanged == 1
    report = run(org, xlsx([["Förnamn", "Allergier"], ["Anna", "Gluten"]]))
    assert report.updated == 1
    assert services.attribute_values_of(anna)[allergy.pk] == ["gluten"]


def test_organisations_can_be_imported(org):
    data = xlsx(
        [["Företag", "Organisationsnummer", "Kontaktperson"], ["Bolaget AB", "556036-0793", "Eva"]]
    )
    report = run(org, data)
    assert errors_of(report) == []
    (company,) = people(org)
    assert (company.kind, company.organisation_name) == ("organisation", "Bolaget AB")
    assert run(org, data).unchanged == 1


def test_gender_is_not_stored_where_the_association_does_not_record_it(org):
    org.records_gender = False
    org.save()
    run(org, xlsx([["Förnamn", "Personnummer", "Kön"], ["Anna", PERSONNUMMER, "K"]]))
    assert people(org)[0].gender == ""


# --- set-wise writing -----------------------------------------------------------------------


def many_rows(count: int, offset: int = 0) -> bytes:
    rows: list[list[Any]] = [SWEDISH_HEADER + ["Hushåll", "Anteckning"]]
    for i in range(offset, offset + count):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=i * 2)
        rows.append(
            [
                f"Förnamn{i}",
                f"Efternamn{i // 2}",
                pnr(born.strftime("%Y%m%d"), f"{(i % 899) + 100:03d}"),
                f"person{i}@example.se",
                f"070{i:07d}",
                f"Gatan {i // 2}",
                "123 45",
                "Stad",
                "K" if i % 2 else "M",
                "Ordinarie",
                "2020-01-01",
                "import, test",
                f"H{i // 2}",
                "En anteckning",
            ]
        )
    return xlsx(rows)


def test_the_number_of_queries_does_not_grow_with_the_rows(
    org, types, django_assert_max_num_queries
):
    small, large = many_rows(20), many_rows(400, offset=1000)
    with django_assert_max_num_queries(60):
        assert run(org, small).created == 20
    with django_assert_max_num_queries(60):
        report = run(org, large)
    assert errors_of(report) == []
    assert (report.created, report.households_created) == (400, 200)
    with django_assert_max_num_queries(60):
        assert run(org, large).unchanged == 400


# --- the command ------------------------------------------------------------------------------


def test_the_command_imports_and_prints_a_summary(org, tmp_path):
    path = tmp_path / "medlemmar.xlsx"
    path.write_bytes(register_file())
    out = io.StringIO()
    call_command("import-members", "--org", org.slug, str(path), "--dry-run", stdout=out)
    assert "3 rows. 3 would be added" in out.getvalue()
    assert "Dry run" in out.getvalue()
    assert people(org) == []
    call_command("import-members", "--org", org.slug, str(path), stdout=out)
    assert "3 were added" in out.getvalue()
    assert len(people(org)) == 3


def test_the_command_prints_each_error_and_fails_when_errors_stop_the_import(org, tmp_path):
    path = tmp_path / "fel.csv"
    path.write_bytes(
        csv_file(
            [["Förnamn", "Personnummer"], ["Anna", PERSONNUMMER], ["Bo", "19850312-2388"]]
            + [[f"Cy{i}", ""] for i in range(4)]
            + [["Di", "850312+23"]]
        )
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported: 2 of 7 rows have errors"):
        call_command(
            "import-members", "--org", org.slug, str(path), stdout=io.StringIO(), stderr=err
        )
    assert "row 3, Personnummer: The check digit does not match" in err.getvalue()
    assert "row 8, Personnummer: Write the personnummer as" in err.getvalue()
    assert people(org) == []
    out = io.StringIO()
    call_command(
        "import-members",
        "--org",
        org.slug,
        str(path),
        "--skip-invalid",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert "5 were added" in out.getvalue()


def test_the_command_refuses_an_unknown_association_and_a_non_spreadsheet(org, tmp_path):
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(CommandError, match="no organisation"):
        call_command("import-members", "--org", "finns-inte", str(path))
    with pytest.raises(CommandError, match="PDF"):
        call_command("import-members", "--org", org.slug, str(path))


def test_a_household_that_moved_takes_everyone_in_it_along(org):
    # given: a household of two, one of them not in the file
    per = make_member(org, first_name="Per", last_name="Ek", email="per@example.se")
    ola = make_member(org, first_name="Ola", last_name="Ek", email="ola@example.se")
    household = household_services.create_household(
        org,
        actor=ACTOR,
        name="Ek",
        people=[per, ola],
        street="Gamla vägen 1",
        postal_code="111 11",
        city="By",
    )
    data = xlsx(
        [
            ["Förnamn", "Efternamn", "E-post", "Hushåll", "Adress", "Postnr", "Ort"],
            ["Per", "Ek", "per@example.se", "Ek", "Nya vägen 2", "222 22", "Stad"],
        ]
    )
    # when
    report = run(org, data)
    # then
    assert errors_of(report) == []
    household.refresh_from_db()
    ola.refresh_from_db()
    assert (household.street, household.postal_code) == ("Nya vägen 2", "222 22")
    assert (ola.street, ola.city) == ("Nya vägen 2", "Stad")
    assert run(org, data).unchanged == 1


def test_someone_who_moves_to_another_household_stops_paying_for_the_old_one(org):
    per = make_member(org, first_name="Per", last_name="Ek", email="per@example.se")
    old = household_services.create_household(org, actor=ACTOR, name="Gamla", people=[per])
    assert old.payer_id == per.pk
    data = xlsx(
        [["Förnamn", "Efternamn", "E-post", "Hushåll"], ["Per", "Ek", "per@example.se", "Nya"]]
    )
    report = run(org, data)
    assert report.households_created == 1
    per.refresh_from_db()
    old.refresh_from_db()
    new = Household.objects.get(name="Nya")
    assert per.household_id == new.pk
    assert new.payer_id == per.pk
    assert old.payer_id is None


def test_contacts_get_no_member_number_and_no_membership_type(org, types):
    data = xlsx([["Förnamn", "Status"], ["Kund", "kontakt"], ["Medlem", ""]])
    run(org, data)
    kund, medlem = people(org)
    assert (kund.status, kund.member_number, kund.membership_type) == ("contact", None, None)
    assert (medlem.status, medlem.member_number) == ("active", 1)
    assert StatusChange.objects.filter(person=kund, to_status="contact").exists()
    # Approving the contact as a member through the file gives a number and a type.
    report = run(org, xlsx([["Förnamn", "Status"], ["Kund", "aktiv"]]))
    assert report.updated == 1
    kund.refresh_from_db()
    assert (kund.status, kund.member_number) == ("active", 2)
    assert kund.membership_type == types["Ordinarie"]


def test_a_required_field_is_checked_when_the_membership_type_changes(org, first_aid):
    anna = make_member(
        org,
        first_name="Anna",
        last_name="Ek",
        email="a@example.se",
        membership_type=MembershipType.objects.get(name="Passiv"),
    )
    header = ["Förnamn", "Efternamn", "E-post", "Medlemstyp"]
    report = run(org, xlsx([header, ["Anna", "Ek", "a@example.se", "Ordinarie"]]))
    assert errors_of(report) == [
        (2, "Första hjälpen", "Första hjälpen is required for Ordinarie members.")
    ]
    anna.refresh_from_db()
    assert anna.membership_type.name == "Passiv"
