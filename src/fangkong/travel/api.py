"""REST endpoints for trips, arrival tests and hand-overs (/api/)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    not_found_message,
    paginate,
)
from fangkong.core.dates import WindowDay
from fangkong.core.errors import field_error
from fangkong.lab.rounds.selectors import sites_for_user
from fangkong.places.models import Division, Level, named
from fangkong.places.selectors import place_key_for_user
from fangkong.travel import selectors, services
from fangkong.travel.models import OriginKind, TripStatus
from fangkong.travel.schemas import (
    ArrivalIn,
    HandoverOut,
    NotCompliedOut,
    TripIn,
    TripOut,
    handover_out,
    not_complied_out,
    trip_out,
)

router = Router(tags=["travel"])

TRIP_DETAIL = (
    "arrival_test__site",
    "arrival_test__tube__result",
    "handover__measure",
    "handover__community",
)


def _community(user: Any, code: str) -> str:
    """The key of a place named by code or key in the user's jurisdiction (a query filter)."""
    require(user, Cap.TRIPS_VIEW)  # a role without trips gets 403, not a word on the filter
    return place_key_for_user(user, code)


def _destination(code: str) -> Division:
    place = Division.objects.filter(named(code), level__gte=Level.COMMUNITY).first()
    if place is None:
        raise services.destination_unknown()
    return place


# Trips


@router.get("/trips", response={200: Page[TripOut], **ERRORS}, summary="Trips")
def trip_list(
    request: HttpRequest,
    status: TripStatus | None = None,
    origin_kind: OriginKind | None = None,
    arriving_on: WindowDay | None = None,
    community: str = Query("", description="Destination community: division code or key"),
    q: str = Query("", description="Trip code or ID number"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Trips to your jurisdiction, latest arrival first; ID numbers and phones masked."""
    qs = selectors.trip_search(
        request.user,
        status=status.value if status else "",
        origin_kind=origin_kind.value if origin_kind else "",
        arriving_on=arriving_on,
        community=_community(request.user, community),
        q=q,
    ).select_related(*TRIP_DETAIL)
    return paginate(qs, limit=limit, offset=offset, convert=trip_out)


@router.post(
    "/trips",
    response={200: TripOut, 201: TripOut, **ERRORS},
    summary="Report a trip",
)
def trip_new(request: HttpRequest, payload: TripIn) -> Status[dict[str, Any]]:
    """201 with a new trip; 200 with the trip already reported for this traveller and day.

    A traveller new to the registry is registered as a non-resident at the destination.
    """
    require(request.user, Cap.TRIPS_RECORD)
    data = payload.dict()
    destination = _destination(data.pop("destination"))
    for key in ("origin_kind", "transport"):
        data[key] = data[key].value if hasattr(data[key], "value") else data[key]
    reported = services.trip_report(actor=request.user, destination=destination, **data)
    trip = selectors.trip_for_user(request.user, reported.trip.pk)
    return Status(201 if reported.created else 200, trip_out(trip))


@router.get("/trips/{int:trip_id}", response={200: TripOut, **ERRORS}, summary="A trip")
def trip_detail(request: HttpRequest, trip_id: Id) -> dict[str, Any]:
    return trip_out(selectors.trip_for_user(request.user, trip_id))


@router.post(
    "/trips/{int:trip_id}/arrival",
    response={200: TripOut, **ERRORS},
    summary="Record the arrival and its test",
)
def trip_arrival(request: HttpRequest, trip_id: Id, payload: ArrivalIn) -> dict[str, Any]:
    """At the checkpoint: the arrival time and test; the trip is handed over at once (the
    profile's measure for the origin is started, or the trip completes with no obligations)."""
    require(request.user, Cap.TRIPS_RECORD)
    trip = selectors.trip_for_user(request.user, trip_id)
    site = None
    if payload.site.strip():
        site = sites_for_user(request.user).filter(code=payload.site.strip()).first()
        if site is None:
            raise field_error("site", not_found_message())
    services.arrival_record(
        actor=request.user,
        trip=trip,
        checkpoint=payload.checkpoint,
        arrived_at=payload.arrived_at,
        barcode=payload.barcode,
        site=site,
    )
    return trip_out(selectors.trip_for_user(request.user, trip_id))


# Hand-overs


@router.get("/handovers", response={200: Page[HandoverOut], **ERRORS}, summary="Hand-overs")
def handover_list(
    request: HttpRequest,
    acknowledged: bool | None = None,
    community: str = Query("", description="Community: division code or key"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Travellers handed over to your communities, not yet acknowledged first."""
    qs = selectors.handovers_for_user(
        request.user,
        acknowledged=acknowledged,
        community=_community(request.user, community),
    )
    return paginate(qs, limit=limit, offset=offset, convert=handover_out)


@router.post(
    "/handovers/{int:handover_id}/acknowledge",
    response={200: HandoverOut, **ERRORS},
    summary="Acknowledge a hand-over",
)
def handover_acknowledge(request: HttpRequest, handover_id: Id) -> dict[str, Any]:
    """The community confirms it took the traveller over."""
    entry = selectors.handover_for_user(request.user, handover_id)
    services.handover_acknowledge(actor=request.user, handover=entry)
    return handover_out(selectors.handover_for_user(request.user, handover_id))


@router.get(
    "/handovers/not-complied",
    response={200: Page[NotCompliedOut], **ERRORS},
    summary="Travellers who missed tests",
)
def not_complied(
    request: HttpRequest,
    community: str = Query("", description="Community: division code or key"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Tests of handed-over travellers' active measures that were missed or are past their day
    and not taken, oldest first."""
    qs = selectors.not_complied(request.user, community=_community(request.user, community))
    return paginate(qs, limit=limit, offset=offset, convert=not_complied_out)
