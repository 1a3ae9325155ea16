"""Inserting tens of thousands of rows in one user action (a billing run, a year's
vouchers): `insert` and `create`, for the few places where `bulk_create` is the cost.

`bulk_create` builds a model instance per row and prepares every value of every row
through the field's methods in Python: for a billing run of 60,000 invoices (half a
million rows in five tables) that took more than a minute. Here rows are plain tuples
and, on PostgreSQL, go to the server through COPY, with their primary keys taken from
the table's sequence first so that the caller can link child rows to them. Elsewhere
(SQLite) they go through `bulk_create`, which is fast enough for one association there.

Only plain columns are sent as they are (numbers, text, booleans, dates, foreign keys);
any other field's value goes through its `get_db_prep_save`, so JSON, aware date-times
and custom fields come out as the ORM would write them. Constraints and foreign keys are
checked by the database as for any insert; an error is Django's `IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

# Fields whose Python value (int, str, bool, date, None) is what the column takes.
_PLAIN = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.CharField,
    models.TextField,
    models.EmailField,
    models.SlugField,
    models.BooleanField,
    models.DateField,
    models.ForeignKey,
    models.OneToOneField,
)


def insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[int]:
    """Insert `rows` (values in the order of `columns`, which are attribute names such as
    `account_id`) into `model`'s table; return the new primary keys in the order of the
    rows. A field not in `columns` takes its default (`auto_now`/`auto_now_add`: now)."""
    rows = list(rows)
    if not rows:
        return []
    database = router.db_for_write(model)
    connection = connections[database]
    meta = model._meta
    by_name = {field.attname: field for field in meta.concrete_fields}
    unknown = [name for name in columns if name not in by_name]
    if unknown:
        raise ValueError(f"{meta.label} has no column {', '.join(unknown)}")
    pk = _primary_key(model)
    if pk.attname in columns:
        raise ValueError("insert takes the primary keys itself")
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model._base_manager.using(database).bulk_create(objects, batch_size=2000)
        return [obj.pk for obj in objects]

    missing = [f for f in meta.concrete_fields if f.attname not in columns and f is not pk]
    now = timezone.now()
    fixed = tuple(_default(field, now, connection) for field in missing)
    fields = [by_name[name] for name in columns] + missing
    converters: list[Callable[[Any], Any] | None] = [
        None if type(field) in _PLAIN else _converter(field, connection)
        for field in fields[: len(columns)]
    ]
    convert = any(converters)
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(meta.db_table), pk.column or pk.attname, len(rows)],
        )
        keys = sorted(key for (key,) in cursor.fetchall())
        statement = "COPY {} ({}) FROM STDIN".format(
            quote(meta.db_table),
            ", ".join(quote(field.column or field.attname) for field in [pk, *fields]),
        )
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for key, row in zip(keys, rows, strict=True):
                if convert:
                    row = tuple(
                        value if conv is None else conv(value)
                        for conv, value in zip(converters, row, strict=True)
                    )
                copy.write_row((key, *row, *fixed))
    return keys


def create(objects: Sequence[M]) -> list[M]:
    """Insert model instances of one model, as `bulk_create` does, and set their keys:
    for a few thousand parent rows whose instances the caller keeps (its child rows are
    better sent as tuples through `insert`)."""
    if not objects:
        return list(objects)
    model = type(objects[0])
    meta = model._meta
    pk = _primary_key(model)
    columns = [f.attname for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    stamped = [
        f
        for f in meta.concrete_fields
        if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
    ]
    relations = [f for f in meta.concrete_fields if f.is_relation]
    for obj in objects:
        for stamp in stamped:
            if stamp.auto_now or getattr(obj, stamp.attname) is None:
                setattr(obj, stamp.attname, now)
        for field in relations:
            # A related object saved after it was assigned: take its key, as save() does.
            if getattr(obj, field.attname) is None and field.is_cached(obj):  # type: ignore[attr-defined]
                related = field.get_cached_value(obj)  # type: ignore[attr-defined]
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{field.name} of {meta.label} is not saved yet")
                    setattr(obj, field.attname, related.pk)
    keys = insert(model, columns, ([getattr(obj, name) for name in columns] for obj in objects))
    database = router.db_for_write(model)
    for obj, key in zip(objects, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = database
    return list(objects)


def _primary_key(model: type[models.Model]) -> models.Field[Any, Any]:
    pk = model._meta.pk
    if pk is None:
        raise ValueError(f"{model._meta.label} has no primary key")
    return pk


def _default(field: models.Field[Any, Any], now: Any, connection: Any) -> Any:
    if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
        value = now
    else:
        value = field.get_default()
    return field.get_db_prep_save(value, connection)


def _converter(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    return convert
