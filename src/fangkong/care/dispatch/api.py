"""REST endpoints of the 120 side (/api/care/dispatch…, /api/care/vehicles), scoped like the
pages: a dispatcher its jurisdiction's queue and its centres' vehicles."""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fangkong.care.dispatch import selectors, services
from fangkong.care.dispatch.models import Source, Stage, Vehicle
from fangkong.care.models import CareRequest, Facility
from fangkong.care.requests.api import request_out
from fangkong.care.requests.schemas import RequestOut
from fangkong.care.requests.services import person_in_scope
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.dates import Happened
from fangkong.core.errors import field_error

router = Router(tags=["medical care"])


class DispatchStep(StrEnum):
    ASSIGN = "assign"
    PICK_UP = "pick_up"
    ARRIVE = "arrive"
    HAND_OVER = "hand_over"


class CareVehicleOut(Schema):
    id: int
    plate: str
    call_sign: str
    centre_id: int
    active: bool


class CareDispatchOut(Schema):
    request: RequestOut
    source: Source | None
    ref_110: str
    stage: Stage
    vehicle: CareVehicleOut | None
    assigned_at: dt.datetime | None
    picked_up_at: dt.datetime | None
    arrived_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    assigned_recorded: dt.datetime | None = Field(description="When the step was written")
    picked_up_recorded: dt.datetime | None
    arrived_recorded: dt.datetime | None
    handed_over_recorded: dt.datetime | None


class CareDispatchStepIn(Schema):
    step: DispatchStep
    vehicle_id: Id | None = Field(None, description="The vehicle, when assigning one")
    happened_at: Happened | None = Field(None, description="When it happened; empty: now")


class Care110TransferIn(Schema):
    ref_110: str = Field(max_length=32, min_length=1, description="110's reference number")
    id_number: str = Field(max_length=18, description="The person's ID number")
    description: str = Field("", max_length=1000)
    contact_phone: str = Field("", max_length=20)
    raised_at: Happened | None = Field(None, description="When 110 took the call; empty: now")


class CareVehicleIn(Schema):
    centre_id: Id
    plate: str = Field(max_length=16, min_length=1)
    call_sign: str = Field("", max_length=32)


def vehicle_out(v: Vehicle | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {
        "id": v.pk,
        "plate": v.plate,
        "call_sign": v.call_sign,
        "centre_id": v.centre_id,
        "active": v.active,
    }


def dispatch_out(item: CareRequest) -> dict[str, Any]:
    d = getattr(item, "dispatch", None)
    times = {
        f: getattr(d, f) if d else None
        for f in (
            "assigned_at",
            "picked_up_at",
            "arrived_at",
            "handed_over_at",
            "assigned_recorded",
            "picked_up_recorded",
            "arrived_recorded",
            "handed_over_recorded",
        )
    }
    return {
        "request": request_out(item),
        "source": d.source if d else None,
        "ref_110": d.ref_110 if d else "",
        "stage": d.stage if d else Stage.QUEUED,
        "vehicle": vehicle_out(d.vehicle) if d else None,
        **times,
    }


@router.get(
    "/care/dispatch", response={200: Page[CareDispatchOut], **ERRORS}, summary="The 120 queue"
)
def care_dispatch_queue(
    request: HttpRequest, done: bool = False, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Requests by 120 of your jurisdiction not yet handed over (`done`: handed over or
    closed), the clock that runs out first on top."""
    qs = selectors.queue_for_user(request.user, done=done)
    return paginate(qs, limit=limit, offset=offset, convert=dispatch_out)


@router.get(
    "/care/dispatch/{int:care_request_id}",
    response={200: CareDispatchOut, **ERRORS},
    summary="A request's 120 dispatch",
)
def care_dispatch_get(request: HttpRequest, care_request_id: Id) -> dict[str, Any]:
    return dispatch_out(selectors.queued_request(request.user, care_request_id))


@router.post(
    "/care/dispatch/{int:care_request_id}/step",
    response={200: CareDispatchOut, **ERRORS},
    summary="The next step of a dispatch",
)
def care_dispatch_step(
    request: HttpRequest, care_request_id: Id, payload: CareDispatchStepIn
) -> dict[str, Any]:
    """assign (with `vehicle_id`: a vehicle in service of your centres, else 422 on
    `vehicle`), pick_up, arrive, hand_over; each dated by `happened_at` (default now)."""
    item = selectors.queued_request(request.user, care_request_id)
    vehicle = services.vehicle_of(request.user, payload.vehicle_id) if payload.vehicle_id else None
    services.dispatch_step(
        actor=request.user,
        request=item,
        step=payload.step.value,
        vehicle=vehicle,
        happened_at=payload.happened_at,
    )
    return dispatch_out(selectors.queued_request(request.user, care_request_id))


@router.post(
    "/care/dispatch/transfers-110",
    response={201: CareDispatchOut, **ERRORS},
    summary="Take over an emergency from 110",
)
def care_dispatch_110(request: HttpRequest, payload: Care110TransferIn) -> Status[dict[str, Any]]:
    """Raised as an emergency request for a person of your jurisdiction (else 422 on
    `id_number`), routed by the rule in force, queued for 120 with 110's reference number."""
    selectors.queue_for_user(request.user)
    person = person_in_scope(request.user, payload.id_number)
    made = services.transfer_from_110(
        actor=request.user,
        person=person,
        ref_110=payload.ref_110,
        description=payload.description,
        contact_phone=payload.contact_phone,
        raised_at=payload.raised_at,
    )
    return Status(201, dispatch_out(selectors.queued_request(request.user, made.pk)))


@router.get(
    "/care/vehicles", response={200: Page[CareVehicleOut], **ERRORS}, summary="120 vehicles"
)
def care_vehicle_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    qs = selectors.vehicles_for_user(request.user)
    return paginate(qs, limit=limit, offset=offset, convert=vehicle_out)


@router.post(
    "/care/vehicles", response={201: CareVehicleOut, **ERRORS}, summary="Register a vehicle"
)
def care_vehicle_new(request: HttpRequest, payload: CareVehicleIn) -> Status[dict[str, Any]]:
    """An ambulance of a 120 centre you dispatch for (else 422 on `centre`)."""
    centre = selectors.centres_for_user(request.user).filter(pk=payload.centre_id).first()
    if centre is None or not isinstance(centre, Facility):
        raise field_error("centre", _("Not a 120 centre you dispatch for"))
    made = services.vehicle_register(
        actor=request.user, centre=centre, plate=payload.plate, call_sign=payload.call_sign
    )
    return Status(201, vehicle_out(made) or {})
