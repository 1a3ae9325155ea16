"""The audit log is protected in the database: triggers refuse UPDATE and DELETE, except the
redaction of `changes` and `object_repr` inside `core.audit.redaction()`. On SQLite and on
PostgreSQL (run with DATABASE_URL)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from django_scopes import ScopeError, scopes_disabled

from forening.core import audit, audit_protection
from forening.core.context import Actor
from forening.core.models import AuditEvent, MemberStatus, Organisation
from forening.members import privacy, services
from tests.factories.core import OrganisationFactory, UserFactory
from tests.factories.members import make_member

ACTOR = Actor.system("test")


@pytest.fixture
def event(org: Organisation) -> AuditEvent:
    return audit.record(
        ACTOR, "core.test.happened", organisation=org, changes={"name": ["Sara", "Sara S"]}
    )


def sql(statement: str, params: list[Any] | None = None) -> int:
    """Run raw SQL in a savepoint (so a refusal leaves the test's transaction usable)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def stored(event: AuditEvent) -> AuditEvent:
    return AuditEvent.objects.get(pk=event.pk)


# --- the database refuses -----------------------------------------------------------------


def test_the_database_refuses_an_update_of_an_event(event: AuditEvent) -> None:
    for statement in (
        "UPDATE core_auditevent SET action = 'core.test.forged' WHERE id = %s",
        "UPDATE core_auditevent SET changes = '{}' WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="append-only: UPDATE refused"):
            sql(statement, [event.pk])
    assert stored(event).action == "core.test.happened"
    assert stored(event).changes == {"name": ["Sara", "Sara S"]}


def test_the_database_refuses_a_delete_of_an_event(event: AuditEvent) -> None:
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
        sql("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
        sql("DELETE FROM core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
def test_postgresql_refuses_truncating_the_log(event: AuditEvent) -> None:
    # The event's foreign keys are checked at commit; PostgreSQL truncates no table with
    # checks pending, so check them now.
    sql("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="append-only: TRUNCATE refused"):
        sql("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_djangos_own_writes_past_the_queryset_are_refused_too(event: AuditEvent) -> None:
    # The base manager (what Django uses for related rows) has none of our Python guards.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent._base_manager.filter(pk=event.pk).update(action="core.test.forged")
    # Deleting a user named in the log would set `actor` to NULL in its events: refused.
    user = UserFactory()
    audit.record(Actor(user=user, label=user.email), "core.test.happened", organisation=None)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        user.delete()


# --- the ORM refuses ----------------------------------------------------------------------


def test_queryset_update_delete_and_bulk_update_are_refused(event: AuditEvent) -> None:
    event.action = "core.test.forged"
    attempts = [
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(pk=event.pk).update(action="core.test.forged"),
        lambda: AuditEvent.objects.filter(pk=event.pk).update(changes={}),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
        lambda: AuditEvent.objects.bulk_update([event], ["action"]),
        lambda: AuditEvent.objects.bulk_update([event], ["changes"]),
    ]
    for attempt in attempts:
        with pytest.raises(ValueError, match="append-only"), transaction.atomic():
            attempt()
    assert stored(event).action == "core.test.happened"


def test_an_unscoped_query_is_refused(db: Any) -> None:
    with pytest.raises(ScopeError):
        AuditEvent.objects.filter(action="core.test.happened")
    with pytest.raises(ScopeError):
        AuditEvent.objects.count()


def test_the_scope_hides_other_associations_events(org: Organisation, event: AuditEvent) -> None:
    with scopes_disabled():
        other = OrganisationFactory(slug="annan")
        audit.record(ACTOR, "core.test.happened", organisation=other)
        audit.record(ACTOR, "core.test.happened", organisation=None)
        assert AuditEvent.objects.filter(action="core.test.happened").count() == 3
    assert list(AuditEvent.objects.filter(action="core.test.happened")) == [event]


# --- the redaction path -------------------------------------------------------------------


def test_a_redaction_rewrites_changes_and_object_repr_and_is_audited(
    org: Organisation, event: AuditEvent
) -> None:
    # when
    with audit.redaction(ACTOR, organisation=org, reason="Begäran om radering") as redaction:
        event.changes = {"name": [None, None]}
        event.object_repr = "Anonymiserad"
        written = redaction.rewrite([event], ["changes", "object_repr"])
    # then
    assert written == 1
    rewritten = stored(event)
    assert rewritten.changes == {"name": [None, None]}
    assert rewritten.object_repr == "Anonymiserad"
    assert (rewritten.action, rewritten.created_at) == ("core.test.happened", event.created_at)
    redacted = AuditEvent.objects.get(action="core.audit.redacted")
    assert redacted.organisation_id == org.pk
    assert redacted.actor_label == "test"
    assert redacted.changes == {"events": 1, "reason": "Begäran om radering"}
    with translation.override("en"):
        assert redacted.action_label == "Personal data removed from the audit log"
    with translation.override("sv"):
        assert redacted.action_label == "Personuppgifter borttagna ur händelseloggen"
    # and afterwards the log is closed again
    with pytest.raises(IntegrityError, match="append-only: UPDATE refused"):
        sql("UPDATE core_auditevent SET changes = %s WHERE id = %s", ["{}", event.pk])


def test_a_redaction_refuses_other_columns_and_deletes(
    org: Organisation, event: AuditEvent
) -> None:
    with audit.redaction(ACTOR, organisation=org, reason="Test") as redaction:
        # the database: only changes and object_repr
        with pytest.raises(IntegrityError, match="only changes and object_repr"):
            sql("UPDATE core_auditevent SET action = %s WHERE id = %s", ["x.y.z", event.pk])
        with pytest.raises(IntegrityError, match="only changes and object_repr"):
            sql(
                "UPDATE core_auditevent SET object_repr = %s, actor_label = %s WHERE id = %s",
                ["Anonymiserad", "someone else", event.pk],
            )
        with pytest.raises(IntegrityError, match="append-only: DELETE refused"):
            sql("DELETE FROM core_auditevent WHERE id = %s", [event.pk])
        assert (
            sql("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["X", event.pk]) == 1
        )
        # the ORM: the same
        with pytest.raises(ValueError, match="may not change action"):
            AuditEvent.objects.filter(pk=event.pk).update(action="x.y.z")
        with pytest.raises(ValueError, match="append-only"):
            AuditEvent.objects.filter(pk=event.pk).delete()
        with pytest.raises(ValueError, match="only changes and object_repr"):
            redaction.rewrite([event], ["action"])
        with pytest.raises(ValueError, match="append-only"):
            event.save()
    assert stored(event).action == "core.test.happened"
    assert stored(event).object_repr == "X"


def test_a_failed_redaction_leaves_nothing_behind(org: Organisation, event: AuditEvent) -> None:
    def redact_then_fail() -> None:
        with audit.redaction(ACTOR, organisation=org, reason="Test") as redaction:
            event.object_repr = "Anonymiserad"
            redaction.rewrite([event], ["object_repr"])
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        redact_then_fail()
    assert stored(event).object_repr == ""
    assert not AuditEvent.objects.filter(action="core.audit.redacted").exists()
    assert not audit_protection.redacting()
    with pytest.raises(IntegrityError, match="append-only: UPDATE refused"):
        sql("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["X", event.pk])


def test_nested_redactions_keep_the_outer_one_open(org: Organisation, event: AuditEvent) -> None:
    with audit.redaction(ACTOR, organisation=org, reason="Yttre") as outer:
        with audit.redaction(ACTOR, organisation=org, reason="Inre") as inner:
            event.object_repr = "Inre"
            inner.rewrite([event], ["object_repr"])
        event.object_repr = "Yttre"
        outer.rewrite([event], ["object_repr"])
    assert stored(event).object_repr == "Yttre"
    reasons = AuditEvent.objects.filter(action="core.audit.redacted").values_list(
        "changes__reason", flat=True
    )
    assert sorted(reasons) == ["Inre", "Yttre"]


@pytest.mark.django_db(transaction=True)
def test_a_redaction_needs_a_transaction() -> None:
    with pytest.raises(RuntimeError, match="atomic"), audit_protection.marked(connection):
        pass


# --- erasure, end to end -----------------------------------------------------------------


def test_anonymising_a_person_redacts_the_log_through_the_redaction(org: Organisation) -> None:
    # given
    person = make_member(org, first_name="Sara", last_name="Svensson", email="sara@example.se")
    person = services.change_status(person, MemberStatus.INACTIVE, actor=ACTOR, reason="Flytt")
    about = AuditEvent.objects.filter(person=person)
    count = about.count()
    assert "Svensson" in json.dumps([e.changes for e in about] + [e.object_repr for e in about])
    # when
    privacy.anonymise_person(person, actor=ACTOR, reason="Begäran om radering")
    # then
    about = AuditEvent.objects.filter(person=person).exclude(action="members.privacy.anonymised")
    assert about.count() == count
    assert "Svensson" not in json.dumps([e.changes for e in about] + [e.object_repr for e in about])
    redacted = AuditEvent.objects.get(action="core.audit.redacted")
    assert redacted.changes["reason"] == "Begäran om radering"
    assert redacted.changes["events"] >= count
    # the log is closed again after the erasure
    with pytest.raises(IntegrityError, match="append-only"):
        sql("UPDATE core_auditevent SET object_repr = %s", ["X"])


# --- installing -----------------------------------------------------------------------------


def test_installing_again_is_harmless(event: AuditEvent) -> None:
    audit_protection.install(connection)
    audit_protection.install(connection)
    assert audit_protection.is_installed(connection)
    with pytest.raises(IntegrityError, match="append-only"):
        sql("DELETE FROM core_auditevent")


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_keeps_it_protected() -> None:
    with scopes_disabled():
        organisation = OrganisationFactory()
        audit.record(ACTOR, "core.test.happened", organisation=organisation)
        assert AuditEvent.objects.exists()
    call_command("flush", interactive=False, verbosity=0)
    with scopes_disabled():
        assert not AuditEvent.objects.exists()
    assert audit_protection.is_installed(connection)
    with scopes_disabled():
        event = audit.record(ACTOR, "core.test.happened", organisation=None)
    with pytest.raises(IntegrityError, match="append-only"):
        sql("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["X", event.pk])
