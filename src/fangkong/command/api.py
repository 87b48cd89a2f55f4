"""The command centre's figures for other systems (a provincial platform pulls them daily).

GET /api/command/situation?as_of=…&place=…  figures as of a moment, by place
GET /api/command/report?day=…&hour=8&place=…  the daily report: text, figures, changes
"""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from fangkong.command import report as reporting
from fangkong.command.figures import RoundFigure, Situation, latest_rounds, situation
from fangkong.command.places import Node, node_for
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS
from fangkong.core.dates import Day, Moment

router = Router(tags=["command"])


class SituationPlaceOut(Schema):
    key: str
    code: str
    name: str
    level: int


class AreaOut(SituationPlaceOut):
    figures: dict[str, int]


class CurveOut(Schema):
    days: list[str] = Field(description="Every day from the first to the last, ISO dates")
    onset: dict[str, list[int]] = Field(description="Cases per day of onset, by classification")
    reported: dict[str, list[int]] = Field(description="Cases per report date, by classification")


class SituationRoundOut(Schema):
    id: int
    name: str
    area: str
    starts_at: dt.datetime
    closed: bool
    sampled: int | None = Field(description="People sampled by `as_of` (with `coverage=true`)")
    target: int | None = Field(description="People registered in the round's area (same)")
    percent: float | None


class ZoneLevelOut(Schema):
    code: str
    label: str
    zones: int
    people: int


class SituationOut(Schema):
    place: SituationPlaceOut
    as_of: dt.datetime
    since: dt.datetime = Field(description="24 hours before: `*_new` figures count from here")
    sections: list[str] = Field(description="The parts your role may see")
    figures: dict[str, int] = Field(description="Totals (names in docs/command.md)")
    areas: list[AreaOut] = Field(description="The same figures per place one level down")
    curve: CurveOut | None
    rounds: list[SituationRoundOut]
    zones: list[ZoneLevelOut] | None = Field(description="Null when zone figures are missing")


class LineOut(Schema):
    label: str
    value: int
    change: int | None


class ReportOut(SituationOut):
    title: str
    heading: str
    paragraphs: list[str]
    lines: list[LineOut]


def _place(node: Node) -> dict[str, Any]:
    return {"key": node.key, "code": node.code, "name": node.name, "level": node.level}


def situation_out(s: Situation, *, coverage: bool = True) -> dict[str, Any]:
    """The API's form of a situation; without `coverage` the latest rounds are listed with
    no people counted (null, not 0)."""
    rounds: list[Any] = s.rounds
    if not coverage and "testing" in s.sections:
        rounds = [
            RoundFigure(
                round=r, started=True, closed=r.closed_at is not None and r.closed_at <= s.at
            )
            for r in latest_rounds(s.node, s.at)
        ]
    return {
        "place": _place(s.node),
        "as_of": s.at,
        "since": s.since,
        "sections": sorted(s.sections),
        "figures": dict(s.total),
        "areas": [
            {
                "key": a.key,
                "code": a.division.code if a.division else "",
                "name": a.name,
                "level": a.division.level if a.division else s.node.level,
                "figures": dict(a.figures),
            }
            for a in s.rows
        ],
        "curve": s.curve or None,
        "rounds": [
            {
                "id": r.round.pk,
                "name": r.round.name,
                "area": r.round.area.name,
                "starts_at": r.round.starts_at,
                "closed": r.closed,
                "sampled": r.sampled if coverage else None,
                "target": r.target if coverage else None,
                "percent": r.percent if coverage else None,
            }
            for r in rounds
        ],
        "zones": [
            {"code": lv.level, "label": lv.label, "zones": lv.zones, "people": lv.people}
            for lv in s.zones.levels
        ]
        if s.zones is not None
        else None,
    }


@router.get("/situation", response={200: SituationOut, **ERRORS}, summary="Figures as of a moment")
def command_situation(
    request: HttpRequest,
    as_of: Moment | None = None,
    place: str = "",
    coverage: bool = False,
) -> dict[str, Any]:
    """Cases, contacts, quarantine, zones and testing within your jurisdiction (or `place`,
    a division code or key within it) as they stood at `as_of` (default: now), with the
    change over the 24 hours before, in total and per place one level down.

    `coverage=true` adds the people sampled and registered in the latest rounds, which
    means counting every member of a city-wide round (seconds at 10M residents)."""
    require(request.user, Cap.CASES_VIEW)
    at = as_of or timezone.now().replace(microsecond=0)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    node = node_for(request.user, place)
    return situation_out(situation(request.user, node, at, coverage=coverage), coverage=coverage)


@router.get("/report", response={200: ReportOut, **ERRORS}, summary="Daily situation report")
def command_report(
    request: HttpRequest,
    day: Day | None = None,
    hour: int = Query(reporting.CUT_OFF_HOUR, ge=0, le=23),
    place: str = "",
) -> dict[str, Any]:
    """The daily report as of `hour`:00 on `day` (default: 8:00 today): its text, the
    headline figures with their change in 24 hours, and the figures per place."""
    require(request.user, Cap.CASES_VIEW)
    node = node_for(request.user, place)
    rep = reporting.report_for(request.user, node, day or timezone.localdate(), hour)
    out = situation_out(rep.situation)
    out.update(
        {
            "title": rep.title,
            "heading": rep.as_of,
            "paragraphs": reporting.paragraphs(rep),
            "lines": [
                {"label": str(line.label), "value": line.value, "change": line.change}
                for line in reporting.headline_rows(rep.situation)
            ],
        }
    )
    return out
