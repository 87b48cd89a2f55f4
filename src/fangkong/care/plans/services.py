"""Writes on health plans (the community and grid workers, `Cap.CARE_COMMUNITY`): a person's plan
and its standing needs. Every change is an audit event naming the fields changed."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import (
    Facility,
    HealthPlan,
    PlanCategory,
    Repeat,
    RequestType,
    StandingNeed,
)
from fangkong.care.plans.selectors import plan_visible
from fangkong.core.access import Cap, require, scoped
from fangkong.core.errors import field_error
from fangkong.people.models import Resident

PLAN_FIELDS = ("category", "contact_hospital", "emergency", "note")
NEED_FIELDS = (
    "type",
    "description",
    "facility",
    "repeat",
    "weekdays",
    "every_days",
    "starts_on",
    "ends_on",
    "active",
)


def _facility(actor: Any, field: str, facility: Facility | None) -> Facility | None:
    """A facility the actor can see; else a field error (an unknown hospital)."""
    if facility is None:
        return None
    if not facilities_for_user(actor).filter(pk=facility.pk).exists():
        raise field_error(field, _("Unknown facility"))
    return facility


def _changed(obj: Any, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes = {}
    for name, value in values.items():
        old = getattr(obj, name)
        if old != value:
            changes[name] = (old, value)
            setattr(obj, name, value)
    return changes


def _record(actor: Any, action: str, obj: Any, person_id: int, changes: dict[str, Any]) -> None:
    for name, (old, new) in changes.items():
        event_record(
            actor=actor,
            action=action,
            obj=obj,
            person_id=person_id,
            field=name,
            from_value=old,
            to_value=new,
        )


@transaction.atomic
def plan_save(
    *,
    actor: Any,
    person: Resident,
    category: str,
    contact_hospital: Facility | None = None,
    emergency: str = "",
    note: str = "",
) -> HealthPlan:
    """Create or change the plan of a person of the actor's jurisdiction."""
    require(actor, Cap.CARE_COMMUNITY)
    if not scoped(Resident.objects.filter(pk=person.pk), actor).exists():
        raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    if category not in PlanCategory.values:
        raise field_error("category", _("Choose a category"))
    hospital = _facility(actor, "contact_hospital", contact_hospital)
    plan = HealthPlan.objects.select_for_update().filter(person=person).first()
    created = plan is None
    if plan is None:
        plan = HealthPlan(person=person, division_key=person.division_key, kept_by=actor)
    changes = _changed(
        plan,
        {
            "category": category,
            "contact_hospital": hospital,
            "emergency": (emergency or "").strip()[:500],
            "note": (note or "").strip()[:500],
        },
    )
    plan.updated_at = timezone.now()
    plan.kept_by = actor
    plan.save()
    if created:
        event_record(
            actor=actor,
            action="care.plan_created",
            obj=plan,
            person_id=person.pk,
            data={"category": category},
        )
    else:
        _record(actor, "care.plan_changed", plan, person.pk, changes)
    return plan


def _check_need(values: dict[str, Any]) -> None:
    if values["type"] not in RequestType.values:
        raise field_error("type", _("Choose the kind of request"))
    repeat = values["repeat"]
    if repeat not in Repeat.values:
        raise field_error("repeat", _("Say how the need repeats"))
    if repeat == Repeat.WEEKLY:
        days = values["weekdays"]
        if not days or any(c not in "0123456" for c in days):
            raise field_error("weekdays", _("Choose the days of the week"))
        values["weekdays"] = "".join(sorted(set(days)))
    else:
        values["weekdays"] = ""
    if repeat == Repeat.EVERY:
        if not values["every_days"] or values["every_days"] < 1:
            raise field_error("every_days", _("Say every how many days"))
    else:
        values["every_days"] = None
    if values["ends_on"] and values["ends_on"] < values["starts_on"]:
        raise field_error("ends_on", _("The last day comes before the first"))


@transaction.atomic
def need_save(
    *,
    actor: Any,
    plan: HealthPlan,
    need: StandingNeed | None = None,
    type: str,
    repeat: str,
    starts_on: dt.date,
    weekdays: str = "",
    every_days: int | None = None,
    ends_on: dt.date | None = None,
    facility: Facility | None = None,
    description: str = "",
    active: bool = True,
) -> StandingNeed:
    """Add a standing need to a plan, or change one (from the next run of the daily job: the
    requests already raised stay)."""
    require(actor, Cap.CARE_COMMUNITY)
    if not plan_visible(actor, plan.pk):
        raise field_error("plan", _("This plan is outside your jurisdiction"))
    values: dict[str, Any] = {
        "type": type,
        "repeat": repeat,
        "weekdays": weekdays or "",
        "every_days": every_days,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "facility": _facility(actor, "facility", facility),
        "description": (description or "").strip()[:300],
        "active": active,
    }
    _check_need(values)
    if need is None:
        need = StandingNeed(plan=plan, division_key=plan.division_key, **values)
        need.save()
        event_record(
            actor=actor,
            action="care.need_added",
            obj=need,
            person_id=plan.person_id,
            data={k: str(getattr(v, "pk", v)) for k, v in values.items()},
        )
        return need
    if need.plan_id != plan.pk:
        raise field_error("need", _("Not a need of this plan"))
    changes = _changed(need, values)
    need.save()
    _record(actor, "care.need_changed", need, plan.person_id, changes)
    return need
