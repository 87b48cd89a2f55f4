"""Request and response shapes of the risk-zone API."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from fangkong.core.dates import Happened
from fangkong.zones.models import ChangeKind, Verdict, Zone, ZoneEvaluation, ZoneStatus
from fangkong.zones.selectors import PublicZone, ZoneFigures, level_label


class ZoneOut(Schema):
    id: int
    name: str
    level: str = Field(description="A level of the policy's zone scheme (most restrictive first)")
    level_label: str
    status: ZoneStatus
    started_at: dt.datetime
    level_since: dt.datetime
    ended_at: dt.datetime | None
    people: int = Field(description="Residents registered in the zone (refreshed daily)")
    profile_code: str
    division_key: str = Field(description="Key of the node above all of the zone's places")


class ZonePlaceOut(Schema):
    code: str
    key: str
    name: str
    address: str
    level: int
    lat: float | None
    lon: float | None
    people: int
    from_polygon: bool = Field(description="Found inside a drawn outline")


class ZoneChangeOut(Schema):
    kind: ChangeKind
    from_level: str
    to_level: str
    at: dt.datetime
    people: int
    reason: str
    actor: str


class ZoneDetailOut(ZoneOut):
    reason: str
    obligations: str
    cases: list[str] = Field(description="Numbers of the cases that called for the zone")
    places: list[ZonePlaceOut]
    polygons: list[dict[str, Any]] = Field(description="Drawn outlines (GeoJSON Polygons)")
    history: list[ZoneChangeOut]


class ZoneIn(Schema):
    level: str
    reason: str
    places: list[str] = Field(
        default_factory=list, description="Division codes (or keys) of units, buildings, …"
    )
    polygon: dict[str, Any] | None = Field(
        None, description="A GeoJSON Polygon (lon, lat): the buildings inside it join the zone"
    )
    cases: list[str] = Field(default_factory=list, description="Case numbers")
    name: str = ""
    started_at: Happened | None = Field(
        None, description="When it was drawn (default: now); the figures count it from then"
    )
    in_force: bool = Field(True, description="False: kept as a proposal until put in force")


class ZoneExtendIn(Schema):
    reason: str
    places: list[str] = Field(default_factory=list)
    polygon: dict[str, Any] | None = None
    cases: list[str] = Field(default_factory=list)


class ZoneLevelIn(Schema):
    level: str
    reason: str
    changed_at: Happened | None = Field(
        None, description="When the level changed (default: now); not before its last change"
    )


class ZoneActivateIn(Schema):
    reason: str = ""
    started_at: Happened | None = Field(
        None, description="When it came into force (default: now); not before it was proposed"
    )


class RoundRef(Schema):
    id: int
    name: str
    area: str = Field(description="Division code of the round's area")


class RoundResultOut(Schema):
    round_id: int
    name: str
    day: dt.date
    sampled: int
    resulted: int
    positive: int
    required: bool = Field(description="Inside the window the rule needs a negative round in")


class EvaluationOut(Schema):
    id: int
    zone: int
    zone_name: str
    day: dt.date
    level: str
    clock_from: dt.date
    days_clean: int
    last_infection_on: dt.date | None
    rule: dict[str, Any]
    rounds: list[RoundResultOut]
    new_cases: list[str]
    notes: list[str] = Field(description="Why the rule is (not) met: rule_met, no_round, …")
    qualifies: bool
    proposed_level: str
    proposed_change: str
    verdict: Verdict
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str


class LevelFigureOut(Schema):
    level: str
    label: str
    zones: int
    people: int


class FiguresOut(Schema):
    date: dt.date
    zones: int
    people: int
    levels: list[LevelFigureOut]


class PublicPlaceOut(Schema):
    address: str
    lat: float | None
    lon: float | None


class PublicZoneOut(Schema):
    id: int
    level: str
    level_label: str
    since: dt.datetime = Field(description="At this level since")
    started_at: dt.datetime
    obligations: str
    places: list[PublicPlaceOut]
    polygons: list[dict[str, Any]]


def zone_out(zone: Zone) -> dict[str, Any]:
    return {
        "id": zone.pk,
        "name": zone.name,
        "level": zone.level,
        "level_label": level_label(zone.level),
        "status": zone.status,
        "started_at": zone.started_at,
        "level_since": zone.level_since,
        "ended_at": zone.ended_at,
        "people": zone.people,
        "profile_code": zone.profile_code,
        "division_key": zone.division_key,
    }


def evaluation_out(e: ZoneEvaluation) -> dict[str, Any]:
    return {
        "id": e.pk,
        "zone": e.zone_id,
        "zone_name": e.zone.name,
        "day": e.day,
        "level": e.level,
        "clock_from": e.clock_from,
        "days_clean": e.days_clean,
        "last_infection_on": e.last_infection_on,
        "rule": e.rule,
        "rounds": e.rounds,
        "new_cases": e.new_cases,
        "notes": e.notes,
        "qualifies": e.qualifies,
        "proposed_level": e.proposed_level,
        "proposed_change": e.proposed_change,
        "verdict": e.verdict,
        "decided_by": str(e.decided_by) if e.decided_by_id else None,
        "decided_at": e.decided_at,
        "decision_reason": e.decision_reason,
    }


def figures_out(f: ZoneFigures) -> dict[str, Any]:
    return {
        "date": f.day,
        "zones": f.zones,
        "people": f.people,
        "levels": [vars(x) for x in f.levels],
    }


def public_out(z: PublicZone) -> dict[str, Any]:
    return {
        "id": z.pk,
        "level": z.level,
        "level_label": z.label,
        "since": z.since,
        "started_at": z.started_at,
        "obligations": z.obligations,
        "places": [vars(p) for p in z.places],
        "polygons": z.polygons,
    }
