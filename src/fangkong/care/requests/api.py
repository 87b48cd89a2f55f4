"""REST endpoints of medical requests (/api/care/requests…), scoped like the pages."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.care.models import CareRequest
from fangkong.care.requests import selectors, services
from fangkong.care.requests.schemas import (
    RequestIn,
    RequestOut,
    RequestStatusIn,
    RouteBatchIn,
    RouteBatchOut,
)
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate

router = Router(tags=["medical care"])


def request_out(item: CareRequest) -> dict[str, Any]:
    facility = item.facility
    return {
        "id": item.pk,
        "person_id": item.person_id,
        "type": item.type,
        "control_state": item.control_state,
        "state_basis": item.state_basis,
        "channel": item.channel,
        "status": item.status,
        "description": item.description,
        "contact_phone": item.contact_phone,
        "destination": item.destination or None,
        "facility": {
            "id": facility.pk,
            "code": facility.code,
            "name": facility.name,
            "phone": facility.phone,
        }
        if facility
        else None,
        "via_120": item.via_120,
        "closed_loop": item.closed_loop,
        "sla_minutes": item.sla_minutes,
        "due_at": item.due_at,
        "rule_number": item.rule_number,
        "profile_code": item.profile_code,
        "profile_version": item.profile_version,
        "why": selectors.why(item),
        "raised_at": item.raised_at,
        "routed_at": item.routed_at,
        "closed_at": item.closed_at,
    }


@router.get(
    "/care/requests", response={200: Page[RequestOut], **ERRORS}, summary="Medical requests"
)
def care_request_list(
    request: HttpRequest, status: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Requests of people of your jurisdiction (with the hospital role: those routed to the
    facilities you staff), newest first; `status` filters."""
    qs = selectors.requests_for_user(request.user).select_related("facility")
    if status:
        qs = qs.filter(status=status)
    page = paginate(qs, limit=limit, offset=offset)
    page["items"] = [request_out(r) for r in page["items"]]
    return page


@router.post(
    "/care/requests", response={201: RequestOut, **ERRORS}, summary="Raise a medical request"
)
def care_request_new(request: HttpRequest, payload: RequestIn) -> Status[dict[str, Any]]:
    """For a person of your jurisdiction (else 422 on `id_number`, nothing written): the
    control state attached, routed at once by the rule in force."""
    require(request.user, Cap.CARE_REQUEST)
    person = services.person_in_scope(request.user, payload.id_number)
    raised = services.request_raise(
        actor=request.user,
        person=person,
        type=payload.type.value,
        channel=services.channel_of(request.user),
        description=payload.description,
        contact_phone=payload.contact_phone,
        raised_at=payload.raised_at,
    )
    return Status(201, request_out(selectors.request_for_user(request.user, raised.pk)))


@router.get(
    "/care/requests/{int:care_request_id}",
    response={200: RequestOut, **ERRORS},
    summary="A medical request",
)
def care_request_get(request: HttpRequest, care_request_id: Id) -> dict[str, Any]:
    return request_out(selectors.request_for_user(request.user, care_request_id))


@router.post(
    "/care/requests/{int:care_request_id}/status",
    response={200: RequestOut, **ERRORS},
    summary="Accept, complete or cancel a request",
)
def care_request_status(
    request: HttpRequest, care_request_id: Id, payload: RequestStatusIn
) -> dict[str, Any]:
    item = selectors.request_for_user(request.user, care_request_id)
    services.request_set_status(
        actor=request.user,
        request=item,
        status=payload.status.value,
        reason=payload.reason,
        happened_at=payload.happened_at,
    )
    return request_out(selectors.request_for_user(request.user, care_request_id))


@router.post(
    "/care/requests/route",
    response={200: RouteBatchOut, **ERRORS},
    summary="Route requests in one batch",
)
def care_requests_route(request: HttpRequest, payload: RouteBatchIn) -> dict[str, Any]:
    """Route again, by the rules in force, the open requests not yet accepted among `ids`
    (accepted and closed ones are left as they are). An id that is not a request of your
    jurisdiction: 422 on `ids` naming it, nothing written."""
    return {"routed": services.requests_route(actor=request.user, ids=payload.ids)}
