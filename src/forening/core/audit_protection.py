"""The audit log is protected in the database: triggers refuse UPDATE and DELETE on it.

The Python refusals (`AuditEvent.save()`/`delete()`, the queryset's `update()`/`delete()`)
stop our own code; the triggers stop everything else that reaches the table: the base
manager Django uses internally, raw SQL, a shell, a script. See
docs/decisions/0005-audit-log-protected-in-the-database.md.

The one exception is a redaction (erasure under GDPR art. 17): inside
`core.audit.redaction()` an UPDATE may rewrite `changes` and `object_repr` of events, and
nothing else. The trigger knows a redaction is in progress from a mark that lives only in
the redacting transaction:

- PostgreSQL: the transaction-local setting `forening.audit_redaction = 'on'`
  (`set_config(…, true)`), undone by the end of the transaction or a rollback to a savepoint;
- SQLite: a row in `core_auditredaction`, inserted and deleted inside the same transaction
  (a trigger of the main schema cannot read a TEMP table, and SQLite has no session
  variables). SQLite has one writer at a time, so no other transaction sees the row.

This module holds all the SQL. Migration `core.0007_audit_log_protected` calls `install()`
and `uninstall()`; the `post_migrate` receiver `install_after_migrate()` (re)creates the
triggers after every `migrate`, which is how a test database built without migrations gets
them too. Keep the names and signatures stable: the migration imports them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

TABLE = "core_auditevent"
# The columns a redaction may rewrite; every other column is refused, even inside one.
REDACTABLE_COLUMNS = ("changes", "object_repr")
MIGRATION = ("core", "0007_audit_log_protected")

UPDATE_TRIGGER = "core_auditevent_refuse_update"
DELETE_TRIGGER = "core_auditevent_refuse_delete"
TRUNCATE_TRIGGER = "core_auditevent_refuse_truncate"  # PostgreSQL only
PG_FUNCTION = "core_auditevent_refuse_change"
PG_SETTING = "forening.audit_redaction"
SQLITE_MARKER_TABLE = "core_auditredaction"

# The messages the database raises (tests match on them). Not translated: they are for the
# developer or operator who tried it, in the database's log as well as in the traceback.
REFUSED_UPDATE = "The audit log is append-only: UPDATE refused outside a redaction"
REFUSED_COLUMNS = "A redaction of the audit log may change only changes and object_repr"
REFUSED_DELETE = "The audit log is append-only: DELETE refused"
REFUSED_TRUNCATE = "The audit log is append-only: TRUNCATE refused"

_PG_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{REFUSED_DELETE}' USING ERRCODE = 'integrity_constraint_violation';
    ELSIF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION '{REFUSED_TRUNCATE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF coalesce(current_setting('{PG_SETTING}', true), '') <> 'on' THEN
        RAISE EXCEPTION '{REFUSED_UPDATE}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    -- Every column but the redactable ones, compared as a whole: a column added later is
    -- protected without touching this function.
    IF (to_jsonb(NEW) - '{REDACTABLE_COLUMNS[0]}' - '{REDACTABLE_COLUMNS[1]}')
        IS DISTINCT FROM (to_jsonb(OLD) - '{REDACTABLE_COLUMNS[0]}' - '{REDACTABLE_COLUMNS[1]}')
    THEN
        RAISE EXCEPTION '{REFUSED_COLUMNS}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$
"""


def _postgresql_install() -> list[str]:
    return [
        _PG_FUNCTION_SQL,
        f"CREATE OR REPLACE TRIGGER {UPDATE_TRIGGER} BEFORE UPDATE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        f"CREATE OR REPLACE TRIGGER {DELETE_TRIGGER} BEFORE DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        f"CREATE OR REPLACE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()",
    ]


def _postgresql_drop_triggers() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {TABLE}"
        for name in (UPDATE_TRIGGER, DELETE_TRIGGER, TRUNCATE_TRIGGER)
    ]


def _sqlite_install(columns: list[str]) -> list[str]:
    # SQLite cannot compare whole rows: the trigger names every column the table has now,
    # and `install_after_migrate()` writes it again after each migrate, so a column added
    # by a later migration is covered.
    kept = [column for column in columns if column not in REDACTABLE_COLUMNS]
    changed = " OR ".join(f'NEW."{column}" IS NOT OLD."{column}"' for column in kept)
    # Built from this module's constants and the table's own column names, no input.
    refuse_update = f"""
CREATE TRIGGER "{UPDATE_TRIGGER}" BEFORE UPDATE ON "{TABLE}" FOR EACH ROW BEGIN
    SELECT RAISE(ABORT, '{REFUSED_UPDATE}')
     WHERE NOT EXISTS (SELECT 1 FROM "{SQLITE_MARKER_TABLE}");
    SELECT RAISE(ABORT, '{REFUSED_COLUMNS}')
     WHERE {changed};
END"""  # noqa: S608
    refuse_delete = f"""
CREATE TRIGGER "{DELETE_TRIGGER}" BEFORE DELETE ON "{TABLE}" FOR EACH ROW BEGIN
    SELECT RAISE(ABORT, '{REFUSED_DELETE}');
END"""
    return [
        f'CREATE TABLE IF NOT EXISTS "{SQLITE_MARKER_TABLE}" '
        '("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT)',
        *_sqlite_drop_triggers(),
        refuse_update,
        refuse_delete,
    ]


def _sqlite_drop_triggers() -> list[str]:
    return [f'DROP TRIGGER IF EXISTS "{name}"' for name in (UPDATE_TRIGGER, DELETE_TRIGGER)]


def _execute(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _unsupported(connection: BaseDatabaseWrapper) -> NotImplementedError:
    return NotImplementedError(
        f"The audit log protection supports PostgreSQL and SQLite, not {connection.vendor}"
    )


def install(connection: BaseDatabaseWrapper) -> None:
    """Create (or replace) the triggers that refuse UPDATE and DELETE on the audit table.
    Idempotent."""
    if connection.vendor == "postgresql":
        _execute(connection, _postgresql_install())
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, TABLE)
            ]
        _execute(connection, _sqlite_install(columns))
    else:
        raise _unsupported(connection)


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers (what `flush` needs for a moment); `install()` puts them back."""
    if connection.vendor == "postgresql":
        _execute(connection, _postgresql_drop_triggers())
    elif connection.vendor == "sqlite":
        _execute(connection, _sqlite_drop_triggers())
    else:
        raise _unsupported(connection)


def uninstall(connection: BaseDatabaseWrapper) -> None:
    """Remove the triggers, the PostgreSQL function and the SQLite mark table."""
    drop_triggers(connection)
    if connection.vendor == "postgresql":
        _execute(connection, [f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"])
    else:
        _execute(connection, [f'DROP TABLE IF EXISTS "{SQLITE_MARKER_TABLE}"'])


def is_installed(connection: BaseDatabaseWrapper) -> bool:
    """Whether the UPDATE trigger exists on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                [UPDATE_TRIGGER, TABLE],
            )
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [UPDATE_TRIGGER],
            )
        return cursor.fetchone() is not None


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Without the triggers for the duration of the block, then with them again if they
    were there. For `flush` only, which empties every table (on SQLite with DELETE)."""
    if TABLE not in connection.introspection.table_names() or not is_installed(connection):
        yield
        return
    drop_triggers(connection)
    try:
        yield
    finally:
        install(connection)


def install_after_migrate(using: str, **kwargs: Any) -> None:
    """`post_migrate` receiver: (re)create the triggers where the migration that installs
    them is applied, or where `core` runs without migrations (the test database)."""
    from django.db import connections

    connection = connections[using]
    if TABLE not in connection.introspection.table_names():
        return
    module, _explicit = MigrationLoader.migrations_module(MIGRATION[0])
    if module is not None:
        recorder = MigrationRecorder(connection)
        if not recorder.has_table() or MIGRATION not in recorder.applied_migrations():
            return  # not migrated that far (or migrated back): the migration decides
    install(connection)


# --- the redaction mark ---------------------------------------------------------------

_redacting: ContextVar[bool] = ContextVar("forening_audit_redacting", default=False)


def redacting() -> bool:
    """Whether code runs inside `core.audit.redaction()` (the queryset guard asks)."""
    return _redacting.get()


def check_update(values: Mapping[str, Any]) -> None:
    """Refuse a queryset update of the audit log, unless it rewrites only redactable
    columns inside a redaction. Raises ValueError."""
    if not redacting():
        raise ValueError("Audit events are append-only")
    refused = sorted(set(values) - set(REDACTABLE_COLUMNS))
    if refused:
        raise ValueError(
            f"Audit events are append-only: a redaction may not change {', '.join(refused)}"
        )


@contextmanager
def marked(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Mark the current transaction as redacting until the block ends.

    Must run inside an atomic block, which is what undoes the mark if the block raises
    (the mark is a row or a transaction-local setting, rolled back with everything else).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("A redaction of the audit log runs inside transaction.atomic()")
    token = _redacting.set(True)
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT coalesce(current_setting(%s, true), ''), set_config(%s, 'on', true)",
                    [PG_SETTING, PG_SETTING],
                )
                row = cursor.fetchone()
                previous = row[0] if row is not None else ""
            elif connection.vendor == "sqlite":
                cursor.execute(f'INSERT INTO "{SQLITE_MARKER_TABLE}" DEFAULT VALUES')
                mark = cursor.lastrowid
            else:
                raise _unsupported(connection)
        yield
        # Only on success: after an exception the enclosing atomic block rolls back, and
        # with it the mark; a statement here would fail in PostgreSQL's aborted transaction.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, %s, true)", [PG_SETTING, previous])
            else:
                cursor.execute(
                    f'DELETE FROM "{SQLITE_MARKER_TABLE}" WHERE "id" = %s',  # noqa: S608
                    [mark],
                )
    finally:
        _redacting.reset(token)
