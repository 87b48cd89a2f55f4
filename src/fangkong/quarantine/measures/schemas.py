"""Request and response shapes of the measures, tests, checks, alerts, transfers and release
API. Identifiers leave masked."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from ninja import Field, Schema

from fangkong.core.apikit import DB_INTEGER_MAX, Id, SmallInt
from fangkong.core.dates import Day, Happened, Moment
from fangkong.people.schemas import ResidentBrief, resident_brief
from fangkong.quarantine.measures.checks import Symptom, symptom_labels
from fangkong.quarantine.measures.selectors import test_state
from fangkong.quarantine.models import (
    AlertStatus,
    Category,
    DueTestStatus,
    HealthAlert,
    HealthCheck,
    Measure,
    MeasureStatus,
    PhaseKind,
    ScheduledTest,
    Stay,
    Transfer,
    TransferDestination,
    TransferStatus,
)


class WhereOut(Schema):
    site_id: int | None = Field(description="The site of the person's open stay; null at home")
    site: str
    room: str


class MeasureOut(Schema):
    id: int
    person: ResidentBrief
    category: Category
    anchor_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    status: MeasureStatus
    phase_today: PhaseKind | None = None
    where: WhereOut
    profile: str = Field(description="Policy profile code and version the schedule follows")
    started_at: dt.datetime = Field(description="When the person was placed under it (valid time)")
    closed_at: dt.datetime | None = Field(description="When it ended (valid time)")
    close_reason: str
    certificate_number: str
    certificate_url: str | None = Field(description="The release certificate (PDF), once released")


class PhaseOut(Schema):
    kind: PhaseKind
    first_day: dt.date
    last_day: dt.date


class TestOut(Schema):
    id: int
    due_on: dt.date
    phase_kind: PhaseKind | None
    day_number: int
    status: DueTestStatus = Field(description="due, sampled (result pending), negative, …")
    tube: str = Field(description="Barcode of the linked tube, if any")
    sampled_at: dt.datetime | None


class CheckOut(Schema):
    id: int
    day: dt.date
    temperature: Decimal | None
    symptoms: list[Symptom]
    symptom_other: str
    symptom_labels: list[str]
    abnormal: bool
    missed: bool = Field(description="A home-phase day that ended with no check-in")
    at_site: bool
    recorded_at: dt.datetime


class MeasureDetailOut(MeasureOut):
    phases: list[PhaseOut]
    tests: list[TestOut]
    checks: list[CheckOut] = Field(description="The most recent checks, newest first")


class MeasureStartIn(Schema):
    id_number: str = Field(description="18-character resident ID number (GB 11643)")
    category: Category
    anchor_on: Day = Field(
        description="Day 0: last exposure, departure, arrival or leaving the closed loop"
    )
    note: str = Field("", max_length=300)
    started_at: Happened | None = Field(
        None, description="When the person was placed under it (valid time); now if left out"
    )


class ReasonRequiredIn(Schema):
    reason: str = Field(max_length=300)


class MeasureEndIn(Schema):
    reason: str = Field(max_length=300)
    closed_at: Happened | None = Field(
        None, description="When the measure ended (valid time); now if left out"
    )


class CheckIn(Schema):
    day: Day
    temperature: str = Field(description="°C, 34.0 to 43.0")
    symptoms: list[Symptom] = []
    symptom_other: str = Field("", max_length=100)
    note: str = Field("", max_length=300)


class FloorRowIn(Schema):
    stay: Id = Field(description="The stay (person in a room) this row is for")
    temperature: str = Field("", description="°C, 34.0 to 43.0; empty with no symptoms: skipped")
    symptoms: list[Symptom] = []
    symptom_other: str = Field("", max_length=100)
    note: str = Field("", max_length=300)


class FloorIn(Schema):
    site: Id
    building: str = ""
    floor: SmallInt
    day: Day
    rows: list[FloorRowIn]


class FloorRowOut(Schema):
    stay: int
    room: str
    person: ResidentBrief
    measure_id: int | None
    check: CheckOut | None


class ChecksSavedOut(Schema):
    saved: int
    alerts: int = Field(description="Abnormal checks raised (or re-opened) as alerts")


class TestPlaceOut(Schema):
    kind: str = Field(description='"site" (sampled by the site) or "community" (at home)')
    key: str = Field(description="Site id or the community's division key")
    name: str


class TestTaskOut(TestOut):
    measure_id: int
    person: ResidentBrief
    place: TestPlaceOut


class SampledIn(Schema):
    barcode: str = Field("", description="The tube holding the person's sample; empty: time only")
    sampled_at: Moment | None = None


class AlertOut(Schema):
    id: int
    measure_id: int
    person: ResidentBrief
    day: dt.date
    reason: str
    status: AlertStatus
    raised_at: dt.datetime
    handled_at: dt.datetime | None
    outcome: str


class AlertHandleIn(Schema):
    outcome: str = Field(max_length=300)


class TransferOut(Schema):
    id: int
    person: ResidentBrief
    measure_id: int | None
    case: str = Field(description="Case number, if the person has a case")
    site: str
    room: str
    destination_kind: TransferDestination
    destination: str
    vehicle: str
    escort: str
    status: TransferStatus
    requested_at: dt.datetime
    departed_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    received_by: str


class TransferIn(Schema):
    measure: Id | None = Field(None, description="Start from the person's measure …")
    case: Id | None = Field(None, description="… or from their case (no measure)")
    destination_kind: TransferDestination
    destination: str = Field(max_length=120, description="The hospital's name")
    vehicle: str = Field("", max_length=40)
    escort: str = Field("", max_length=60)


class DepartIn(Schema):
    departed_at: Happened | None = Field(
        None, description="When the vehicle left (valid time); now if left out"
    )


class HandOverIn(Schema):
    received_by: str = Field(max_length=60)
    handed_over_at: Happened | None = Field(
        None, description="When the hospital received the person (valid time); now if left out"
    )


class MeasureFilterIn(Schema):
    """The filters of `GET /api/quarantine/measures`: every measure you see matching them."""

    category: Category | None = None
    phase: PhaseKind | None = None
    where: str = Field("", pattern="^(|site|home)$", description="site or home")
    site: int | None = Field(None, ge=1, le=DB_INTEGER_MAX)
    due: bool = False
    missed: bool = False


class MeasuresEndIn(Schema):
    """Either `ids` or `filter` (not both); `reason` is required. Active measures end early
    (status `ended`), as `POST /api/quarantine/measures/{id}/close` ends one."""

    ids: list[Id] | None = Field(
        None, max_length=500_000, description="Measure ids (a JSON body has no field-count limit)"
    )
    filter: MeasureFilterIn | None = Field(
        None, description="Instead of ids: every active measure of the list with these filters"
    )
    reason: str = Field("", max_length=300)
    closed_at: Happened | None = Field(
        None, description="When they ended (valid time, the same for all); now if left out"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"ids": [101, 102, 103], "reason": "判定有误，解除管控"},
                {
                    "filter": {"category": "secondary_contact", "where": "home"},
                    "reason": "密接排除，次密接解除管控",
                    "closed_at": "2022-05-07T14:20:00+08:00",
                },
            ]
        }
    }


class StaysOutIn(Schema):
    """Either `ids` or `all_due` (everyone here whose centralised phase is over): they leave
    for the home phase of their schedule."""

    ids: list[int] | None = Field(None, max_length=100_000, description="Stay ids at this site")
    all_due: bool = Field(
        False, description="Instead of ids: everyone here whose centralised phase is over"
    )
    checked_out_at: Happened | None = Field(
        None, description="When they left (valid time, the same for all); now if left out"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"ids": [501, 502], "checked_out_at": "2022-05-14T09:00:00+08:00"},
                {"all_due": True},
            ]
        }
    }


# Converters ---------------------------------------------------------------------------------------


def _where(stay: Stay | None) -> dict[str, Any]:
    if stay is None:
        return {"site_id": None, "site": "", "room": ""}
    return {"site_id": stay.site_id, "site": stay.site.name, "room": str(stay.room)}


def measure_out(m: Measure, stay: Stay | None = None) -> dict[str, Any]:
    released = m.status == MeasureStatus.RELEASED and m.certificate_number
    return {
        "id": m.pk,
        "person": resident_brief(m.person),
        "category": m.category,
        "anchor_on": m.anchor_on,
        "starts_on": m.starts_on,
        "ends_on": m.ends_on,
        "status": m.status,
        "phase_today": getattr(m, "phase_today", None),
        "where": _where(stay),
        "profile": f"{m.profile_code} v{m.profile_version}",
        "started_at": m.started_at,
        "closed_at": m.closed_at,
        "close_reason": m.close_reason,
        "certificate_number": m.certificate_number,
        "certificate_url": reverse("api:measure_certificate", args=[m.pk]) if released else None,
    }


def test_out(t: ScheduledTest) -> dict[str, Any]:
    return {
        "id": t.pk,
        "due_on": t.due_on,
        "phase_kind": t.phase_kind or None,
        "day_number": t.day_number,
        "status": test_state(t),
        "tube": t.tube.barcode if t.tube_id and t.tube else "",
        "sampled_at": t.sampled_at,
    }


def check_out(c: HealthCheck) -> dict[str, Any]:
    return {
        "id": c.pk,
        "day": c.day,
        "temperature": c.temperature,
        "symptoms": c.symptoms,
        "symptom_other": c.symptom_other,
        "symptom_labels": symptom_labels(c.symptoms, c.symptom_other),
        "abnormal": c.abnormal,
        "missed": c.missed,
        "at_site": c.stay_id is not None,
        "recorded_at": c.recorded_at,
    }


def alert_out(a: HealthAlert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "measure_id": a.check_record.measure_id,
        "person": resident_brief(a.person),
        "day": a.check_record.day,
        "reason": a.reason,
        "status": a.status,
        "raised_at": a.raised_at,
        "handled_at": a.handled_at,
        "outcome": a.outcome,
    }


def transfer_out(t: Transfer) -> dict[str, Any]:
    return {
        "id": t.pk,
        "person": resident_brief(t.person),
        "measure_id": t.measure_id,
        "case": t.case.number if t.case else "",
        "site": t.stay.site.name if t.stay else "",
        "room": str(t.stay.room) if t.stay else "",
        "destination_kind": t.destination_kind,
        "destination": t.destination,
        "vehicle": t.vehicle,
        "escort": t.escort,
        "status": t.status,
        "requested_at": t.requested_at,
        "departed_at": t.departed_at,
        "handed_over_at": t.handed_over_at,
        "received_by": t.received_by,
    }
