# ruff: noqa: S311, SIM905 - seeded made-up data, word lists written as text
"""The benchmark's register: five associations, 100,000 + 4 × 75,000 people, on PostgreSQL.

Everything is written set-wise with PostgreSQL's COPY (ids for households and people are
reserved from their sequences first, so rows can point at each other before they exist;
foreign keys are checked at commit). Each association is built in its own transaction, so
an interrupted build leaves only complete associations, and a later run builds the rest.

The people look like a Swedish sports club's: households sharing an address, children in
age-group teams, e-mail and mobile numbers for most adults, a share with an identity number
(valid personnummer, encrypted and indexed by the same helper the services use), custom
field values, tags, consents (some withdrawn), status history, former members and
applicants.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from stdnum import luhn

from forening.core import sequences
from forening.office import onboarding
from forening.core.context import Actor
from forening.core.models import (
    Group,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    Section,
)
from forening.households.models import Household
from forening.members import attributes as attribute_values
from forening.members import identity
from forening.members import services as register
from forening.members.models import (
    AttributeDefinition,
    AttributeKind,
    AttributeValue,
    Consent,
    ConsentPurpose,
    ConsentSource,
    MembershipKind,
    MembershipType,
    StatusChange,
    Tag,
    Tagging,
)

# BENCH_SCALE (e.g. 0.1) makes a smaller register for trying the benchmark out.
SCALE = float(os.environ.get("BENCH_SCALE", "1"))
SIZES = tuple(int(size * SCALE) for size in (100_000, 75_000, 75_000, 75_000, 75_000))
CHUNK = 10_000
IDENTITY_SHARE = 0.3

FIRST_MALE = (
    "Erik Lars Karl Anders Johan Per Nils Mikael Jan Hans Lennart Olof Peter Gunnar Sven "
    "Fredrik Bengt Bo Daniel Alexander Oscar William Lucas Hugo Elias Liam Noah Adam Axel "
    "Filip Leo Viktor Isak Theo Ludvig Melvin Olle Sixten Vincent Emil Gustav Albin Arvid"
).split()
FIRST_FEMALE = (
    "Anna Eva Maria Karin Kristina Lena Sara Emma Kerstin Ingrid Marie Malin Linda Elin "
    "Sofia Johanna Annika Susanne Hanna Ida Alice Maja Elsa Astrid Wilma Freja Olivia Ebba "
    "Saga Alma Selma Vera Agnes Stella Signe Ella Clara Nora Tyra Lova Elvira Märta Hedda"
).split()
LAST = (
    "Andersson Johansson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson "
    "Gustafsson Pettersson Jonsson Jansson Hansson Bengtsson Jönsson Lindberg Jakobsson "
    "Magnusson Olofsson Lindström Lindqvist Lindgren Axelsson Berg Bergström Lundberg Lind "
    "Lundgren Lundqvist Mattsson Berglund Fredriksson Sandberg Henriksson Forsberg "
    "Sjöberg Wallin Engström Eklund Danielsson Lundin Håkansson Björk Bergman Gunnarsson "
    "Holm Wikström Samuelsson Isaksson Fransson Bergqvist Nyström Holmberg Arvidsson "
    "Löfgren Söderberg Nyberg Blomqvist Claesson Nordström Mårtensson Lundström Ali "
    "Viklund Björklund Eliasson Pålsson Berggren Sandström Lund Nordin Ström Åberg Hermansson"
).split()
STREETS = (
    "Storgatan Kyrkogatan Skolgatan Drottninggatan Parkvägen Ringvägen Björkvägen "
    "Tallvägen Granvägen Ekvägen Lindvägen Skogsvägen Stationsgatan Järnvägsgatan "
    "Idrottsvägen Sjövägen Ängsvägen Backvägen Villavägen Torggatan"
).split()
TOWNS = [("Borås", "504"), ("Alingsås", "441"), ("Ulricehamn", "523"), ("Kinna", "511")]
ASCII = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")

SECTIONS = {
    "Fotboll": [(f"P{y}", y) for y in range(2008, 2020)]
    + [(f"F{y}", y) for y in range(2008, 2020)],
    "Handboll": [(f"Handboll {y}", y) for y in range(2006, 2016)],
    "Gymnastik": [
        ("Knattegympa", 2021),
        ("Barngymnastik", 2018),
        ("Truppgymnastik", 2013),
        ("Vuxengympa", 1980),
        ("Seniorgympa", 1955),
    ],
    "Friidrott": [(f"Friidrott {y}", y) for y in range(2008, 2018, 2)] + [("Motion", 1975)],
}
TAGS = ("Styrelsen", "Domare", "Ideell ledare", "Kassör", "Materialförvaltare")
TAGS += ("Kioskansvarig", "Lägerledare", "Sponsorkontakt")
ALLERGIES = [("gluten", "Gluten"), ("laktos", "Laktos"), ("notter", "Nötter"), ("agg", "Ägg")]
SIZES_CHOICES = [(k, k.upper()) for k in ("120", "140", "160", "xs", "s", "m", "l", "xl")]
LEAVE_REASONS = ("Flyttat", "Slutat med idrotten", "Bytt förening", "Ekonomiska skäl")
# (status, weight)
STATUSES = (
    (MemberStatus.ACTIVE, 80),
    (MemberStatus.INACTIVE, 12),
    (MemberStatus.CONTACT, 3),
    (MemberStatus.APPLIED, 2),
    (MemberStatus.REJECTED, 2),
    (MemberStatus.DECEASED, 1),
)
TYPES = (
    (MembershipKind.ORDINARY, 70),
    (MembershipKind.FAMILY, 20),
    (MembershipKind.PASSIVE, 5),
    (MembershipKind.SUPPORTING, 4),
    (MembershipKind.HONORARY, 1),
)


def slug(index: int) -> str:
    return f"bench-{index + 1}"


def existing() -> dict[str, int]:
    """People per benchmark association already in the database."""
    with scopes_disabled():
        return {
            org.slug: Person.objects.filter(organisation=org).count()
            for org in Organisation.objects.filter(slug__startswith="bench-")
        }


def build(*, log: Any = print) -> list[Organisation]:
    """Build whatever of the five associations is missing; return all five."""
    have = existing()
    with scopes_disabled():
        for index, size in enumerate(SIZES):
            if slug(index) in have:
                continue
            started = time.perf_counter()
            with transaction.atomic():
                _Builder(index, size).run()
            log(f"  built {slug(index)}: {size:,} people in {time.perf_counter() - started:.0f} s")
        if len(have) < len(SIZES):
            # What autovacuum does soon after a bulk load: statistics for the planner and
            # the visibility map that index-only scans (counts) need.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        return [Organisation.objects.get(slug=slug(i)) for i in range(len(SIZES))]


# --- COPY --------------------------------------------------------------------------------


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` ids from the table's identity sequence, for rows written later by COPY."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Write `rows` (attname → value; the other columns get the field's default) with COPY."""
    now = timezone.now()
    fields = list(model._meta.concrete_fields)
    defaults: dict[str, Any] = {}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
        elif f.has_default() or not f.null:
            defaults[f.attname] = f.get_default()
        else:
            defaults[f.attname] = None
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    # The id column only when the rows bring their own (reserved) ids.
    names = [f.attname for f in fields if f.attname != "id" or "id" in first]
    columns = ", ".join(
        f'"{model._meta.get_field(n).column}"' if n != "id" else '"id"' for n in names
    )
    sql = f'COPY "{model._meta.db_table}" ({columns}) FROM STDIN'
    written = 0
    raw = connection.connection
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in _chain(first, rows):
            copy.write_row([_db_value(row.get(n, defaults[n])) for n in names])
            written += 1
    return written


def _chain(first: dict[str, Any], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from rest


def _db_value(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


# --- one association -----------------------------------------------------------------------


@dataclass
class _Household:
    id: int
    name: str
    street: str
    postal_code: str
    city: str
    people: list[dict[str, Any]]


class _Builder:
    def __init__(self, index: int, size: int) -> None:
        self.index, self.size = index, size
        self.rng = random.Random(1000 + index)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.used_numbers: set[str] = set()

    def run(self) -> None:
        actor = Actor.system("bench")
        org = onboarding.create_organisation(
            name=f"Benchmark IF {self.index + 1}",
            slug=slug(self.index),
            country="SE",
            admin_email=f"admin{self.index + 1}@bench.example",
            actor=actor,
        ).organisation
        self.org = org
        self.types = {t.kind: t.pk for t in MembershipType.objects.filter(organisation=org)}
        self._settings()
        made = 0
        numbers = iter(range(1, self.size + 1))
        self.member_numbers = numbers
        self.last_number = 0
        while made < self.size:
            made += self._chunk(min(CHUNK, self.size - made))
        sequences.take(org, register.MEMBER_NUMBER_SEQUENCE, self.last_number)

    def _settings(self) -> None:
        org = self.org
        self.groups: list[tuple[int, int]] = []  # (group id, birth year it suits)
        for name, teams in SECTIONS.items():
            section = Section.objects.create(organisation=org, name=name)
            created = Group.objects.bulk_create(
                Group(organisation=org, section=section, name=team) for team, _year in teams
            )
            self.groups += [(g.pk, year) for g, (_t, year) in zip(created, teams, strict=True)]
        definitions = AttributeDefinition.objects.bulk_create(
            [
                AttributeDefinition(
                    organisation=org,
                    name="Allergier",
                    kind=AttributeKind.MULTIPLE_CHOICE,
                    options=[{"key": k, "label": v} for k, v in ALLERGIES],
                ),
                AttributeDefinition(
                    organisation=org,
                    name="Tröjstorlek",
                    kind=AttributeKind.CHOICE,
                    options=[{"key": k, "label": v} for k, v in SIZES_CHOICES],
                ),
                AttributeDefinition(
                    organisation=org, name="Första hjälpen-kurs", kind=AttributeKind.DATE
                ),
                AttributeDefinition(
                    organisation=org, name="Tränarlicens", kind=AttributeKind.BOOLEAN
                ),
            ]
        )
        self.attributes = {d.name: d for d in definitions}
        self.tags = [
            t.pk for t in Tag.objects.bulk_create(Tag(organisation=org, name=n) for n in TAGS)
        ]
        self.purposes = [
            p.pk
            for p in ConsentPurpose.objects.bulk_create(
                [
                    ConsentPurpose(organisation=org, name="Bilder på webbplatsen"),
                    ConsentPurpose(organisation=org, name="Nyhetsbrev"),
                ]
            )
        ]

    # --- people ------------------------------------------------------------------------

    def _chunk(self, count: int) -> int:
        rng = self.rng
        households: list[_Household] = []
        people: list[dict[str, Any]] = []
        while len(people) < count:
            size = min(rng.choices((1, 2, 3, 4, 5), (35, 25, 15, 18, 7))[0], count - len(people))
            town, prefix = rng.choice(TOWNS)
            family = rng.choice(LAST)
            household = _Household(
                id=0,
                name=f"Familjen {family}",
                street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                postal_code=f"{prefix} {rng.randrange(100):02d}",
                city=town,
                people=[],
            )
            adults = 1 if size == 1 or rng.random() < 0.2 else 2
            for position in range(size):
                adult = position < adults
                age = rng.randint(25, 85) if adult else rng.randint(3, 19)
                if size == 1:
                    age = rng.randint(18, 90)
                person = self._person(
                    household,
                    family if position == 0 or rng.random() < 0.8 else rng.choice(LAST),
                    age,
                    adult,
                )
                household.people.append(person)
                people.append(person)
            households.append(household)

        household_ids = reserve_ids(Household, len(households))
        person_ids = reserve_ids(Person, len(people))
        for household, pk in zip(households, household_ids, strict=True):
            household.id = pk
        for person, pk in zip(people, person_ids, strict=True):
            person["id"] = pk
            person["household_id"] = person.pop("_household").id
        copy_rows(
            Household,
            (
                {
                    "id": h.id,
                    "organisation_id": self.org.pk,
                    "name": h.name,
                    "street": h.street,
                    "postal_code": h.postal_code,
                    "city": h.city,
                    "payer_id": next((p["id"] for p in h.people if p["_adult"]), h.people[0]["id"]),
                }
                for h in households
            ),
        )
        copy_rows(Person, ({k: v for k, v in p.items() if not k.startswith("_")} for p in people))
        self._guardians(households)
        self._related(people)
        return len(people)

    def _person(self, household: _Household, last: str, age: int, adult: bool) -> dict[str, Any]:
        rng, today = self.rng, self.today
        male = rng.random() < 0.5
        first = rng.choice(FIRST_MALE if male else FIRST_FEMALE)
        born = dt.date(today.year - age, 1, 1) + dt.timedelta(days=rng.randrange(365))
        born = min(born, today - dt.timedelta(days=1))
        status = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES])[0]
        email = ""
        if adult and rng.random() < 0.85 or age >= 15 and rng.random() < 0.4:
            local = f"{first}.{last}".lower().translate(ASCII)
            email = f"{local}{rng.randrange(1, 10_000)}@example.se"
        phone = ""
        if adult and rng.random() < 0.9 or age >= 13 and rng.random() < 0.5:
            phone = f"+467{rng.choice('0236')}{rng.randrange(10**7):07d}"
        joined = max(born, today - dt.timedelta(days=15 * 365))
        joined += dt.timedelta(days=rng.randrange(max(1, (today - joined).days)))
        person: dict[str, Any] = {
            "organisation_id": self.org.pk,
            "first_name": first,
            "last_name": last,
            "birth_date": born,
            "gender": "male" if male else "female",
            "email": email,
            "phone": phone,
            "street": household.street,
            "postal_code": household.postal_code,
            "city": household.city,
            "status": status,
            "status_since": joined,
            "_household": household,
            "_adult": adult,
            "_male": male,
        }
        if status in (MemberStatus.ACTIVE, MemberStatus.INACTIVE, MemberStatus.DECEASED):
            self.last_number = next(self.member_numbers)
            person["member_number"] = self.last_number
            person["joined_on"] = joined
        if status != MemberStatus.CONTACT:
            kind = rng.choices([k for k, _w in TYPES], [w for _k, w in TYPES])[0]
            person["membership_type_id"] = self.types[kind]
        if status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            left = joined + dt.timedelta(days=rng.randrange(max(1, (today - joined).days)))
            person["left_on"] = person["status_since"] = left
            person["leave_reason"] = (
                "Avliden" if status == MemberStatus.DECEASED else rng.choice(LEAVE_REASONS)
            )
        if status != MemberStatus.CONTACT and rng.random() < IDENTITY_SHARE:
            person.update(self._identity(born, male))
        person["search_text"] = Person.compute_search_text(
            SimpleNamespace(
                first_name=first,
                last_name=last,
                organisation_name="",
                contact_name="",
                email=email,
                email_secondary="",
                phone=phone,
                phone_secondary="",
                member_number=person.get("member_number"),
            )
        )
        return person

    def _identity(self, born: dt.date, male: bool) -> dict[str, str]:
        """A valid personnummer for the birth date and gender (birth numbers below 900:
        the import benchmark uses 900–999, so its numbers are new)."""
        rng = self.rng
        while True:
            serial = f"{rng.randrange(1, 90):02d}{rng.choice('13579' if male else '02468')}"
            short = f"{born:%y%m%d}{serial}"
            number = f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(short)}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                break
        parsed = identity.parse(number, "SE", today=self.today)
        return register.identity_number_columns(self.org, parsed)

    def _guardians(self, households: Sequence[_Household]) -> None:
        rows = []
        for household in households:
            adults = [p for p in household.people if p["_adult"]]
            children = [
                p
                for p in household.people
                if not p["_adult"] and (self.today - p["birth_date"]).days < 18 * 365
            ]
            rows += [
                {"organisation_id": self.org.pk, "guardian_id": a["id"], "ward_id": c["id"]}
                for a in adults
                for c in children
            ]
        copy_rows(Guardianship, rows)

    def _related(self, people: list[dict[str, Any]]) -> None:
        rng, org_id, today = self.rng, self.org.pk, self.today
        memberships, taggings, values, consents, history = [], [], [], [], []
        by_year: dict[int, list[int]] = {}
        for pk, year in self.groups:
            by_year.setdefault(year, []).append(pk)
        years = sorted(by_year)
        allergy = self.attributes["Allergier"]
        size = self.attributes["Tröjstorlek"]
        course = self.attributes["Första hjälpen-kurs"]
        licence = self.attributes["Tränarlicens"]
        for person in people:
            pk, status = person["id"], person["status"]
            born: dt.date = person["birth_date"]
            active = status == MemberStatus.ACTIVE
            # Children play in the teams of their birth year; some adults train too.
            if active and rng.random() < (0.12 if person["_adult"] else 0.65):
                nearest = min(years, key=lambda y: abs(y - born.year))
                chosen = {rng.choice(by_year[nearest])}
                if rng.random() < 0.15:
                    near = [y for y in years if abs(y - nearest) <= 2]
                    chosen.add(rng.choice(by_year[rng.choice(near)]))
                role = GroupRole.PARTICIPANT
                if person["_adult"] and rng.random() < 0.05:
                    role = rng.choice([GroupRole.LEADER, GroupRole.ASSISTANT])
                memberships += [
                    {"organisation_id": org_id, "group_id": g, "person_id": pk, "role": role}
                    for g in chosen
                ]
            if rng.random() < 0.18:
                for tag in rng.sample(self.tags, rng.choice([1, 1, 1, 2])):
                    taggings.append(
                        {
                            "organisation_id": org_id,
                            "tag_id": tag,
                            "person_id": pk,
                            "created_at": self.now,
                        }
                    )
            if rng.random() < 0.12:
                values.append(
                    self._value(
                        pk, allergy, rng.sample([k for k, _v in ALLERGIES], rng.choice([1, 2]))
                    )
                )
            if active and rng.random() < 0.4:
                values.append(self._value(pk, size, rng.choice(SIZES_CHOICES)[0]))
            if person["_adult"] and rng.random() < 0.06:
                values.append(
                    self._value(pk, course, today - dt.timedelta(days=rng.randrange(2000)))
                )
                values.append(self._value(pk, licence, rng.random() < 0.7))
            if status in (MemberStatus.ACTIVE, MemberStatus.INACTIVE):
                for purpose, share in zip(self.purposes, (0.55, 0.35), strict=True):
                    if rng.random() < share and (purpose == self.purposes[0] or person["email"]):
                        given = self.now - dt.timedelta(days=rng.randrange(30, 3000))
                        withdrawn = None
                        if rng.random() < 0.07:
                            withdrawn = given + dt.timedelta(days=rng.randrange(1, 29))
                        consents.append(
                            {
                                "organisation_id": org_id,
                                "person_id": pk,
                                "purpose_id": purpose,
                                "given_at": given,
                                "given_source": rng.choice(
                                    [ConsentSource.FORM, ConsentSource.OFFICE, ConsentSource.PORTAL]
                                ),
                                "withdrawn_at": withdrawn,
                                "withdrawn_source": ConsentSource.PORTAL if withdrawn else "",
                            }
                        )
            history += self._history(person)
        copy_rows(GroupMembership, memberships)
        copy_rows(Tagging, taggings)
        copy_rows(AttributeValue, values)
        copy_rows(Consent, consents)
        copy_rows(StatusChange, history)

    def _value(self, person_id: int, attribute: AttributeDefinition, value: Any) -> dict[str, Any]:
        row = AttributeValue(attribute=attribute)
        attribute_values.write_value(row, value)
        return {
            "organisation_id": self.org.pk,
            "person_id": person_id,
            "attribute_id": attribute.pk,
            "text": row.text,
            "number": row.number,
            "date": row.date,
            "boolean": row.boolean,
        }

    def _history(self, person: dict[str, Any]) -> list[dict[str, Any]]:
        base = {
            "organisation_id": self.org.pk,
            "person_id": person["id"],
            "changed_by_label": "import",
            "created_at": self.now,
        }
        status = person["status"]
        if status in (MemberStatus.INACTIVE, MemberStatus.DECEASED):
            return [
                {
                    **base,
                    "from_status": "",
                    "to_status": MemberStatus.ACTIVE,
                    "effective_on": person["joined_on"],
                },
                {
                    **base,
                    "from_status": MemberStatus.ACTIVE,
                    "to_status": status,
                    "effective_on": person["left_on"],
                    "reason": person["leave_reason"],
                },
            ]
        return [
            {**base, "from_status": "", "to_status": status, "effective_on": person["status_since"]}
        ]
