"""REST endpoints of the medical facilities' registry (/api/care/facilities…), scoped like the
pages (`care.facilities.selectors.facilities_for_user`)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.care.facilities import selectors, services
from fangkong.care.facilities.schemas import (
    FacilityChangeIn,
    FacilityDetailOut,
    FacilityIn,
    FacilityNewIn,
    FacilityOut,
    FacilityStaffIn,
    FacilityStatusIn,
)
from fangkong.care.models import Facility
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, fields_renamed, paginate
from fangkong.places.selectors import place_in_scope

router = Router(tags=["medical care"])


def facility_out(facility: Facility, staff: list[str] | None = None) -> dict[str, Any]:
    out = {
        "id": facility.pk,
        "code": facility.code,
        "name": facility.name,
        "kind": facility.kind,
        "place": {
            "code": facility.division.code,
            "key": facility.division.key,
            "name": facility.division.name,
        },
        "address": facility.address,
        "phone": facility.phone,
        "capabilities": facility.capabilities,
        "active": facility.active,
        "created_at": facility.created_at,
    }
    if staff is not None:
        out["staff"] = staff
    return out


def _detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    facility = selectors.facility_for_user(request.user, pk)
    return facility_out(facility, sorted(facility.staff.values_list("username", flat=True)))


def _details(request: HttpRequest, payload: FacilityIn) -> dict[str, Any]:
    return {
        "name": payload.name,
        "kind": payload.kind.value,
        "division": place_in_scope(request.user, payload.place, "place"),
        "address": payload.address,
        "phone": payload.phone,
        "capabilities": [c.value for c in payload.capabilities],
    }


@router.get(
    "/care/facilities", response={200: Page[FacilityOut], **ERRORS}, summary="Medical facilities"
)
def care_facility_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """The facilities of your jurisdiction (with the hospital role: those you staff), by code."""
    page = paginate(selectors.registry_for(request.user), limit=limit, offset=offset)
    page["items"] = [facility_out(f) for f in page["items"]]
    return page


@router.post(
    "/care/facilities", response={201: FacilityDetailOut, **ERRORS}, summary="Register a facility"
)
def care_facility_new(request: HttpRequest, payload: FacilityNewIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.CARE_MANAGE)
    with fields_renamed({"division": "place"}):
        facility = services.facility_register(
            actor=request.user, code=payload.code, **_details(request, payload)
        )
    return Status(201, _detail(request, facility.pk))


@router.get(
    "/care/facilities/{int:facility_id}",
    response={200: FacilityDetailOut, **ERRORS},
    summary="A facility",
)
def care_facility_get(request: HttpRequest, facility_id: Id) -> dict[str, Any]:
    return _detail(request, facility_id)


@router.put(
    "/care/facilities/{int:facility_id}",
    response={200: FacilityDetailOut, **ERRORS},
    summary="Change a facility",
)
def care_facility_change(
    request: HttpRequest, facility_id: Id, payload: FacilityChangeIn
) -> dict[str, Any]:
    """Every detail but the code (routing rules may name it); each field changed is audited."""
    facility = selectors.facility_for_user(request.user, facility_id, Cap.CARE_MANAGE)
    with fields_renamed({"division": "place"}):
        services.facility_update(
            actor=request.user,
            facility=facility,
            reason=payload.reason,
            **_details(request, payload),
        )
    return _detail(request, facility_id)


@router.post(
    "/care/facilities/{int:facility_id}/status",
    response={200: FacilityDetailOut, **ERRORS},
    summary="Suspend a facility or put it back in service",
)
def care_facility_status(
    request: HttpRequest, facility_id: Id, payload: FacilityStatusIn
) -> dict[str, Any]:
    """No request is routed to a suspended facility. A reason is required; audited."""
    facility = selectors.facility_for_user(request.user, facility_id, Cap.CARE_MANAGE)
    services.facility_set_active(
        actor=request.user, facility=facility, active=payload.active, reason=payload.reason
    )
    return _detail(request, facility_id)


@router.put(
    "/care/facilities/{int:facility_id}/staff",
    response={200: FacilityDetailOut, **ERRORS},
    summary="Set a facility's staff",
)
def care_facility_staff(
    request: HttpRequest, facility_id: Id, payload: FacilityStaffIn
) -> dict[str, Any]:
    facility = selectors.facility_for_user(request.user, facility_id, Cap.CARE_MANAGE)
    services.facility_staff_set(actor=request.user, facility=facility, usernames=payload.usernames)
    return _detail(request, facility_id)
