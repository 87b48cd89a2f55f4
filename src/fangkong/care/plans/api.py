"""REST endpoints of health plans (/api/care/plans…), scoped like the pages."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import Facility, HealthPlan, StandingNeed
from fangkong.care.plans import selectors, services
from fangkong.care.plans.schemas import (
    HealthPlanChangeIn,
    HealthPlanIn,
    HealthPlanOut,
    PlansDueOut,
    StandingNeedIn,
    StandingNeedOut,
)
from fangkong.care.requests.services import person_in_scope
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.errors import field_error

router = Router(tags=["medical care"])


def facility_brief(facility: Facility | None) -> dict[str, Any] | None:
    if facility is None:
        return None
    return {
        "id": facility.pk,
        "code": facility.code,
        "name": facility.name,
        "phone": facility.phone,
    }


def need_out(need: StandingNeed) -> dict[str, Any]:
    return {
        "id": need.pk,
        "type": need.type,
        "description": need.description,
        "facility": facility_brief(need.facility),
        "repeat": need.repeat,
        "weekdays": [int(c) for c in need.weekdays],
        "every_days": need.every_days,
        "starts_on": need.starts_on,
        "ends_on": need.ends_on,
        "active": need.active,
    }


def plan_out(plan: HealthPlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "person_id": plan.person_id,
        "person_name": plan.person.name,
        "category": plan.category,
        "contact_hospital": facility_brief(plan.contact_hospital),
        "emergency": plan.emergency,
        "note": plan.note,
        "needs": [need_out(n) for n in plan.needs.all()],
        "updated_at": plan.updated_at,
    }


def _facility(request: HttpRequest, pk: int | None, field: str) -> Facility | None:
    if pk is None:
        return None
    found = facilities_for_user(request.user).filter(pk=pk).first()
    if found is None:
        raise field_error(field, _("Unknown facility"))
    return found


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    plan = selectors.plan_for_user(request.user, pk)
    return plan_out(
        HealthPlan.objects.prefetch_related("needs__facility")
        .select_related("person", "contact_hospital")
        .get(pk=plan.pk)
    )


@router.get("/care/plans", response={200: Page[HealthPlanOut], **ERRORS}, summary="Health plans")
def care_plan_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """The health plans of key persons of your jurisdiction."""
    qs = (
        selectors.plans_for_user(request.user)
        .select_related("person", "contact_hospital")
        .prefetch_related("needs__facility")
    )
    return paginate(qs, limit=limit, offset=offset, convert=plan_out)


@router.post(
    "/care/plans", response={201: HealthPlanOut, **ERRORS}, summary="Create or change a plan"
)
def care_plan_save(request: HttpRequest, payload: HealthPlanIn) -> Status[dict[str, Any]]:
    """The plan of a person of your jurisdiction (else 422 on `id_number`, nothing written);
    a person has one plan: posting again changes it."""
    require(request.user, Cap.CARE_COMMUNITY)
    plan = services.plan_save(
        actor=request.user,
        person=person_in_scope(request.user, payload.id_number),
        category=payload.category.value,
        contact_hospital=_facility(request, payload.contact_hospital_id, "contact_hospital_id"),
        emergency=payload.emergency,
        note=payload.note,
    )
    return Status(201, _detail(request, plan.pk))


@router.get("/care/plans/due", response={200: PlansDueOut, **ERRORS}, summary="Needs falling due")
def care_plans_due(request: HttpRequest) -> dict[str, Any]:
    """The standing needs of your people falling due from today over the next days (the
    policy's `care.plans_due_within_days`), with the request raised for each day already."""
    days = selectors.lookahead_days()
    first = timezone.localdate()
    rows = selectors.due_for_user(request.user, first, days)
    return {
        "first": first,
        "last": first + dt.timedelta(days=days),
        "days": days,
        "items": [
            {
                "day": r.day,
                "plan_id": r.need.plan_id,
                "need_id": r.need.pk,
                "person_id": r.need.plan.person_id,
                "person_name": r.need.plan.person.name,
                "type": r.need.type,
                "description": r.need.description,
                "facility": facility_brief(r.need.facility),
                "request_id": r.request.pk if r.request else None,
                "request_status": r.request.status if r.request else None,
            }
            for r in rows
        ],
    }


@router.get(
    "/care/plans/{int:health_plan_id}",
    response={200: HealthPlanOut, **ERRORS},
    summary="A health plan",
)
def care_plan_get(request: HttpRequest, health_plan_id: Id) -> dict[str, Any]:
    return _detail(request, health_plan_id)


@router.put(
    "/care/plans/{int:health_plan_id}",
    response={200: HealthPlanOut, **ERRORS},
    summary="Change a plan",
)
def care_plan_change(
    request: HttpRequest, health_plan_id: Id, payload: HealthPlanChangeIn
) -> dict[str, Any]:
    plan = selectors.plan_for_user(request.user, health_plan_id)
    services.plan_save(
        actor=request.user,
        person=plan.person,
        category=payload.category.value,
        contact_hospital=_facility(request, payload.contact_hospital_id, "contact_hospital_id"),
        emergency=payload.emergency,
        note=payload.note,
    )
    return _detail(request, health_plan_id)


def _need_values(request: HttpRequest, payload: StandingNeedIn) -> dict[str, Any]:
    if any(d < 0 or d > 6 for d in payload.weekdays):
        raise field_error("weekdays", _("Days of the week are 0 (Monday) to 6 (Sunday)"))
    return {
        "type": payload.type.value,
        "repeat": payload.repeat.value,
        "weekdays": "".join(str(d) for d in payload.weekdays),
        "every_days": payload.every_days,
        "starts_on": payload.starts_on,
        "ends_on": payload.ends_on,
        "facility": _facility(request, payload.facility_id, "facility_id"),
        "description": payload.description,
        "active": payload.active,
    }


@router.post(
    "/care/plans/{int:health_plan_id}/needs",
    response={201: StandingNeedOut, **ERRORS},
    summary="Add a standing need",
)
def care_need_add(
    request: HttpRequest, health_plan_id: Id, payload: StandingNeedIn
) -> Status[dict[str, Any]]:
    plan = selectors.plan_for_user(request.user, health_plan_id)
    need = services.need_save(actor=request.user, plan=plan, **_need_values(request, payload))
    return Status(201, need_out(need))


@router.put(
    "/care/plans/needs/{int:standing_need_id}",
    response={200: StandingNeedOut, **ERRORS},
    summary="Change a standing need",
)
def care_need_change(
    request: HttpRequest, standing_need_id: Id, payload: StandingNeedIn
) -> dict[str, Any]:
    """New days apply from the next run of the daily job; the requests already raised stay."""
    need = selectors.need_for_user(request.user, standing_need_id)
    plan = selectors.plan_for_user(request.user, need.plan_id)
    need = services.need_save(
        actor=request.user, plan=plan, need=need, **_need_values(request, payload)
    )
    return need_out(need)
