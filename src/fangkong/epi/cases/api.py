"""REST endpoints for cases (mounted under /api/)."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, not_found_message, paginate
from fangkong.core.bulk import StatusBatch
from fangkong.core.dates import WindowDay
from fangkong.core.errors import field_error
from fangkong.epi.cases import selectors, services
from fangkong.epi.cases.schemas import (
    CaseFiguresOut,
    CaseFilterIn,
    CaseIn,
    CaseOut,
    CasesChangedOut,
    CasesCloseIn,
    CasesReclassifyIn,
    CasesTransferIn,
    CaseTransferIn,
    CloseIn,
    ReclassifyIn,
    case_out,
)
from fangkong.epi.models import Case, CaseKind, CaseStatus, FoundWhere
from fangkong.places.models import Division, named

router = Router(tags=["cases"])


def _place(code: str) -> Division | None:
    if not code:
        return None
    place = Division.objects.filter(named(code)).first()
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


def _selection(
    user: Any, ids: list[int] | None, wanted: CaseFilterIn | None
) -> QuerySet[Case] | None:
    if (ids is None) == (wanted is None):
        raise field_error("ids", _("Send either ids or filter"))
    if wanted is None:
        return None
    return selectors.case_search(
        user,
        kind=wanted.kind.value if wanted.kind else "",
        found_where=wanted.found_where.value if wanted.found_where else "",
        status=wanted.status.value if wanted.status else "",
        reported_from=wanted.reported_from,
        reported_to=wanted.reported_to,
    )


def _answer(batch: StatusBatch) -> Status[dict[str, Any]]:
    return Status(409 if batch.refused else 200, batch.answer())


@router.post(
    "/cases/reclassify",
    response={200: CasesChangedOut, 409: CasesChangedOut, **ERRORS},
    summary="Reclassify many cases",
)
def cases_reclassify(request: HttpRequest, payload: CasesReclassifyIn) -> Status[dict[str, Any]]:
    """Give many cases one classification with one reason: the cases `ids`, or every case in
    your jurisdiction matching `filter` (the filters of `GET /api/cases`, not only a page).
    All or nothing: if any case is outside your jurisdiction (or unknown: it reads the same),
    is closed or would be dated before its registration or last reclassification, the answer
    is 409 naming each one and nothing changes. Cases already of the classification are
    `unchanged`, so sending the same request again changes nothing."""
    require(request.user, Cap.CASES_EDIT)
    selection = _selection(request.user, payload.ids, payload.filter)
    batch = services.cases_reclassify(
        actor=request.user,
        ids=payload.ids,
        selection=selection,
        kind=payload.kind.value,
        reason=payload.reason,
        reclassified_at=payload.reclassified_at,
    )
    return _answer(batch)


@router.post(
    "/cases/transfer",
    response={200: CasesChangedOut, 409: CasesChangedOut, **ERRORS},
    summary="Transfer many cases",
)
def cases_transfer(request: HttpRequest, payload: CasesTransferIn) -> Status[dict[str, Any]]:
    """Record the closed-loop transfer of many cases to one hospital at one time, with one
    reason: the cases `ids`, or every case in your jurisdiction matching `filter`. All or
    nothing: if any case is outside your jurisdiction (or unknown), closed, or would be dated
    before its sampling, report or last status change, the answer is 409 naming each one and
    nothing changes. Cases already transferred to this hospital are `unchanged`, so sending
    the same request again changes nothing."""
    require(request.user, Cap.CASES_EDIT)
    selection = _selection(request.user, payload.ids, payload.filter)
    batch = services.cases_transfer(
        actor=request.user,
        ids=payload.ids,
        selection=selection,
        destination=payload.destination.value,
        destination_name=payload.destination_name,
        transferred_at=payload.transferred_at,
        reason=payload.reason,
    )
    return _answer(batch)


@router.post(
    "/cases/close",
    response={200: CasesChangedOut, 409: CasesChangedOut, **ERRORS},
    summary="Close many cases",
)
def cases_close(request: HttpRequest, payload: CasesCloseIn) -> Status[dict[str, Any]]:
    """Record one outcome (recovered or died, on `outcome_on`) for many cases with one reason:
    the cases `ids`, or every case in your jurisdiction matching `filter`. All or nothing: if
    any case is outside your jurisdiction (or unknown), already closed otherwise, sampled
    after the outcome date or would be dated before its registration or last status change,
    the answer is 409 naming each one and nothing changes. Cases already closed with this
    outcome on this day are `unchanged`, so sending the same request again changes nothing."""
    require(request.user, Cap.CASES_EDIT)
    selection = _selection(request.user, payload.ids, payload.filter)
    batch = services.cases_close(
        actor=request.user,
        ids=payload.ids,
        selection=selection,
        status=payload.status.value,
        outcome_on=payload.outcome_on,
        reason=payload.reason,
        closed_at=payload.closed_at,
    )
    return _answer(batch)


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
