"""Planning a demo register's people, without the database: households, addresses, who is
an active member, a former member, deceased, applying, a contact or a company, and since
when.

Every choice comes from a seeded `random.Random` and `Faker`, so a seed, a `Shape` and a
day always give the same people. `demo.details` then decides the rest about them, and
`demo.register` writes them set-wise.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.text import slugify
from faker import Faker
from stdnum import luhn

from forening.core.models import MemberStatus, Organisation, Person, PersonKind
from forening.demo.shapes import LEADER_TEAM_AGE, Shape, team_name
from forening.households.models import Household
from forening.members.models import MembershipKind, NoteKind

LEAVE_REASONS = [
    "Flyttat från orten",
    "Slutat med idrotten",
    "Bytt till en annan förening",
    "Ekonomiska skäl",
    "Har inte tid längre",
    "Har inte betalat medlemsavgiften",
]
DECEASED_REASON = "Avliden"
LEAVING_NOTE = (NoteKind.EMAIL, "Uppsägning av medlemskap", "Säger upp medlemskapet.")


@dataclass(frozen=True)
class ConsentDraft:
    purpose: str
    given_at: dt.datetime
    source: str
    withdrawn_at: dt.datetime | None = None
    withdrawn_source: str = ""


@dataclass
class Draft:
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
    consents: list[ConsentDraft] = field(default_factory=list)
    # (from status, to status, effective on, reason), oldest first.
    history: list[tuple[str, str, dt.date, str]] = field(default_factory=list)
    notes: list[tuple[str, str, str, dt.datetime]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.person.status

    def age_on(self, day: dt.date) -> int:
        return self.person.age_on(day) or 0


@dataclass
class Plan:
    """An association's register, planned: everyone, and the people behind the leader and
    member logins (IK Demo only)."""

    drafts: list[Draft]
    leader: Draft | None = None
    member: Draft | None = None


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def moment(day: dt.date, rng: random.Random) -> dt.datetime:
    """A time during office hours on `day`, in the association's time zone."""
    naive = dt.datetime.combine(day, dt.time(rng.randint(8, 17), rng.randrange(60)))
    return timezone.make_aware(naive, timezone.get_default_timezone())


def at_nine(day: dt.date) -> dt.datetime:
    """Nine in the morning on `day`, in the association's time zone."""
    return timezone.make_aware(
        dt.datetime.combine(day, dt.time(9)), timezone.get_default_timezone()
    )


class _PeopleMaker:
    """Generates households; every random choice comes from the seeded `rng` and `fake`."""

    def __init__(
        self,
        organisation: Organisation,
        shape: Shape,
        rng: random.Random,
        fake: Faker,
        today: dt.date,
    ) -> None:
        self.organisation, self.shape = organisation, shape
        self.rng, self.fake, self.today = rng, fake, today
        self.towns = [(fake.city(), fake.postcode()[:3]) for _ in range(shape.towns)]
        self.drafts: list[Draft] = []
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
    ) -> list[Draft]:
        """Adults and children as (is_male, age this year), sharing an address and a key."""
        address = self.address()
        family_name = self.fake.last_name()
        household = Household(
            organisation=self.organisation, name=f"Familjen {family_name}", **address
        )
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
    ) -> Draft:
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
            organisation=self.organisation,
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
        draft = Draft(person=person, is_male=is_male, is_child=is_child)
        draft.groups = self._groups_for(is_male, age)
        return draft

    def mobile(self) -> str:
        return f"+467{self.rng.choice('0236')}{self.rng.randrange(10**7):07d}"

    def _groups_for(self, is_male: bool, age: int) -> list[str]:
        return [
            group.name
            for group in self.shape.groups
            if group.youngest <= age <= group.oldest
            and group.is_male in (None, is_male)
            and self.rng.random() < group.chance
        ]

    def random_household(self) -> list[Draft]:
        rng = self.rng
        two_parents, one_parent, alone = self.shape.households
        kind = rng.random()
        if kind < two_parents:
            parent_age = rng.randint(30, 52)
            adults = [(True, parent_age + rng.randint(-3, 3)), (False, parent_age)]
        elif kind < one_parent:
            parent_age = rng.randint(28, 50)
            adults = [(rng.random() < 0.3, parent_age)]
        elif kind < alone:
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

    def former_household(self) -> list[Draft]:
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

    def contact(self) -> Draft:
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

    def company(self, name: str, nine_digits: str) -> Draft:
        number = nine_digits + luhn.calc_check_digit(nine_digits)
        domain = slugify(name.replace("&", "och")).replace("-", "")[:20]
        person = Person(
            organisation=self.organisation,
            kind=PersonKind.ORGANISATION,
            organisation_name=name,
            organisation_number=f"{number[:6]}-{number[6:]}",
            contact_name=self.fake.name(),
            email=f"info@{domain}.example.se",
            phone=self.mobile(),
            **self.address(),
        )
        draft = Draft(person=person, is_male=False, is_child=False)
        self.drafts.append(draft)
        return draft

    def login_families(self) -> tuple[Draft, Draft]:
        """The leader and member logins' families; returns (leader, member)."""
        year = self.today.year
        # The member login: a parent with two children, one in a football team, one in
        # gymnastics.
        member_family = self.household(
            adults=[(False, 41), (True, 43)], children=[(True, 11), (False, 8)]
        )
        member_family[2].groups = [team_name(True, year - 11)]
        member_family[3].groups = ["Barngymnastik"]
        # The leader login: a parent coaching the team of their own child.
        leader_family = self.household(adults=[(True, 39)], children=[(True, LEADER_TEAM_AGE)])
        leader = leader_family[0]
        leader.groups = []
        leader_family[1].groups = [team_name(True, year - LEADER_TEAM_AGE)]
        leader.groups_led = [
            team_name(True, year - LEADER_TEAM_AGE),
            team_name(False, year - LEADER_TEAM_AGE),
        ]
        return leader, member_family[0]


def plan_people(
    organisation: Organisation, shape: Shape, rng: random.Random, fake: Faker, today: dt.date
) -> Plan:
    """Everyone in the register with a status and its dates: active members first (the
    logins among them), then former members, the deceased, applicants, contacts and
    companies."""
    maker = _PeopleMaker(organisation, shape, rng, fake, today)
    leader = member = None
    if shape.has_logins:
        leader, member = maker.login_families()
    while len(maker.drafts) < shape.active:
        maker.random_household()
    for draft in maker.drafts:
        _activate(draft, rng, today)

    former: list[Draft] = []
    while len(former) < shape.former:
        former += _leave(maker.former_household(), rng, today)
    for _ in range(shape.deceased):
        (draft,) = maker.household(adults=[(rng.random() < 0.5, rng.randint(74, 96))], children=[])
        _leave([draft], rng, today, deceased=True)

    applicants: list[Draft] = []
    while len(applicants) < shape.applicants:
        household = maker.random_household()
        applied_on = today - dt.timedelta(days=rng.randrange(1, 45))
        for draft in household:
            draft.groups = []
            draft.person.status = MemberStatus.APPLIED
            draft.person.status_since = applied_on
            draft.history = [("", MemberStatus.APPLIED, applied_on, "")]
        applicants += household

    for _ in range(shape.contacts):
        draft = maker.contact()
        draft.person.status = MemberStatus.CONTACT
        draft.person.status_since = today - dt.timedelta(days=rng.randrange(30, 2000))
        draft.membership_kind = None
        draft.history = [("", MemberStatus.CONTACT, draft.person.status_since, "")]

    for name, digits in shape.companies:
        draft = maker.company(name, digits)
        joined = today - dt.timedelta(days=rng.randrange(200, 3000))
        draft.person.joined_on = draft.person.status_since = joined
        draft.membership_kind = MembershipKind.SUPPORTING
        draft.history = [("", MemberStatus.ACTIVE, joined, "")]
    return Plan(drafts=maker.drafts, leader=leader, member=member)


def _activate(draft: Draft, rng: random.Random, today: dt.date) -> None:
    """An active member who joined some time in the last ten years, at 4 or older."""
    born = draft.person.birth_date or today
    earliest = max(today - dt.timedelta(days=3650), add_years(born, 4))
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
    household: list[Draft], rng: random.Random, today: dt.date, *, deceased: bool = False
) -> list[Draft]:
    """Former members (or the deceased): they joined, then left on one day with a reason."""
    left = today - dt.timedelta(days=rng.randrange(30, 8 * 365))
    youngest = max(draft.person.birth_date or today for draft in household)
    # Children were at least five when the family left.
    left = max(left, min(add_years(youngest, 5), today - dt.timedelta(days=7)))
    reason = DECEASED_REASON if deceased else rng.choice(LEAVE_REASONS)
    status = MemberStatus.DECEASED if deceased else MemberStatus.INACTIVE
    for draft in household:
        born = draft.person.birth_date or today
        joined = left - dt.timedelta(days=rng.randrange(180, 12 * 365))
        joined = max(joined, min(add_years(born, 4), left - dt.timedelta(days=30)))
        draft.groups = []
        person = draft.person
        person.status, person.status_since = status, left
        person.joined_on, person.left_on, person.leave_reason = joined, left, reason
        draft.history = [
            ("", MemberStatus.ACTIVE, joined, ""),
            (MemberStatus.ACTIVE, status, left, reason),
        ]
        if not deceased and rng.random() < 0.3:
            draft.notes.append((*LEAVING_NOTE, moment(left - dt.timedelta(days=3), rng)))
    return household
