"""The demo installation: a federation, a sports club with ~600 members, a local unit.

`build_demo()` is what `forening demo` (and so `make run`) loads. The data is made up
with Faker("sv_SE") and a fixed seed, so two fresh databases get the same people on the
same day (birth years follow the current year, so the teams stay age-appropriate).
Every demo login has the password DEMO_PASSWORD; it exists only where the demo was loaded.

Besides the ~600 active members in households and teams, IK Demo has what makes every
register screen show something real: a few hundred former members (with reasons, a few
deceased), applications waiting for approval, contacts who are not members, companies as
supporting members, membership types, custom fields, tags, consents given and withdrawn,
identity numbers, status history and a correspondence log. Everything is planned first
without the database (`_plan`, deterministic for a seed and a day) and then written
set-wise (`bulk_create`), not through per-person service calls.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import scopes_disabled
from faker import Faker
from stdnum import luhn

from forening.core import audit, sequences
from forening.core.context import Actor
from forening.core.models import (
    Group,
    GroupMembership,
    GroupRole,
    Guardianship,
    MemberStatus,
    Organisation,
    Person,
    PersonKind,
    Role,
    RoleAssignment,
    Section,
    User,
)
from forening.demo.billing import build_billing
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
    Note,
    NoteKind,
    StatusChange,
    Tag,
    Tagging,
)
from forening.members.status import MEMBER_STATUSES
from forening.office import onboarding

DEMO_SLUG = "ik-demo"
DEMO_PASSWORD = "demo-forening-2026"  # noqa: S105 - documented in README.md, demo data only
SEED = 2026
TARGET_PEOPLE = 600  # active members
FORMER_MEMBERS = 260  # inactive, plus DECEASED
DECEASED = 6
APPLICANTS = 20  # at least; whole households apply, so up to 24
CONTACTS = 12
IDENTITY_SHARE = 0.85  # of members, former members and applicants

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

ALLERGIES = "Allergier"
FIRST_AID = "Första hjälpen-kurs"
COACH_LICENCE = "Tränarlicens"
SHIRT_SIZE = "Tröjstorlek"
# (name, kind, options as (key, label), help text)
ATTRIBUTES: list[tuple[str, str, list[tuple[str, str]], str]] = [
    (
        ALLERGIES,
        AttributeKind.MULTIPLE_CHOICE,
        [
            ("gluten", "Gluten"),
            ("laktos", "Laktos"),
            ("notter", "Nötter"),
            ("agg", "Ägg"),
            ("fisk", "Fisk"),
        ],
        "Allergier och specialkost, inför läger och cuper.",
    ),
    (FIRST_AID, AttributeKind.DATE, [], "Datum för senast genomförda kurs i första hjälpen."),
    (COACH_LICENCE, AttributeKind.BOOLEAN, [], "Har gått förbundets tränarutbildning."),
    (
        SHIRT_SIZE,
        AttributeKind.CHOICE,
        [
            ("120", "120"),
            ("140", "140"),
            ("160", "160"),
            ("xs", "XS"),
            ("s", "S"),
            ("m", "M"),
            ("l", "L"),
            ("xl", "XL"),
        ],
        "",
    ),
]

PHOTOS = "Bilder på webbplatsen"
NEWSLETTER = "Nyhetsbrev"
CONSENT_PURPOSES = [
    (
        PHOTOS,
        "Bilder från träningar, matcher och uppvisningar får visas på klubbens webbplats "
        "och i sociala medier.",
    ),
    (NEWSLETTER, "Klubbens nyhetsbrev med e-post, ungefär en gång i månaden."),
]

BOARD, REFEREE, VOLUNTEER_LEADER = "Styrelsen", "Domare", "Ideell ledare"
TAGS = [BOARD, REFEREE, VOLUNTEER_LEADER]

LEAVE_REASONS = [
    "Flyttat från orten",
    "Slutat med idrotten",
    "Bytt till en annan förening",
    "Ekonomiska skäl",
    "Har inte tid längre",
    "Har inte betalat medlemsavgiften",
]
DECEASED_REASON = "Avliden"
PAUSE_REASONS = ["Föräldraledighet", "Studier utomlands", "Skadad, uppehåll"]

# (kind, subject, body) of the correspondence log.
NOTES = [
    (NoteKind.PHONE, "Samtal om medlemsavgiften", "Frågade om familjeavgiften gäller alla barn."),
    (NoteKind.EMAIL, "Fråga om träningstider", "Vill veta när höstterminen börjar."),
    (NoteKind.NOTE, "Allergi inför lägret", "Meddelat allergi; köket på lägergården informerat."),
    (NoteKind.MEETING, "Samtal om ledaruppdrag", "Intresserad av att bli hjälpledare i sommar."),
    (NoteKind.LETTER, "Välkomstbrev skickat", "Välkomstbrev och stadgar skickade per post."),
    (NoteKind.EMAIL, "Ny adress", "Meddelade ny adress efter flytt inom orten."),
    (NoteKind.PHONE, "Påminnelse om avgift", "Lovade att betala före månadsskiftet."),
]
LEAVING_NOTE = (NoteKind.EMAIL, "Uppsägning av medlemskap", "Säger upp medlemskapet.")
APPLICATION_NOTE = (NoteKind.NOTE, "Ansökan via webbformulär", "Ansökan inkommen via webben.")

# Supporting members that are companies: (name, 9 digits of the organisation number).
COMPANIES = [
    ("Demo Bygg & Måleri AB", "559301441"),
    ("Sportbutiken i Demo AB", "559112780"),
    ("Demo Sparbank", "516401953"),
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


@dataclass(frozen=True)
class _ConsentDraft:
    purpose: str
    given_at: dt.datetime
    source: str
    withdrawn_at: dt.datetime | None = None
    withdrawn_source: str = ""


@dataclass
class _Draft:
    """A person being generated, with what the model does not store directly (sex, for P/F
    teams) and what goes into other tables (groups, history, custom fields, consents)."""

    person: Person
    is_male: bool
    is_child: bool
    groups: list[str] = field(default_factory=list)
    groups_led: list[str] = field(default_factory=list)
    # Group name → leader or assistant (participants are in `groups`).
    group_roles: dict[str, str] = field(default_factory=dict)
    membership_kind: str | None = MembershipKind.ORDINARY
    identity_number: str = ""  # normal form, "" for none
    receives_invoices: bool = False  # for the household, instead of the payer
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    consents: list[_ConsentDraft] = field(default_factory=list)
    # (from status, to status, effective on, reason), oldest first.
    history: list[tuple[str, str, dt.date, str]] = field(default_factory=list)
    notes: list[tuple[str, str, str, dt.datetime]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.person.status

    def age_on(self, day: dt.date) -> int:
        return self.person.age_on(day) or 0


@dataclass
class _Plan:
    drafts: list[_Draft]
    leader: _Draft
    member: _Draft


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
    federation = onboarding.create_organisation(
        name="Demoförbundet",
        slug="demoforbundet",
        country="SE",
        organisation_number="802500-0004",
        admin_email=FEDERATION_ADMIN_EMAIL,
        actor=actor,
    ).organisation
    club = onboarding.create_organisation(
        name="IK Demo",
        slug=DEMO_SLUG,
        country="SE",
        organisation_number="802004-2514",
        admin_email=ADMIN_EMAIL,
        parent=federation,
        actor=actor,
    ).organisation
    unit = onboarding.create_organisation(
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
    plan = _plan(club, rng, fake, today)
    drafts = plan.drafts
    people = _write_people(club, drafts, today)
    guardianships = _guardianships(club, drafts)
    Guardianship.objects.bulk_create(guardianships)
    GroupMembership.objects.bulk_create(
        [
            GroupMembership(organisation=club, group=groups[name], person=draft.person)
            for draft in drafts
            for name in draft.groups
        ]
        + [
            GroupMembership(organisation=club, group=groups[name], person=draft.person, role=role)
            for draft in drafts
            for name, role in draft.group_roles.items()
        ]
    )

    users = _build_users(
        {
            ADMIN_EMAIL: (fake.name(), club),
            FEDERATION_ADMIN_EMAIL: (fake.name(), federation),
            UNIT_ADMIN_EMAIL: (fake.name(), unit),
            LEADER_EMAIL: (plan.leader.person.full_name, club),
            MEMBER_EMAIL: (plan.member.person.full_name, club),
        }
    )
    Person.objects.filter(pk=plan.leader.person.pk).update(user=users[LEADER_EMAIL])
    Person.objects.filter(pk=plan.member.person.pk).update(user=users[MEMBER_EMAIL])
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                organisation=club, user=users[LEADER_EMAIL], role=Role.LEADER, group=groups[name]
            )
            for name in plan.leader.groups_led
        ]
    )
    counts = _write_register_details(club, drafts, admin=users[ADMIN_EMAIL])
    audit.record(
        actor,
        "core.demo.created",
        club,
        people=people,
        groups=len(groups),
        guardianships=len(guardianships),
        **counts,
    )
    build_billing(club, rng=rng, today=today, actor=actor)
    return club


# --- planning (no database) --------------------------------------------------------------


def _plan(club: Organisation, rng: random.Random, fake: Faker, today: dt.date) -> _Plan:
    """Everyone in IK Demo and everything about them, decided by `rng` and `fake` alone."""
    drafts, leader, member = _build_people(club, rng, fake, today)
    _RegisterDetails(drafts, leader, rng, today).fill()
    return _Plan(drafts=drafts, leader=leader, member=member)


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


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class _PeopleMaker:
    """Generates households; every random choice comes from the seeded `rng` and `fake`."""

    def __init__(self, club: Organisation, rng: random.Random, fake: Faker, today: dt.date) -> None:
        self.club, self.rng, self.fake, self.today = club, rng, fake, today
        # A club draws its members from a few neighbouring towns.
        self.towns = [(fake.city(), fake.postcode()[:3]) for _ in range(4)]
        self.drafts: list[_Draft] = []
        self.households: list[Household] = []

    def address(self) -> dict[str, str]:
        city, prefix = self.rng.choice(self.towns)
        return {
            "street": self.fake.street_address(),
            "postal_code": f"{prefix} {self.rng.randrange(100):02d}",
            "city": city,
        }

    def household(
        self, *, adults: list[tuple[bool, int]], children: list[tuple[bool, int]]
    ) -> list[_Draft]:
        """Adults and children as (is_male, age this year), sharing an address and a key."""
        address = self.address()
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
        household: Household | None,
        *,
        is_child: bool,
    ) -> _Draft:
        first_name = self.fake.first_name_male() if is_male else self.fake.first_name_female()
        birth_date = dt.date(self.today.year - age, 1, 1) + dt.timedelta(
            days=self.rng.randrange(365)
        )
        birth_date = min(birth_date, self.today)
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
            gender="male" if is_male else "female",
            email=email,
            # Swedish mobile numbers in E.164: +46 7x xxx xx xx.
            phone=self.mobile() if has_phone else "",
            household=household,
            **address,
        )
        draft = _Draft(person=person, is_male=is_male, is_child=is_child)
        draft.groups = self._groups_for(is_male, age, is_child)
        return draft

    def mobile(self) -> str:
        return f"+467{self.rng.choice('0236')}{self.rng.randrange(10**7):07d}"

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

    def random_household(self) -> list[_Draft]:
        rng = self.rng
        kind = rng.random()
        if kind < 0.45:  # two parents with children
            parent_age = rng.randint(30, 52)
            adults = [(True, parent_age + rng.randint(-3, 3)), (False, parent_age)]
        elif kind < 0.60:  # one parent with children
            parent_age = rng.randint(28, 50)
            adults = [(rng.random() < 0.3, parent_age)]
        elif kind < 0.85:  # living alone
            return self.household(adults=[(rng.random() < 0.5, rng.randint(18, 85))], children=[])
        else:  # a couple without children at home
            age = rng.randint(24, 80)
            return self.household(
                adults=[(True, age + rng.randint(-2, 4)), (False, age)], children=[]
            )
        oldest_child = min(17, parent_age - 22)
        children = [
            (rng.random() < 0.5, rng.randint(4, oldest_child))
            for _ in range(rng.choice([1, 2, 2, 3]))
        ]
        return self.household(adults=adults, children=children)

    def former_household(self) -> list[_Draft]:
        """A household that left the club: children old enough to have been members."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.5:
            return self.household(adults=[(rng.random() < 0.5, rng.randint(20, 85))], children=[])
        if kind < 0.7:
            age = rng.randint(25, 80)
            return self.household(
                adults=[(True, age + rng.randint(-2, 3)), (False, age)], children=[]
            )
        parent_age = rng.randint(36, 55)
        adults = [(True, parent_age + rng.randint(-3, 3)), (False, parent_age)][
            : rng.choice([1, 2, 2])
        ]
        children = [(rng.random() < 0.5, rng.randint(10, 17)) for _ in range(rng.choice([1, 2]))]
        return self.household(adults=adults, children=children)

    def contact(self) -> _Draft:
        """Someone the club knows who is not a member: a parent, a sponsor's contact."""
        is_male = self.rng.random() < 0.5
        draft = self._person(
            is_male,
            self.rng.randint(25, 70),
            self.fake.last_name(),
            self.address(),
            None,
            is_child=False,
        )
        draft.person.phone = draft.person.phone or self.mobile()
        if not draft.person.email:
            draft.person.email = f"{slugify(draft.person.first_name)}@example.com"
        draft.groups = []
        self.drafts.append(draft)
        return draft

    def company(self, name: str, nine_digits: str) -> _Draft:
        number = nine_digits + luhn.calc_check_digit(nine_digits)
        domain = slugify(name.replace("&", "och")).replace("-", "")[:20]
        person = Person(
            organisation=self.club,
            kind=PersonKind.ORGANISATION,
            organisation_name=name,
            organisation_number=f"{number[:6]}-{number[6:]}",
            contact_name=self.fake.name(),
            email=f"info@{domain}.example.se",
            phone=self.mobile(),
            **self.address(),
        )
        draft = _Draft(person=person, is_male=False, is_child=False)
        self.drafts.append(draft)
        return draft


def _build_people(
    club: Organisation, rng: random.Random, fake: Faker, today: dt.date
) -> tuple[list[_Draft], _Draft, _Draft]:
    """Everyone in the register with a status and its dates: active members first (the
    logins among them), then former members, the deceased, applicants, contacts and
    companies."""
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
    for draft in maker.drafts:
        _activate(draft, rng, today)

    former: list[_Draft] = []
    while len(former) < FORMER_MEMBERS:
        former += _leave(maker.former_household(), rng, today)
    for _ in range(DECEASED):
        (draft,) = maker.household(adults=[(rng.random() < 0.5, rng.randint(74, 96))], children=[])
        _leave([draft], rng, today, deceased=True)

    applicants: list[_Draft] = []
    while len(applicants) < APPLICANTS:
        household = maker.random_household()
        applied_on = today - dt.timedelta(days=rng.randrange(1, 45))
        for draft in household:
            draft.groups = []
            draft.person.status = MemberStatus.APPLIED
            draft.person.status_since = applied_on
            draft.history = [("", MemberStatus.APPLIED, applied_on, "")]
        applicants += household

    for _ in range(CONTACTS):
        draft = maker.contact()
        draft.person.status = MemberStatus.CONTACT
        draft.person.status_since = today - dt.timedelta(days=rng.randrange(30, 2000))
        draft.membership_kind = None
        draft.history = [("", MemberStatus.CONTACT, draft.person.status_since, "")]

    for name, digits in COMPANIES:
        draft = maker.company(name, digits)
        joined = today - dt.timedelta(days=rng.randrange(200, 3000))
        draft.person.joined_on = draft.person.status_since = joined
        draft.membership_kind = MembershipKind.SUPPORTING
        draft.history = [("", MemberStatus.ACTIVE, joined, "")]
    return maker.drafts, leader_draft, member_draft


def _activate(draft: _Draft, rng: random.Random, today: dt.date) -> None:
    """An active member who joined some time in the last ten years, at 4 or older."""
    born = draft.person.birth_date or today
    earliest = max(today - dt.timedelta(days=3650), _add_years(born, 4))
    earliest = min(earliest, today)
    joined = earliest + dt.timedelta(days=rng.randrange((today - earliest).days + 1))
    draft.person.status = MemberStatus.ACTIVE
    draft.person.joined_on = draft.person.status_since = joined
    if rng.random() < 0.3 and joined > earliest + dt.timedelta(days=20):
        applied = joined - dt.timedelta(days=rng.randrange(3, 20))
        draft.history = [
            ("", MemberStatus.APPLIED, applied, ""),
            (MemberStatus.APPLIED, MemberStatus.ACTIVE, joined, ""),
        ]
    else:
        draft.history = [("", MemberStatus.ACTIVE, joined, "")]


def _leave(
    household: list[_Draft], rng: random.Random, today: dt.date, *, deceased: bool = False
) -> list[_Draft]:
    """Former members (or the deceased): they joined, then left on one day with a reason."""
    left = today - dt.timedelta(days=rng.randrange(30, 8 * 365))
    youngest = max(draft.person.birth_date or today for draft in household)
    # Children were at least five when the family left.
    left = max(left, min(_add_years(youngest, 5), today - dt.timedelta(days=7)))
    reason = DECEASED_REASON if deceased else rng.choice(LEAVE_REASONS)
    status = MemberStatus.DECEASED if deceased else MemberStatus.INACTIVE
    for draft in household:
        born = draft.person.birth_date or today
        joined = left - dt.timedelta(days=rng.randrange(180, 12 * 365))
        joined = max(joined, min(_add_years(born, 4), left - dt.timedelta(days=30)))
        draft.groups = []
        person = draft.person
        person.status, person.status_since = status, left
        person.joined_on, person.left_on, person.leave_reason = joined, left, reason
        draft.history = [
            ("", MemberStatus.ACTIVE, joined, ""),
            (MemberStatus.ACTIVE, status, left, reason),
        ]
        if not deceased and rng.random() < 0.3:
            draft.notes.append((*LEAVING_NOTE, _moment(left - dt.timedelta(days=3), rng)))
    return household


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A time during office hours on `day`, in the club's time zone."""
    naive = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randrange(60)))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def _at_nine(day: dt.date) -> dt.datetime:
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(9)), timezone.get_default_timezone()
    )


class _RegisterDetails:
    """Membership types, identity numbers, leaders, tags, custom fields, consents, returns
    after a pause and notes, for drafts that already have their status and dates."""

    def __init__(
        self, drafts: list[_Draft], leader: _Draft, rng: random.Random, today: dt.date
    ) -> None:
        self.drafts, self.leader, self.rng, self.today = drafts, leader, rng, today
        self.people = [d for d in drafts if d.person.kind == PersonKind.PERSON]
        self.active = [d for d in self.people if d.status == MemberStatus.ACTIVE]
        self.yesterday = today - dt.timedelta(days=1)

    def fill(self) -> None:
        self.invoice_recipients()
        self.membership_types()
        self.identity_numbers()
        self.leaders()
        self.tags()
        self.custom_fields()
        self.consents()
        self.pauses()
        self.notes()

    def adults(self, low: int = 18, high: int = 120) -> list[_Draft]:
        return [d for d in self.active if low <= d.age_on(self.today) <= high]

    def invoice_recipients(self) -> None:
        """In some families the invoices go to the other parent, not to the payer."""
        households: dict[int, list[_Draft]] = {}
        for draft in self.people:
            if draft.person.household is not None and not draft.is_child:
                households.setdefault(id(draft.person.household), []).append(draft)
        for adults in households.values():
            if len(adults) > 1 and self.rng.random() < 0.15:
                adults[1].receives_invoices = True

    def membership_types(self) -> None:
        rng = self.rng
        households: dict[int, list[_Draft]] = {}
        for draft in self.people:
            if draft.status == MemberStatus.CONTACT:
                continue
            households.setdefault(id(draft.person.household), []).append(draft)
        for members in households.values():
            if any(d.is_child for d in members) and rng.random() < 0.4:
                for draft in members:
                    draft.membership_kind = MembershipKind.FAMILY
        for draft in self.adults():
            if draft.membership_kind != MembershipKind.ORDINARY:
                continue
            if not draft.groups and rng.random() < 0.2:
                draft.membership_kind = MembershipKind.PASSIVE
        elders = [d for d in self.adults(65) if d.membership_kind == MembershipKind.ORDINARY]
        for draft in rng.sample(elders, min(5, len(elders))):
            draft.membership_kind = MembershipKind.HONORARY
        supporters = [d for d in self.adults(30) if d.membership_kind == MembershipKind.PASSIVE]
        for draft in rng.sample(supporters, min(4, len(supporters))):
            draft.membership_kind = MembershipKind.SUPPORTING

    def identity_numbers(self) -> None:
        """Valid personnummer for most people, matching their birth dates and genders."""
        used: set[str] = set()
        for draft in self.people:
            if draft.status == MemberStatus.CONTACT or self.rng.random() >= IDENTITY_SHARE:
                continue
            born = draft.person.birth_date
            assert born is not None  # noqa: S101 - every generated person has one
            while True:
                # The third digit of the birth number is odd for men, even for women.
                third = self.rng.choice("13579" if draft.is_male else "02468")
                serial = f"{self.rng.randrange(100):02d}{third}"
                if serial == "000":
                    continue
                short = f"{born:%y%m%d}{serial}"
                number = f"{born:%Y%m%d}-{serial}{luhn.calc_check_digit(short)}"
                if number not in used:
                    break
            used.add(number)
            draft.identity_number = number

    def leaders(self) -> None:
        """A leader (and sometimes an assistant) for every group: parents of the players in
        the youth teams, adults for the others. The leader login leads their two teams."""
        rng = self.rng
        for name in self.leader.groups_led:
            self.leader.group_roles[name] = GroupRole.LEADER
        participants: dict[str, list[_Draft]] = {}
        for draft in self.active:
            for name in draft.groups:
                participants.setdefault(name, []).append(draft)
        adults = self.adults(20, 65)
        for name in sorted(participants):
            if name in self.leader.groups_led:
                continue
            players = participants[name]
            if all(d.is_child for d in players):
                homes = {id(d.person.household) for d in players}
                candidates = [
                    d for d in adults if id(d.person.household) in homes and not d.is_child
                ]
            else:
                candidates = [d for d in adults if name not in d.groups]
            candidates = [d for d in candidates if name not in d.group_roles]
            if not candidates:
                candidates = [d for d in adults if name not in d.groups]
            chosen = rng.sample(candidates, min(len(candidates), 2 if rng.random() < 0.5 else 1))
            for draft, role in zip(chosen, (GroupRole.LEADER, GroupRole.ASSISTANT), strict=False):
                draft.group_roles[name] = role

    def tags(self) -> None:
        rng = self.rng
        for draft in self.active:
            if draft.group_roles:
                draft.tags.append(VOLUNTEER_LEADER)
        for draft in rng.sample(self.adults(30, 70), 7):
            draft.tags.append(BOARD)
        for draft in rng.sample(self.adults(15, 55), 10):
            draft.tags.append(REFEREE)

    def custom_fields(self) -> None:
        rng = self.rng
        allergies = [key for key, _label in ATTRIBUTES[0][2]]
        for draft in self.people:
            member = draft.status in (MemberStatus.ACTIVE, MemberStatus.APPLIED)
            if member and rng.random() < 0.12:
                draft.attributes[ALLERGIES] = rng.sample(allergies, rng.choice([1, 1, 2]))
            if draft.groups and rng.random() < 0.7:
                draft.attributes[SHIRT_SIZE] = self.shirt_size(draft.age_on(self.today))
            if draft.group_roles or BOARD in draft.tags:
                draft.attributes[COACH_LICENCE] = rng.random() < 0.7
                if rng.random() < 0.8:
                    days_ago = rng.randrange(20, 4 * 365)
                    draft.attributes[FIRST_AID] = self.today - dt.timedelta(days=days_ago)

    def shirt_size(self, age: int) -> str:
        if age < 9:
            return "120"
        if age < 12:
            return "140"
        if age < 15:
            return "160"
        return self.rng.choice(["xs", "s", "m", "m", "l", "l", "xl"])

    def consents(self) -> None:
        rng = self.rng
        for draft in self.people:
            status = draft.status
            if status == MemberStatus.CONTACT:
                continue
            start = draft.history[0][2]
            if status == MemberStatus.APPLIED:
                if rng.random() < 0.6:
                    for purpose in (PHOTOS, NEWSLETTER):
                        moment = _moment(start, rng)
                        draft.consents.append(_ConsentDraft(purpose, moment, ConsentSource.FORM))
                continue
            end = draft.person.left_on or self.yesterday
            for purpose, share in ((PHOTOS, 0.75), (NEWSLETTER, 0.55)):
                if purpose == NEWSLETTER and not draft.person.email:
                    continue
                if rng.random() >= share:
                    continue
                draft.consents += self.consent_history(purpose, start, end, status)

    def consent_history(
        self, purpose: str, start: dt.date, end: dt.date, status: str
    ) -> list[_ConsentDraft]:
        """Given once; sometimes withdrawn (always when someone left and it was the
        newsletter); sometimes given again after a withdrawal."""
        rng = self.rng
        sources = [ConsentSource.FORM, ConsentSource.FORM, ConsentSource.OFFICE]
        sources.append(ConsentSource.PORTAL)
        given = self.between(start, end)
        source = rng.choice(sources)
        leaving = status != MemberStatus.ACTIVE and purpose == NEWSLETTER
        if not leaving and rng.random() >= 0.1:
            return [_ConsentDraft(purpose, _moment(given, rng), source)]
        withdrawn = end if leaving else self.between(given, end)
        first = _ConsentDraft(
            purpose,
            _moment(given, rng),
            source,
            withdrawn_at=_moment(withdrawn, rng),
            withdrawn_source=rng.choice([ConsentSource.PORTAL, ConsentSource.OFFICE]),
        )
        if leaving or rng.random() >= 0.3 or withdrawn >= end:
            return [first]
        again = self.between(withdrawn + dt.timedelta(days=1), end)
        return [first, _ConsentDraft(purpose, _moment(again, rng), ConsentSource.PORTAL)]

    def between(self, first: dt.date, last: dt.date) -> dt.date:
        last = min(last, self.yesterday)
        if last <= first:
            return min(first, self.yesterday)
        return first + dt.timedelta(days=self.rng.randrange((last - first).days + 1))

    def pauses(self) -> None:
        """A few members left for a while and came back: same data, same member number."""
        rng = self.rng
        long_standing = [
            d
            for d in self.adults(25)
            if d.person.joined_on and (self.today - d.person.joined_on).days > 5 * 365
        ]
        for draft in rng.sample(long_standing, min(10, len(long_standing))):
            joined = draft.person.joined_on
            assert joined is not None  # noqa: S101 - chosen for it
            paused = joined + dt.timedelta(days=rng.randrange(365, 3 * 365))
            back = paused + dt.timedelta(days=rng.randrange(120, 700))
            back = min(back, self.yesterday)
            reason = rng.choice(PAUSE_REASONS)
            draft.history += [
                (MemberStatus.ACTIVE, MemberStatus.INACTIVE, paused, reason),
                (MemberStatus.INACTIVE, MemberStatus.ACTIVE, back, ""),
            ]
            draft.person.status_since = back

    def notes(self) -> None:
        rng = self.rng
        members = [d for d in self.people if d.status == MemberStatus.ACTIVE]
        for draft in rng.sample(members, 40):
            kind, subject, body = rng.choice(NOTES)
            start = draft.person.joined_on or self.yesterday
            draft.notes.append((kind, subject, body, _moment(self.between(start, self.today), rng)))
        for draft in self.people:
            if draft.status == MemberStatus.APPLIED and not draft.is_child:
                draft.notes.append((*APPLICATION_NOTE, _moment(draft.history[0][2], rng)))


# --- writing (set-wise) -------------------------------------------------------------------


def _write_people(club: Organisation, drafts: list[_Draft], today: dt.date) -> int:
    """Households, people (member numbers in joining order, identity numbers encrypted
    like the services do) and each household's payer and invoice recipient."""
    households = list(
        {
            id(d.person.household): d.person.household
            for d in drafts
            if d.person.household is not None
        }.values()
    )
    Household.objects.bulk_create(households)
    types = {t.kind: t for t in MembershipType.objects.filter(organisation=club)}
    members = sorted(
        (d for d in drafts if d.status in MEMBER_STATUSES),
        key=lambda d: d.person.joined_on or today,
    )
    numbers = iter(sequences.take(club, register.MEMBER_NUMBER_SEQUENCE, len(members)))
    for draft in members:
        draft.person.member_number = next(numbers)
    for draft in drafts:
        person = draft.person
        person.membership_type = types.get(draft.membership_kind) if draft.membership_kind else None
        if draft.identity_number:
            number = identity.parse(draft.identity_number, "SE", today=today)
            for name, value in register.identity_number_columns(club, number).items():
                setattr(person, name, value)
        person.search_text = person.compute_search_text()
    Person.objects.bulk_create([draft.person for draft in drafts], batch_size=500)

    by_household: dict[int, list[_Draft]] = {}
    for draft in drafts:
        if draft.person.household is not None:
            by_household.setdefault(id(draft.person.household), []).append(draft)
    for household in households:
        adults = [d for d in by_household[id(household)] if not d.is_child]
        household.payer = adults[0].person
        household.invoice_recipient = next((d.person for d in adults if d.receives_invoices), None)
    Household.objects.bulk_update(households, ["payer", "invoice_recipient"])
    return len(drafts)


def _write_register_details(
    club: Organisation, drafts: list[_Draft], *, admin: User
) -> dict[str, Any]:
    """Custom fields, tags, consents, status history and notes, each in one insert."""
    definitions = AttributeDefinition.objects.bulk_create(
        AttributeDefinition(
            organisation=club,
            name=name,
            kind=kind,
            options=[{"key": key, "label": label} for key, label in options],
            help_text=help_text,
            position=position,
        )
        for position, (name, kind, options, help_text) in enumerate(ATTRIBUTES)
    )
    by_name = {definition.name: definition for definition in definitions}
    values = []
    for draft in drafts:
        for name, value in draft.attributes.items():
            row = AttributeValue(organisation=club, person=draft.person, attribute=by_name[name])
            attribute_values.write_value(row, value)
            values.append(row)
    AttributeValue.objects.bulk_create(values, batch_size=1000)

    tags = {
        tag.name: tag
        for tag in Tag.objects.bulk_create(Tag(organisation=club, name=n) for n in TAGS)
    }
    taggings = [
        Tagging(organisation=club, tag=tags[name], person=draft.person)
        for draft in drafts
        for name in draft.tags
    ]
    Tagging.objects.bulk_create(taggings)

    purposes = {
        purpose.name: purpose
        for purpose in ConsentPurpose.objects.bulk_create(
            ConsentPurpose(organisation=club, name=name, description=text, position=position)
            for position, (name, text) in enumerate(CONSENT_PURPOSES)
        )
    }
    consents = [
        Consent(
            organisation=club,
            person=draft.person,
            purpose=purposes[consent.purpose],
            given_at=consent.given_at,
            given_source=consent.source,
            given_by_label=ADMIN_EMAIL if consent.source == ConsentSource.OFFICE else "",
            withdrawn_at=consent.withdrawn_at,
            withdrawn_source=consent.withdrawn_source,
            withdrawn_by_label=(
                ADMIN_EMAIL if consent.withdrawn_source == ConsentSource.OFFICE else ""
            ),
        )
        for draft in drafts
        for consent in draft.consents
    ]
    Consent.objects.bulk_create(consents, batch_size=1000)

    now = timezone.now()
    history = [
        StatusChange(
            organisation=club,
            person=draft.person,
            from_status=from_status,
            to_status=to_status,
            effective_on=on,
            reason=reason,
            changed_by=admin,
            changed_by_label=ADMIN_EMAIL,
            created_at=min(now, _at_nine(on)),
        )
        for draft in drafts
        for from_status, to_status, on, reason in draft.history
    ]
    StatusChange.objects.bulk_create(history, batch_size=1000)

    notes = [
        Note(
            organisation=club,
            person=draft.person,
            kind=kind,
            subject=subject,
            body=body,
            created_by=admin,
            created_by_label=ADMIN_EMAIL,
            created_at=moment,
        )
        for draft in drafts
        for kind, subject, body, moment in draft.notes
    ]
    Note.objects.bulk_create(notes)
    return {
        "custom_field_values": len(values),
        "taggings": len(taggings),
        "consents": len(consents),
        "status_changes": len(history),
        "notes": len(notes),
    }


def _guardianships(club: Organisation, drafts: list[_Draft]) -> list[Guardianship]:
    """Every adult in a household is guardian of its children (all of whom are under 18)."""
    by_household: dict[int, list[_Draft]] = {}
    for draft in drafts:
        if draft.person.household is not None:
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
