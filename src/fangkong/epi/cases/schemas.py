"""Request and response shapes of the cases API. Identifiers leave masked."""

import datetime as dt

from ninja import Field, Schema

from fangkong.core.dates import Day, Happened
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
