"""Request and response shapes of the rounds, sites, tubes, coverage and retests API."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from fangkong.core.apikit import DB_SMALLINT_MAX, Id
from fangkong.core.dates import Happened, PlanMoment
from fangkong.lab.models import (
    Purpose,
    RoundStatus,
    SamplingSite,
    TestingRound,
    Tube,
    TubeFill,
    TubeMember,
    TubeStatus,
)
from fangkong.lab.rounds.coverage import Coverage, Row, Turnaround
from fangkong.people.display import place_label
from fangkong.people.models import Resident
from fangkong.places.schemas import PlaceBrief


class SiteOut(Schema):
    id: int
    code: str
    name: str
    place: PlaceBrief
    address: str
    active: bool


class SiteIn(Schema):
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    place: str = Field(description="Division code (or key) of the site's place")
    address: str = ""


class RoundOut(Schema):
    id: int
    name: str
    area: PlaceBrief
    status: RoundStatus
    pool_size: int
    reason: str
    starts_at: dt.datetime
    deadline: dt.datetime
    closed_at: dt.datetime | None
    profile_code: str
    sites: list[str] = Field(description="Codes of the round's sampling sites")


class RoundIn(Schema):
    name: str
    area: str = Field(description="Division code (or key) of the area to test, in your scope")
    reason: str = Field(
        "",
        description="Why mass testing; required when the policy allows it only when the "
        "source is unclear",
    )
    pool_size: int | None = Field(
        None, ge=1, le=DB_SMALLINT_MAX, description="Default: the profile's default pool size"
    )
    starts_at: PlanMoment | None = None
    sites: list[str] = Field(default_factory=list, description="Sampling-site codes")


class CloseRoundIn(Schema):
    reason: str = ""
    closed_at: Happened | None = Field(
        None, description="When the round closed (default: now); not before it started"
    )


class CoverageRowOut(Schema):
    place: str = Field(description="Division key of the row (drill down with ?place=)")
    name: str
    level: int
    target: int
    sampled: int
    resulted: int
    missing: int
    percent: float


class TurnaroundOut(Schema):
    lab: str
    target: str = Field(description="fever_clinic, outpatient or voluntary (routine)")
    target_hours: int | None
    tubes: int
    median_hours: float
    p90_hours: float
    over_target: int


class CoverageOut(Schema):
    round: int
    place: PlaceBrief
    total: CoverageRowOut
    rows: list[CoverageRowOut]
    turnaround: list[TurnaroundOut] = Field(
        description="Round and retest tubes are held to the routine (voluntary) target"
    )


class MissingOut(Schema):
    id: int
    name: str
    place: str = Field(description="Building / unit")
    place_key: str
    phone: str = Field(description="Masked")


class TubeIn(Schema):
    barcode: str
    collected_at: Happened | None = Field(
        None, description="When its sampling began (default: now); a tube entered after the fact"
    )
    round: Id | None = None
    site: str = Field("", description="Sampling-site code")
    mode: str = Field("single", pattern="^(single|pooled)$")
    purpose: Purpose | None = Field(None, description="Default: round with a round, else voluntary")


class MemberOut(Schema):
    person_id: int
    name: str
    id_number: str = Field(description="Masked")
    sampled_at: dt.datetime


class TubeOut(Schema):
    barcode: str
    capacity: int
    purpose: Purpose
    round: int | None
    site: str
    status: TubeStatus
    fill: TubeFill = Field(
        description="open: people may still be added; sealed: full, sealed by hand or sent"
    )
    collected_at: dt.datetime
    sealed_at: dt.datetime | None
    collected_by: str = Field(description="Who opened the tube")
    sent_at: dt.datetime | None
    received_at: dt.datetime | None
    lab: str
    members: list[MemberOut]
    count: int


class MemberIn(Schema):
    person: str = Field("", description="ID number, or the resident's QR (verify URL /v/<token>/)")
    person_id: Id | None = Field(
        None, description="Or the resident's id (e.g. from a measure's test day)"
    )
    sampled_at: Happened | None = Field(
        None, description="When the person was sampled (default: now); not before the tube opened"
    )


class SealIn(Schema):
    reason: str = Field("", max_length=300, description="Default: sealed by hand at n/N")


class ReopenIn(Schema):
    reason: str = Field(max_length=300, description="Why people are added to a sealed tube")


class CustodyIn(Schema):
    barcodes: list[str] = Field(min_length=1)
    lab: str = Field(description="Lab code")


class CustodyOut(Schema):
    moved: int
    status: TubeStatus


def place_brief(d: Any) -> dict[str, Any]:
    return {"code": d.code, "key": d.key, "name": d.name}


def site_out(s: SamplingSite) -> dict[str, Any]:
    return {
        "id": s.pk,
        "code": s.code,
        "name": s.name,
        "place": place_brief(s.division),
        "address": s.address,
        "active": s.active,
    }


def round_out(r: TestingRound) -> dict[str, Any]:
    return {
        "id": r.pk,
        "name": r.name,
        "area": place_brief(r.area),
        "status": r.status,
        "pool_size": r.pool_size,
        "reason": r.reason,
        "starts_at": r.starts_at,
        "deadline": r.deadline,
        "closed_at": r.closed_at,
        "profile_code": r.profile_code,
        "sites": [s.code for s in r.sites.all()],
    }


def row_out(row: Row) -> dict[str, Any]:
    return {
        "place": row.key,
        "name": row.name,
        "level": row.level,
        "target": row.target,
        "sampled": row.sampled,
        "resulted": row.resulted,
        "missing": row.missing,
        "percent": row.percent,
    }


def turnaround_out(t: Turnaround) -> dict[str, Any]:
    return {
        "lab": t.lab.code,
        "target": t.target_name,
        "target_hours": t.target_hours,
        "tubes": t.tubes,
        "median_hours": t.median_hours,
        "p90_hours": t.p90_hours,
        "over_target": t.over_target,
    }


def coverage_out(cov: Coverage, turnaround: list[Turnaround]) -> dict[str, Any]:
    return {
        "round": cov.round.pk,
        "place": place_brief(cov.node),
        "total": row_out(cov.total),
        "rows": [row_out(r) for r in cov.rows],
        "turnaround": [turnaround_out(t) for t in turnaround],
    }


def missing_out(p: Resident) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "place": place_label(p.division),
        "place_key": p.division_key,
        "phone": p.phone_masked,
    }


def member_out(m: TubeMember) -> dict[str, Any]:
    return {
        "person_id": m.person_id,
        "name": m.person.name,
        "id_number": m.person.id_number_masked,
        "sampled_at": m.sampled_at,
    }


def tube_out(t: Tube, members: list[TubeMember]) -> dict[str, Any]:
    return {
        "barcode": t.barcode,
        "capacity": t.capacity,
        "purpose": t.purpose,
        "round": t.round_id,
        "site": t.site.code if t.site else "",
        "status": t.state,
        "fill": t.fill,
        "collected_at": t.collected_at,
        "sealed_at": t.sealed_at,
        "collected_by": str(t.collected_by) if t.collected_by_id else "",
        "sent_at": t.sent_at,
        "received_at": t.received_at,
        "lab": t.lab.code if t.lab else "",
        "members": [member_out(m) for m in members],
        "count": len(members),
    }
