"""The audit log: who did what, when, to which object.

Services call `record()` for events that are not a plain change of a row (logins,
two-factor changes, exports, reveals). Every create, update and delete of a tenant
model (a `TrackedModel` with an `organisation`) is recorded automatically with a
field-level diff, so a change made anywhere is never missing from the log.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from django.db import connections, models, router, transaction
from django.db.models.signals import post_delete, post_save

from forening.core import audit_protection, bulk
from forening.core.context import Actor, acting_as, current_actor
from forening.core.models import AuditEvent, Organisation, Person, TrackedModel, User

# Fields never copied into the log: noise, or secrets that must not leave their column.
IGNORED_FIELDS = {"created_at", "updated_at", "password", "last_login"}


class _Unset:
    """The default of `record(person=…)`: take the person from the object."""


UNSET = _Unset()


def record(
    actor: Actor | None,
    action: str,
    obj: models.Model | None = None,
    *,
    organisation: Organisation | None = None,
    person: Person | None | _Unset = UNSET,
    subject_user: User | None = None,
    changes: dict[str, Any] | None = None,
    **details: Any,
) -> AuditEvent:
    """Append one event. `action` is a dotted name such as "core.login.failed".

    `changes` is a field-level diff ({field: [old, new]}); `details` are further facts
    about the event (the role granted, the method used). Both end up in `changes`.
    """
    actor = actor or current_actor() or Actor.system()
    if organisation is None and obj is not None:
        organisation = _organisation_of(obj)
    if isinstance(person, _Unset):
        person = _person_of(obj) if obj is not None else None
    return AuditEvent.objects.create(
        organisation=organisation,
        actor=actor.user,
        actor_label=str(actor)[:254],
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        person=person,
        subject_user=subject_user,
        changes=_jsonable({**details, **(changes or {})}),
        ip_address=actor.ip_address,
    )


def _organisation_of(obj: models.Model) -> Organisation | None:
    if isinstance(obj, Organisation):
        return obj
    org_id = getattr(obj, "organisation_id", None)
    if org_id is None:
        return None
    return Organisation(pk=org_id)


def _person_of(obj: models.Model) -> Person | None:
    if isinstance(obj, Person):
        return obj if obj.pk is not None else None
    person_id = getattr(obj, "person_id", None)
    return Person(pk=person_id) if person_id else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "name"):  # files
        return str(value.name)
    return str(value)


def _field_values(instance: models.Model) -> dict[str, Any]:
    excluded = IGNORED_FIELDS | set(getattr(instance, "audit_exclude", ()))
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in excluded and field.name not in excluded
    }


def diff(instance: TrackedModel) -> dict[str, list[Any]]:
    """{field: [old, new]} for fields changed since the row was loaded."""
    before: dict[str, Any] = getattr(instance, "_loaded_values", {})
    changes = {}
    for name, new in _field_values(instance).items():
        old = before.get(name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


def _action_name(instance: models.Model, verb: str) -> str:
    return f"{instance._meta.app_label}.{instance._meta.model_name}.{verb}"


P = ParamSpec("P")
R = TypeVar("R")
M = TypeVar("M", bound=models.Model)


def in_name_of_actor(service: Callable[P, R]) -> Callable[P, R]:
    """Make a service's `actor` keyword the acting user while it runs, so the automatic
    rows written for the changes it saves name that actor (a command's or a task's too,
    not only a request's)."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        actor = kwargs.get("actor")
        if not isinstance(actor, Actor):
            raise TypeError(f"{service.__name__}() needs actor=Actor(...)")
        with acting_as(actor):
            return service(*args, **kwargs)

    return wrapper


def skip_automatic(instance: TrackedModel) -> None:
    """Mark a row whose change the calling service records itself, with a clearer action."""
    instance._audit_recorded = True


def _on_save(sender: type[models.Model], instance: TrackedModel, created: bool, **kw: Any) -> None:
    if kw.get("raw") or not isinstance(instance, TrackedModel):
        return
    if instance._audit_recorded:
        return
    if created:
        changes = {k: [None, _jsonable(v)] for k, v in _field_values(instance).items() if v}
        record(None, _action_name(instance, "created"), instance, changes=changes)
    else:
        changes = diff(instance)
        if not changes:
            return
        record(None, _action_name(instance, "updated"), instance, changes=changes)
    instance._loaded_values = {
        f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
    }


def _on_delete(sender: type[models.Model], instance: TrackedModel, **kw: Any) -> None:
    if not isinstance(instance, TrackedModel) or instance._audit_recorded:
        return
    values = {k: [_jsonable(v), None] for k, v in _field_values(instance).items() if v}
    # A deleted person cannot be referenced; the log keeps its id and name in the row.
    person = None if isinstance(instance, Person) else _person_of(instance)
    record(None, _action_name(instance, "deleted"), instance, person=person, changes=values)


post_save.connect(_on_save, dispatch_uid="forening.audit.save")
post_delete.connect(_on_delete, dispatch_uid="forening.audit.delete")


def record_many(
    actor: Actor | None,
    action: str,
    objects: Sequence[M],
    *,
    organisation: Organisation,
    changes: Callable[[M], dict[str, Any]] | None = None,
    **details: Any,
) -> int:
    """Append one event per object in one insert: what bulk services use instead of a
    `record()` per row. `changes(obj)` gives each object's own diff."""
    actor = actor or current_actor() or Actor.system()
    user_id = actor.user.pk if actor.user is not None else None
    label = str(actor)[:254]
    rows = [
        (
            organisation.pk,
            user_id,
            label,
            action,
            obj._meta.label_lower,
            str(obj.pk),
            str(obj)[:200],
            obj.pk if isinstance(obj, Person) else getattr(obj, "person_id", None),
            _jsonable({**details, **(changes(obj) if changes else {})}),
            actor.ip_address,
        )
        for obj in objects
    ]
    bulk.insert(AuditEvent, _EVENT_COLUMNS, rows)
    return len(rows)


_EVENT_COLUMNS = (
    "organisation_id",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "person_id",
    "changes",
    "ip_address",
)


# --- redaction ----------------------------------------------------------------------------


class Redaction:
    """What `redaction()` yields: rewrites events and counts them."""

    def __init__(self) -> None:
        self.count = 0

    def rewrite(self, events: Sequence[AuditEvent], fields: Sequence[str]) -> int:
        """Write the new values of `fields` (some of `changes`, `object_repr`) of events
        loaded and changed in memory. Returns the number of rows written. Any other field
        is refused (ValueError here, and by the database's trigger)."""
        refused = sorted(set(fields) - set(audit_protection.REDACTABLE_COLUMNS))
        if refused or not fields:
            raise ValueError(f"A redaction rewrites only changes and object_repr, not {refused}")
        if not events:
            return 0
        written: int = AuditEvent.objects.bulk_update(events, list(fields), batch_size=500)
        self.count += written
        return written


@contextmanager
def redaction(
    actor: Actor | None, *, organisation: Organisation | None, reason: str
) -> Iterator[Redaction]:
    """The one sanctioned change of the append-only audit log: blanking personal data in
    events when it is erased (GDPR art. 17).

    Inside the block, `Redaction.rewrite()` may change `changes` and `object_repr` of
    events; who acted, when, on what, and the kind of event stay as they were, so the log
    still accounts for every change. Deleting an event stays refused. The block is one
    transaction (a savepoint inside the caller's); the database allows the rewrite only
    while it lasts. When events were rewritten, the redaction is itself recorded, as
    "core.audit.redacted" with the number of events and the reason.
    """
    using = router.db_for_write(AuditEvent)
    handle = Redaction()
    with transaction.atomic(using=using):
        with audit_protection.marked(connections[using]):
            yield handle
        if handle.count:
            record(
                actor,
                "core.audit.redacted",
                organisation=organisation,
                person=None,
                events=handle.count,
                reason=reason,
            )
