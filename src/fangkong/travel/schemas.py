"""Request and response shapes of the trips API. ID numbers and phones leave masked."""

import datetime as dt
from typing import Any

from ninja import Field, Schema

from fangkong.core.dates import Day, Moment, PlanMoment
from fangkong.lab.models import Outcome
from fangkong.places.models import Division
from fangkong.places.schemas import PlaceBrief
from fangkong.quarantine.models import Category as MeasureCategory
from fangkong.quarantine.models import DueTestStatus, MeasureStatus, PhaseKind, ScheduledTest
from fangkong.travel import obligations
from fangkong.travel.models import (
    ArrivalTest,
    Handover,
    OriginKind,
    ReportedBy,
    Transport,
    Trip,
    TripStatus,
)


class ArrivalOut(Schema):
    checkpoint: str
    site: str | None = Field(description="Sampling-site code, when the tube was opened there")
    sampled_at: dt.datetime
    barcode: str
    result: Outcome | None = Field(description="The tube's result once the lab reports it")


class MeasureBrief(Schema):
    id: int
    category: MeasureCategory
    status: MeasureStatus
    starts_on: dt.date
    ends_on: dt.date


class HandoverBrief(Schema):
    id: int
    community: PlaceBrief
    place: PlaceBrief = Field(
        description="The smallest place the traveller's address names (a unit, building or "
        "compound, in its grid), else the community: its key starts with the grid's"
    )
    measure: MeasureBrief
    obligations: list[str] = Field(description="Phases and test days in plain words")
    acknowledged_at: dt.datetime | None


class TripOut(Schema):
    id: int
    code: str = Field(description="What the traveller shows at the checkpoint")
    status: TripStatus
    person_id: int | None = Field(description="Null until the traveller is in the registry")
    name: str
    id_number: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    origin: str
    origin_kind: OriginKind
    departed_on: dt.date
    arriving_at: dt.datetime
    arrived_at: dt.datetime | None
    transport: Transport
    transport_number: str
    destination: PlaceBrief = Field(
        description="The smallest place the address names below the place chosen (the grid's "
        "worker and everyone above see the trip)"
    )
    address: str
    reported_by: ReportedBy
    category: str = Field(description="The measure's category after hand-over, or empty")
    basis: str = Field(description="The policy profile the hand-over followed")
    note: str
    arrival: ArrivalOut | None
    handover: HandoverBrief | None
    created_at: dt.datetime


class TripIn(Schema):
    id_number: str = Field(description="18-character resident ID number (GB 11643)")
    name: str
    phone: str
    origin: str = Field(max_length=200, description="City and district, or country")
    origin_kind: OriginKind
    departed_on: Day = Field(description="The day the traveller left the origin")
    arriving_at: PlanMoment
    transport: Transport
    transport_number: str = Field("", max_length=40)
    destination: str = Field(description="Division code (or key) of a community or finer place")
    address: str = Field("", max_length=200)


class ArrivalIn(Schema):
    checkpoint: str = Field(max_length=120)
    arrived_at: Moment | None = Field(None, description="Default: now")
    barcode: str = Field("", description="Tube barcode of the arrival test")
    site: str = Field(
        "", description="Sampling-site code: a new barcode opens an arrival tube there"
    )


class HandoverOut(HandoverBrief):
    trip_id: int
    trip_code: str
    person_id: int
    name: str
    phone: str = Field(description="Masked")
    origin_kind: OriginKind
    origin: str
    arrived_at: dt.datetime | None
    address: str
    created_at: dt.datetime


class NotCompliedOut(Schema):
    person_id: int
    name: str
    phone: str = Field(description="Masked")
    trip_id: int
    trip_code: str
    handover_id: int
    community: PlaceBrief
    due_on: dt.date
    phase_kind: PhaseKind | None
    status: DueTestStatus = Field(description="missed, or due and past its day")


def place_brief(d: Division) -> dict[str, Any]:
    return {"code": d.code, "key": d.key, "name": d.name}


def _arrival_out(test: ArrivalTest | None) -> dict[str, Any] | None:
    if test is None:
        return None
    return {
        "checkpoint": test.checkpoint,
        "site": test.site.code if test.site else None,
        "sampled_at": test.sampled_at,
        "barcode": test.barcode,
        "result": test.result or None,
    }


def handover_brief(h: Handover) -> dict[str, Any]:
    m = h.measure
    return {
        "id": h.pk,
        "community": place_brief(h.community),
        "place": place_brief(h.trip.destination),
        "measure": {
            "id": m.pk,
            "category": m.category,
            "status": m.status,
            "starts_on": m.starts_on,
            "ends_on": m.ends_on,
        },
        "obligations": obligations.lines(h.obligations),
        "acknowledged_at": h.acknowledged_at,
    }


def trip_out(t: Trip) -> dict[str, Any]:
    entry = getattr(t, "handover", None)
    return {
        "id": t.pk,
        "code": t.code,
        "status": t.status,
        "person_id": t.person_id,
        "name": t.name,
        "id_number": t.id_number_masked,
        "phone": t.phone_masked,
        "origin": t.origin,
        "origin_kind": t.origin_kind,
        "departed_on": t.departed_on,
        "arriving_at": t.arriving_at,
        "arrived_at": t.arrived_at,
        "transport": t.transport,
        "transport_number": t.transport_number,
        "destination": place_brief(t.destination),
        "address": t.address,
        "reported_by": t.reported_by,
        "category": t.category,
        "basis": t.basis,
        "note": t.outcome_note,
        "arrival": _arrival_out(getattr(t, "arrival_test", None)),
        "handover": handover_brief(entry) if entry is not None else None,
        "created_at": t.created_at,
    }


def handover_out(h: Handover) -> dict[str, Any]:
    trip = h.trip
    return {
        **handover_brief(h),
        "trip_id": trip.pk,
        "trip_code": trip.code,
        "person_id": h.measure.person_id,
        "name": trip.name,
        "phone": trip.phone_masked,
        "origin_kind": trip.origin_kind,
        "origin": trip.origin,
        "arrived_at": trip.arrived_at,
        "address": trip.address,
        "created_at": h.created_at,
    }


def not_complied_out(s: ScheduledTest) -> dict[str, Any]:
    h = s.measure.handover
    return {
        "person_id": s.person_id,
        "name": s.person.name,
        "phone": s.person.phone_masked,
        "trip_id": h.trip_id,
        "trip_code": h.trip.code,
        "handover_id": h.pk,
        "community": place_brief(h.community),
        "due_on": s.due_on,
        "phase_kind": s.phase_kind or None,
        "status": s.status,
    }
