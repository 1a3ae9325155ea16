"""The privacy pages: register extract (HTML, JSON, PDF), anonymisation, the retention rule."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from forening.core.context import Actor
from forening.core.models import AuditEvent, MemberStatus, Organisation, Person
from forening.members import privacy, services
from tests.conftest import World
from tests.factories.members import PERSONNUMMER, make_member

ACTOR = Actor.system("test")
XSS = '<script>alert("x")</script>'


def audit_log() -> QuerySet[AuditEvent]:
    """The whole audit log, across associations: what these tests assert on."""
    with scopes_disabled():
        return AuditEvent.objects.all()


@pytest.fixture
def admin(client: Client, world: World) -> Client:
    client.force_login(world.admin)
    return client


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


def _former(org: Organisation, left: dt.date | None = None, **fields: Any) -> Person:
    with scope(organisation=org.pk):
        person = make_member(org, **fields)
        return services.change_status(
            person, MemberStatus.INACTIVE, actor=ACTOR, on=left, reason="Flyttat"
        )


# --- register extract ------------------------------------------------------------------------


@pytest.fixture
def sara(world: World) -> Person:
    with scope(organisation=world.org.pk):
        person = make_member(
            world.org,
            first_name=XSS,
            last_name='O\'Brien "Svensson"',
            email="sara@example.se",
            identity_number=PERSONNUMMER,
        )
        services.add_note(person, actor=ACTOR, subject=XSS, body="Ringde <b>igår</b>")
    return person


def test_extract_page_is_readable_escaped_and_audited(
    admin: Client, world: World, sara: Person
) -> None:
    response = admin.get(url(world, "member-extract", person_id=sara.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert" in content
    assert "<b>igår</b>" not in content
    assert "O&#x27;Brien &quot;Svensson&quot;" in content
    assert "19850312-2387" in content  # the person's own number, in full
    assert "sara@example.se" in content
    assert "members/extract.css" in content  # the print style sheet
    for heading in ("Personal details", "Consents", "Status history", "Audit log"):
        assert heading in content
    event = audit_log().get(action="members.privacy.extract")
    assert event.person_id == sara.pk
    assert event.actor == world.admin
    assert event.changes == {"format": "html"}


def test_extract_as_json_download(admin: Client, world: World, sara: Person) -> None:
    response = admin.get(url(world, "member-extract", person_id=sara.pk), {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="register-extract-{sara.member_number}.json"'
    )
    data = json.loads(response.content)
    values = {row["field"]: row["value"] for row in data["person"]}
    assert values["first_name"] == XSS
    assert values["identity_number"] == "19850312-2387"
    assert data["notes"][0]["text"] == "Ringde <b>igår</b>"
    assert audit_log().get(action="members.privacy.extract").changes == {"format": "json"}


def test_extract_as_pdf(admin: Client, world: World, sara: Person) -> None:
    response = admin.get(url(world, "member-extract", person_id=sara.pk), {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    assert audit_log().get(action="members.privacy.extract").changes == {"format": "pdf"}


def test_every_extract_is_audited(admin: Client, world: World, sara: Person) -> None:
    for output in ("html", "json", "nonsense"):
        admin.get(url(world, "member-extract", person_id=sara.pk), {"format": output})
    formats = (
        audit_log()
        .filter(action="members.privacy.extract")
        .values_list("changes__format", flat=True)
    )
    assert sorted(formats) == ["html", "html", "json"]


# --- anonymisation ------------------------------------------------------------------------------


def test_anonymise_page_explains_what_goes_and_what_stays(admin: Client, world: World) -> None:
    former = _former(world.org, first_name="Före", last_name=XSS)
    response = admin.get(url(world, "member-anonymise", person_id=former.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Removed" in content
    assert "Kept" in content
    assert "Member number" in content
    assert 'name="reason"' in content
    assert "<script>alert" not in content


def test_anonymise_active_member_is_refused(admin: Client, world: World) -> None:
    active = world.member_person
    page = url(world, "member-anonymise", person_id=active.pk)
    response = admin.get(page)
    assert "Set the membership inactive first" in response.content.decode()
    assert 'name="reason"' not in response.content.decode()
    response = admin.post(page, {"reason": "Begäran", "confirm": "on"})
    assert response.status_code == 200
    assert "Set the membership inactive first" in response.content.decode()
    active.refresh_from_db()
    assert active.anonymised_at is None
    assert not audit_log().filter(action="members.privacy.anonymised").exists()


def test_anonymise_needs_a_reason_and_confirmation(admin: Client, world: World) -> None:
    former = _former(world.org)
    page = url(world, "member-anonymise", person_id=former.pk)
    assert admin.post(page, {"reason": "Begäran"}).status_code == 200
    assert admin.post(page, {"confirm": "on"}).status_code == 200
    former.refresh_from_db()
    assert former.anonymised_at is None


def test_anonymise_by_post(admin: Client, world: World) -> None:
    former = _former(world.org, first_name="Greta", email="greta@example.se")
    response = admin.post(
        url(world, "member-anonymise", person_id=former.pk),
        {"reason": "Bad om att bli glömd", "confirm": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == url(world, "member", person_id=former.pk)
    former.refresh_from_db()
    assert former.anonymised_at is not None
    assert former.email == ""
    event = audit_log().get(action="members.privacy.anonymised")
    assert event.actor == world.admin
    assert event.changes == {"reason": "Bad om att bli glömd"}
    # the page of an anonymised person says so, and the extract still works
    page = admin.get(url(world, "member-anonymise", person_id=former.pk)).content.decode()
    assert "There is nothing more to remove" in page
    extract = admin.get(url(world, "member-extract", person_id=former.pk), {"format": "json"})
    values = {row["field"]: row["value"] for row in json.loads(extract.content)["person"]}
    assert values["email"] == ""
    assert values["member_number"] == former.member_number


# --- tenant isolation ---------------------------------------------------------------------


def test_other_associations_people_are_404_and_untouched(admin: Client, world: World) -> None:
    stranger = world.stranger_person
    with scopes_disabled():
        Person.objects.filter(pk=stranger.pk).update(status=MemberStatus.INACTIVE)
    events = audit_log().count()
    for params in ({}, {"format": "json"}, {"format": "pdf"}):
        response = admin.get(url(world, "member-extract", person_id=stranger.pk), params)
        assert response.status_code == 404
    page = url(world, "member-anonymise", person_id=stranger.pk)
    assert admin.get(page).status_code == 404
    assert admin.post(page, {"reason": "Kapning", "confirm": "on"}).status_code == 404
    with scopes_disabled():
        stranger.refresh_from_db()
    assert stranger.anonymised_at is None
    assert stranger.first_name == "Utomstående"
    assert audit_log().count() == events


# --- retention ------------------------------------------------------------------------------------


def test_retention_page_sets_the_rule_and_shows_a_dry_run(admin: Client, world: World) -> None:
    long_ago = _former(world.org, left=dt.date(2012, 5, 1), first_name="Gammal", last_name=XSS)
    _former(world.org, first_name="Nyss")
    page = url(world, "retention")
    content = admin.get(page).content.decode()
    assert "Dry run" not in content  # no rule yet
    # set the rule
    response = admin.post(page, {"action": "save", "retention_years": "5"})
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.retention_years == 5
    # the dry run lists who would go, with the leave date, and changes nothing
    content = admin.get(page).content.decode()
    assert "Dry run" in content
    assert "Gammal &lt;script&gt;" in content
    assert "Nyss" not in content
    assert "2012" in content
    long_ago.refresh_from_db()
    assert long_ago.anonymised_at is None


def test_retention_rule_can_be_turned_off(admin: Client, world: World) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(retention_years=3)
    admin.post(url(world, "retention"), {"action": "save", "retention_years": ""})
    world.org.refresh_from_db()
    assert world.org.retention_years is None


def test_retention_years_are_validated(admin: Client, world: World) -> None:
    response = admin.post(url(world, "retention"), {"action": "save", "retention_years": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["retention_years"]


def test_retention_apply_needs_confirmation(admin: Client, world: World) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(retention_years=2)
    long_ago = _former(world.org, left=dt.date(2015, 1, 1))
    page = url(world, "retention")
    response = admin.post(page, {"action": "apply"})
    assert response.status_code == 200
    assert response.context["confirm_form"].errors["confirm"]
    long_ago.refresh_from_db()
    assert long_ago.anonymised_at is None
    response = admin.post(page, {"action": "apply", "confirm": "on"}, follow=True)
    assert "The personal data of 1 former members has been removed." in response.content.decode()
    long_ago.refresh_from_db()
    assert long_ago.anonymised_at is not None
    assert audit_log().filter(action="members.retention.applied").count() == 1


def test_retention_page_runs_a_constant_number_of_queries(
    admin: Client, world: World, django_assert_max_num_queries: Any
) -> None:
    Organisation.objects.filter(pk=world.org.pk).update(retention_years=2)
    _former(world.org, left=dt.date(2015, 1, 1))
    admin.get(url(world, "retention"))
    with django_assert_max_num_queries(12) as few:
        admin.get(url(world, "retention"))
    for _ in range(8):
        _former(world.org, left=dt.date(2016, 1, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin.get(url(world, "retention"))
    assert response.context["report"].count == 9
    assert privacy.RETENTION_STATUSES
