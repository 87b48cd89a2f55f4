"""Request and response shapes of the contacts and contact requests API. Identifiers leave
masked."""

import datetime as dt

from ninja import Field, Schema

from fangkong.core.apikit import DB_INTEGER_MAX, Id
from fangkong.core.dates import Day, Happened, Moment
from fangkong.epi.models import (
    CaseKind,
    Contact,
    ContactRequest,
    ContactStatus,
    Degree,
    ExposureRelation,
    FoundBy,
    RequestStatus,
)
from fangkong.people.schemas import ResidentBrief, resident_brief


class ContactOut(Schema):
    id: int
    case_id: int
    case_number: str
    person: ResidentBrief
    degree: Degree
    via_id: int | None
    relation: ExposureRelation
    venue_code: str | None
    exposure_start: dt.datetime | None
    exposure_end: dt.datetime | None
    last_exposure_on: dt.date
    overlap_minutes: int | None
    status: ContactStatus
    became_case_id: int | None
    note: str
    identified_at: dt.datetime = Field(description="When identified (valid time)")


class ContactIn(Schema):
    id_number: str = Field(description="The contact's ID number; unknown numbers need `name`")
    name: str = ""
    phone: str = ""
    degree: Degree = Degree.CLOSE
    relation: ExposureRelation = ExposureRelation.OTHER
    venue_code: str = ""
    exposure_start: Moment | None = None
    exposure_end: Moment | None = None
    last_exposure_on: Day | None = Field(
        None, description="Default: the day exposure_end (or exposure_start) falls on"
    )
    via_id_number: str = Field("", description="Secondary contact: the close contact's ID number")
    overlap_minutes: int | None = Field(None, ge=0, le=DB_INTEGER_MAX)
    note: str = Field("", max_length=300)
    identified_at: Happened | None = Field(
        None, description="When the contact was identified (valid time); now if left out"
    )


class DuplicateOut(Schema):
    index: int = Field(description="Position of the row in the request (0-based)")
    contact_id: int
    message: str


class ContactRequestedOut(Schema):
    index: int = Field(description="Position of the row in the request (0-based)")
    request_id: int
    message: str


class ContactsAddedOut(Schema):
    added: list[ContactOut]
    duplicates: list[DuplicateOut] = Field(
        description="Rows naming a person already known for this case: not added again"
    )
    requested: list[ContactRequestedOut] = Field(
        description="Rows naming someone registered outside your jurisdiction: no contact is "
        "made; a request goes to their jurisdiction, which confirms or rejects it"
    )


class ContactRequestOut(Schema):
    id: int
    case_id: int
    case_number: str
    id_number: str = Field(description="The number the requester gave, masked ('' if found)")
    name_given: str = Field(description="The name the requester gave")
    degree: Degree
    relation: ExposureRelation
    venue_code: str | None
    exposure_start: dt.datetime | None
    exposure_end: dt.datetime | None
    last_exposure_on: dt.date
    overlap_minutes: int | None
    note: str
    status: RequestStatus
    requested_by: str
    requested_at: dt.datetime
    identified_at: dt.datetime = Field(
        description="When the requester identified the contact (valid time): the contact made on"
        " confirmation carries it"
    )
    decided_by: str
    decided_at: dt.datetime | None
    decision_reason: str
    person: ResidentBrief | None = Field(
        description="The registered person: only for those who decide (their district, the city)"
    )
    contact_id: int | None = Field(description="The contact made on confirmation (deciders)")


class ContactRequestDecisionIn(Schema):
    reason: str = Field("", description="Required: why it is confirmed or rejected")


class ContactStatusIn(Schema):
    status: ContactStatus
    changed_at: Happened | None = Field(
        None, description="When the status changed (valid time); now if left out"
    )
    reason: str = ""


class ConvertIn(Schema):
    kind: CaseKind
    found_by: FoundBy
    sampled_on: Day
    onset_on: Day | None = None
    reported_on: Day
    reason: str = ""


def contact_out(c: Contact) -> dict[str, object]:
    return {
        "id": c.pk,
        "case_id": c.case_id,
        "case_number": c.case.number,
        "person": resident_brief(c.person),
        "degree": c.degree,
        "via_id": c.via_id,
        "relation": c.relation,
        "venue_code": c.venue.code if c.venue else None,
        "exposure_start": c.exposure_start,
        "exposure_end": c.exposure_end,
        "last_exposure_on": c.last_exposure_on,
        "overlap_minutes": c.overlap_minutes,
        "status": c.status,
        "became_case_id": c.became_case_id,
        "note": c.note,
        "identified_at": c.identified_at,
    }


def contact_request_out(q: ContactRequest, *, decides: bool) -> dict[str, object]:
    """A request as its decider sees it, or (`decides=False`) as the requester does: without
    anything about the person beyond what the requester typed."""
    return {
        "id": q.pk,
        "case_id": q.case_id,
        "case_number": q.case.number,
        "id_number": q.id_number_given_masked,
        "name_given": q.name_given,
        "degree": q.degree,
        "relation": q.relation,
        "venue_code": q.venue.code if q.venue else None,
        "exposure_start": q.exposure_start,
        "exposure_end": q.exposure_end,
        "last_exposure_on": q.last_exposure_on,
        "overlap_minutes": q.overlap_minutes,
        "note": q.note,
        "status": q.status,
        "requested_by": str(q.requested_by or ""),
        "requested_at": q.requested_at,
        "identified_at": q.identified_at,
        "decided_by": str(q.decided_by or ""),
        "decided_at": q.decided_at,
        "decision_reason": q.decision_reason,
        "person": resident_brief(q.person) if decides else None,
        "contact_id": q.contact_id if decides else None,
    }


class ContactFilterIn(Schema):
    """The filters of `GET /api/contacts`: every contact in your jurisdiction matching them."""

    status: ContactStatus | None = None
    degree: Degree | None = None


class ContactsStatusIn(Schema):
    """Either `ids` or `filter` (not both); `reason` is required."""

    ids: list[Id] | None = Field(
        None, max_length=500_000, description="Contact ids (a JSON body has no field-count limit)"
    )
    filter: ContactFilterIn | None = Field(
        None, description="Instead of ids: every contact of the list with these filters"
    )
    status: ContactStatus
    changed_at: Happened | None = Field(
        None, description="When the status changed (valid time, the same for all); now if left out"
    )
    reason: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"ids": [101, 102, 103], "status": "located", "reason": "电话联系上"},
                {
                    "filter": {"status": "under_control", "degree": "close"},
                    "status": "released",
                    "reason": "隔离期满，核酸阴性",
                },
            ]
        }
    }


class RefusedOut(Schema):
    id: int
    reason: str


class ContactsStatusOut(Schema):
    """`changed` and `unchanged` (already at the status) count contacts; `refused` names each
    contact that cannot make the move. When any is refused nothing was changed (409)."""

    changed: int
    unchanged: int
    refused: list[RefusedOut]

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"changed": 29_990, "unchanged": 10, "refused": []},
                {
                    "changed": 0,
                    "unchanged": 0,
                    "refused": [{"id": 104, "reason": "已解除的密接不能改为已找到"}],
                },
            ]
        }
    }
