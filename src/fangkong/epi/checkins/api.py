"""REST endpoints for venue check-ins: import a file, list a venue's check-ins in a window."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Limit, Offset, Page, ValidationErrorOut, paginate
from fangkong.core.dates import WindowMoment
from fangkong.epi.checkins.importing import CheckinImportResult, run_upload
from fangkong.epi.checkins.selectors import checkins_at_venue
from fangkong.epi.models import CheckIn

router = Router(tags=["checkins"])


class RowErrorOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class CheckinImportOut(Schema):
    filename: str
    rows_read: int
    created: int
    already_present: int
    written: bool
    error_count: int
    errors: list[RowErrorOut]


class CheckinOut(Schema):
    person_id: int
    name: str
    id_number: str
    venue_code: str
    time_in: dt.datetime
    time_out: dt.datetime


def _import_out(result: CheckinImportResult) -> dict[str, Any]:
    return {
        "filename": result.filename,
        "rows_read": result.rows_read,
        "created": result.created,
        "already_present": result.already_present,
        "written": result.written,
        "error_count": result.error_count,
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in result.errors
        ],
    }


@router.post(
    "/checkins/import",
    response={200: CheckinImportOut, **ERRORS, 422: CheckinImportOut | ValidationErrorOut},
    summary="Import check-ins",
)
def checkins_import(request: HttpRequest, file: UploadedFile = File(...)) -> Any:  # noqa: B008
    """Upload a CSV or Parquet file (multipart field `file`): person ID number, venue code,
    time in, time out. Written whole or not at all (422 lists each bad row and column);
    check-ins already stored are counted in `already_present`, never added twice."""
    require(request.user, Cap.CHECKINS_IMPORT)
    result = run_upload(request.user, file)
    return Status(200 if result.written else 422, _import_out(result))


def _checkin_out(c: CheckIn, code: str) -> dict[str, Any]:
    return {
        "person_id": c.person_id,
        "name": c.person.name,
        "id_number": c.person.id_number_masked,
        "venue_code": code,
        "time_in": c.time_in,
        "time_out": c.time_out,
    }


@router.get(
    "/venues/{code}/checkins",
    response={200: Page[CheckinOut], **ERRORS},
    summary="Check-ins at a venue",
)
def venue_checkins(
    request: HttpRequest,
    code: str,
    start: WindowMoment | None = Query(None, alias="from"),  # noqa: B008
    end: WindowMoment | None = Query(None, alias="to"),  # noqa: B008
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Who was at a venue of your jurisdiction between `from` and `to` (ID numbers masked)."""
    qs = checkins_at_venue(request.user, code, start, end)
    return paginate(qs, limit=limit, offset=offset, convert=lambda c: _checkin_out(c, code))
