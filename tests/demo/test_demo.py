"""The demo data behind `make run`: realistic, complete for every role, loaded only once."""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from django_tasks_db.models import DBTaskResult
from faker import Faker
from stdnum.se import orgnr

from forening.core import scheduler, sequences
from forening.core.models import (
    AuditEvent,
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
    ScheduledRun,
    Section,
    User,
)
from forening.demo import build as demo
from forening.demo import details, shapes
from forening.demo.people import Plan
from forening.households.models import Household
from forening.members import identity, services
from forening.members.models import (
    AttributeDefinition,
    AttributeValue,
    Consent,
    ConsentPurpose,
    MembershipKind,
    Note,
    StatusChange,
    Tag,
)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # every test builds or reads the demo


def database_state() -> dict[str, tuple[int, object]]:
    """Row count and newest updated_at (where there is one) of every model."""
    state = {}
    with scopes_disabled():
        for model in apps.get_models():
            rows = model._base_manager.all()
            has_updated_at = any(f.name == "updated_at" for f in model._meta.concrete_fields)
            newest = rows.aggregate(newest=Max("updated_at"))["newest"] if has_updated_at else None
            state[model._meta.label] = (rows.count(), newest)
    return state


@pytest.fixture(scope="module")
def demo_org(django_db_setup, django_db_blocker) -> Organisation:
    """One demo for the whole module (building it takes a few seconds), rolled back at the
    end; each test runs in a savepoint inside it and sees it unchanged."""
    # Tasks are queued as under `forening demo`: the tests' immediate backend would render
    # and e-mail a PDF for every reminder of the demo's year of invoicing.
    tasks = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    with django_db_blocker.unblock(), override_settings(TASKS=tasks), transaction.atomic():
        result = demo.build_demo()
        assert result.created
        yield result.organisation
        transaction.set_rollback(True)


def test_demo_has_a_club_of_about_600_active_members_in_households(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org)
        assert 580 <= people.filter(status=MemberStatus.ACTIVE).count() <= 640
        assert Section.objects.filter(organisation=demo_org).count() == 2
        assert 18 <= Group.objects.filter(organisation=demo_org).count() <= 22
        assert Guardianship.objects.filter(organisation=demo_org).count() > 100
        assert GroupMembership.objects.filter(organisation=demo_org).count() > 150
        # Every group has someone in it, and a leader.
        assert not Group.objects.annotate(n=Count("memberships")).filter(n=0).exists()
        led = set(
            GroupMembership.objects.filter(
                organisation=demo_org, role=GroupRole.LEADER
            ).values_list("group", flat=True)
        )
        assert led == set(Group.objects.filter(organisation=demo_org).values_list("pk", flat=True))
        housed = people.filter(household__isnull=False)
        households = housed.values("household").annotate(
            n=Count("pk"),
            addresses=Count("street", distinct=True),
            postal_codes=Count("postal_code", distinct=True),
        )
        assert all(row["addresses"] == 1 and row["postal_codes"] == 1 for row in households)
        assert households.filter(n__gte=3).count() > 50
        # Only contacts and companies live outside households.
        assert set(
            people.filter(household__isnull=True).values_list("kind", "status").distinct()
        ) == {
            (PersonKind.PERSON, MemberStatus.CONTACT),
            (PersonKind.ORGANISATION, MemberStatus.ACTIVE),
        }
        phones = list(people.exclude(phone="").values_list("phone", flat=True))
        assert phones
        assert all(phone.startswith("+467") and len(phone) == 12 for phone in phones)
        # Guardians and wards share a household, and wards are minors.
        pairs = Guardianship.objects.filter(organisation=demo_org).select_related(
            "guardian", "ward"
        )
        assert all(g.guardian.household_id == g.ward.household_id for g in pairs)
        assert all(g.ward.birth_date > g.guardian.birth_date for g in pairs)


def test_every_household_has_a_payer_in_it_and_some_another_invoice_recipient(demo_org):
    with scopes_disabled():
        households = list(
            Household.objects.filter(organisation=demo_org).select_related(
                "payer", "invoice_recipient"
            )
        )
        assert all(h.payer is not None and h.payer.household_id == h.pk for h in households)
        today = timezone.localdate()
        assert all(h.payer.age_on(today) >= 18 for h in households)
        others = [h for h in households if h.invoice_recipient is not None]
        assert 5 <= len(others) < len(households) / 4
        assert all(h.invoice_recipient.household_id == h.pk for h in others)
        assert all(h.invoice_recipient != h.payer for h in others)


def test_demo_has_former_members_applications_contacts_and_companies(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org)
        former = people.filter(status=MemberStatus.INACTIVE)
        assert 200 <= former.count() <= 320
        assert not former.filter(left_on__isnull=True).exists()
        assert not former.filter(leave_reason="").exists()
        assert not former.filter(left_on__lt=F("joined_on")).exists()
        assert former.values("leave_reason").distinct().count() >= 4
        deceased = people.filter(status=MemberStatus.DECEASED)
        assert 3 <= deceased.count() <= 10
        assert not deceased.filter(left_on__isnull=True).exists()
        applied = people.filter(status=MemberStatus.APPLIED)
        assert 15 <= applied.count() <= 30
        assert not applied.filter(member_number__isnull=False).exists()
        contacts = people.filter(status=MemberStatus.CONTACT)
        assert 5 <= contacts.count() <= 20
        assert not contacts.filter(member_number__isnull=False).exists()
        assert not contacts.filter(membership_type__isnull=False).exists()
        companies = list(people.filter(kind=PersonKind.ORGANISATION))
        assert 2 <= len(companies) <= 3
        for company in companies:
            assert company.status == MemberStatus.ACTIVE
            assert company.membership_type.kind == MembershipKind.SUPPORTING
            assert company.organisation_name
            assert company.contact_name
            assert orgnr.is_valid(company.organisation_number)
            assert company.member_number is not None
        # No member is in a group once they left or before they are approved.
        assert not GroupMembership.objects.exclude(person__status=MemberStatus.ACTIVE).exists()
        kinds = set(people.values_list("membership_type__kind", flat=True))
        assert {kind.value for kind in MembershipKind if kind != MembershipKind.OTHER} <= kinds


def test_member_numbers_follow_the_sequence_without_gaps(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org)
        numbers = sorted(
            people.filter(status__in=["active", "inactive", "deceased"]).values_list(
                "member_number", flat=True
            )
        )
        assert numbers == list(range(1, len(numbers) + 1))
        assert sequences.peek(demo_org, services.MEMBER_NUMBER_SEQUENCE) == len(numbers)
        # The longest-standing members have the lowest numbers.
        first = people.get(member_number=1)
        assert first.joined_on == people.aggregate(Min("joined_on"))["joined_on__min"]
        assert "1" in first.search_text.split()


def test_most_people_have_a_valid_encrypted_identity_number_matching_them(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org, kind=PersonKind.PERSON).exclude(
            status=MemberStatus.CONTACT
        )
        with_number = list(people.exclude(identity_number_ciphertext=""))
        assert len(with_number) >= 0.75 * people.count()
        assert len({p.identity_number_index for p in with_number}) == len(with_number)
        for person in with_number:
            plain = services.decrypt_identity_number(person)
            number = identity.parse(plain, "SE")
            assert number.normalised == plain
            assert number.birth_date == person.birth_date
            assert number.gender == person.gender
            assert person.identity_number_masked == number.masked
        sample = with_number[17]
        plain = services.decrypt_identity_number(sample)
        short = plain[2:8] + plain[9:]
        assert services.find_by_identity_number(demo_org, short) == sample
        # The audit log never saw them.
        logged = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
        assert plain not in logged
        assert sample.identity_number_ciphertext not in logged


def test_everyone_has_a_status_history_ending_in_their_status(demo_org):
    with scopes_disabled():
        people = Person.objects.filter(organisation=demo_org)
        history = StatusChange.objects.filter(organisation=demo_org).order_by(
            "person", "effective_on", "pk"
        )
        by_person: dict[int, list[StatusChange]] = {}
        for change in history:
            by_person.setdefault(change.person_id, []).append(change)
        assert set(by_person) == set(people.values_list("pk", flat=True))
        for person in people:
            changes = by_person[person.pk]
            assert changes[0].from_status == ""
            assert changes[-1].to_status == person.status
            for before, after in zip(changes, changes[1:], strict=False):
                assert after.from_status == before.to_status
            assert all(c.changed_by_label == demo.ADMIN_EMAIL for c in changes)
        # Some applied before they were approved; some came back after a pause.
        assert history.filter(from_status="applied", to_status="active").count() > 50
        assert history.filter(from_status="inactive", to_status="active").count() >= 5
        ended = history.filter(to_status__in=["inactive", "deceased"]).exclude(reason="")
        assert ended.count() == history.filter(to_status__in=["inactive", "deceased"]).count()


def test_demo_has_custom_fields_tags_consents_and_notes(demo_org):
    with scopes_disabled():
        fields = {a.name: a for a in AttributeDefinition.objects.filter(organisation=demo_org)}
        assert set(fields) == {"Allergier", "Första hjälpen-kurs", "Tränarlicens", "Tröjstorlek"}
        values = AttributeValue.objects.filter(organisation=demo_org).select_related("attribute")
        used = {row.attribute.name for row in values}
        assert used == set(fields)
        for row in values:
            assert row.value not in (None, "", [])
        allergies = fields["Allergier"].option_labels
        assert all(
            set(row.value) <= set(allergies) for row in values if row.attribute.name == "Allergier"
        )

        tags = Tag.objects.filter(organisation=demo_org).annotate(n=Count("taggings"))
        assert {tag.name: tag.n > 0 for tag in tags} == {
            "Styrelsen": True,
            "Domare": True,
            "Ideell ledare": True,
        }
        assert tags.get(name="Styrelsen").n == 7

        purposes = set(
            ConsentPurpose.objects.filter(organisation=demo_org).values_list("name", flat=True)
        )
        assert purposes == {"Bilder på webbplatsen", "Nyhetsbrev"}
        consents = Consent.objects.filter(organisation=demo_org)
        withdrawn = consents.filter(withdrawn_at__isnull=False)
        assert consents.filter(withdrawn_at__isnull=True).count() > 300
        assert withdrawn.count() > 20
        assert not withdrawn.filter(withdrawn_at__lt=F("given_at")).exists()
        # Given again after a withdrawal: two rows for one purpose.
        again = consents.values("person", "purpose").annotate(n=Count("pk")).filter(n__gt=1)
        assert again.exists()
        assert not consents.filter(given_at__gt=timezone.now()).exists()

        notes = Note.objects.filter(organisation=demo_org)
        assert notes.count() >= 40
        assert notes.filter(person__status=MemberStatus.APPLIED).exists()
        assert notes.filter(person__status=MemberStatus.INACTIVE).exists()


def test_demo_has_a_federation_above_and_a_local_unit_below(demo_org):
    assert demo_org.slug == "ik-demo"
    assert demo_org.parent.slug == "demoforbundet"
    assert Organisation.objects.get(slug="ik-demo-ungdom").parent == demo_org
    assert Organisation.objects.filter(is_demo=True).count() == 3
    with scope(organisation=demo_org.pk):
        assert AuditEvent.objects.filter(action="core.demo.created", organisation=demo_org).exists()


def test_every_demo_login_signs_in_and_has_its_role(demo_org):
    for login in demo.LOGINS:
        user = authenticate(email=login.email, password=demo.DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.is_email_verified
    with scopes_disabled():
        roles = set(RoleAssignment.objects.values_list("user__email", "organisation__slug", "role"))
        assert (demo.ADMIN_EMAIL, "ik-demo", Role.ADMIN) in roles
        assert (demo.FEDERATION_ADMIN_EMAIL, "demoforbundet", Role.ADMIN) in roles
        assert (demo.UNIT_ADMIN_EMAIL, "ik-demo-ungdom", Role.ADMIN) in roles
        led = RoleAssignment.objects.filter(user__email=demo.LEADER_EMAIL, role=Role.LEADER)
        assert led.count() == 2
        assert all(assignment.group.memberships.exists() for assignment in led)
        leader = User.objects.get(email=demo.LEADER_EMAIL)
        assert Person.objects.filter(organisation=demo_org, user=leader).exists()
        member = Person.objects.get(user__email=demo.MEMBER_EMAIL)
        assert member.wardships.count() == 2


def test_the_local_unit_has_a_small_register_its_admin_sees(demo_org, client):
    with scopes_disabled():
        unit = Organisation.objects.get(slug=demo.UNIT_SLUG)
        people = Person.objects.filter(organisation=unit)
        assert 40 <= people.count() <= 60
        assert people.filter(status=MemberStatus.ACTIVE).count() >= 35
        assert 2 <= people.filter(status=MemberStatus.APPLIED).count() <= 6
        assert 5 <= Household.objects.filter(organisation=unit).count() <= 20
        assert Guardianship.objects.filter(organisation=unit).exists()
        assert not people.filter(member_number__isnull=True, status=MemberStatus.ACTIVE).exists()
        groups = list(Group.objects.filter(organisation=unit).order_by("name"))
        assert len(groups) == 2
        players = {
            group.pk: set(
                GroupMembership.objects.filter(group=group, role=GroupRole.PARTICIPANT).values_list(
                    "person", flat=True
                )
            )
            for group in groups
        }
        assert all(len(ids) >= 3 for ids in players.values())
        assert all(
            GroupMembership.objects.filter(group=group, role=GroupRole.LEADER).exists()
            for group in groups
        )
        # The unit's register is its own: the same planning and writing, other people.
        assert (
            not GroupMembership.objects.filter(group__in=groups)
            .exclude(person__organisation=unit)
            .exists()
        )
        first = people.order_by("last_name", "first_name").first()

    client.force_login(User.objects.get(email=demo.UNIT_ADMIN_EMAIL))
    url = reverse("org:members", kwargs={"org_slug": unit.slug})
    response = client.get(url, {"status": "all"})
    assert response.status_code == 200
    assert response.context["count"] == people.count()
    assert first.last_name in response.content.decode()
    for group in groups:
        response = client.get(url, {"group": group.pk})
        assert response.status_code == 200
        assert response.context["count"] >= len(players[group.pk])


def test_the_first_start_after_the_demo_has_nothing_to_send(demo_org):
    """The demo's mail is history: building it queues no task (no reminder PDFs to render
    and e-mail), and today's daily jobs count as done, so `forening serve` starts quiet."""
    assert not DBTaskResult.objects.exists()
    today = timezone.localdate()
    done = set(ScheduledRun.objects.filter(day=today).values_list("name", flat=True))
    assert done == {job.name for job in scheduler.jobs()}
    assert "billing.daily" in done
    late_tonight = timezone.make_aware(dt.datetime.combine(today, dt.time(23, 59)))
    assert scheduler.tick(late_tonight) == []
    assert not DBTaskResult.objects.exists()


def test_print_logins_shows_the_address_served(demo_org, settings):
    settings.SITE_URL = "http://127.0.0.1:8080"
    output = io.StringIO()

    call_command("demo", "--print-logins", stdout=output)

    assert "Open http://127.0.0.1:8080/ and sign in" in output.getvalue()


def test_loading_the_demo_again_changes_nothing(demo_org):
    before = database_state()

    output = io.StringIO()
    call_command("demo", "--print-logins", stdout=output)

    assert database_state() == before
    text = output.getvalue()
    assert "The demo exists already" in text
    assert "http://127.0.0.1:8000/" in text
    assert demo.DEMO_PASSWORD in text
    assert all(login.email in text for login in demo.LOGINS)


def test_the_demo_is_the_same_on_every_fresh_database():
    club = Organisation(name="IK Demo", slug="ik-demo")
    today = dt.date(2026, 3, 1)

    def summary(plan: Plan) -> list[tuple[object, ...]]:
        return [
            (
                d.person.kind,
                d.person.first_name,
                d.person.last_name,
                d.person.organisation_name,
                d.person.street,
                d.person.birth_date,
                d.person.household.name if d.person.household else "",
                d.person.status,
                d.person.joined_on,
                d.person.left_on,
                d.person.leave_reason,
                d.membership_kind,
                d.identity_number,
                d.receives_invoices,
                tuple(d.groups),
                tuple(sorted(d.group_roles.items())),
                tuple(d.tags),
                tuple(sorted((k, str(v)) for k, v in d.attributes.items())),
                tuple(d.consents),
                tuple(d.history),
                tuple(d.notes),
            )
            for d in plan.drafts
        ]

    def plan() -> Plan:
        shape = shapes.club_shape(today)
        return details.plan(club, shape, random.Random(demo.SEED), seeded_faker(demo.SEED), today)

    first = plan()
    assert summary(first) == summary(plan())
    assert len(first.drafts) > 850
    assert len({id(d.person.household) for d in first.drafts}) > 250


def seeded_faker(seed: int) -> Faker:
    fake = Faker("sv_SE")
    fake.seed_instance(seed)
    return fake
