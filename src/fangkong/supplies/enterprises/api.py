"""REST endpoints of the supply whitelist (/api/enterprises…, /api/couriers…, /api/vehicles…).

Scoped like the pages (`fangkong.supplies.selectors`): the enterprise's place in the caller's
jurisdiction; an enterprise account only its own enterprise and its couriers and vehicles.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.core.access import Cap, can, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, fields_renamed, paginate
from fangkong.people.idnumber import mask_id_number
from fangkong.places.selectors import place_in_scope
from fangkong.supplies import selectors as app_selectors
from fangkong.supplies.enterprises import selectors, services
from fangkong.supplies.enterprises.schemas import (
    CourierIn,
    CourierOut,
    EnterpriseIn,
    EnterpriseOut,
    StaffIn,
    VehicleIn,
    VehicleOut,
    WhitelistIn,
)
from fangkong.supplies.models import Courier, Enterprise, Vehicle

router = Router(tags=["supply whitelist"])


def _place(division: Any) -> dict[str, str]:
    return {"code": division.code, "key": division.key, "name": division.name}


def _status(obj: Any) -> dict[str, Any]:
    return {
        "status": obj.status,
        "status_reason": obj.status_reason,
        "status_basis": obj.status_basis,
        "status_at": obj.status_at,
    }


def _enterprise_out(e: Enterprise) -> dict[str, Any]:
    return {
        "id": e.pk,
        "kind": e.kind,
        "name": e.name,
        "credit_code": e.credit_code,
        "place": _place(e.division),
        "address": e.address,
        "contact_name": e.contact_name,
        "phone": e.phone,
        "created_at": e.created_at,
        **_status(e),
    }


def _vehicle_out(v: Vehicle) -> dict[str, Any]:
    return {
        "id": v.pk,
        "enterprise_id": v.enterprise_id,
        "plate": v.plate,
        "area": _place(v.area),
        **_status(v),
    }


def _courier_out(c: Courier) -> dict[str, Any]:
    return {
        "id": c.pk,
        "enterprise_id": c.enterprise_id,
        "person_id": c.person_id,
        "name": c.person.name,
        "id_number": mask_id_number(c.person.id_number),
        "area": _place(c.area),
        "home_address": c.home_address,
        **_status(c),
    }


def _keeper_cap(user: Any) -> Cap:
    return Cap.SUPPLIES_MANAGE if can(user, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE


@router.get(
    "/enterprises", response={200: Page[EnterpriseOut], **ERRORS}, summary="Supply enterprises"
)
def enterprise_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Enterprises in your jurisdiction (an enterprise account: its own), by name."""
    return paginate(
        selectors.registry_for(request.user), limit=limit, offset=offset, convert=_enterprise_out
    )


@router.post(
    "/enterprises", response={201: EnterpriseOut, **ERRORS}, summary="Register an enterprise"
)
def enterprise_new(request: HttpRequest, payload: EnterpriseIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.SUPPLIES_MANAGE)
    enterprise = services.enterprise_register(
        actor=request.user,
        kind=payload.kind.value,
        name=payload.name,
        credit_code=payload.credit_code,
        division=place_in_scope(request.user, payload.place, "place"),
        address=payload.address,
        contact_name=payload.contact_name,
        phone=payload.phone,
    )
    return Status(201, _enterprise_out(enterprise))


@router.get(
    "/enterprises/{int:enterprise_id}",
    response={200: EnterpriseOut, **ERRORS},
    summary="A supply enterprise",
)
def enterprise_get(request: HttpRequest, enterprise_id: Id) -> dict[str, Any]:
    return _enterprise_out(app_selectors.enterprise_for_user(request.user, enterprise_id))


@router.post(
    "/enterprises/{int:enterprise_id}/whitelist",
    response={200: EnterpriseOut, **ERRORS},
    summary="Grant, suspend or revoke an enterprise",
)
def enterprise_whitelist(
    request: HttpRequest, enterprise_id: Id, payload: WhitelistIn
) -> dict[str, Any]:
    """Audited with reason and basis; leaving `granted` revokes every pass of its couriers
    and vehicles at once. Revoked is final (422 on `status`)."""
    e = app_selectors.enterprise_for_user(request.user, enterprise_id, Cap.SUPPLIES_MANAGE)
    row = services.whitelist_set(
        actor=request.user,
        obj=e,
        status=payload.status.value,
        reason=payload.reason,
        basis=payload.basis,
        decided_at=payload.decided_at,
    )
    assert isinstance(row, Enterprise)
    return _enterprise_out(row)


@router.put(
    "/enterprises/{int:enterprise_id}/staff",
    response={200: list[str], **ERRORS},
    summary="Set an enterprise's staff accounts",
)
def enterprise_staff(request: HttpRequest, enterprise_id: Id, payload: StaffIn) -> list[str]:
    e = app_selectors.enterprise_for_user(request.user, enterprise_id, Cap.SUPPLIES_MANAGE)
    services.enterprise_staff_set(actor=request.user, enterprise=e, usernames=payload.usernames)
    return sorted(e.staff.values_list("username", flat=True))


@router.get(
    "/enterprises/{int:enterprise_id}/vehicles",
    response={200: list[VehicleOut], **ERRORS},
    summary="An enterprise's vehicles",
)
def vehicle_list(request: HttpRequest, enterprise_id: Id) -> list[dict[str, Any]]:
    e = app_selectors.enterprise_for_user(request.user, enterprise_id)
    return [_vehicle_out(v) for v in selectors.vehicles_of(request.user, e)]


@router.post(
    "/enterprises/{int:enterprise_id}/vehicles",
    response={201: VehicleOut, **ERRORS},
    summary="Register a vehicle",
)
def vehicle_new(
    request: HttpRequest, enterprise_id: Id, payload: VehicleIn
) -> Status[dict[str, Any]]:
    cap = _keeper_cap(request.user)
    e = app_selectors.enterprise_for_user(request.user, enterprise_id, cap)
    vehicle = services.vehicle_register(
        actor=request.user,
        enterprise=e,
        plate=payload.plate,
        area=place_in_scope(request.user, payload.area, "area"),
    )
    return Status(201, _vehicle_out(vehicle))


@router.get(
    "/enterprises/{int:enterprise_id}/couriers",
    response={200: list[CourierOut], **ERRORS},
    summary="An enterprise's couriers",
)
def courier_list(request: HttpRequest, enterprise_id: Id) -> list[dict[str, Any]]:
    e = app_selectors.enterprise_for_user(request.user, enterprise_id)
    return [_courier_out(c) for c in selectors.couriers_of(request.user, e)]


@router.post(
    "/enterprises/{int:enterprise_id}/couriers",
    response={201: CourierOut, **ERRORS},
    summary="Register a courier",
)
def courier_new(
    request: HttpRequest, enterprise_id: Id, payload: CourierIn
) -> Status[dict[str, Any]]:
    """A person of the registry by ID number (created at `home_place` when unknown)."""
    cap = _keeper_cap(request.user)
    e = app_selectors.enterprise_for_user(request.user, enterprise_id, cap)
    home = (
        place_in_scope(request.user, payload.home_place, "home_place")
        if payload.home_place
        else None
    )
    with fields_renamed({"division": "home_place"}):
        courier = services.courier_register(
            actor=request.user,
            enterprise=e,
            id_number=payload.id_number,
            name=payload.name,
            phone=payload.phone,
            area=place_in_scope(request.user, payload.area, "area"),
            home_address=payload.home_address,
            home_place=home,
        )
    return Status(201, _courier_out(courier))


@router.get("/couriers/{int:courier_id}", response={200: CourierOut, **ERRORS}, summary="A courier")
def courier_get(request: HttpRequest, courier_id: Id) -> dict[str, Any]:
    return _courier_out(app_selectors.courier_for_user(request.user, courier_id))


@router.post(
    "/couriers/{int:courier_id}/whitelist",
    response={200: CourierOut, **ERRORS},
    summary="Grant, suspend or revoke a courier",
)
def courier_whitelist(request: HttpRequest, courier_id: Id, payload: WhitelistIn) -> dict[str, Any]:
    courier = app_selectors.courier_for_user(request.user, courier_id, Cap.SUPPLIES_MANAGE)
    services.whitelist_set(
        actor=request.user,
        obj=courier,
        status=payload.status.value,
        reason=payload.reason,
        basis=payload.basis,
        decided_at=payload.decided_at,
    )
    return _courier_out(app_selectors.courier_for_user(request.user, courier_id))


@router.get("/vehicles/{int:vehicle_id}", response={200: VehicleOut, **ERRORS}, summary="A vehicle")
def vehicle_get(request: HttpRequest, vehicle_id: Id) -> dict[str, Any]:
    return _vehicle_out(app_selectors.vehicle_for_user(request.user, vehicle_id))


@router.post(
    "/vehicles/{int:vehicle_id}/whitelist",
    response={200: VehicleOut, **ERRORS},
    summary="Grant, suspend or revoke a vehicle",
)
def vehicle_whitelist(request: HttpRequest, vehicle_id: Id, payload: WhitelistIn) -> dict[str, Any]:
    vehicle = app_selectors.vehicle_for_user(request.user, vehicle_id, Cap.SUPPLIES_MANAGE)
    services.whitelist_set(
        actor=request.user,
        obj=vehicle,
        status=payload.status.value,
        reason=payload.reason,
        basis=payload.basis,
        decided_at=payload.decided_at,
    )
    return _vehicle_out(app_selectors.vehicle_for_user(request.user, vehicle_id))
