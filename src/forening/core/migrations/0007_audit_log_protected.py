"""Triggers that refuse UPDATE and DELETE on the audit log (and TRUNCATE on PostgreSQL),
except the redaction of `changes` and `object_repr` inside `core.audit.redaction()`.

The SQL lives in `forening.core.audit_protection`, per vendor (a plpgsql function and
triggers on PostgreSQL, triggers with RAISE(ABORT) and a mark table on SQLite); the same
functions recreate the triggers after every migrate and in the test database.
"""

from django.db import migrations

from forening.core import audit_protection


def protect(apps, schema_editor):
    audit_protection.install(schema_editor.connection)


def unprotect(apps, schema_editor):
    audit_protection.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_scheduled_run"),
    ]

    operations = [
        migrations.RunPython(protect, unprotect),
    ]
