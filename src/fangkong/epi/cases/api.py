"""REST endpoints for cases (mounted under /api/)."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, not_found_message, paginate
from fangkong.core.dates import WindowDay
from fangkong.core.errors import field_error
from fangkong.epi.cases import selectors, services
from fangkong.epi.cases.schemas import (
    CaseFiguresOut,
    CaseIn,
    CaseOut,
    CaseTransferIn,
    CloseIn,
    ReclassifyIn,
    case_out,
)
from fangkong.epi.models import CaseKind, CaseStatus, FoundWhere
from fangkong.places.models import Division

router = Router(tags=["cases"])


def _place(code: str) -> Division | None:
    if not code:
        return None
    place = Division.objects.filter(code=code).first()
    if place is None:
        raise field_error("place", not_found_message())
    return place


# Cases


@router.get("/cases", response={200: Page[CaseOut], **ERRORS}, summary="Cases")
def case_list(
    request: HttpRequest,
    kind: CaseKind | None = None,
    found_where: FoundWhere | None = None,
    status: CaseStatus | None = None,
    reported_from: WindowDay | None = None,
    reported_to: WindowDay | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Cases within your jurisdiction, newest report first; ID numbers and phones masked."""
    qs = selectors.case_search(
        request.user,
        kind=kind.value if kind else "",
        found_where=found_where.value if found_where else "",
        status=status.value if status else "",
        reported_from=reported_from,
        reported_to=reported_to,
    ).select_related("person__division")
    return paginate(qs, limit=limit, offset=offset, convert=case_out)


@router.get("/cases/figures", response={200: CaseFiguresOut, **ERRORS}, summary="Case counts")
def case_figures(request: HttpRequest) -> dict[str, int]:
    """Confirmed / asymptomatic, found in the community / in quarantine, in your jurisdiction."""
    return selectors.case_figures(selectors.cases_for_user(request.user))


@router.post("/cases", response={201: CaseOut, **ERRORS}, summary="Register a case")
def case_new(request: HttpRequest, payload: CaseIn) -> Status[dict[str, Any]]:
    """By ID number: a known person is linked; an unknown one needs `name` and `place`."""
    require(request.user, Cap.CASES_EDIT)
    data = payload.dict()
    data["place"] = _place(data.pop("place").strip())
    for key in ("kind", "found_by", "found_where"):
        data[key] = data[key].value if hasattr(data[key], "value") else data[key]
    case = services.case_register(actor=request.user, **data)
    return Status(201, case_out(case))


@router.get("/cases/{int:case_id}", response={200: CaseOut, **ERRORS})
def case_detail(request: HttpRequest, case_id: Id) -> dict[str, Any]:
    return case_out(selectors.case_for_user(request.user, case_id))


@router.post("/cases/{int:case_id}/reclassify", response={200: CaseOut, **ERRORS})
def case_reclassify(request: HttpRequest, case_id: Id, payload: ReclassifyIn) -> dict[str, Any]:
    require(request.user, Cap.CASES_EDIT)
    case = selectors.case_for_user(request.user, case_id)
    services.case_reclassify(
        actor=request.user,
        case=case,
        kind=payload.kind.value,
        reason=payload.reason,
        reclassified_at=payload.reclassified_at,
    )
    return case_out(case)


@router.post("/cases/{int:case_id}/transfer", response={200: CaseOut, **ERRORS})
def case_transfer(request: HttpRequest, case_id: Id, payload: CaseTransferIn) -> dict[str, Any]:
    """Closed-loop transfer to a designated hospital or a shelter hospital."""
    require(request.user, Cap.CASES_EDIT)
    case = selectors.case_for_user(request.user, case_id)
    services.case_transfer(
        actor=request.user,
        case=case,
        destination=payload.destination.value,
        destination_name=payload.destination_name,
        transferred_at=payload.transferred_at,
        reason=payload.reason,
    )
    return case_out(case)


@router.post("/cases/{int:case_id}/close", response={200: CaseOut, **ERRORS})
def case_close(request: HttpRequest, case_id: Id, payload: CloseIn) -> dict[str, Any]:
    """Record the outcome (recovered or died) with a reason."""
    require(request.user, Cap.CASES_EDIT)
    case = selectors.case_for_user(request.user, case_id)
    services.case_close(
        actor=request.user,
        case=case,
        status=payload.status.value,
        outcome_on=payload.outcome_on,
        reason=payload.reason,
        closed_at=payload.closed_at,
    )
    return case_out(case)
