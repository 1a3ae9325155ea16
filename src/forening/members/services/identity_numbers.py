"""Identity numbers (personnummer, CPR …): stored encrypted with a blind index for
look-ups and a masked form for display; every reveal is audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from forening.core import audit, crypto
from forening.core.context import Actor
from forening.core.models import Organisation, Person, PersonKind
from forening.members import identity


def _identity_context(organisation_id: int) -> bytes:
    return f"person-identity:{organisation_id}".encode()


def identity_index(organisation: Organisation, normalised: str) -> str:
    return crypto.blind_index(normalised, purpose=identity.index_purpose(organisation.pk))


def identity_number_columns(
    organisation: Organisation, number: identity.IdentityNumber
) -> dict[str, str]:
    """The stored columns (ciphertext, blind index, masked form) of a parsed identity
    number, for bulk writers such as the import that build `Person` rows themselves."""
    return {
        "identity_number_ciphertext": crypto.encrypt(
            number.normalised, context=_identity_context(organisation.pk)
        ),
        "identity_number_index": identity_index(organisation, number.normalised),
        "identity_number_masked": number.masked,
    }


def apply_identity_number(person: Person, raw: str, *, country: str | None = None) -> None:
    """Parse, encrypt and index `raw` onto `person` (not saved). "" removes the number."""
    raw = (raw or "").strip()
    if not raw:
        person.identity_number_ciphertext = ""
        person.identity_number_index = ""
        person.identity_number_masked = ""
        return
    try:
        number = identity.parse(raw, country or person.organisation.country)
    except identity.IdentityNumberError as error:
        raise ValidationError({"identity_number": str(error)}) from None
    index = identity_index(person.organisation, number.normalised)
    duplicate = (
        Person.objects.filter(organisation_id=person.organisation_id, identity_number_index=index)
        .exclude(pk=person.pk)
        .first()
    )
    if duplicate is not None:
        raise ValidationError(
            {
                "identity_number": _(
                    "%(name)s (member number %(number)s) already has this identity number."
                )
                % {"name": duplicate.full_name, "number": duplicate.member_number or "–"}
            }
        )
    person.identity_number_ciphertext = crypto.encrypt(
        number.normalised, context=_identity_context(person.organisation_id)
    )
    person.identity_number_index = index
    person.identity_number_masked = number.masked
    person.birth_date = number.birth_date
    if person.organisation.records_gender and person.kind == PersonKind.PERSON:
        person.gender = number.gender


def decrypt_identity_number(person: Person) -> str:
    if not person.identity_number_ciphertext:
        return ""
    return crypto.decrypt(
        person.identity_number_ciphertext, context=_identity_context(person.organisation_id)
    )


def reveal_identity_number(person: Person, *, actor: Actor) -> str:
    """The full number, for someone allowed to see it. Every reveal is in the audit log."""
    value = decrypt_identity_number(person)
    if value:
        audit.record(actor, "members.identity_number.revealed", person)
    return value


def find_by_identity_number(organisation: Organisation, raw: str) -> Person | None:
    """The person with exactly this number, or None (also for something that is no number)."""
    try:
        number = identity.parse(raw, organisation.country)
    except identity.IdentityNumberError:
        return None
    index = identity_index(organisation, number.normalised)
    return Person.objects.filter(organisation=organisation, identity_number_index=index).first()


def reencrypt_identity_numbers(organisation: Organisation, *, batch_size: int = 1000) -> int:
    """Re-encrypt every identity number of `organisation` with the newest key
    (`forening rotate-keys`). Idempotent: rows already under the newest key are skipped."""
    key_id, _key = crypto.keyring().current
    prefix = f"v1:{key_id}:"
    changed = 0
    todo = (
        Person.objects.filter(organisation=organisation)
        .exclude(identity_number_ciphertext="")
        .exclude(identity_number_ciphertext__startswith=prefix)
        .only("pk", "organisation_id", "identity_number_ciphertext")
    )
    batch: list[Person] = []
    for person in todo.iterator(chunk_size=batch_size):
        context = _identity_context(person.organisation_id)
        plain = crypto.decrypt(person.identity_number_ciphertext, context=context)
        person.identity_number_ciphertext = crypto.encrypt(plain, context=context)
        batch.append(person)
        if len(batch) >= batch_size:
            changed += _save_ciphertexts(batch)
            batch = []
    changed += _save_ciphertexts(batch)
    return changed


def _save_ciphertexts(batch: list[Person]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        Person.objects.bulk_update(batch, ["identity_number_ciphertext"])
    return len(batch)
