"""The command centre's figures for other systems (a provincial platform pulls them daily).

GET /api/command/situation?as_of=…&place=…  figures as of a moment, by place
GET /api/command/report?day=…&hour=8&place=…  the daily report: text, figures, changes
POST /api/command/report/issues  issue the report of a day (again, with a reason)
GET /api/command/report/issues?day=…&place=…  the issues of a day (or of every day)
GET /api/command/report/issues/{id}  one issue as issued, with what changed since earlier ones
"""

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from fangkong.command import issues
from fangkong.command import report as reporting
from fangkong.command.figures import RoundFigure, Situation, latest_rounds, situation
from fangkong.command.places import Node, node_for
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id
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


class SupplyCompoundFigureOut(Schema):
    key: str
    code: str
    name: str
    open: int
    late: int


class SupplyFiguresOut(Schema):
    orders_open: int = Field(description="Supply orders not yet delivered to the door")
    orders_late: int = Field(description="Of them, past the deadline the policy set")
    orders_key_open: int = Field(description="Of them, for key persons")
    passes_issued: int
    passes_revoked: int
    passes_valid: int
    compounds: list[SupplyCompoundFigureOut] = Field(
        description="Compounds with open orders, the most late first (at most 10)"
    )


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
    supplies: SupplyFiguresOut | None = Field(
        None, description="Orders and passes; null for a role that may not see supplies"
    )


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
        "supplies": asdict(s.supplies) if s.supplies is not None else None,
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
    hour: int | None = Query(None, ge=0, le=23),
    place: str = "",
) -> dict[str, Any]:
    """The daily report as of `hour`:00 on `day` (default: today at the report time of the
    policy in force, `reporting.report_hour`, e.g. 8:00): its text, the headline figures with
    their change in 24 hours, and the figures per place."""
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


# Issues of the daily report -------------------------------------------------------------------


class ReportIssueIn(Schema):
    day: Day = Field(description="The report date; issued as of its report time (policy)")
    place: str = Field("", description="A division code or key within your jurisdiction")
    reason: str = Field(
        "", max_length=500, description="Why it is issued again (needed from the second issue)"
    )


class ReportIssuePlaceOut(Schema):
    key: str
    code: str
    name: str


class ReportIssueSummaryOut(Schema):
    id: int
    place: ReportIssuePlaceOut
    day: dt.date
    hour: int = Field(description="The report time: figures count as of `hour`:00 on `day`")
    as_of: dt.datetime
    number: int = Field(description="1 for the first issue of the day, 2 … for re-issues")
    issued_at: dt.datetime = Field(description="When the platform recorded the issue")
    issued_by: str
    profile: str = Field(description="The policy version it was issued under (`code vN`)")
    reason: str


class ReportIssueLineOut(Schema):
    key: str
    label: str
    value: int
    change: int | None


class ReportIssueAreaOut(ReportIssuePlaceOut):
    figures: dict[str, int | None]


class ReportIssueTextOut(Schema):
    title: str
    heading: str
    paragraphs: list[str]


class ChangeOut(Schema):
    place_key: str
    place: str
    figure: str = Field(description="The figure's name; `<name>~change` for its 24-hour change")
    label: str
    old: int | None = Field(description="Null: not in the earlier issue")
    new: int | None = Field(description="Null: not in this issue")
    words: str = Field(description="The change in a sentence of the request's language")


class ReportIssueOut(ReportIssueSummaryOut):
    sections: list[str] = Field(description="The parts issued that your role may see")
    figures: dict[str, int] = Field(description="Totals as issued (names in docs/command.md)")
    lines: list[ReportIssueLineOut]
    areas: list[ReportIssueAreaOut]
    text: dict[str, ReportIssueTextOut] = Field(description="The text as issued, by language")
    changes_since_first: list[ChangeOut] | None = Field(
        description="Figures that differ from issue 1 (null for issue 1)"
    )
    changes_since_previous: list[ChangeOut] | None = Field(
        description="Figures that differ from the issue before (null for issues 1 and 2)"
    )


def issue_summary(issue: issues.ReportIssue) -> dict[str, Any]:
    return {
        "id": issue.pk,
        "place": {"key": issue.division_key, "code": issue.place_code, "name": issue.place_name},
        "day": issue.day,
        "hour": issue.hour,
        "as_of": issue.as_of,
        "number": issue.number,
        "issued_at": issue.recorded_at,
        "issued_by": issue.issued_by_name,
        "profile": issue.profile,
        "reason": issue.reason,
    }


def _changes(items: list[issues.Changed]) -> list[dict[str, Any]]:
    return [
        {
            "place_key": c.place_key,
            "place": c.place,
            "figure": c.figure,
            "label": c.label,
            "old": c.old,
            "new": c.new,
            "words": c.words,
        }
        for c in items
    ]


def issue_out(view: issues.IssueView) -> dict[str, Any]:
    issue = view.issue
    shown = [i for i, c in enumerate(issue.figures["columns"]) if c["section"] in view.sections]
    columns = issue.figures["columns"]
    areas = []
    for a in issue.figures["areas"]:
        cells: dict[str, int | None] = {}
        for i in shown:
            value, new = a["values"][i]
            cells[columns[i]["figure"]] = value
            if columns[i]["new"]:
                cells[columns[i]["new"]] = new
        areas.append({"key": a["key"], "code": a["code"], "name": a["name"], "figures": cells})
    return {
        **issue_summary(issue),
        "sections": sorted(view.sections),
        "figures": issue.figures["total"],
        "lines": [
            {"key": line.key, "label": str(line.label), "value": line.value, "change": line.change}
            for line in view.headline
        ],
        "areas": areas,
        "text": {
            language: {
                "title": text["title"],
                "heading": text["heading"],
                "paragraphs": [
                    p["text"] for p in text["paragraphs"] if p["section"] in view.sections
                ],
            }
            for language, text in issue.text.items()
        },
        "changes_since_first": _changes(view.since_first) if issue.number > 1 else None,
        "changes_since_previous": _changes(view.since_previous) if issue.number > 2 else None,
    }


@router.post(
    "/report/issues",
    response={201: ReportIssueOut, **ERRORS},
    summary="Issue the daily report (again)",
)
def command_report_issue(request: HttpRequest, payload: ReportIssueIn) -> Status[dict[str, Any]]:
    """Keep the report of `day` as of its report time, as the registry holds it now: the
    first issue, or (with `reason`) the next one, which lists the figures that changed since
    the first and the previous issue. An issue never changes."""
    require(request.user, Cap.REPORT_ISSUE)
    node = node_for(request.user, payload.place)
    issue = issues.report_issue(
        actor=request.user, node=node, day=payload.day, reason=payload.reason
    )
    return Status(201, issue_out(issues.issue_view(request.user, issue)))


@router.get(
    "/report/issues",
    response={200: list[ReportIssueSummaryOut], **ERRORS},
    summary="Issues of the daily report",
)
def command_report_issues(
    request: HttpRequest, day: Day | None = None, place: str = ""
) -> list[dict[str, Any]]:
    """The issues of `day` (or of every day, newest first; at most 200) for your jurisdiction
    or `place` within it."""
    node = node_for(request.user, place)
    return [issue_summary(i) for i in issues.issues_of(request.user, node, day)[:200]]


@router.get(
    "/report/issues/{issue_id}",
    response={200: ReportIssueOut, **ERRORS},
    summary="One issue of the daily report, as issued",
)
def command_report_issue_detail(request: HttpRequest, issue_id: Id) -> dict[str, Any]:
    """The issue's figures and text as they were issued, and the figures that changed since
    the first issue of its day and since the one before."""
    issue = issues.issue_for(request.user, issue_id)
    return issue_out(issues.issue_view(request.user, issue))
