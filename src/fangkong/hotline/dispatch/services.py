"""Writes on departments (register, staff) and the escalation sweep of late requests: the
periodic task (`hotline.tasks.sweep_hotline_sla`, `fangkong hotline_sweep` from cron), also run
on every read of the board, so escalation is right even if the worker lags."""

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import (
    SYSTEM,
    EventRow,
    actor_columns,
    event_record,
    events_record_bulk,
)
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.bulk import update_rows
from fangkong.core.errors import field_error
from fangkong.hotline.dispatch.engine import late_levels
from fangkong.hotline.models import Department, DepartmentKind, HotlineRequest, HotlineStatus
from fangkong.places.models import Division
from fangkong.policy.accessor import current

LATE_STATUSES = (HotlineStatus.DISPATCHED, HotlineStatus.ACCEPTED, HotlineStatus.RECEIVED)


@transaction.atomic
def department_register(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    division: Division,
    phone: str = "",
    staff: Sequence[Any] = (),
) -> Department:
    require(actor, Cap.HOTLINE_MANAGE)
    code = (code or "").strip().upper()
    if not code:
        raise field_error("code", _("Give the department's code"))
    if Department.objects.filter(code=code).exists():
        raise field_error("code", _("A department with this code exists"))
    if not (name or "").strip():
        raise field_error("name", _("Name is required"))
    if kind not in DepartmentKind.values:
        raise field_error("kind", _("Choose the kind of department"))
    if not in_scope(actor, division.key):
        raise field_error("division", _("This place is outside your jurisdiction"))
    department = Department.objects.create(
        code=code,
        name=name.strip()[:200],
        kind=kind,
        division=division,
        division_key=division.key,
        phone=(phone or "").strip()[:20],
    )
    if staff:
        department.staff.set(staff)
    event_record(
        actor=actor,
        action="hotline.department_registered",
        obj=department,
        field="kind",
        to_value=kind,
        data={"code": code, "staff": [u.pk for u in staff]},
    )
    return department


def requests_escalate(now: Any = None) -> int:
    """Escalate every open request past its deadline that has not yet been escalated as often
    as its lateness earns (`late_levels`, with the policy's `escalate_again_hours`): one columnar
    UPDATE and one columnar write of the audit events. Returns how many were escalated."""
    now = now or timezone.now()
    again = current().rules.hotline.escalate_again_hours
    with transaction.atomic():
        rows = list(
            HotlineRequest.objects.filter(status__in=LATE_STATUSES, due_at__lt=now)
            .select_for_update()
            .values_list("pk", "due_at", "escalation_level", "division_key", "person_id")
        )
        changed = []
        for pk, due, level, key, person in rows:
            earned = late_levels(due, now, again) if due is not None else 0
            if earned > level:
                changed.append((pk, level, earned, key, person))
        if not changed:
            return 0
        update_rows(
            HotlineRequest,
            ("escalation_level", "escalated_at"),
            [(pk, earned, now) for pk, _old, earned, _k, _p in changed],
        )
        actor_id, actor_name = actor_columns(SYSTEM)
        events_record_bulk(
            EventRow(
                at=now,
                actor=actor_id,
                actor_name=actor_name,
                action="hotline.escalated",
                object_type="hotline.hotlinerequest",
                object_id=str(pk),
                person_id=person,
                division_key=key,
                field="escalation_level",
                from_value=str(old),
                to_value=str(earned),
            )
            for pk, old, earned, key, person in changed
        )
    return len(changed)
