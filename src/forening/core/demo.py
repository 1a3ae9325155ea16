"""The demo installation: a federation, a sports club with ~600 people, a local unit.

`build_demo()` is what `forening demo` (and so `make run`) loads. The data is made up
with Faker("sv_SE") and a fixed seed, so two fresh databases get the same people on the
same day (birth years follow the current year, so the teams stay age-appropriate).
Every demo login has the password DEMO_PASSWORD; it exists only where the demo was loaded.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import scopes_disabled
from faker import Faker

from forening.core import audit, sequences, services
from forening.core.context import Actor
from forening.core.models import (
    Group,
    GroupMembership,
    Guardianship,
    Organisation,
    Person,
    Role,
    RoleAssignment,
    Section,
    User,
)
from forening.households.models import Household
from forening.members import services as register

DEMO_SLUG = "ik-demo"
DEMO_PASSWORD = "demo-forening-2026"  # noqa: S105 - documented in README.md, demo data only
SEED = 2026
TARGET_PEOPLE = 600

ADMIN_EMAIL = "admin@ik-demo.se"
FEDERATION_ADMIN_EMAIL = "forbund@ik-demo.se"
UNIT_ADMIN_EMAIL = "lokal@ik-demo.se"
LEADER_EMAIL = "ledare@ik-demo.se"
MEMBER_EMAIL = "medlem@ik-demo.se"

# Football teams by birth year: players aged 8 to 13 this calendar year.
FOOTBALL_AGES = range(8, 14)
# The leader login leads the boys' and girls' teams of this age.
LEADER_TEAM_AGE = 10

# Gymnastics classes: (name, description, youngest, oldest) by age this calendar year.
GYMNASTICS_CLASSES = [
    ("Knattegympa", "Lek och rörelse för 4–6 år, med förälder.", 4, 6),
    ("Barngymnastik", "Grundträning för 7–9 år.", 7, 9),
    ("Truppgymnastik", "Trampett, tumbling och fristående för 10–15 år.", 10, 15),
    ("Parkour", "Parkour för 12–17 år.", 12, 17),
    ("Vuxengympa", "Styrka och kondition för vuxna.", 25, 64),
    ("Seniorgympa", "Lugnare träning för 65 år och äldre.", 65, 100),
]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    description: str


LOGINS = [
    DemoLogin(ADMIN_EMAIL, "Administrator of IK Demo"),
    DemoLogin(FEDERATION_ADMIN_EMAIL, "Administrator of Demoförbundet (the federation)"),
    DemoLogin(UNIT_ADMIN_EMAIL, "Administrator of IK Demo Ungdom (a local unit of IK Demo)"),
    DemoLogin(LEADER_EMAIL, "Leads two football teams in IK Demo; also a parent"),
    DemoLogin(MEMBER_EMAIL, "Member of IK Demo and guardian of two children"),
]


@dataclass(frozen=True)
class DemoResult:
    organisation: Organisation
    created: bool


@dataclass
class _Draft:
    """A person being generated, with what the model does not store (sex, for P/F teams)."""

    person: Person
    is_male: bool
    is_child: bool
    groups: list[str] = field(default_factory=list)
    groups_led: list[str] = field(default_factory=list)


def build_demo(*, seed: int = SEED, today: dt.date | None = None) -> DemoResult:
    """Load the demo organisations, people and logins, unless IK Demo already exists.

    Idempotent: when an organisation with the slug `ik-demo` exists, nothing is written
    and `created` is False. Otherwise everything is written in one transaction.
    """
    # Named escape hatch (STYLE.md § 3): the demo writes into three organisations at once.
    with scopes_disabled():
        existing = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if existing is not None:
            return DemoResult(existing, created=False)
        with transaction.atomic():
            organisation = _build(seed=seed, today=today or timezone.localdate())
        return DemoResult(organisation, created=True)


def _build(*, seed: int, today: dt.date) -> Organisation:
    actor = Actor.system("demo")
    federation = services.create_organisation(
        name="Demoförbundet",
        slug="demoforbundet",
        country="SE",
        organisation_number="802500-0004",
        admin_email=FEDERATION_ADMIN_EMAIL,
        actor=actor,
    ).organisation
    club = services.create_organisation(
        name="IK Demo",
        slug=DEMO_SLUG,
        country="SE",
        organisation_number="802004-2514",
        admin_email=ADMIN_EMAIL,
        parent=federation,
        actor=actor,
    ).organisation
    unit = services.create_organisation(
        name="IK Demo Ungdom",
        slug="ik-demo-ungdom",
        country="SE",
        admin_email=UNIT_ADMIN_EMAIL,
        parent=club,
        actor=actor,
    ).organisation
    Organisation.objects.filter(pk__in=[federation.pk, club.pk, unit.pk]).update(is_demo=True)
    club.is_demo = True

    rng = random.Random(seed)
    fake = Faker("sv_SE")
    fake.seed_instance(seed)

    fotboll, gymnastik = Section.objects.bulk_create(
        [
            Section(organisation=club, name="Fotboll", description="Barn- och ungdomsfotboll."),
            Section(organisation=club, name="Gymnastik", description="Gymnastik för alla åldrar."),
        ]
    )
    groups = _build_groups(club, fotboll, gymnastik, today)
    drafts, leader_draft, member_draft = _build_people(club, rng, fake, today)
    households = list({id(d.person.household): d.person.household for d in drafts}.values())
    Household.objects.bulk_create(households)
    ordinary = register.default_membership_type(club)
    numbers = iter(sequences.take(club, register.MEMBER_NUMBER_SEQUENCE, len(drafts)))
    for draft in drafts:
        person = draft.person
        person.member_number = next(numbers)
        person.membership_type = ordinary
        person.joined_on = person.status_since = today - dt.timedelta(days=rng.randrange(3650))
        person.gender = "male" if draft.is_male else "female"
        person.search_text = person.compute_search_text()
    Person.objects.bulk_create([draft.person for draft in drafts])
    for household in households:
        household.payer = next(
            d.person for d in drafts if d.person.household is household and not d.is_child
        )
    Household.objects.bulk_update(households, ["payer"])
    guardianships = _guardianships(club, drafts)
    Guardianship.objects.bulk_create(guardianships)
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(organisation=club, group=groups[name], person=draft.person)
            for draft in drafts
            for name in draft.groups
        ]
    )

    users = _build_users(
        {
            ADMIN_EMAIL: (fake.name(), club),
            FEDERATION_ADMIN_EMAIL: (fake.name(), federation),
            UNIT_ADMIN_EMAIL: (fake.name(), unit),
            LEADER_EMAIL: (leader_draft.person.full_name, club),
            MEMBER_EMAIL: (member_draft.person.full_name, club),
        }
    )
    Person.objects.filter(pk=leader_draft.person.pk).update(user=users[LEADER_EMAIL])
    Person.objects.filter(pk=member_draft.person.pk).update(user=users[MEMBER_EMAIL])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                organisation=club, user=users[LEADER_EMAIL], role=Role.LEADER, group=groups[name]
            )
            for name in leader_draft.groups_led
        ]
    )
    audit.record(
        actor,
        "core.demo.created",
        club,
        people=len(drafts),
        groups=len(groups),
        guardianships=len(guardianships),
    )
    return club


def _team_name(is_male: bool, birth_year: int) -> str:
    return f"{'P' if is_male else 'F'}{birth_year}"


def _build_groups(
    club: Organisation, fotboll: Section, gymnastik: Section, today: dt.date
) -> dict[str, Group]:
    groups = []
    for age in FOOTBALL_AGES:
        year = today.year - age
        groups.append(
            Group(
                organisation=club,
                section=fotboll,
                name=f"P{year}",
                description=f"Pojkar födda {year}.",
            )
        )
        groups.append(
            Group(
                organisation=club,
                section=fotboll,
                name=f"F{year}",
                description=f"Flickor födda {year}.",
            )
        )
    groups.append(
        Group(
            organisation=club, section=fotboll, name="Herrar", description="Seniorlag, division 6."
        )
    )
    groups.append(
        Group(
            organisation=club, section=fotboll, name="Damer", description="Seniorlag, division 4."
        )
    )
    for name, description, _youngest, _oldest in GYMNASTICS_CLASSES:
        groups.append(
            Group(organisation=club, section=gymnastik, name=name, description=description)
        )
    Group.objects.bulk_create(groups)
    return {group.name: group for group in groups}


class _PeopleMaker:
    """Generates households; every random choice comes from the seeded `rng` and `fake`."""

    def __init__(self, club: Organisation, rng: random.Random, fake: Faker, today: dt.date) -> None:
        self.club, self.rng, self.fake, self.today = club, rng, fake, today
        # A club draws its members from a few neighbouring towns.
        self.towns = [(fake.city(), fake.postcode()[:3]) for _ in range(4)]
        self.drafts: list[_Draft] = []
        self.households: list[Household] = []

    def household(
        self, *, adults: list[tuple[bool, int]], children: list[tuple[bool, int]]
    ) -> list[_Draft]:
        """Adults and children as (is_male, age this year), sharing an address and a key."""
        city, prefix = self.rng.choice(self.towns)
        address = {
            "street": self.fake.street_address(),
            "postal_code": f"{prefix} {self.rng.randrange(100):02d}",
            "city": city,
        }
        family_name = self.fake.last_name()
        household = Household(organisation=self.club, name=f"Familjen {family_name}", **address)
        self.households.append(household)
        members = []
        for index, (is_male, age) in enumerate(adults):
            last_name = (
                family_name if index == 0 or self.rng.random() < 0.7 else self.fake.last_name()
            )
            members.append(
                self._person(is_male, age, last_name, address, household, is_child=False)
            )
        for is_male, age in children:
            members.append(
                self._person(is_male, age, family_name, address, household, is_child=True)
            )
        self.drafts.extend(members)
        return members

    def _person(
        self,
        is_male: bool,
        age: int,
        last_name: str,
        address: dict[str, str],
        household: Household,
        *,
        is_child: bool,
    ) -> _Draft:
        first_name = self.fake.first_name_male() if is_male else self.fake.first_name_female()
        birth_date = dt.date(self.today.year - age, 1, 1) + dt.timedelta(
            days=self.rng.randrange(365)
        )
        has_phone = not is_child or (age >= 13 and self.rng.random() < 0.7)
        has_email = not is_child or (age >= 15 and self.rng.random() < 0.5)
        email = ""
        if has_email:
            local = f"{slugify(first_name)}.{slugify(last_name)}{self.rng.randrange(10, 100)}"
            email = f"{local}@{self.rng.choice(['example.com', 'example.net', 'example.org'])}"
        person = Person(
            organisation=self.club,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            email=email,
            # Swedish mobile numbers in E.164: +46 7x xxx xx xx.
            phone=f"+467{self.rng.choice('0236')}{self.rng.randrange(10**7):07d}"
            if has_phone
            else "",
            household=household,
            **address,
        )
        draft = _Draft(person=person, is_male=is_male, is_child=is_child)
        draft.groups = self._groups_for(is_male, age, is_child)
        return draft

    def _groups_for(self, is_male: bool, age: int, is_child: bool) -> list[str]:
        chosen = []
        if age in FOOTBALL_AGES and self.rng.random() < 0.75:
            chosen.append(_team_name(is_male, self.today.year - age))
        if not is_child and 18 <= age <= 35 and self.rng.random() < 0.15:
            chosen.append("Herrar" if is_male else "Damer")
        for name, _description, youngest, oldest in GYMNASTICS_CLASSES:
            chance = 0.12 if youngest >= 25 else 0.3
            if youngest <= age <= oldest and self.rng.random() < chance:
                chosen.append(name)
        return chosen

    def random_household(self) -> None:
        rng = self.rng
        kind = rng.random()
        if kind < 0.45:  # two parents with children
            parent_age = rng.randint(30, 52)
            adults = [(True, parent_age + rng.randint(-3, 3)), (False, parent_age)]
        elif kind < 0.60:  # one parent with children
            parent_age = rng.randint(28, 50)
            adults = [(rng.random() < 0.3, parent_age)]
        elif kind < 0.85:  # living alone
            self.household(adults=[(rng.random() < 0.5, rng.randint(18, 85))], children=[])
            return
        else:  # a couple without children at home
            age = rng.randint(24, 80)
            self.household(adults=[(True, age + rng.randint(-2, 4)), (False, age)], children=[])
            return
        oldest_child = min(17, parent_age - 22)
        children = [
            (rng.random() < 0.5, rng.randint(4, oldest_child))
            for _ in range(rng.choice([1, 2, 2, 3]))
        ]
        self.household(adults=adults, children=children)


def _build_people(
    club: Organisation, rng: random.Random, fake: Faker, today: dt.date
) -> tuple[list[_Draft], _Draft, _Draft]:
    maker = _PeopleMaker(club, rng, fake, today)
    # The member login: a parent with two children, one in a football team, one in gymnastics.
    member_family = maker.household(
        adults=[(False, 41), (True, 43)], children=[(True, 11), (False, 8)]
    )
    member_draft = member_family[0]
    member_family[2].groups = [_team_name(True, today.year - 11)]
    member_family[3].groups = ["Barngymnastik"]
    # The leader login: a parent coaching the team of their own child.
    leader_family = maker.household(adults=[(True, 39)], children=[(True, LEADER_TEAM_AGE)])
    leader_draft = leader_family[0]
    leader_draft.groups = []
    leader_family[1].groups = [_team_name(True, today.year - LEADER_TEAM_AGE)]
    leader_draft.groups_led = [
        _team_name(True, today.year - LEADER_TEAM_AGE),
        _team_name(False, today.year - LEADER_TEAM_AGE),
    ]
    while len(maker.drafts) < TARGET_PEOPLE:
        maker.random_household()
    return maker.drafts, leader_draft, member_draft


def _guardianships(club: Organisation, drafts: list[_Draft]) -> list[Guardianship]:
    """Every adult in a household is guardian of its children (all of whom are under 18)."""
    by_household: dict[int, list[_Draft]] = {}
    for draft in drafts:
        by_household.setdefault(id(draft.person.household), []).append(draft)
    return [
        Guardianship(organisation=club, guardian=adult.person, ward=child.person)
        for members in by_household.values()
        for adult in members
        if not adult.is_child
        for child in members
        if child.is_child
    ]


def _build_users(wanted: dict[str, tuple[str, Organisation]]) -> dict[str, User]:
    """The demo logins, with the demo password and a verified address.

    The administrators already exist (create_organisation made them without a password).
    """
    now = timezone.now()
    # One hash for all: the password is public anyway, and Argon2 is slow on purpose.
    password = make_password(DEMO_PASSWORD)
    existing = {user.email: user for user in User.objects.filter(email__in=wanted)}
    new = [User(email=email) for email in wanted if email not in existing]
    for user in [*existing.values(), *new]:
        full_name, organisation = wanted[user.email]
        user.full_name = full_name
        user.password = password
        user.email_verified_at = now
        user.language = "sv"
        user.last_organisation = organisation
    fields = ["full_name", "password", "email_verified_at", "language", "last_organisation"]
    User.objects.bulk_update(list(existing.values()), fields)
    User.objects.bulk_create(new)
    return {user.email: user for user in [*existing.values(), *new]}
