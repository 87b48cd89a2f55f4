"""REST endpoints of quarantine sites, rooms and stays (/api/quarantine/…).

Scoped exactly like the pages: everything goes through `selectors.sites_for` (jurisdiction, and a
site manager only at the sites they staff). Allocation's endpoints are in `allocation.api`.
"""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    DB_SMALLINT_MAX,
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    SmallInt,
    fields_renamed,
    found,
    paginate,
)
from fangkong.core.dates import Happened
from fangkong.core.errors import field_error
from fangkong.places.selectors import place_in_scope
from fangkong.quarantine.batches import BatchOut, batch_out
from fangkong.quarantine.models import (
    Room,
    RoomStatus,
    Site,
    SiteKind,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites import selectors, services

router = Router(tags=["quarantine"])
CheckedInQuery = Query(None, description="When the person arrived (valid time); now if left out")


# Shapes ---------------------------------------------------------------------------------


class OccupancyOut(Schema):
    rooms: int
    beds: int
    available: int = Field(description="Rooms free to allocate")
    occupied: int
    cleaning: int = Field(description="Rooms awaiting disinfection")
    closed: int
    people_in: int = Field(description="People checked in")
    people_expected: int = Field(description="People allocated, not yet arrived")


class SiteTotalsOut(OccupancyOut):
    sites: int = Field(description="Sites in use")


class QuarantineSiteOut(Schema):
    id: int
    code: str
    name: str
    kind: SiteKind
    place: str = Field(description="Division code of the site's place")
    place_name: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    active: bool
    opened_at: dt.datetime = Field(description="When the site opened (valid time)")
    closed_at: dt.datetime | None = Field(
        description="While out of use: when it was closed or suspended (valid time)"
    )
    occupancy: OccupancyOut


class QuarantineSiteDetailOut(QuarantineSiteOut):
    staff: list[str] = Field(description="User names of the site's staff")


class QuarantineSiteIn(Schema):
    code: str = Field(max_length=20)
    name: str = Field(max_length=120)
    kind: SiteKind
    place: str = Field(description="Division code (or key) of the site's place")
    address: str = Field("", max_length=200)
    latitude: float | None = None
    longitude: float | None = None
    phone: str = Field("", max_length=20)
    opened_at: Happened | None = Field(
        None, description="When the site opened (valid time); now if left out"
    )


class SiteInUseIn(Schema):
    active: bool = Field(description="false: close or suspend the site; true: open it again")
    reason: str = Field(max_length=300)
    at: Happened | None = Field(None, description="When (valid time); now if left out")


class SiteStaffIn(Schema):
    usernames: list[str] = Field(description="Exactly these users staff the site")


class QuarantineRoomOut(Schema):
    id: int
    site: int
    building: str
    floor: int
    number: str
    label: str
    beds: int
    accessible: bool
    status: RoomStatus


class QuarantineRoomIn(Schema):
    building: str = Field("", max_length=20)
    floor: SmallInt
    number: str = Field(max_length=20)
    beds: int = Field(1, ge=1, le=DB_SMALLINT_MAX)
    accessible: bool = False


class RoomsGenerateIn(Schema):
    building: str = Field("", max_length=20)
    floor_from: SmallInt
    floor_to: SmallInt
    room_from: int = Field(ge=1, le=99)
    room_to: int = Field(ge=1, le=99)
    beds: int = Field(1, ge=1, le=DB_SMALLINT_MAX)
    accessible: list[int] = Field(
        default_factory=list, description="Room positions accessible on every floor"
    )


class RoomsIn(Schema):
    rooms: list[QuarantineRoomIn] = Field(default_factory=list, description="Rooms one by one")
    generate: RoomsGenerateIn | None = Field(
        None, description="Or: floors × positions, e.g. floors 2–9, rooms 01–20 → 201 … 920"
    )


class RoomsAddedOut(Schema):
    created: int
    updated: int
    unchanged: int


class RoomStatusIn(Schema):
    status: Literal["available", "cleaning", "closed"]
    reason: str = Field("", max_length=300)
    changed_at: Happened | None = Field(
        None, description="When the status changed (valid time); now if left out"
    )


class QuarantineStayOut(Schema):
    id: int
    person: int
    name: str
    id_number: str = Field(description="Masked")
    site: int
    room: int
    room_label: str
    status: StayStatus
    allocated_at: dt.datetime
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None


class StaysInIn(Schema):
    """Either `ids` or `all_expected` (everyone allocated to the site and not yet arrived)."""

    ids: list[Id] | None = Field(None, max_length=100_000, description="Stay ids at this site")
    all_expected: bool = Field(False, description="Instead of ids: everyone expected here")
    checked_in_at: Happened | None = Field(
        None, description="When they arrived (valid time, the same for all); now if left out"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"ids": [501, 502, 503], "checked_in_at": "2022-05-07T14:20:00+08:00"},
                {"all_expected": True},
            ]
        }
    }


class StayMoveIn(Schema):
    room: Id = Field(description="Id of a free room at one of your sites")
    reason: str = Field(max_length=300)
    moved_at: Happened | None = Field(
        default=None, description="When the move happened (valid time); now if left out"
    )


# Converters -----------------------------------------------------------------------------


def _occupancy(figures: selectors.Occupancy) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in OccupancyOut.model_fields}


def _site_out(site: Site, figures: selectors.Occupancy, staff: list[str] | None = None) -> dict:
    out = {
        "id": site.pk,
        "code": site.code,
        "name": site.name,
        "kind": site.kind,
        "place": site.division.code,
        "place_name": site.division.name,
        "address": site.address,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "phone": site.phone,
        "active": site.active,
        "opened_at": site.opened_at,
        "closed_at": site.closed_at,
        "occupancy": _occupancy(figures),
    }
    if staff is not None:
        out["staff"] = staff
    return out


def _site_detail(site: Site) -> dict[str, Any]:
    figures = selectors.occupancy_by_site([site])[site.pk]
    return _site_out(site, figures, sorted(site.staff.values_list("username", flat=True)))


def _room_out(room: Room) -> dict[str, Any]:
    return {
        "id": room.pk,
        "site": room.site_id,
        "building": room.building,
        "floor": room.floor,
        "number": room.number,
        "label": selectors.room_label(room.building, room.number),
        "beds": room.beds,
        "accessible": room.accessible,
        "status": room.status,
    }


def _stay_out(stay: Stay) -> dict[str, Any]:
    return {
        "id": stay.pk,
        "person": stay.person_id,
        "name": stay.person.name,
        "id_number": stay.person.id_number_masked,
        "site": stay.site_id,
        "room": stay.room_id,
        "room_label": selectors.room_label(stay.room.building, stay.room.number),
        "status": stay.status,
        "allocated_at": stay.allocated_at,
        "checked_in_at": stay.checked_in_at,
        "checked_out_at": stay.checked_out_at,
    }


def _site(request: HttpRequest, site_id: Id, cap: Cap = Cap.QUARANTINE_VIEW) -> Site:
    return selectors.site_for(request.user, site_id, cap)


# Sites ----------------------------------------------------------------------------------


@router.get(
    "/quarantine/sites",
    response={200: Page[QuarantineSiteOut], **ERRORS},
    summary="Quarantine sites",
)
def quarantine_sites(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Sites in your jurisdiction (a site manager: the sites you staff), with occupancy."""
    qs = selectors.sites_for(request.user).select_related("division")
    page = paginate(qs, limit=limit, offset=offset)
    figures = selectors.occupancy_by_site(page["items"])
    page["items"] = [_site_out(s, figures[s.pk]) for s in page["items"]]
    return page


@router.get(
    "/quarantine/sites/figures",
    response={200: SiteTotalsOut, **ERRORS},
    summary="Quarantine totals",
)
def quarantine_site_figures(request: HttpRequest) -> dict[str, Any]:
    """Sites in use, rooms, beds, rooms by status and people, over every site you see."""
    totals = selectors.occupancy_totals(selectors.sites_for(request.user))
    return {"sites": totals.sites, **_occupancy(totals)}


@router.post(
    "/quarantine/sites",
    response={201: QuarantineSiteDetailOut, **ERRORS},
    summary="Register a quarantine site",
)
def quarantine_site_new(request: HttpRequest, payload: QuarantineSiteIn) -> Status[dict]:
    require(request.user, Cap.QUARANTINE_MANAGE)
    place = place_in_scope(request.user, payload.place, "place")
    with fields_renamed({"division": "place"}):
        site = services.site_register(
            actor=request.user,
            code=payload.code,
            name=payload.name,
            kind=payload.kind.value,
            division=place,
            address=payload.address,
            latitude=payload.latitude,
            longitude=payload.longitude,
            phone=payload.phone,
            opened_at=payload.opened_at,
        )
    return Status(201, _site_detail(_site(request, site.pk)))


@router.get(
    "/quarantine/sites/{int:site_id}",
    response={200: QuarantineSiteDetailOut, **ERRORS},
    summary="A quarantine site",
)
def quarantine_site(request: HttpRequest, site_id: Id) -> dict[str, Any]:
    return _site_detail(_site(request, site_id))


@router.put(
    "/quarantine/sites/{int:site_id}/staff",
    response={200: QuarantineSiteDetailOut, **ERRORS},
    summary="Set a site's staff",
)
def quarantine_site_staff(request: HttpRequest, site_id: Id, payload: SiteStaffIn) -> dict:
    site = _site(request, site_id, Cap.QUARANTINE_MANAGE)
    services.site_staff_set(actor=request.user, site=site, usernames=payload.usernames)
    return _site_detail(site)


@router.post(
    "/quarantine/sites/{int:site_id}/in-use",
    response={200: QuarantineSiteDetailOut, **ERRORS},
    summary="Close, suspend or reopen a site",
)
def quarantine_site_in_use(request: HttpRequest, site_id: Id, payload: SiteInUseIn) -> dict:
    """Take a site out of use (nobody may be allocated to it or staying there) or open it
    again, with the reason and when it happened (`at`, valid time: the figures as of an
    earlier moment still count the site as it was then)."""
    site = _site(request, site_id, Cap.QUARANTINE_MANAGE)
    services.site_set_in_use(
        actor=request.user,
        site=site,
        active=payload.active,
        reason=payload.reason,
        at=payload.at,
    )
    return _site_detail(_site(request, site_id))


# Rooms ----------------------------------------------------------------------------------


@router.get(
    "/quarantine/sites/{int:site_id}/rooms",
    response={200: Page[QuarantineRoomOut], **ERRORS},
    summary="Rooms of a site",
)
def quarantine_rooms(
    request: HttpRequest,
    site_id: Id,
    status: RoomStatus | None = None,
    building: str | None = None,
    floor: SmallInt | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    site = _site(request, site_id)
    qs = Room.objects.filter(site=site).order_by("building", "floor", "number")
    if status:
        qs = qs.filter(status=status.value)
    if building is not None:
        qs = qs.filter(building=building)
    if floor is not None:
        qs = qs.filter(floor=floor)
    return paginate(qs, limit=limit, offset=offset, convert=_room_out)


@router.post(
    "/quarantine/sites/{int:site_id}/rooms",
    response={200: RoomsAddedOut, **ERRORS},
    summary="Add rooms in bulk",
)
def quarantine_rooms_add(request: HttpRequest, site_id: Id, payload: RoomsIn) -> dict:
    """Rooms one by one and/or generated floor by floor. Rooms the site already has keep their
    status (beds, floor and access are updated), so sending the same rooms twice adds nothing."""
    site = _site(request, site_id, Cap.QUARANTINE_MANAGE)
    specs = [
        services.RoomSpec(r.building.strip(), r.floor, r.number.strip(), r.beds, r.accessible)
        for r in payload.rooms
    ]
    if payload.generate is not None:
        g = payload.generate
        specs += services.rooms_generate(
            building=g.building,
            floors=(g.floor_from, g.floor_to),
            positions=(g.room_from, g.room_to),
            beds=g.beds,
            accessible=g.accessible,
        )
    added = services.rooms_add(actor=request.user, site=site, rooms=specs, source="api")
    return {"created": added.created, "updated": added.updated, "unchanged": added.unchanged}


@router.post(
    "/quarantine/rooms/{int:room_id}/status",
    response={200: QuarantineRoomOut, **ERRORS},
    summary="Change a room's status",
)
def quarantine_room_status(request: HttpRequest, room_id: Id, payload: RoomStatusIn) -> dict:
    """Close, reopen, or mark disinfected (awaiting disinfection → available); audited."""
    room = selectors.room_for(request.user, room_id, Cap.QUARANTINE_MANAGE)
    services.room_set_status(
        actor=request.user,
        room=room,
        status=payload.status,
        reason=payload.reason,
        changed_at=payload.changed_at,
    )
    return _room_out(room)


# Stays ----------------------------------------------------------------------------------


@router.get(
    "/quarantine/sites/{int:site_id}/stays",
    response={200: Page[QuarantineStayOut], **ERRORS},
    summary="People allocated to a site",
)
def quarantine_stays(
    request: HttpRequest,
    site_id: Id,
    status: StayStatus | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Open stays (expected and in) unless a status is asked for."""
    site = _site(request, site_id)
    qs = Stay.objects.filter(site=site).select_related("person", "room")
    if status:
        qs = qs.filter(status=status.value)
    else:
        qs = qs.filter(status__in=(StayStatus.PLANNED, StayStatus.IN))
    qs = qs.order_by("room__building", "room__floor", "room__number", "id")
    return paginate(qs, limit=limit, offset=offset, convert=_stay_out)


@router.post(
    "/quarantine/stays/{int:stay_id}/check-in",
    response={200: QuarantineStayOut, **ERRORS},
    summary="Check a person in",
)
def quarantine_stay_check_in(
    request: HttpRequest, stay_id: Id, checked_in_at: Happened | None = CheckedInQuery
) -> dict[str, Any]:
    """The person arrived: at `checked_in_at` (valid time, now if left out), not before the
    room was allocated nor before their measure started (422 naming the field)."""
    stay = selectors.stay_for(request.user, stay_id, Cap.QUARANTINE_MANAGE)
    services.stay_check_in(actor=request.user, stay=stay, at=checked_in_at)
    return _stay_out(stay)


@router.post(
    "/quarantine/sites/{int:site_id}/stays/check-in",
    response={200: BatchOut, 409: BatchOut, **ERRORS},
    summary="Check many people in",
)
def quarantine_stays_check_in(
    request: HttpRequest, site_id: Id, payload: StaysInIn
) -> Status[dict[str, Any]]:
    """A bus arrives: check in the stays `ids` at this site, or everyone expected here
    (`all_expected`), all at `checked_in_at` (valid time, now if left out). All or nothing:
    a stay not at this site, not expected, or an arrival before a stay's allocation or its
    measure's start answers 409 naming each id, and nothing changes. People already in are
    `unchanged`, so sending the same request again changes nothing."""
    site = _site(request, site_id, Cap.QUARANTINE_MANAGE)
    if (payload.ids is None) == (not payload.all_expected):
        raise field_error("ids", _("Send either ids or all_expected"))
    here = Stay.objects.filter(site=site)
    batch = services.stays_arrive(
        actor=request.user,
        ids=payload.ids,
        selection=here if payload.ids is not None else here.filter(status=StayStatus.PLANNED),
        at=payload.checked_in_at,
    )
    return Status(409 if batch.refused else 200, batch_out(batch))


@router.post(
    "/quarantine/stays/{int:stay_id}/move",
    response={200: QuarantineStayOut, **ERRORS},
    summary="Move a person to another room",
)
def quarantine_stay_move(request: HttpRequest, stay_id: Id, payload: StayMoveIn) -> dict[str, Any]:
    """The stay ends as "moved"; the answer is the new stay."""
    stay = selectors.stay_for(request.user, stay_id, Cap.QUARANTINE_MANAGE)
    room = found(
        "room", lambda: selectors.room_for(request.user, payload.room, Cap.QUARANTINE_MANAGE)
    )
    new = services.stay_move(
        actor=request.user,
        stay=stay,
        room=room,
        reason=payload.reason,
        moved_at=payload.moved_at,
    )
    return _stay_out(selectors.stay_for(request.user, new.pk))
