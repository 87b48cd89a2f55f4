"""REST endpoints for risk zones (/api/): zones, their daily evaluations, figures, publication."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, ReasonIn, paginate
from fangkong.core.dates import Day
from fangkong.zones import selectors, services
from fangkong.zones.models import Verdict, ZoneStatus
from fangkong.zones.schemas import (
    EvaluationOut,
    FiguresOut,
    PublicZoneOut,
    RoundRef,
    ZoneActivateIn,
    ZoneDetailOut,
    ZoneExtendIn,
    ZoneIn,
    ZoneLevelIn,
    ZoneOut,
    evaluation_out,
    figures_out,
    public_out,
    zone_out,
)

router = Router(tags=["zones"])


def _area(
    request: HttpRequest, places: list[str], polygon: Any, cases: list[str]
) -> dict[str, Any]:
    return {
        "divisions": selectors.divisions_by_codes(request.user, places),
        "polygon": polygon,
        "cases": selectors.cases_by_numbers(request.user, cases),
    }


def _detail(zone: Any) -> dict[str, Any]:
    cache = selectors.RulesCache()
    areas = selectors.node_areas(zone)
    keys = [a.division_key for a in areas]
    paths = selectors.place_paths(keys)
    counts = selectors.people_by_node(keys)
    return {
        **zone_out(zone),
        "reason": zone.reason,
        "obligations": selectors.obligations_text(cache.for_zone(zone), zone.level),
        "cases": list(zone.cases.order_by("number").values_list("number", flat=True)),
        "places": [
            {
                "code": a.division.code,
                "key": a.division_key,
                "name": a.division.name,
                "address": paths.get(a.division_key, ""),
                "level": a.division.level,
                "lat": a.division.lat,
                "lon": a.division.lon,
                "people": counts.get(a.division_key, 0),
                "from_polygon": a.polygon_id is not None,
            }
            for a in areas
            if a.division is not None
        ],
        "polygons": selectors.zone_polygons(zone),
        "history": [
            {
                "kind": c.kind,
                "from_level": c.from_level,
                "to_level": c.to_level,
                "at": c.at,
                "people": c.people,
                "reason": c.reason,
                "actor": str(c.actor) if c.actor else "system",
            }
            for c in selectors.zone_history(zone)
        ],
    }


# Zones


@router.get("/zones", response={200: Page[ZoneOut], **ERRORS}, summary="Risk zones")
def zone_list(
    request: HttpRequest,
    status: ZoneStatus | None = None,
    level: str = "",
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Zones over your jurisdiction (or over the area above it), newest first."""
    qs = selectors.zones_for_user(request.user).order_by("-started_at", "-id")
    if status:
        qs = qs.filter(status=status.value)
    if level:
        qs = qs.filter(level=level)
    return paginate(qs, limit=limit, offset=offset, convert=zone_out)


@router.post("/zones", response={201: ZoneDetailOut, **ERRORS}, summary="Draw a zone")
def zone_new(request: HttpRequest, payload: ZoneIn) -> Status[dict[str, Any]]:
    """Levels and the kinds of place a zone is drawn by come from the active policy."""
    require(request.user, Cap.ZONES_MANAGE)
    zone = services.zone_draw(
        actor=request.user,
        level=payload.level,
        reason=payload.reason,
        name=payload.name,
        started_at=payload.started_at,
        in_force=payload.in_force,
        **_area(request, payload.places, payload.polygon, payload.cases),
    )
    return Status(201, _detail(zone))


@router.get("/zones/{int:zone_id}", response={200: ZoneDetailOut, **ERRORS}, summary="One zone")
def zone_detail(request: HttpRequest, zone_id: Id) -> dict[str, Any]:
    return _detail(selectors.zone_for_user(request.user, zone_id))


@router.post(
    "/zones/{int:zone_id}/extend", response={200: ZoneDetailOut, **ERRORS}, summary="Extend"
)
def zone_extend(request: HttpRequest, zone_id: Id, payload: ZoneExtendIn) -> dict[str, Any]:
    zone = selectors.zone_for_user(request.user, zone_id)
    services.zone_extend(
        actor=request.user,
        zone=zone,
        reason=payload.reason,
        **_area(request, payload.places, payload.polygon, payload.cases),
    )
    return _detail(zone)


@router.post(
    "/zones/{int:zone_id}/level", response={200: ZoneOut, **ERRORS}, summary="Set level by hand"
)
def zone_level(request: HttpRequest, zone_id: Id, payload: ZoneLevelIn) -> dict[str, Any]:
    zone = selectors.zone_for_user(request.user, zone_id)
    services.zone_set_level(
        actor=request.user,
        zone=zone,
        level=payload.level,
        reason=payload.reason,
        changed_at=payload.changed_at,
    )
    return zone_out(zone)


@router.post("/zones/{int:zone_id}/activate", response={200: ZoneOut, **ERRORS})
def zone_activate(request: HttpRequest, zone_id: Id, payload: ZoneActivateIn) -> dict[str, Any]:
    zone = selectors.zone_for_user(request.user, zone_id)
    return zone_out(
        services.zone_activate(
            actor=request.user, zone=zone, reason=payload.reason, started_at=payload.started_at
        )
    )


@router.post("/zones/{int:zone_id}/withdraw", response={200: ZoneOut, **ERRORS})
def zone_withdraw(request: HttpRequest, zone_id: Id, payload: ReasonIn) -> dict[str, Any]:
    zone = selectors.zone_for_user(request.user, zone_id)
    return zone_out(services.zone_withdraw(actor=request.user, zone=zone, reason=payload.reason))


@router.post(
    "/zones/{int:zone_id}/rounds",
    response={201: list[RoundRef], **ERRORS},
    summary="Start a testing round for the zone",
)
def zone_rounds(request: HttpRequest, zone_id: Id, payload: ReasonIn) -> Status[list[Any]]:
    """One round over each of the zone's places, under the testing module's rules."""
    zone = selectors.zone_for_user(request.user, zone_id)
    rounds = services.zone_round_start(actor=request.user, zone=zone, reason=payload.reason)
    return Status(201, [{"id": r.pk, "name": r.name, "area": r.area.code} for r in rounds])


# Evaluations


@router.get(
    "/zones/{int:zone_id}/evaluations",
    response={200: Page[EvaluationOut], **ERRORS},
    summary="A zone's daily evaluations",
)
def zone_evaluations(
    request: HttpRequest, zone_id: Id, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    zone = selectors.zone_for_user(request.user, zone_id)
    qs = zone.evaluations.select_related("zone", "decided_by").order_by("-day", "-id")
    return paginate(qs, limit=limit, offset=offset, convert=evaluation_out)


@router.get(
    "/zone-evaluations",
    response={200: Page[EvaluationOut], **ERRORS},
    summary="Daily evaluations",
)
def evaluation_list(
    request: HttpRequest,
    verdict: Verdict | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Newest first; `verdict=proposed` lists the changes waiting for a decision."""
    qs = selectors.evaluations_for_user(request.user).select_related("decided_by")
    if verdict:
        qs = qs.filter(verdict=verdict.value)
    return paginate(qs.order_by("-day", "-id"), limit=limit, offset=offset, convert=evaluation_out)


@router.post(
    "/zone-evaluations/{int:evaluation_id}/approve",
    response={200: ZoneOut, **ERRORS},
    summary="Approve a proposed change",
)
def evaluation_approve(
    request: HttpRequest, evaluation_id: Id, payload: ReasonIn
) -> dict[str, Any]:
    evaluation = selectors.evaluation_for_user(request.user, evaluation_id)
    zone = services.evaluation_approve(
        actor=request.user, evaluation=evaluation, reason=payload.reason
    )
    return zone_out(zone)


@router.post(
    "/zone-evaluations/{int:evaluation_id}/reject",
    response={200: EvaluationOut, **ERRORS},
    summary="Reject a proposed change",
)
def evaluation_reject(request: HttpRequest, evaluation_id: Id, payload: ReasonIn) -> dict[str, Any]:
    evaluation = selectors.evaluation_for_user(request.user, evaluation_id)
    services.evaluation_reject(actor=request.user, evaluation=evaluation, reason=payload.reason)
    return evaluation_out(evaluation)


# Figures and publication


@router.get("/zone-figures", response={200: FiguresOut, **ERRORS}, summary="Zone figures")
def zone_figures(request: HttpRequest, date: Day | None = None) -> dict[str, Any]:
    """Zones in force and people inside them by level at the end of `date` (default today)."""
    day = date or timezone.localdate()
    return figures_out(selectors.zone_figures_for_user(request.user, day))


@router.get(
    "/public/risk-zones",
    auth=None,
    response={200: list[PublicZoneOut]},
    summary="Risk zones in force (public)",
)
def public_risk_zones(request: HttpRequest) -> list[dict[str, Any]]:
    """No login: level, address, since when and obligations of each zone. No personal data."""
    return [public_out(z) for z in selectors.public_zones()]
