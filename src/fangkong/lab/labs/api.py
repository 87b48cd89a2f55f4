"""REST endpoints of the laboratories' registry (/api/labs…).

Scoped exactly like the pages: through `fangkong.lab.selectors.labs_for_user` (the lab's place
in the caller's jurisdiction; an account with the lab role only the labs it staffs).
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    DB_INTEGER_MAX,
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    fields_renamed,
    paginate,
)
from fangkong.lab import selectors as lab_selectors
from fangkong.lab.labs import selectors, services
from fangkong.lab.models import Lab, TurnaroundClass
from fangkong.places.schemas import PlaceBrief
from fangkong.places.selectors import place_in_scope

router = Router(tags=["laboratories"])


# Shapes ---------------------------------------------------------------------------------


class LabOut(Schema):
    id: int
    code: str
    name: str
    place: PlaceBrief
    area: PlaceBrief = Field(description="The area whose tubes it takes")
    capacity_per_day: int | None = Field(description="Tubes it can test a day")
    turnaround: TurnaroundClass
    turnaround_hours: int | None = Field(
        description="The hours its turnaround class promises, from the active policy profile"
    )
    sent_today: int = Field(description="Tubes sent to it today (local time)")
    address: str
    contact_name: str
    phone: str
    active: bool = Field(description="False: suspended, it takes no tubes")
    created_at: dt.datetime


class LabDetailOut(LabOut):
    staff: list[str] = Field(description="User names of its staff (accounts with the lab role)")


class LabIn(Schema):
    name: str = Field(max_length=200)
    place: str = Field(description="Division code (or key) of the lab's place")
    area: str = Field(
        "", description="Division code (or key) of the area served; empty: the lab's place"
    )
    capacity_per_day: int = Field(ge=1, le=DB_INTEGER_MAX)
    turnaround: TurnaroundClass = TurnaroundClass.ROUTINE
    address: str = Field("", max_length=300)
    contact_name: str = Field("", max_length=60)
    phone: str = Field("", max_length=20)


class LabNewIn(LabIn):
    code: str = Field(max_length=32)


class LabChangeIn(LabIn):
    reason: str = Field("", max_length=300)


class LabStatusIn(Schema):
    active: bool
    reason: str = Field(max_length=300)


class LabStaffIn(Schema):
    usernames: list[str] = Field(description="Exactly these accounts staff the lab")


# Converters -----------------------------------------------------------------------------


def _place(division: Any) -> dict[str, str]:
    return {"code": division.code, "key": division.key, "name": division.name}


def _lab_out(
    lab: Lab, sent: dict[int, int], hours: dict[str, int], staff: list[str] | None = None
) -> dict[str, Any]:
    out = {
        "id": lab.pk,
        "code": lab.code,
        "name": lab.name,
        "place": _place(lab.division),
        "area": _place(lab.area or lab.division),
        "capacity_per_day": lab.capacity_per_day,
        "turnaround": lab.turnaround,
        "turnaround_hours": hours.get(lab.turnaround),
        "sent_today": sent.get(lab.pk, 0),
        "address": lab.address,
        "contact_name": lab.contact_name,
        "phone": lab.phone,
        "active": lab.active,
        "created_at": lab.created_at,
    }
    if staff is not None:
        out["staff"] = staff
    return out


def _detail(request: HttpRequest, lab_id: int) -> dict[str, Any]:
    lab = lab_selectors.lab_for_user(request.user, lab_id)
    sent = lab_selectors.tubes_sent_on([lab.pk], timezone.localdate())
    staff = sorted(lab.staff.values_list("username", flat=True))
    return _lab_out(lab, sent, lab_selectors.turnaround_hours(), staff)


def _details(request: HttpRequest, payload: LabIn) -> dict[str, Any]:
    user = request.user
    area = place_in_scope(user, payload.area, "area") if payload.area else None
    return {
        "name": payload.name,
        "division": place_in_scope(user, payload.place, "place"),
        "area": area,
        "capacity_per_day": payload.capacity_per_day,
        "turnaround": payload.turnaround.value,
        "address": payload.address,
        "contact_name": payload.contact_name,
        "phone": payload.phone,
    }


# Endpoints ------------------------------------------------------------------------------


@router.get("/labs", response={200: Page[LabOut], **ERRORS}, summary="Laboratories")
def lab_list(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> dict[str, Any]:
    """The labs in your jurisdiction (with the lab role: the labs you staff), by code."""
    page = paginate(selectors.registry_for(request.user), limit=limit, offset=offset)
    sent = lab_selectors.tubes_sent_on([lab.pk for lab in page["items"]], timezone.localdate())
    hours = lab_selectors.turnaround_hours()
    page["items"] = [_lab_out(lab, sent, hours) for lab in page["items"]]
    return page


@router.post("/labs", response={201: LabDetailOut, **ERRORS}, summary="Register a laboratory")
def lab_new(request: HttpRequest, payload: LabNewIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.LABS_MANAGE)
    with fields_renamed({"division": "place"}):
        lab = services.lab_register(
            actor=request.user, code=payload.code, **_details(request, payload)
        )
    return Status(201, _detail(request, lab.pk))


@router.get("/labs/{int:lab_id}", response={200: LabDetailOut, **ERRORS}, summary="A laboratory")
def lab_get(request: HttpRequest, lab_id: Id) -> dict[str, Any]:
    return _detail(request, lab_id)


@router.put(
    "/labs/{int:lab_id}", response={200: LabDetailOut, **ERRORS}, summary="Change a laboratory"
)
def lab_change(request: HttpRequest, lab_id: Id, payload: LabChangeIn) -> dict[str, Any]:
    """Every detail but the code, which never changes; each field changed is an audit event."""
    lab = lab_selectors.lab_for_user(request.user, lab_id, Cap.LABS_MANAGE)
    with fields_renamed({"division": "place"}):
        services.lab_update(
            actor=request.user, lab=lab, reason=payload.reason, **_details(request, payload)
        )
    return _detail(request, lab_id)


@router.post(
    "/labs/{int:lab_id}/status",
    response={200: LabDetailOut, **ERRORS},
    summary="Suspend or reopen a laboratory",
)
def lab_status(request: HttpRequest, lab_id: Id, payload: LabStatusIn) -> dict[str, Any]:
    """A suspended lab takes no more tubes; those already sent can still be received and
    resulted. A reason is required; audited."""
    lab = lab_selectors.lab_for_user(request.user, lab_id, Cap.LABS_MANAGE)
    services.lab_set_active(
        actor=request.user, lab=lab, active=payload.active, reason=payload.reason
    )
    return _detail(request, lab_id)


@router.put(
    "/labs/{int:lab_id}/staff",
    response={200: LabDetailOut, **ERRORS},
    summary="Set a laboratory's staff",
)
def lab_staff(request: HttpRequest, lab_id: Id, payload: LabStaffIn) -> dict[str, Any]:
    lab = lab_selectors.lab_for_user(request.user, lab_id, Cap.LABS_MANAGE)
    services.lab_staff_set(actor=request.user, lab=lab, usernames=payload.usernames)
    return _detail(request, lab_id)
