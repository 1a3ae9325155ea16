"""The audit log: automatic field diffs in the service's actor's name, append-only rows."""

from __future__ import annotations

import pytest
from django.utils import translation
from django_scopes import scope

from forening.core import services
from forening.core.context import Actor
from forening.core.models import AuditEvent, Section
from forening.office import onboarding
from tests.factories.core import SectionFactory, UserFactory


def test_a_change_is_logged_as_a_field_diff_in_the_name_of_the_services_actor(org):
    section = SectionFactory(organisation=org, name="Fotboll")
    section = Section.objects.get(pk=section.pk)
    user = UserFactory(email="kansli@example.se")

    section.name = "Fotboll och futsal"
    services.save_section(section, actor=Actor(user=user, label=user.email))

    event = AuditEvent.objects.filter(action="core.section.updated").get()
    assert event.organisation_id == org.pk
    assert event.actor == user
    assert event.changes == {"name": ["Fotboll", "Fotboll och futsal"]}


def test_saving_without_a_change_writes_no_event(org):
    section = Section.objects.get(pk=SectionFactory(organisation=org).pk)
    before = AuditEvent.objects.count()
    services.save_section(section, actor=Actor.system())
    assert AuditEvent.objects.count() == before


def test_a_command_creating_an_association_is_named_in_every_row(db):
    created = onboarding.create_organisation(
        name="IK Loggen",
        slug="ik-loggen",
        country="SE",
        admin_email="admin@ik-loggen.se",
        actor=Actor.system("create-organisation"),
    )
    with scope(organisation=created.organisation.pk):
        labels = set(
            AuditEvent.objects.filter(organisation=created.organisation).values_list(
                "actor_label", flat=True
            )
        )
    assert labels == {"create-organisation"}


def test_a_service_without_an_actor_is_refused(org):
    with pytest.raises(TypeError):
        services.save_section(Section(organisation=org, name="X"))


def test_events_cannot_be_changed_or_deleted(org):
    SectionFactory(organisation=org)
    event = AuditEvent.objects.first()
    event.action = "core.section.forged"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_actions_read_as_words_in_the_readers_language(org):
    SectionFactory(organisation=org)
    event = AuditEvent.objects.get(action="core.section.created")
    with translation.override("sv"):
        assert event.action_label == "Sektion skapad"
    with translation.override("en"):
        assert event.action_label == "Section created"


def test_the_audit_page_names_changed_fields_in_words(client, world):
    from django.urls import reverse

    with scope(organisation=world.org.pk):
        section = Section.objects.get(pk=SectionFactory(organisation=world.org, name="Bandy").pk)
        section.name = "Innebandy"
        services.save_section(section, actor=Actor(user=world.admin, label=world.admin.email))
    world.admin.language = "sv"
    world.admin.save(update_fields=["language"])
    client.force_login(world.admin)

    page = client.get(reverse("org:audit", args=[world.org.slug]), {"action": "core.section"})

    assert page.status_code == 200
    content = page.content.decode()
    assert "Sektion ändrad" in content
    assert "Namn:</span> <del>Bandy</del> → Innebandy" in content
