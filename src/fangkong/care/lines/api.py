"""REST endpoints of direct lines (/api/care/lines…), scoped like the pages."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.lines import selectors, services
from fangkong.care.lines.schemas import DirectLineIn, DirectLineOut
from fangkong.care.models import DirectLine, Facility
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.errors import field_error
from fangkong.places.selectors import place_in_scope

router = Router(tags=["medical care"])


def line_out(line: DirectLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "community_code": line.community.code,
        "community_name": line.community.name,
        "kind": line.kind,
        "name": line.name,
        "phone": line.phone,
        "facility_id": line.facility_id,
        "note": line.note,
        "updated_at": line.updated_at,
    }


def _values(request: HttpRequest, payload: DirectLineIn) -> dict[str, Any]:
    facility: Facility | None = None
    if payload.facility_id is not None:
        facility = facilities_for_user(request.user).filter(pk=payload.facility_id).first()
        if facility is None:
            raise field_error("facility_id", _("Unknown facility"))
    return {
        "community": place_in_scope(request.user, payload.community, "community"),
        "kind": payload.kind.value,
        "name": payload.name,
        "phone": payload.phone,
        "facility": facility,
        "note": payload.note,
    }


@router.get("/care/lines", response={200: Page[DirectLineOut], **ERRORS}, summary="Direct lines")
def care_line_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """The direct lines of the communities on your branch."""
    qs = selectors.lines_for_user(request.user).order_by("division_key", "kind", "id")
    return paginate(qs, limit=limit, offset=offset, convert=line_out)


@router.post("/care/lines", response={201: DirectLineOut, **ERRORS}, summary="Add a direct line")
def care_line_new(request: HttpRequest, payload: DirectLineIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.CARE_COMMUNITY)
    line = services.line_save(actor=request.user, **_values(request, payload))
    return Status(201, line_out(selectors.line_for_user(request.user, line.pk)))


@router.put(
    "/care/lines/{int:direct_line_id}",
    response={200: DirectLineOut, **ERRORS},
    summary="Change a line",
)
def care_line_change(
    request: HttpRequest, direct_line_id: Id, payload: DirectLineIn
) -> dict[str, Any]:
    line = selectors.line_for_user(request.user, direct_line_id)
    services.line_save(actor=request.user, line=line, **_values(request, payload))
    return line_out(selectors.line_for_user(request.user, direct_line_id))


@router.delete(
    "/care/lines/{int:direct_line_id}", response={204: None, **ERRORS}, summary="Remove a line"
)
def care_line_remove(request: HttpRequest, direct_line_id: Id) -> Status[None]:
    services.line_remove(
        actor=request.user, line=selectors.line_for_user(request.user, direct_line_id)
    )
    return Status(204, None)
