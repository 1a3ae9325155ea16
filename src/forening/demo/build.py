"""The demo installation: a federation, a sports club with ~600 members, a local unit.

`build_demo()` is what `forening demo` (and so `make run`) loads. The data is made up
with Faker("sv_SE") and a fixed seed, so two fresh databases get the same people on the
same day (birth years follow the current year, so the teams stay age-appropriate).
Every demo login has the password DEMO_PASSWORD; it exists only where the demo was loaded.

Besides the ~600 active members in households and teams, IK Demo has what makes every
register screen show something real: a few hundred former members (with reasons, a few
deceased), applications waiting for approval, contacts who are not members, companies as
supporting members, membership types, custom fields, tags, consents given and withdrawn,
identity numbers, status history, a correspondence log and a year of invoicing. Its
local unit, IK Demo Ungdom, has a small register of its own: a few families in two
groups, and a family applying. Each register is planned first without the database
(`demo.people`, `demo.details`, deterministic for a seed and a day, in the size its
`demo.shapes.Shape` says) and then written set-wise (`demo.register`).

The demo is history up to today: its reminders were sent, its invoices e-mailed, and
today's daily jobs count as done, so the first `forening serve` has nothing to send.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled
from faker import Faker

from forening.core import audit, scheduler
from forening.core.context import Actor
from forening.core.models import Organisation, Role, RoleAssignment, ScheduledRun, User
from forening.demo import details, shapes
from forening.demo.billing import build_billing
from forening.demo.register import write_register
from forening.office import onboarding

DEMO_SLUG = "ik-demo"
UNIT_SLUG = "ik-demo-ungdom"
DEMO_PASSWORD = "demo-forening-2026"  # noqa: S105 - documented in README.md, demo data only
SEED = 2026

ADMIN_EMAIL = "admin@ik-demo.se"
FEDERATION_ADMIN_EMAIL = "forbund@ik-demo.se"
UNIT_ADMIN_EMAIL = "lokal@ik-demo.se"
LEADER_EMAIL = "ledare@ik-demo.se"
MEMBER_EMAIL = "medlem@ik-demo.se"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    description: str


LOGINS = [
    DemoLogin(ADMIN_EMAIL, "Administrator of IK Demo"),
    DemoLogin(FEDERATION_ADMIN_EMAIL, "Administrator of Demoförbundet (the federation)"),
    DemoLogin(
        UNIT_ADMIN_EMAIL,
        "Administrator of IK Demo Ungdom (a local unit of IK Demo, ~50 people, two groups)",
    ),
    DemoLogin(LEADER_EMAIL, "Leads two football teams in IK Demo; also a parent"),
    DemoLogin(MEMBER_EMAIL, "Member of IK Demo and guardian of two children"),
]


@dataclass(frozen=True)
class DemoResult:
    organisation: Organisation
    created: bool


def build_demo(*, seed: int = SEED, today: dt.date | None = None) -> DemoResult:
    """Load the demo organisations, people and logins, unless IK Demo already exists.

    Idempotent: when an organisation with the slug `ik-demo` exists, nothing is written
    and `created` is False. Otherwise everything is written in one transaction. Nothing
    is queued for the task worker: the demo's mail is history, recorded as sent.
    """
    # Named escape hatch (docs/architecture.md § Tenancy): the demo writes into three
    # organisations at once.
    with scopes_disabled():
        existing = Organisation.objects.filter(slug=DEMO_SLUG).first()
        if existing is not None:
            return DemoResult(existing, created=False)
        with transaction.atomic():
            organisation = _build(seed=seed, today=today or timezone.localdate())
        return DemoResult(organisation, created=True)


def _build(*, seed: int, today: dt.date) -> Organisation:
    actor = Actor.system("demo")
    federation, club, unit = _organisations(actor)

    rng = random.Random(seed)
    fake = _faker(seed)
    club_shape = shapes.club_shape(today)
    club_plan = details.plan(club, club_shape, rng, fake, today)
    # The unit draws from its own seed, so the club's people and year stay as they are.
    unit_rng = random.Random(seed + 1)
    unit_plan = details.plan(unit, shapes.UNIT_SHAPE, unit_rng, _faker(seed + 1), today)
    leader, member = club_plan.leader, club_plan.member
    if leader is None or member is None:
        raise ValueError("IK Demo's shape plans the leader and member logins")

    users = _build_users(
        {
            ADMIN_EMAIL: (fake.name(), club),
            FEDERATION_ADMIN_EMAIL: (fake.name(), federation),
            UNIT_ADMIN_EMAIL: (fake.name(), unit),
            LEADER_EMAIL: (leader.person.full_name, club),
            MEMBER_EMAIL: (member.person.full_name, club),
        }
    )
    leader.person.user = users[LEADER_EMAIL]
    member.person.user = users[MEMBER_EMAIL]
    written = write_register(club, club_shape, club_plan, admin=users[ADMIN_EMAIL], today=today)
    RoleAssignment.objects.bulk_create(
        [
            RoleAssignment(
                organisation=club,
                user=users[LEADER_EMAIL],
                role=Role.LEADER,
                group=written.groups[name],
            )
            for name in leader.groups_led
        ]
    )
    unit_written = write_register(
        unit, shapes.UNIT_SHAPE, unit_plan, admin=users[UNIT_ADMIN_EMAIL], today=today
    )
    audit.record(
        actor,
        "core.demo.created",
        club,
        **written.counts,
        local_unit_people=unit_written.counts["people"],
    )
    build_billing(club, rng=rng, today=today, actor=actor)
    _mark_daily_jobs_done(today)
    return club


def _organisations(actor: Actor) -> tuple[Organisation, Organisation, Organisation]:
    """The federation, the club below it and the club's local unit, marked as demo data."""
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
        slug=UNIT_SLUG,
        country="SE",
        admin_email=UNIT_ADMIN_EMAIL,
        parent=club,
        actor=actor,
    ).organisation
    Organisation.objects.filter(pk__in=[federation.pk, club.pk, unit.pk]).update(is_demo=True)
    for organisation in (federation, club, unit):
        organisation.is_demo = True
    return federation, club, unit


def _faker(seed: int) -> Faker:
    fake = Faker("sv_SE")
    fake.seed_instance(seed)
    return fake


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


def _mark_daily_jobs_done(today: dt.date) -> None:
    """Record today's daily jobs (core.scheduler) as started, so the first `forening serve`
    does not run them again: the demo has sent the reminders due up to today itself, and
    it renews nothing by itself.

    Only in an installation that holds nothing but the demo: a real association's daily
    work is never skipped because the demo was loaded beside it.
    """
    if Organisation.objects.filter(is_demo=False).exists():
        return
    ScheduledRun.objects.bulk_create(
        [ScheduledRun(name=job.name, day=today) for job in scheduler.jobs()],
        ignore_conflicts=True,
    )
