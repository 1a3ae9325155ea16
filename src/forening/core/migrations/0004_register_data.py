"""Households from the old household keys, default membership types, and (on PostgreSQL)
a trigram index for the register's free-text search."""

from typing import Any

from django.db import migrations

MEMBERSHIP_TYPES = [
    ("ordinary", "Ordinarie", "Ordinær", "Ordinary"),
    ("family", "Familj", "Familie", "Family"),
    ("honorary", "Hedersmedlem", "Æresmedlem", "Honorary"),
    ("passive", "Passiv", "Passiv", "Passive"),
    ("supporting", "Stödmedlem", "Støttemedlem", "Supporting"),
]


def forwards(apps, schema_editor):
    Organisation = apps.get_model("core", "Organisation")
    Person = apps.get_model("core", "Person")
    Household = apps.get_model("households", "Household")
    MembershipType = apps.get_model("members", "MembershipType")
    for org in Organisation.objects.all():
        column = {"sv": 1, "da": 2}.get(org.language, 3)
        if not MembershipType.objects.filter(organisation=org).exists():
            MembershipType.objects.bulk_create(
                MembershipType(organisation=org, kind=row[0], name=row[column], position=i)
                for i, row in enumerate(MEMBERSHIP_TYPES)
            )
        ordinary = MembershipType.objects.filter(organisation=org, kind="ordinary").first()
        Person.objects.filter(organisation=org, membership_type__isnull=True).update(
            membership_type=ordinary
        )
        by_key: dict[str, list[Any]] = {}  # household key → people (historical models)
        for person in Person.objects.filter(organisation=org).exclude(household_key="").order_by("pk"):
            by_key.setdefault(person.household_key, []).append(person)
        for people in by_key.values():
            first = people[0]
            household = Household.objects.create(
                organisation=org,
                name=first.last_name or first.first_name,
                street=first.street,
                postal_code=first.postal_code,
                city=first.city,
                payer=min(people, key=lambda p: (p.birth_date is None, p.birth_date, p.pk)),
            )
            Person.objects.filter(pk__in=[p.pk for p in people]).update(household=household)


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS core_person_search_trgm "
        "ON core_person USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS core_person_search_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_register_relations"),
        ("households", "0001_initial"),
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="person", name="household_key"),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
