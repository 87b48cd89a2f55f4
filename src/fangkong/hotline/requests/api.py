"""REST endpoints of citizen requests (/api/hotline/…), scoped like the pages."""

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.hotline.classify.services import classify_text
from fangkong.hotline.models import HotlineRequest
from fangkong.hotline.requests import selectors, services
from fangkong.hotline.requests.schemas import (
    ClassifyIn,
    ClassifyOut,
    HotlineCallbackIn,
    HotlineCallerOut,
    HotlineCategoryIn,
    HotlineCompleteIn,
    HotlineDuplicateOut,
    HotlineMergeIn,
    HotlineNoteIn,
    HotlineReasonIn,
    HotlineRequestDetailOut,
    HotlineRequestIn,
    HotlineRequestOut,
    HotlineWeChatIn,
    HotlineWeChatOut,
)
from fangkong.people.idnumber import mask_phone

router = Router(tags=["citizen requests"])


def request_out(item: HotlineRequest) -> dict[str, Any]:
    department = item.department
    return {
        "id": item.pk,
        "number": item.number,
        "channel": item.channel,
        "text": item.text,
        "category": item.category,
        "suggested_category": item.suggested_category or None,
        "suggested_confidence": item.suggested_confidence,
        "caller_name": item.caller_name,
        "caller_phone": mask_phone(item.caller_phone),
        "person_id": item.person_id,
        "place_text": item.place_text,
        "division_id": item.division_id,
        "status": item.status,
        "department": {
            "id": department.pk,
            "code": department.code,
            "name": department.name,
            "kind": department.kind,
            "phone": department.phone,
        }
        if department
        else None,
        "rule_number": item.rule_number,
        "profile_code": item.profile_code,
        "profile_version": item.profile_version,
        "sla_minutes": item.sla_minutes,
        "due_at": item.due_at,
        "escalation_level": item.escalation_level,
        "confirmed": item.confirmed,
        "satisfaction": item.satisfaction,
        "merged_into": item.merged_into_id,
        "happened_at": item.happened_at,
        "created_at": item.created_at,
    }


def detail_out(user: Any, pk: int) -> dict[str, Any]:
    item = selectors.request_for_user(user, pk)
    return {
        **request_out(item),
        "notes": [
            {
                "kind": n.kind,
                "text": n.text,
                "happened_at": n.happened_at,
                "created_at": n.created_at,
            }
            for n in item.notes.all()
        ],
        "callers": [r.number for r in selectors.callers_of(item)[1:]],
    }


@router.post(
    "/hotline/classify",
    response={200: ClassifyOut, **ERRORS},
    summary="Classify a request's text",
    url_name="hotline_classify",
)
def hotline_classify(request: HttpRequest, payload: ClassifyIn) -> dict[str, Any]:
    """The suggested category with its confidence, and the place and phone the text names."""
    require(request.user, Cap.HOTLINE_VIEW)
    return classify_text(payload.text)


@router.get(
    "/hotline/callers",
    response={200: HotlineCallerOut, **ERRORS},
    summary="Find a caller",
    url_name="hotline_caller",
)
def hotline_caller(request: HttpRequest, phone: str = "", id_number: str = "") -> dict[str, Any]:
    """The registry's person of your jurisdiction with this ID number or phone (404: none)."""
    require(request.user, Cap.HOTLINE_INTAKE)
    found = services.find_caller(request.user, phone=phone[:20], id_number=id_number[:18])
    if found is None:
        raise Http404
    return {"person_id": found.pk, "name": found.name, "division": str(found.division)}


@router.get(
    "/hotline/requests", response={200: Page[HotlineRequestOut], **ERRORS}, summary="Requests"
)
def hotline_request_list(
    request: HttpRequest,
    status: str = "",
    category: str = "",
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Requests of your jurisdiction (a department's staff: also those dispatched to it)."""
    qs = selectors.requests_for_user(request.user).select_related("department")
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    page = paginate(qs, limit=limit, offset=offset)
    page["items"] = [request_out(r) for r in page["items"]]
    return page


@router.post(
    "/hotline/requests", response={201: HotlineRequestDetailOut, **ERRORS}, summary="Take a request"
)
def hotline_request_new(request: HttpRequest, payload: HotlineRequestIn) -> Status[dict[str, Any]]:
    """Written and dispatched at once by the rule in force; an empty category takes the
    classifier's suggestion."""
    taken = services.request_take(
        actor=request.user,
        channel=payload.channel.value,
        text=payload.text,
        category=payload.category.value if payload.category else "",
        caller_name=payload.caller_name,
        caller_phone=payload.caller_phone,
        id_number=payload.id_number,
        place_text=payload.place,
        happened_at=payload.happened_at,
    )
    return Status(201, detail_out(request.user, taken.pk))


@router.get(
    "/hotline/requests/{int:hotline_request_id}",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="A request",
)
def hotline_request_get(request: HttpRequest, hotline_request_id: Id) -> dict[str, Any]:
    return detail_out(request.user, hotline_request_id)


@router.get(
    "/hotline/requests/{int:hotline_request_id}/duplicates",
    response={200: list[HotlineDuplicateOut], **ERRORS},
    summary="Likely duplicates",
)
def hotline_request_duplicates(
    request: HttpRequest, hotline_request_id: Id
) -> list[dict[str, Any]]:
    item = selectors.request_for_user(request.user, hotline_request_id)
    return [
        {
            "id": o.pk,
            "number": o.number,
            "why": why,
            "similarity": round(score, 3),
            "text": o.text,
            "status": o.status,
        }
        for o, why, score in selectors.duplicates_of(request.user, item)
    ]


def _act(request: HttpRequest, pk: int, action: str, **kwargs: Any) -> dict[str, Any]:
    item = selectors.request_for_user(request.user, pk)
    getattr(services, action)(actor=request.user, request=item, **kwargs)
    return detail_out(request.user, pk)


@router.post(
    "/hotline/requests/{int:hotline_request_id}/accept",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Accept (the department)",
)
def hotline_request_accept(request: HttpRequest, hotline_request_id: Id) -> dict[str, Any]:
    return _act(request, hotline_request_id, "request_accept")


@router.post(
    "/hotline/requests/{int:hotline_request_id}/notes",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Add a progress note",
)
def hotline_request_note(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineNoteIn
) -> dict[str, Any]:
    return _act(
        request,
        hotline_request_id,
        "request_note",
        text=payload.text,
        happened_at=payload.happened_at,
    )


@router.post(
    "/hotline/requests/{int:hotline_request_id}/complete",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Complete (the department)",
)
def hotline_request_complete(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineCompleteIn
) -> dict[str, Any]:
    return _act(request, hotline_request_id, "request_complete", reply=payload.reply)


@router.post(
    "/hotline/requests/{int:hotline_request_id}/callback",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Record the caller's confirmation and satisfaction",
)
def hotline_request_callback(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineCallbackIn
) -> dict[str, Any]:
    return _act(
        request,
        hotline_request_id,
        "request_callback",
        solved=payload.solved,
        satisfaction=payload.satisfaction,
        note=payload.note,
    )


@router.post(
    "/hotline/requests/{int:hotline_request_id}/dispatch",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Dispatch (again) by the rule in force",
)
def hotline_request_dispatch(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineReasonIn
) -> dict[str, Any]:
    return _act(request, hotline_request_id, "request_dispatch", reason=payload.reason)


@router.post(
    "/hotline/requests/{int:hotline_request_id}/category",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Correct the category (kept as training data)",
)
def hotline_request_category(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineCategoryIn
) -> dict[str, Any]:
    return _act(
        request,
        hotline_request_id,
        "request_recategorise",
        category=payload.category.value,
        reason=payload.reason,
    )


@router.post(
    "/hotline/requests/{int:hotline_request_id}/cancel",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Cancel with a reason",
)
def hotline_request_cancel(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineReasonIn
) -> dict[str, Any]:
    return _act(request, hotline_request_id, "request_cancel", reason=payload.reason)


@router.post(
    "/hotline/requests/{int:hotline_request_id}/merge",
    response={200: HotlineRequestDetailOut, **ERRORS},
    summary="Merge into the case it repeats",
)
def hotline_request_merge(
    request: HttpRequest, hotline_request_id: Id, payload: HotlineMergeIn
) -> dict[str, Any]:
    item = selectors.request_for_user(request.user, hotline_request_id)
    into = selectors.request_for_user(request.user, payload.into)
    services.request_merge(actor=request.user, duplicate=item, into=into, reason=payload.reason)
    return detail_out(request.user, payload.into)


@router.post(
    "/hotline/wechat",
    response={201: HotlineWeChatOut, **ERRORS},
    summary="Take a pasted WeChat group's messages",
)
def hotline_wechat(request: HttpRequest, payload: HotlineWeChatIn) -> Status[dict[str, Any]]:
    """Each message becomes a request (classified and dispatched); repeats in the paste or of
    open requests within the policy's window are left out."""
    made, left_out = services.wechat_paste(actor=request.user, text=payload.text)
    return Status(201, {"created": [r.number for r in made], "duplicates": left_out})
