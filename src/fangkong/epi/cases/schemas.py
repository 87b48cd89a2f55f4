"""Request and response shapes of the cases API. Identifiers leave masked."""

import datetime as dt

from ninja import Field, Schema

from fangkong.core.apikit import Id
from fangkong.core.dates import Day, Happened, WindowDay
from fangkong.epi.models import Case, CaseKind, CaseStatus, Destination, FoundBy, FoundWhere
from fangkong.people.schemas import ResidentBrief, resident_brief


class CaseOut(Schema):
    id: int
    number: str
    person: ResidentBrief
    kind: CaseKind
    found_by: FoundBy
    found_where: FoundWhere
    sampled_on: dt.date
    onset_on: dt.date | None
    reported_on: dt.date
    status: CaseStatus
    destination: Destination | None
    destination_name: str
    transferred_at: dt.datetime | None
    outcome_on: dt.date | None
    registered_at: dt.datetime = Field(description="When the case was registered (valid time)")
    created_at: dt.datetime = Field(description="When the record was written (system time)")


class CaseFiguresOut(Schema):
    total: int
    confirmed: int
    asymptomatic: int
    community: int
    quarantine: int


class CaseIn(Schema):
    id_number: str = Field(description="18-character resident ID number (GB 11643)")
    name: str = Field("", description="Required when the ID number is unknown")
    place: str = Field("", description="Unknown ID number: division code where the person stays")
    kind: CaseKind
    found_by: FoundBy
    found_where: FoundWhere
    sampled_on: Day
    onset_on: Day | None = None
    reported_on: Day
    registered_at: Happened | None = Field(
        None, description="When the case was registered (valid time); now if left out"
    )
    reason: str = ""


class ReclassifyIn(Schema):
    kind: CaseKind
    reclassified_at: Happened | None = Field(
        None, description="When the case was reclassified (valid time); now if left out"
    )
    reason: str


class CaseTransferIn(Schema):
    destination: Destination
    destination_name: str = Field(max_length=200)
    transferred_at: Happened = Field(description="When the case was transferred (valid time)")
    reason: str = ""


class CloseIn(Schema):
    status: CaseStatus = Field(description="recovered or died")
    outcome_on: Day
    closed_at: Happened | None = Field(
        None, description="When the case was closed (valid time); now if left out"
    )
    reason: str


def case_out(c: Case) -> dict[str, object]:
    return {
        "id": c.pk,
        "number": c.number,
        "person": resident_brief(c.person),
        "kind": c.kind,
        "found_by": c.found_by,
        "found_where": c.found_where,
        "sampled_on": c.sampled_on,
        "onset_on": c.onset_on,
        "reported_on": c.reported_on,
        "status": c.status,
        "destination": c.destination or None,
        "destination_name": c.destination_name,
        "transferred_at": c.transferred_at,
        "outcome_on": c.outcome_on,
        "registered_at": c.registered_at,
        "created_at": c.created_at,
    }


# Many cases at once


class CaseFilterIn(Schema):
    """The filters of `GET /api/cases`: every case in your jurisdiction matching them."""

    kind: CaseKind | None = None
    found_where: FoundWhere | None = None
    status: CaseStatus | None = None
    reported_from: WindowDay | None = None
    reported_to: WindowDay | None = None


IDS = Field(None, max_length=500_000, description="Case ids (a JSON body has no field-count limit)")
FILTER = Field(None, description="Instead of ids: every case of the list with these filters")


class CasesReclassifyIn(Schema):
    """Either `ids` or `filter` (not both); `reason` is required."""

    ids: list[Id] | None = IDS
    filter: CaseFilterIn | None = FILTER
    kind: CaseKind
    reclassified_at: Happened | None = Field(
        None,
        description="When the cases were reclassified (valid time, the same for all); now"
        " if left out",
    )
    reason: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"ids": [11, 12], "kind": "confirmed", "reason": "出现症状，订正为确诊"},
                {
                    "filter": {"kind": "asymptomatic", "status": "transferred"},
                    "kind": "confirmed",
                    "reclassified_at": "2022-04-02T09:00:00+08:00",
                    "reason": "专家组会诊订正",
                },
            ]
        }
    }


class CasesTransferIn(Schema):
    """Either `ids` or `filter` (not both); `reason` is required."""

    ids: list[Id] | None = IDS
    filter: CaseFilterIn | None = FILTER
    destination: Destination
    destination_name: str = Field(max_length=200)
    transferred_at: Happened = Field(
        description="When the cases were transferred (valid time, the same for all)"
    )
    reason: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "filter": {"status": "reported", "kind": "asymptomatic"},
                    "destination": "shelter_hospital",
                    "destination_name": "许昌方舱医院",
                    "transferred_at": "2022-04-02T21:30:00+08:00",
                    "reason": "闭环转运",
                },
            ]
        }
    }


class CasesCloseIn(Schema):
    """Either `ids` or `filter` (not both); `reason` is required."""

    ids: list[Id] | None = IDS
    filter: CaseFilterIn | None = FILTER
    status: CaseStatus = Field(description="recovered or died")
    outcome_on: Day
    closed_at: Happened | None = Field(
        None,
        description="When the cases were closed (valid time, the same for all); now if left out",
    )
    reason: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "ids": [11, 12, 13],
                    "status": "recovered",
                    "outcome_on": "2022-04-20",
                    "reason": "连续两次核酸阴性，治愈出院",
                },
            ]
        }
    }


class RefusedCaseOut(Schema):
    id: int
    reason: str


class CasesChangedOut(Schema):
    """`changed` and `unchanged` (already as asked) count cases; `refused` names each case
    that cannot make the change. When any is refused nothing was changed (409)."""

    changed: int
    unchanged: int
    refused: list[RefusedCaseOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"changed": 120, "unchanged": 3, "refused": []},
                {"changed": 0, "unchanged": 0, "refused": [{"id": 13, "reason": "该病例已结案"}]},
            ]
        }
    }
