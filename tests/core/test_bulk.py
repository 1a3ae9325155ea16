"""core.bulk: set-wise inserts (COPY on PostgreSQL) behave as the ORM's inserts do."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from forening.core import bulk
from forening.core.models import AuditEvent, NumberSequence
from tests.factories.core import PersonFactory


def test_insert_returns_the_new_keys_in_the_order_of_the_rows(org: Any) -> None:
    names = [f"series-{n}" for n in range(25)]

    keys = bulk.insert(
        NumberSequence, ["organisation_id", "name"], [(org.pk, name) for name in names]
    )

    stored = dict(NumberSequence.objects.filter(pk__in=keys).values_list("pk", "name"))
    assert [stored[key] for key in keys] == names
    assert len(set(keys)) == 25
    # A column left out takes the field's default.
    assert set(NumberSequence.objects.filter(pk__in=keys).values_list("last_value", flat=True)) == {
        0
    }


def test_json_ip_addresses_text_with_tabs_and_defaults_are_written_as_the_orm_writes_them(
    org: Any,
) -> None:
    person = PersonFactory(organisation=org)
    before = timezone.now()
    awkward = 'Tab\there, new line\nthere, back\\slash, "quotes" and <script>'

    (key,) = bulk.insert(
        AuditEvent,
        ["organisation_id", "action", "object_repr", "person_id", "changes", "ip_address"],
        [(org.pk, "test.bulk", awkward, person.pk, {"amount": [1, 2], "text": "å"}, "10.0.0.1")],
    )

    event = AuditEvent.objects.get(pk=key)
    assert event.object_repr == awkward
    assert event.changes == {"amount": [1, 2], "text": "å"}
    assert event.ip_address == "10.0.0.1"
    assert event.person_id == person.pk
    assert event.created_at >= before  # the default, timezone.now
    assert event.actor_id is None


def test_create_sets_the_keys_on_the_instances(org: Any) -> None:
    objects = [NumberSequence(organisation=org, name=f"n{n}", last_value=n) for n in range(3)]

    created = bulk.create(objects)

    assert [obj.pk for obj in created] == [obj.pk for obj in objects]
    assert all(obj.pk and not obj._state.adding for obj in objects)
    assert NumberSequence.objects.get(pk=objects[2].pk).last_value == 2


def test_a_broken_constraint_is_an_integrity_error_and_nothing_is_written(org: Any) -> None:
    rows = [(org.pk, "same"), (org.pk, "other"), (org.pk, "same")]

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(NumberSequence, ["organisation_id", "name"], rows)

    assert not NumberSequence.objects.filter(name__in=["same", "other"]).exists()


def test_unknown_columns_and_given_keys_are_refused(org: Any) -> None:
    with pytest.raises(ValueError, match="no column"):
        bulk.insert(NumberSequence, ["organisation_id", "nmae"], [(org.pk, "x")])
    with pytest.raises(ValueError, match="primary keys"):
        bulk.insert(NumberSequence, ["id", "organisation_id", "name"], [(1, org.pk, "x")])
    assert bulk.insert(NumberSequence, ["organisation_id", "name"], []) == []
