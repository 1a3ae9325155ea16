"""The register's row locks, in the order of `core.locks` (which see):

- step 1: rows edited one change at a time per association: an upload being imported
  or discarded, a custom field, a saved search; and, while a member import writes, the
  association's own row `FOR NO KEY UPDATE` (one import at a time; other writers'
  foreign keys to the association are not blocked);
- step 3: people, always after their households, through `households.locks` (changing an
  address rewrites the whole household);
- step 4: rows of one person, such as an open consent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from forening.core.locks import lock_row, lock_rows
from forening.core.models import Organisation, Person
from forening.households.locks import lock_people, lock_person
from forening.members.models import AttributeDefinition, Consent, MemberImport, SavedSearch

__all__ = [
    "lock_attribute",
    "lock_import",
    "lock_imports",
    "lock_open_consent",
    "lock_organisation_for_import",
    "lock_people",
    "lock_people_of",
    "lock_person",
    "lock_saved_search",
]


def lock_import(member_import: MemberImport) -> MemberImport:
    """An upload read again and locked (step 1)."""
    return lock_row(
        MemberImport.objects.all(),
        organisation_id=member_import.organisation_id,
        pk=member_import.pk,
    )


def lock_imports(imports: QuerySet[MemberImport, Any]) -> list[MemberImport]:
    """Uploads locked in primary-key order (step 1)."""
    return lock_rows(imports)


def lock_organisation_for_import(organisation: Organisation) -> None:
    """One member import at a time per association (step 1): the association's row
    FOR NO KEY UPDATE. FOR UPDATE would also stop every insert that references the
    association (a foreign key check takes FOR KEY SHARE on its row)."""
    Organisation.objects.select_for_update(no_key=True, of=("self",)).filter(
        pk=organisation.pk
    ).first()


def lock_attribute(attribute: AttributeDefinition) -> AttributeDefinition:
    """A custom field read again and locked (step 1)."""
    return lock_row(
        AttributeDefinition.objects.all(),
        organisation_id=attribute.organisation_id,
        pk=attribute.pk,
    )


def lock_saved_search(organisation: Organisation, name: str) -> SavedSearch | None:
    """The saved search of this name (any case), locked, or None (step 1)."""
    found = lock_rows(SavedSearch.objects.filter(organisation=organisation, name__iexact=name))
    return found[0] if found else None


def lock_people_of(people: QuerySet[Person, Any]) -> list[Person]:
    """The people of `people` locked after their households (step 3), in primary-key
    order."""
    found = lock_people(list(people.only("pk", "organisation_id")))
    return [found[pk] for pk in sorted(found)]


def lock_open_consent(person: Person, purpose_id: int) -> Consent | None:
    """The person's open consent to a purpose, locked (step 4), or None."""
    found = lock_rows(
        Consent.objects.filter(person=person, purpose_id=purpose_id, withdrawn_at__isnull=True)
    )
    return found[0] if found else None
