"""The one way to record that something changed."""

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import models
from django.utils import timezone

from fangkong.audit.labels import ANONYMOUS, SELF_SERVICE, SYSTEM
from fangkong.audit.models import Event
from fangkong.core.access import acting_user
from fangkong.core.bulk import copy_rows

__all__ = [
    "ANONYMOUS",
    "EVENT_FIELDS",
    "SELF_SERVICE",
    "SYSTEM",
    "EventRow",
    "actor_columns",
    "event_record",
    "events_record_bulk",
]


class EventRow(NamedTuple):
    """One audit event for `events_record_bulk`, named field by field (`actor` is the user's id;
    `data` is JSON text)."""

    at: Any  # a datetime, or the database's text form of one (connection.ops.adapt_…)
    actor: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_label: str = ""
    person_id: int | None = None
    division_key: str = ""
    field: str = ""
    from_value: Any = ""
    to_value: Any = ""
    reason: str = ""
    basis: str = ""
    data: str = "{}"
    recorded_at: Any = None  # when recorded: None is now (`events_record_bulk`)


# Column order of the rows `events_record_bulk` writes.
EVENT_FIELDS = EventRow._fields


def actor_columns(actor: Any) -> tuple[int | None, str]:
    """(`actor`, `actor_name`) of an event: a signed-in user, or the name of a process."""
    user = acting_user(actor)
    if user is not None:
        return user.pk, str(user)
    return None, actor if isinstance(actor, str) and actor else SYSTEM


def _label(value: Any) -> str:
    if value is None:
        return ""
    return str(value)[:300]


def event_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    person_id: int | None = None,
    division_key: str = "",
    field: str = "",
    from_value: Any = None,
    to_value: Any = None,
    reason: str = "",
    basis: str = "",
    data: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> Event:
    """Record one change. `at` is when it happened (valid time; now if not given); when it
    was recorded is always now."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        division_key = division_key or getattr(obj, "division_key", "") or ""
    user_id, actor_name = actor_columns(actor)
    recorded_at = timezone.now()
    return Event.objects.create(
        at=at or recorded_at,
        recorded_at=recorded_at,
        actor_id=user_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=_label(obj)[:200] if obj is not None else "",
        person_id=person_id,
        division_key=division_key,
        field=field,
        from_value=_label(from_value),
        to_value=_label(to_value),
        reason=reason,
        basis=basis,
        data=data or {},
    )


def events_record_bulk(rows: Iterable[EventRow]) -> int:
    """Append many events in one columnar write, recorded now (unless a row says otherwise:
    the demo's story, written after the fact)."""
    now = timezone.now()
    return copy_rows(
        Event, EVENT_FIELDS, (r if r.recorded_at else r._replace(recorded_at=now) for r in rows)
    )
