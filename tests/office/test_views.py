"""The office pages: overview, settings, sections and groups, roles, audit log, local units."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django_scopes import scope, scopes_disabled
from PIL import Image

from forening.core.models import (
    AuditEvent,
    Group,
    Organisation,
    Role,
    RoleAssignment,
    Section,
    User,
)
from tests.conftest import World
from tests.factories.core import (
    GroupFactory,
    GroupMembershipFactory,
    PersonFactory,
    RoleAssignmentFactory,
    SectionFactory,
    UserFactory,
)

VALID_ORG_NUMBER = "556036-0793"


def url(world: World, name: str, **kwargs: Any) -> str:
    return reverse(f"org:{name}", kwargs={"org_slug": world.org.slug, **kwargs})


@pytest.fixture
def admin_client(client: Any, world: World) -> Any:
    client.force_login(world.admin)
    return client


def errors_of(response: Any, field: str) -> list[str]:
    """A field's errors in English (they are lazy; outside the request they'd be Swedish)."""
    form = response.context["form"]
    errors = form.non_field_errors() if field == "__all__" else form.errors.get(field, [])
    with translation.override("en"):
        return [str(error) for error in errors]


def image_upload(fmt: str = "PNG", size: tuple[int, int] = (8, 8), name: str = "logo.png") -> Any:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#1f5f8b").save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def settings_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "IK Test",
        "organisation_number": VALID_ORG_NUMBER,
        "language": "sv",
        "primary_colour": "#1f5f8b",
        "accent_colour": "#f2a900",
        **overrides,
    }


def many_rows(world: World, n: int = 30) -> None:
    """n sections, groups, people with guardians, leaders and audit events in world.org."""
    with scopes_disabled():
        for i in range(n):
            section = SectionFactory(organisation=world.org, name=f"Avdelning {i:02}")
            group = GroupFactory(organisation=world.org, section=section, name=f"Lag {i:02}")
            person = PersonFactory(organisation=world.org, user=UserFactory())
            GroupMembershipFactory(organisation=world.org, group=group, person=person)
            GroupMembershipFactory(organisation=world.org, group=world.group, person=person)
            RoleAssignmentFactory(
                organisation=world.org, user=UserFactory(), role=Role.LEADER, group=group
            )
            AuditEvent.objects.create(
                organisation=world.org,
                actor=world.admin,
                person=person,
                action="core.person.updated",
                object_repr=str(person),
                changes={"changes": {"phone": ["", "+46701234567"]}},
            )


# --- dashboard --------------------------------------------------------------------------


def test_dashboard_shows_an_administrator_the_numbers_and_latest_events(admin_client, world):
    with scopes_disabled():
        AuditEvent.objects.create(
            organisation=world.org, actor=world.admin, action="core.test.done", object_repr="X"
        )
    response = admin_client.get(url(world, "dashboard"))
    assert response.status_code == 200
    stats = response.context["stats"]
    assert stats == {"people": 3, "applications": 0, "groups": 2, "admins": 1}
    assert "core.test.done" in response.content.decode()
    assert world.unit.name in response.content.decode()  # the local units card


def test_dashboard_runs_a_bounded_number_of_queries(
    admin_client, world, django_assert_max_num_queries
):
    many_rows(world)
    with django_assert_max_num_queries(16):
        response = admin_client.get(url(world, "dashboard"))
    assert response.context["stats"]["people"] == 33
    assert len(response.context["events"]) == 8


def test_dashboard_shows_a_leader_their_groups_with_member_counts(client, world):
    client.force_login(world.leader)
    response = client.get(url(world, "dashboard"))
    assert response.context["stats"] is None
    assert [(g.name, g.member_count) for g in response.context["led_groups"]] == [("P12", 2)]
    assert world.other_group.name not in response.content.decode()


def test_dashboard_shows_a_member_their_family(client, world):
    client.force_login(world.member)
    response = client.get(url(world, "dashboard"))
    content = response.content.decode()
    assert world.member_person.full_name in content
    assert world.ward.full_name in content
    assert world.group_person.full_name not in content
    assert reverse("org:portal", kwargs={"org_slug": world.org.slug}) in content


# --- settings ---------------------------------------------------------------------------


def test_saving_settings_changes_the_organisation_and_is_audited(admin_client, world):
    response = admin_client.post(
        url(world, "settings"),
        settings_payload(name="IK Test Nya", primary_colour="#112233", language="en"),
    )
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert (world.org.name, world.org.primary_colour, world.org.language) == (
        "IK Test Nya",
        "#112233",
        "en",
    )
    assert world.org.organisation_number == VALID_ORG_NUMBER
    with scope(organisation=world.org.pk):
        event = AuditEvent.objects.filter(
            organisation=world.org, action="core.organisation.updated"
        )
        assert event.exists()


def test_an_invalid_organisation_number_is_a_field_error_and_nothing_is_saved(admin_client, world):
    before = Organisation.objects.values().get(pk=world.org.pk)
    response = admin_client.post(
        url(world, "settings"), settings_payload(name="Ändrat", organisation_number="123456-7890")
    )
    assert response.status_code == 200
    assert "organisation_number" in response.context["form"].errors
    assert "is-invalid" in response.content.decode()
    assert Organisation.objects.values().get(pk=world.org.pk) == before


def test_the_slug_and_country_cannot_be_changed_in_settings(admin_client, world):
    admin_client.post(url(world, "settings"), settings_payload(slug="kapad", country="DK"))
    world.org.refresh_from_db()
    assert (world.org.slug, world.org.country) == ("ik-test", "SE")


def test_a_logo_can_be_uploaded(admin_client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = admin_client.post(url(world, "settings"), settings_payload(logo=image_upload()))
    assert response.status_code == 302
    world.org.refresh_from_db()
    assert world.org.logo.name.startswith("logos/")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: image_upload("GIF", name="logo.gif"), "PNG, JPEG or WebP"),
        (lambda: image_upload("BMP", size=(600, 600), name="logo.bmp"), "at most 1 MB"),
        (
            lambda: SimpleUploadedFile("logo.png", b"not an image", content_type="image/png"),
            "valid image",
        ),
    ],
)
def test_a_wrong_logo_is_refused(admin_client, world, settings, tmp_path, upload, message):
    settings.MEDIA_ROOT = tmp_path
    response = admin_client.post(url(world, "settings"), settings_payload(logo=upload()))
    assert response.status_code == 200
    assert message in " ".join(errors_of(response, "logo"))
    world.org.refresh_from_db()
    assert not world.org.logo


def test_requiring_two_factor_sends_administrators_to_set_it_up(admin_client, world):
    admin_client.post(url(world, "settings"), settings_payload(require_admin_two_factor="on"))
    world.org.refresh_from_db()
    assert world.org.require_admin_two_factor
    response = admin_client.get(url(world, "groups"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:security")


# --- sections and groups ----------------------------------------------------------------


def test_groups_page_lists_sections_with_their_groups(admin_client, world):
    response = admin_client.get(url(world, "groups"))
    content = response.content.decode()
    assert world.group.section.name in content
    assert world.group.name in content
    assert world.leader.email in content or str(world.leader) in content


def test_groups_page_runs_a_bounded_number_of_queries(
    admin_client, world, django_assert_max_num_queries
):
    many_rows(world)
    with django_assert_max_num_queries(14):
        response = admin_client.get(url(world, "groups"))
    assert len(response.context["sections"]) == 32


def test_creating_a_section(admin_client, world):
    response = admin_client.post(url(world, "section-create"), {"name": "Simning"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Section.objects.filter(organisation=world.org, name="Simning").exists()


def test_a_duplicate_section_name_is_a_form_error(admin_client, world):
    existing = world.group.section.name
    response = admin_client.post(url(world, "section-create"), {"name": existing.upper()})
    assert response.status_code == 200
    assert errors_of(response, "name") == ["There is already a section with this name."]
    with scopes_disabled():
        assert Section.objects.filter(organisation=world.org).count() == 2


@pytest.mark.parametrize("language", ["sv", "da", "en"])
def test_the_duplicate_name_error_speaks_the_users_language(admin_client, world, language):
    admin_client.cookies.load({"forening_language": language})
    response = admin_client.post(url(world, "section-create"), {"name": world.group.section.name})
    with translation.override(language):
        expected = translation.gettext("There is already a section with this name.")
    assert escape(expected) in response.content.decode()


def test_renaming_a_section(admin_client, world):
    section = world.group.section
    response = admin_client.post(
        url(world, "section-edit", section_id=section.pk), {"name": "Fotboll", "description": "x"}
    )
    assert response.status_code == 302
    section.refresh_from_db()
    assert section.name == "Fotboll"


def test_creating_and_editing_a_group(admin_client, world):
    section = world.group.section
    response = admin_client.post(url(world, "group-create"), {"name": "P15", "section": section.pk})
    assert response.status_code == 302
    with scopes_disabled():
        group = Group.objects.get(organisation=world.org, name="P15")
    assert group.section == section
    response = admin_client.post(
        url(world, "group-edit", group_id=group.pk),
        {"name": "P15 röd", "section": "", "is_archived": "on"},
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.section, group.is_archived) == ("P15 röd", None, True)


def test_a_duplicate_group_name_in_the_same_section_is_a_form_error(admin_client, world):
    response = admin_client.post(
        url(world, "group-create"), {"name": "p12", "section": world.group.section_id}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]


def test_editing_a_missing_group_is_not_found(admin_client, world):
    assert admin_client.get(url(world, "group-edit", group_id=999999)).status_code == 404


# --- roles ------------------------------------------------------------------------------


def test_roles_page_lists_administrators_and_leaders(admin_client, world):
    response = admin_client.get(url(world, "roles"))
    content = response.content.decode()
    assert world.admin.email in content
    assert world.leader.email in content
    assert world.outsider.email not in content


def test_roles_page_runs_a_bounded_number_of_queries(
    admin_client, world, django_assert_max_num_queries
):
    many_rows(world)
    with django_assert_max_num_queries(12):
        response = admin_client.get(url(world, "roles"))
    assert len(response.context["leaders"]) == 31


def test_granting_a_role_to_an_existing_user(admin_client, world):
    response = admin_client.post(
        url(world, "role-grant"),
        {"email": " Member@Example.se ", "role": "leader", "group": world.other_group.pk},
    )
    assert response.status_code == 302
    with scopes_disabled():
        assignment = RoleAssignment.objects.get(organisation=world.org, user=world.member)
    assert (assignment.role, assignment.group, assignment.granted_by) == (
        Role.LEADER,
        world.other_group,
        world.admin,
    )
    with scope(organisation=world.org.pk):
        assert AuditEvent.objects.filter(
            organisation=world.org, action="core.role.granted", subject_user=world.member
        ).exists()


def test_granting_a_role_creates_an_account_without_a_password(admin_client, world):
    response = admin_client.post(
        url(world, "role-grant"), {"email": "ny@example.se", "role": "admin"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="ny@example.se")
    assert not user.has_usable_password()
    with scopes_disabled():
        assert RoleAssignment.objects.filter(
            organisation=world.org, user=user, role=Role.ADMIN, group=None
        ).exists()


def test_a_leader_needs_a_group(admin_client, world):
    response = admin_client.post(
        url(world, "role-grant"), {"email": "ny@example.se", "role": "leader"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["group"]
    assert not User.objects.filter(email="ny@example.se").exists()


def test_granting_a_role_twice_is_a_form_error(admin_client, world):
    response = admin_client.post(
        url(world, "role-grant"),
        {"email": world.leader.email, "role": "leader", "group": world.group.pk},
    )
    assert response.status_code == 200
    assert "already has that role" in " ".join(errors_of(response, "__all__"))


def test_revoking_a_role(admin_client, world):
    with scopes_disabled():
        assignment = RoleAssignment.objects.get(organisation=world.org, user=world.leader)
    response = admin_client.post(url(world, "role-revoke", assignment_id=assignment.pk))
    assert response.status_code == 302
    with scopes_disabled():
        assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    with scope(organisation=world.org.pk):
        assert AuditEvent.objects.filter(
            action="core.role.revoked", subject_user=world.leader
        ).exists()


def test_the_last_administrator_cannot_be_revoked(admin_client, world):
    with scopes_disabled():
        assignment = RoleAssignment.objects.get(organisation=world.org, user=world.admin)
    response = admin_client.post(
        url(world, "role-revoke", assignment_id=assignment.pk), follow=True
    )
    assert "at least one administrator" in response.content.decode()
    with scopes_disabled():
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_revoking_needs_a_post(admin_client, world):
    with scopes_disabled():
        assignment = RoleAssignment.objects.get(organisation=world.org, user=world.leader)
    assert (
        admin_client.get(url(world, "role-revoke", assignment_id=assignment.pk)).status_code == 405
    )
    with scopes_disabled():
        assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


def test_the_revoke_button_asks_for_confirmation(admin_client, world):
    content = admin_client.get(url(world, "roles")).content.decode()
    assert "data-confirm=" in content


# --- audit log --------------------------------------------------------------------------


@pytest.fixture
def audit_rows(world: World) -> dict[str, AuditEvent]:
    with scopes_disabled():
        yesterday = timezone.now() - dt.timedelta(days=1)
        return {
            "ward": AuditEvent.objects.create(
                organisation=world.org,
                actor=world.member,
                person=world.ward,
                action="core.person.updated",
                object_repr=str(world.ward),
                changes={"changes": {"phone": ["", "+46701234567"]}},
            ),
            "old": AuditEvent.objects.create(
                organisation=world.org,
                actor=world.admin,
                action="core.section.created",
                object_repr="Gammal",
                created_at=yesterday - dt.timedelta(days=10),
            ),
            "login": AuditEvent.objects.create(
                actor=world.leader, action="core.login.succeeded", subject_user=world.leader
            ),
            "logout": AuditEvent.objects.create(
                actor=world.member, action="core.logout", subject_user=world.member
            ),
            "outsider_login": AuditEvent.objects.create(
                actor=world.outsider, action="core.login.succeeded", subject_user=world.outsider
            ),
            "other_org": AuditEvent.objects.create(
                organisation=world.other_org, actor=world.outsider, action="core.secret"
            ),
        }


def _listed(response: Any) -> set[int]:
    return {row.event.pk for row in response.context["events"]}


def test_audit_log_shows_this_organisation_and_its_users_sign_ins(admin_client, world, audit_rows):
    response = admin_client.get(url(world, "audit"))
    listed = _listed(response)
    for key in ["ward", "old", "login", "logout"]:
        assert audit_rows[key].pk in listed, key
    assert audit_rows["outsider_login"].pk not in listed
    assert audit_rows["other_org"].pk not in listed
    content = response.content.decode()
    assert "+46701234567" in content  # the compact diff: old → new


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (lambda w: {"person": w.ward.pk}, {"ward"}),
        (lambda w: {"user": "LEADER@"}, {"login"}),
        (lambda w: {"action": "core.section."}, {"old"}),
        (lambda w: {"action": "core.log"}, {"login", "logout"}),
    ],
)
def test_audit_log_filters(admin_client, world, audit_rows, params, expected):
    response = admin_client.get(url(world, "audit"), params(world))
    ours = {row.pk for row in audit_rows.values()}
    assert _listed(response) & ours == {audit_rows[key].pk for key in expected}


def test_audit_log_filters_by_date(admin_client, world, audit_rows):
    old_day = timezone.localdate(audit_rows["old"].created_at)
    response = admin_client.get(
        url(world, "audit"), {"date_from": old_day.isoformat(), "date_to": old_day.isoformat()}
    )
    assert _listed(response) & {row.pk for row in audit_rows.values()} == {audit_rows["old"].pk}
    response = admin_client.get(
        url(world, "audit"), {"date_from": (old_day + dt.timedelta(days=1)).isoformat()}
    )
    assert audit_rows["old"].pk not in _listed(response)


def test_audit_log_is_paginated_with_a_bounded_number_of_queries(
    admin_client, world, django_assert_max_num_queries
):
    many_rows(world, n=60)
    with django_assert_max_num_queries(14):
        response = admin_client.get(url(world, "audit"))
    assert len(response.context["events"]) == 50
    assert response.context["page"].has_next()
    response = admin_client.get(url(world, "audit"), {"page": 2, "action": "core."})
    assert response.context["page"].number == 2


# --- local units ------------------------------------------------------------------------


def test_units_lists_the_local_units_below(admin_client, world):
    with scopes_disabled():
        grandchild = Organisation.objects.create(
            name="IK Test Lokal Syd", slug="ik-test-lokal-syd", country="SE", parent=world.unit
        )
    response = admin_client.get(url(world, "units"))
    content = response.content.decode()
    assert reverse("org:dashboard", kwargs={"org_slug": world.unit.slug}) in content
    assert grandchild.name in content
    assert world.other_org.name not in content
    assert world.federation.name not in content.split("<main", 1)[1]


def test_an_administrator_can_open_a_local_unit_below(admin_client, world):
    response = admin_client.get(reverse("org:dashboard", kwargs={"org_slug": world.unit.slug}))
    assert response.status_code == 200


def test_creating_a_local_unit(rf, world):
    """The view exists (its URL is mounted separately); call it directly."""
    from django.contrib.messages.storage.fallback import FallbackStorage

    from forening.office.views import unit_create

    request = rf.post(
        "/",
        {
            "name": "IK Test Norr",
            "slug": "ik-test-norr",
            "country": "SE",
            "organisation_number": "",
            "admin_email": "norr@example.se",
        },
    )
    request.user = world.admin
    request.session = {}
    request._messages = FallbackStorage(request)
    response = unit_create(request, org_slug=world.org.slug)
    assert response.status_code == 302
    unit = Organisation.objects.get(slug="ik-test-norr")
    assert unit.parent == world.org
    with scopes_disabled():
        assert RoleAssignment.objects.filter(
            organisation=unit, user__email="norr@example.se", role=Role.ADMIN
        ).exists()
