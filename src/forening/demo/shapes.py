"""What each demo association's register holds: how many people of each kind, which
sections and groups, how many board members and notes.

The planning (`demo.people`, `demo.details`) and the writing (`demo.register`) are the same
for every association; a `Shape` is what differs. IK Demo is a sports club with ~600 active
members and its history; IK Demo Ungdom, its local unit, is a few families in two floorball
groups with a couple of applicants.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class GroupPlan:
    """A group and who plays in it: people aged `youngest` to `oldest` this calendar year
    (boys and men only, or girls and women only, when `is_male` is set), each with the
    probability `chance`."""

    section: str
    name: str
    description: str
    youngest: int
    oldest: int
    chance: float
    is_male: bool | None = None


@dataclass(frozen=True)
class Shape:
    """One association's register, in numbers (each "at least": whole households join)."""

    sections: tuple[tuple[str, str], ...]  # (name, description)
    groups: tuple[GroupPlan, ...]
    active: int
    former: int = 0  # inactive, plus `deceased`
    deceased: int = 0
    applicants: int = 0
    contacts: int = 0
    companies: tuple[tuple[str, str], ...] = ()  # (name, 9 digits of the organisation number)
    towns: int = 4  # a club draws its members from a few neighbouring towns
    # Cumulative shares of new households: two parents with children, one parent with
    # children, someone living alone; the rest are couples without children at home.
    households: tuple[float, float, float] = (0.45, 0.60, 0.85)
    # The leader and member logins' families (IK Demo only).
    has_logins: bool = False
    board: int = 0
    referees: int = 0
    honorary: int = 0
    supporting: int = 0  # passive members who become supporting members
    pauses: int = 0  # members who left for a while and came back
    notes: int = 0  # correspondence-log entries on active members


# IK Demo's football teams by birth year: players aged 8 to 13 this calendar year.
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

# Supporting members that are companies: (name, 9 digits of the organisation number).
COMPANIES = (
    ("Demo Bygg & Måleri AB", "559301441"),
    ("Sportbutiken i Demo AB", "559112780"),
    ("Demo Sparbank", "516401953"),
)


def team_name(is_male: bool, birth_year: int) -> str:
    return f"{'P' if is_male else 'F'}{birth_year}"


def club_shape(today: dt.date) -> Shape:
    """IK Demo: football teams by birth year (so they follow `today`), two senior teams,
    gymnastics for all ages, ~600 active members, former members, applicants, contacts
    and companies."""
    football = "Fotboll"
    groups = []
    for age in FOOTBALL_AGES:
        year = today.year - age
        for is_male, label in ((True, "Pojkar"), (False, "Flickor")):
            groups.append(
                GroupPlan(
                    football,
                    team_name(is_male, year),
                    f"{label} födda {year}.",
                    age,
                    age,
                    0.75,
                    is_male,
                )
            )
    groups += [
        GroupPlan(football, "Herrar", "Seniorlag, division 6.", 18, 35, 0.15, True),
        GroupPlan(football, "Damer", "Seniorlag, division 4.", 18, 35, 0.15, False),
    ]
    groups += [
        GroupPlan("Gymnastik", name, description, youngest, oldest, 0.12 if youngest >= 25 else 0.3)
        for name, description, youngest, oldest in GYMNASTICS_CLASSES
    ]
    return Shape(
        sections=(
            (football, "Barn- och ungdomsfotboll."),
            ("Gymnastik", "Gymnastik för alla åldrar."),
        ),
        groups=tuple(groups),
        active=600,
        former=260,
        deceased=6,
        applicants=20,  # whole households apply, so up to 24
        contacts=12,
        companies=COMPANIES,
        has_logins=True,
        board=7,
        referees=10,
        honorary=5,
        supporting=4,
        pauses=10,
        notes=40,
    )


# IK Demo Ungdom: families with children in two floorball groups, and one family applying.
UNIT_SHAPE = Shape(
    sections=(("Innebandy", "Innebandy för barn och ungdomar."),),
    groups=(
        GroupPlan(
            "Innebandy", "Innebandy 7–11 år", "Träning och seriespel för 7–11 år.", 7, 11, 0.8
        ),
        GroupPlan(
            "Innebandy", "Innebandy 12–16 år", "Träning och seriespel för 12–16 år.", 12, 16, 0.8
        ),
    ),
    active=40,
    applicants=2,
    towns=1,
    households=(0.75, 1.0, 1.0),  # only families with children
    board=3,
    notes=5,
)
