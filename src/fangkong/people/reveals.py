"""Seeing identifiers in full: always with a reason, and always in the person's history.

One person at a time (`services.pii_reveal`, an appellant's phone) writes one `pii.revealed`
event. An unmasked export writes its own export event with the reason and one `pii.exported`
event per person in it, in one columnar write per chunk (never one ORM save per row), so
each person's history says who saw their identifiers, when and why.
"""

import json
import uuid
from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import EventRow, actor_columns, events_record_bulk
from fangkong.core.access import Cap, require
from fangkong.core.errors import field_error

EXPORTED_FIELDS = ("id_number", "phone")


def reveal_reason_missing() -> str:
    return _("Give the reason for seeing identifiers in full (it is kept in the log)")


def need_reveal_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise field_error("reason", reveal_reason_missing())
    return reason.strip()


def export_reveal_allowed(user: Any, reason: str) -> str:
    """An export with identifiers in full: the capability, then a reason. Returns the reason."""
    require(user, Cap.PII_REVEAL)
    return need_reveal_reason(reason)


def new_export_id() -> str:
    return uuid.uuid4().hex


def export_reveals_record(
    *,
    actor: Any,
    people: Iterable[tuple[int, str, str]],
    reason: str,
    export: str,
    export_id: str,
) -> int:
    """One `pii.exported` event per (person id, division key, label), in one write."""
    now = timezone.now()
    user_id, actor_name = actor_columns(actor)
    data = json.dumps(
        {"export": export, "export_id": export_id, "fields": list(EXPORTED_FIELDS)},
        ensure_ascii=False,
    )
    rows = (
        EventRow(
            at=now,
            actor=user_id,
            actor_name=actor_name,
            action="pii.exported",
            object_type="people.resident",
            object_id=str(person_id),
            object_label=str(label)[:200],
            person_id=person_id,
            division_key=key,
            reason=reason,
            data=data,
        )
        for person_id, key, label in people
    )
    return events_record_bulk(rows)
