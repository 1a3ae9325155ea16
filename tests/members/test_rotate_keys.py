"""`forening rotate-keys`: every identity number moves to the newest key, so old keys can go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django_scopes import scope, scopes_disabled

from forening.core import crypto
from forening.core.models import AuditEvent, Organisation, Person
from forening.members import services
from tests.factories.core import OrganisationFactory
from tests.factories.members import (
    CPR,
    PERSONNUMMER,
    PERSONNUMMER_MALE,
    SAMORDNINGSNUMMER,
    make_member,
)

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()
SEARCH_KEY = "a-search-key-that-never-changes"


@contextmanager
def keys(ring: str) -> Iterator[None]:
    """Run with FORENING_ENCRYPTION_KEYS = `ring` (the cached key ring follows)."""
    with override_settings(FORENING_ENCRYPTION_KEYS=ring, FORENING_SEARCH_KEY=SEARCH_KEY):
        crypto.keyring.cache_clear()
        try:
            yield
        finally:
            crypto.keyring.cache_clear()


def _rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate-keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _ciphertexts(organisation: Organisation) -> list[str]:
    with scopes_disabled():
        return list(
            Person.objects.filter(organisation=organisation)
            .exclude(identity_number_ciphertext="")
            .values_list("identity_number_ciphertext", flat=True)
        )


@pytest.fixture
def numbered(org: Organisation) -> list[Person]:
    """Three people whose numbers are encrypted with key A."""
    with keys(f"a:{KEY_A}"):
        people = [
            make_member(org, identity_number=PERSONNUMMER),
            make_member(org, identity_number=PERSONNUMMER_MALE),
            make_member(org, identity_number=SAMORDNINGSNUMMER),
            make_member(org),  # no number: nothing to do
        ]
    assert all(c.startswith("v1:a:") for c in _ciphertexts(org))
    return people


def test_rotate_then_remove_the_old_key(org: Organisation, numbered: list[Person]) -> None:
    # given: key B added first in the ring
    with keys(f"b:{KEY_B},a:{KEY_A}"):
        # when
        output = _rotate()
        # then
        assert "ik-test: 3 re-encrypted, 3 of 3 under key b." in output
        assert "In all: 3 identity numbers re-encrypted with key b." in output
    assert all(c.startswith("v1:b:") for c in _ciphertexts(org))
    # when: key A is removed
    with keys(f"b:{KEY_B}"):
        # then: every number still decrypts, and exact search still finds it
        people = Person.objects.filter(pk__in=[p.pk for p in numbered[:3]]).order_by("pk")
        assert [services.decrypt_identity_number(p) for p in people] == [
            "19850312-2387",
            "19090527-1474",
            "19701063-2391",
        ]
        assert services.find_by_identity_number(org, PERSONNUMMER) == numbered[0]


def test_without_rotation_removing_the_old_key_breaks_decryption(
    org: Organisation, numbered: list[Person]
) -> None:
    with keys(f"b:{KEY_B}"), pytest.raises(ImproperlyConfigured):
        services.decrypt_identity_number(Person.objects.get(pk=numbered[0].pk))


def test_rotate_is_idempotent_and_audited(org: Organisation, numbered: list[Person]) -> None:
    with keys(f"b:{KEY_B},a:{KEY_A}"):
        _rotate()
        before = _ciphertexts(org)
        again = _rotate()
    assert "ik-test: 0 re-encrypted, 3 of 3 under key b." in again
    assert _ciphertexts(org) == before
    events = AuditEvent.objects.filter(action="members.identity_numbers.reencrypted")
    assert events.count() == 1
    assert events.get().changes == {"key": "b", "count": 3}


def test_rotate_in_small_batches(org: Organisation, numbered: list[Person]) -> None:
    with keys(f"b:{KEY_B},a:{KEY_A}"):
        assert "3 re-encrypted" in _rotate("--batch-size", "2")
    assert all(c.startswith("v1:b:") for c in _ciphertexts(org))


def test_rotate_one_association_only(org: Organisation, numbered: list[Person]) -> None:
    # given: another association with a number under key A
    with scopes_disabled():
        other = OrganisationFactory(slug="andra-if", country="DK", currency="DKK")
    with keys(f"a:{KEY_A}"), scope(organisation=other.pk):
        make_member(other, identity_number=CPR)
    # when
    with keys(f"b:{KEY_B},a:{KEY_A}"):
        output = _rotate("--org", "andra-if")
    # then
    assert "andra-if: 1 re-encrypted" in output
    assert "ik-test" not in output
    assert all(c.startswith("v1:b:") for c in _ciphertexts(other))
    assert all(c.startswith("v1:a:") for c in _ciphertexts(org))


def test_rotate_unknown_association(db: Any) -> None:
    with pytest.raises(CommandError, match="no organisation"):
        _rotate("--org", "finns-inte")
    with pytest.raises(CommandError, match="batch"):
        _rotate("--batch-size", "0")
