"""The one way to record that something changed."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models

from fangkong.audit.models import Event
from fangkong.bulk import copy_rows

# Column order of the rows `events_record_bulk` takes.
EVENT_FIELDS = (
    "at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "person_id",
    "division_key",
    "field",
    "from_value",
    "to_value",
    "reason",
    "basis",
    "data",
)


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
) -> Event:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        division_key = division_key or getattr(obj, "division_key", "") or ""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return Event.objects.create(
        actor=user,
        actor_name=str(user) if user else (actor if isinstance(actor, str) else "system"),
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


def events_record_bulk(rows: Iterable[Sequence[Any]]) -> int:
    """Append many events in one columnar write; each row in EVENT_FIELDS order."""
    return copy_rows(Event, EVENT_FIELDS, rows)
