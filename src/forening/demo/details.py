"""Planning the rest of a demo register, still without the database: membership types,
identity numbers, leaders, tags, custom fields, consents given and withdrawn, returns
after a pause and the correspondence log, for people that `demo.people` planned.

The catalogue here (custom fields, consent purposes, tags, notes) is demo content in
Swedish; `demo.register` creates it in every demo association it writes.
"""

from __future__ import annotations

import datetime as dt
import random

from faker import Faker
from stdnum import luhn

from forening.core.models import GroupRole, MemberStatus, Organisation, PersonKind
from forening.demo.people import ConsentDraft, Draft, Plan, moment, plan_people
from forening.demo.shapes import Shape
from forening.members.models import AttributeKind, ConsentSource, MembershipKind, NoteKind

IDENTITY_SHARE = 0.85  # of members, former members and applicants

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
APPLICATION_NOTE = (NoteKind.NOTE, "Ansökan via webbformulär", "Ansökan inkommen via webben.")


def plan(
    organisation: Organisation, shape: Shape, rng: random.Random, fake: Faker, today: dt.date
) -> Plan:
    """Everyone in the association's register and everything about them, decided by `rng`
    and `fake` alone."""
    planned = plan_people(organisation, shape, rng, fake, today)
    _Details(planned, shape, rng, today).fill()
    return planned


class _Details:
    """Membership types, identity numbers, leaders, tags, custom fields, consents, returns
    after a pause and notes, for drafts that already have their status and dates."""

    def __init__(self, plan: Plan, shape: Shape, rng: random.Random, today: dt.date) -> None:
        self.leader, self.shape, self.rng, self.today = plan.leader, shape, rng, today
        self.people = [d for d in plan.drafts if d.person.kind == PersonKind.PERSON]
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

    def sample(self, drafts: list[Draft], count: int) -> list[Draft]:
        """`count` of `drafts` at random (all of them when there are fewer)."""
        return self.rng.sample(drafts, min(count, len(drafts)))

    def adults(self, low: int = 18, high: int = 120) -> list[Draft]:
        return [d for d in self.active if low <= d.age_on(self.today) <= high]

    def invoice_recipients(self) -> None:
        """In some families the invoices go to the other parent, not to the payer."""
        households: dict[int, list[Draft]] = {}
        for draft in self.people:
            if draft.person.household is not None and not draft.is_child:
                households.setdefault(id(draft.person.household), []).append(draft)
        for adults in households.values():
            if len(adults) > 1 and self.rng.random() < 0.15:
                adults[1].receives_invoices = True

    def membership_types(self) -> None:
        rng = self.rng
        households: dict[int, list[Draft]] = {}
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
        for draft in rng.sample(elders, min(self.shape.honorary, len(elders))):
            draft.membership_kind = MembershipKind.HONORARY
        supporters = [d for d in self.adults(30) if d.membership_kind == MembershipKind.PASSIVE]
        for draft in rng.sample(supporters, min(self.shape.supporting, len(supporters))):
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
        led: list[str] = []
        if self.leader is not None:
            led = self.leader.groups_led
            for name in led:
                self.leader.group_roles[name] = GroupRole.LEADER
        participants: dict[str, list[Draft]] = {}
        for draft in self.active:
            for name in draft.groups:
                participants.setdefault(name, []).append(draft)
        adults = self.adults(20, 65)
        for name in sorted(participants):
            if name in led:
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
        for draft in self.active:
            if draft.group_roles:
                draft.tags.append(VOLUNTEER_LEADER)
        for draft in self.sample(self.adults(30, 70), self.shape.board):
            draft.tags.append(BOARD)
        for draft in self.sample(self.adults(15, 55), self.shape.referees):
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
                        given = moment(start, rng)
                        draft.consents.append(ConsentDraft(purpose, given, ConsentSource.FORM))
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
    ) -> list[ConsentDraft]:
        """Given once; sometimes withdrawn (always when someone left and it was the
        newsletter); sometimes given again after a withdrawal."""
        rng = self.rng
        sources = [ConsentSource.FORM, ConsentSource.FORM, ConsentSource.OFFICE]
        sources.append(ConsentSource.PORTAL)
        given = self.between(start, end)
        source = rng.choice(sources)
        leaving = status != MemberStatus.ACTIVE and purpose == NEWSLETTER
        if not leaving and rng.random() >= 0.1:
            return [ConsentDraft(purpose, moment(given, rng), source)]
        withdrawn = end if leaving else self.between(given, end)
        first = ConsentDraft(
            purpose,
            moment(given, rng),
            source,
            withdrawn_at=moment(withdrawn, rng),
            withdrawn_source=rng.choice([ConsentSource.PORTAL, ConsentSource.OFFICE]),
        )
        if leaving or rng.random() >= 0.3 or withdrawn >= end:
            return [first]
        again = self.between(withdrawn + dt.timedelta(days=1), end)
        return [first, ConsentDraft(purpose, moment(again, rng), ConsentSource.PORTAL)]

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
        for draft in self.sample(long_standing, self.shape.pauses):
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
        for draft in self.sample(members, self.shape.notes):
            kind, subject, body = rng.choice(NOTES)
            start = draft.person.joined_on or self.yesterday
            draft.notes.append((kind, subject, body, moment(self.between(start, self.today), rng)))
        for draft in self.people:
            if draft.status == MemberStatus.APPLIED and not draft.is_child:
                draft.notes.append((*APPLICATION_NOTE, moment(draft.history[0][2], rng)))
