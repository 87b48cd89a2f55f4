"""REST endpoints of the hospital side and the SLA board, scoped like the pages."""

import datetime as dt
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from fangkong.care.admission import selectors, services
from fangkong.care.admission.models import Incident, IncidentKind, RefusalReason
from fangkong.care.models import RequestType
from fangkong.care.requests.api import request_out
from fangkong.care.requests.schemas import RequestOut
from fangkong.care.requests.selectors import request_for_user
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.dates import Happened

router = Router(tags=["medical care"])


class BoardStatus(StrEnum):
    REQUESTED = "requested"
    ROUTED = "routed"
    ACCEPTED = "accepted"


class Decision(StrEnum):
    CONFIRM = "confirm"
    REFUSE = "refuse"


class CareBoardOut(Schema):
    open: int = Field(description="Open requests you may see")
    late: int = Field(description="Of them, past their SLA clock")
    items: list[RequestOut]
    limit: int
    offset: int
    next_offset: int | None


class CareIncidentOut(Schema):
    id: int
    request_id: int
    facility_id: int
    kind: IncidentKind
    reason: RefusalReason | None
    reason_text: str
    flagged: bool = Field(description="The reason given is a missing test result")
    happened_at: dt.datetime
    recorded_at: dt.datetime
    escalated_at: dt.datetime
    resolution: str = Field(description="What was done (empty: not yet resolved)")
    resolution_basis: str
    resolved_at: dt.datetime | None = Field(description="When it was resolved (happened)")
    resolution_recorded_at: dt.datetime | None


class CareIncidentResolveIn(Schema):
    resolution: str = Field(min_length=1, max_length=500, description="What was done")
    basis: str = Field("", max_length=300, description="The instruction or notice it rests on")
    happened_at: Happened | None = Field(None, description="When it was resolved; empty: now")


class CareAdmissionIn(Schema):
    decision: Decision
    reason: RefusalReason | None = Field(None, description="When refusing")
    reason_text: str = Field("", max_length=500)
    happened_at: Happened | None = Field(None, description="When refused; empty: now")


def incident_out(x: Incident) -> dict[str, Any]:
    return {
        "id": x.pk,
        "request_id": x.request_id,
        "facility_id": x.facility_id,
        "kind": x.kind,
        "reason": x.reason or None,
        "reason_text": x.reason_text,
        "flagged": x.flagged,
        "happened_at": x.happened_at,
        "recorded_at": x.recorded_at,
        "escalated_at": x.escalated_at,
        "resolution": x.resolution,
        "resolution_basis": x.resolution_basis,
        "resolved_at": x.resolved_at,
        "resolution_recorded_at": x.resolution_recorded_at,
    }


@router.get("/care/board", response={200: CareBoardOut, **ERRORS}, summary="Open and late requests")
def care_board(
    request: HttpRequest,
    type: RequestType | None = None,
    status: BoardStatus | None = None,
    late: bool = False,
    facility: Id | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Open requests you may see, the clock that runs out first on top, with the counts of
    open and late ones (late: past `due_at`)."""
    services.incidents_sweep()
    now = timezone.now()
    filters = selectors.BoardFilters(
        type=type.value if type else "",
        status=status.value if status else "",
        late=late,
        facility=facility,
    )
    page = paginate(
        selectors.board_for_user(request.user, now, filters),
        limit=limit,
        offset=offset,
        convert=request_out,
    )
    return {**selectors.board_counts(request.user, now), **page}


@router.post(
    "/care/requests/{int:care_request_id}/admission",
    response={200: RequestOut, **ERRORS},
    summary="Confirm admission, or record a refusal",
)
def care_admission(request: HttpRequest, care_request_id: Id, payload: CareAdmissionIn) -> Any:
    """`confirm`: the patient is admitted. `refuse` (with a `reason` from the list; `other`
    with `reason_text`): recorded as a first-diagnosis incident, escalated to the command
    centre; the request stays with the facility."""
    item = request_for_user(request.user, care_request_id)
    if payload.decision == Decision.CONFIRM:
        services.admission_confirm(actor=request.user, request=item)
    else:
        services.admission_refuse(
            actor=request.user,
            request=item,
            reason=payload.reason.value if payload.reason else "",
            reason_text=payload.reason_text,
            happened_at=payload.happened_at,
        )
    return request_out(request_for_user(request.user, care_request_id))


@router.get(
    "/care/incidents",
    response={200: Page[CareIncidentOut], **ERRORS},
    summary="First-diagnosis incidents",
)
def care_incidents(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    services.incidents_sweep()
    qs = selectors.incidents_for_user(request.user)
    return paginate(qs, limit=limit, offset=offset, convert=incident_out)


@router.get(
    "/care/incidents/{int:incident_id}",
    response={200: CareIncidentOut, **ERRORS},
    summary="A first-diagnosis incident",
)
def care_incident_get(request: HttpRequest, incident_id: Id) -> dict[str, Any]:
    return incident_out(selectors.incident_for_user(request.user, incident_id))


@router.post(
    "/care/incidents/{int:incident_id}/resolve",
    response={200: CareIncidentOut, **ERRORS},
    summary="Resolve a first-diagnosis incident",
)
def care_incident_resolve(
    request: HttpRequest, incident_id: Id, payload: CareIncidentResolveIn
) -> dict[str, Any]:
    """The command centre or the medical task force (`care.manage`) says what was done, on
    what basis and when; once only, audited."""
    require(request.user, Cap.CARE_MANAGE)
    item = selectors.incident_for_user(request.user, incident_id)
    services.incident_resolve(
        actor=request.user,
        incident=item,
        resolution=payload.resolution,
        basis=payload.basis,
        happened_at=payload.happened_at,
    )
    return incident_out(selectors.incident_for_user(request.user, incident_id))
