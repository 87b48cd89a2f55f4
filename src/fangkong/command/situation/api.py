"""The situation import through the API: the same lines as the files, as JSON arrays.

POST /api/situation/preview  what the import found and the defaults it would apply; writes nothing
POST /api/situation/import   the same, then writes every line (all or nothing)
"""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status
from pydantic import create_model

from fangkong.command.situation.base import Kind
from fangkong.command.situation.registry import KINDS
from fangkong.command.situation.services import (
    SituationResult,
    read_json,
    situation_check,
    situation_import,
)
from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS

router = Router(tags=["situation"])


def _example(kind: Kind) -> list[dict[str, str]]:
    return [dict(zip(kind.columns.names, row, strict=False)) for row in kind.sample]


# One array per kind of the registry: adding a kind there adds it here.
_ARRAYS: dict[str, Any] = {
    kind.name: (
        list[dict[str, Any]] | None,
        Field(
            None,
            description=f"Rows of {kind.name}, keyed by column (or by its Chinese "
            f"header): {', '.join(kind.columns.names)}",
            examples=[_example(kind)],
        ),
    )
    for kind in KINDS
}
SituationIn = create_model("SituationIn", __base__=Schema, **_ARRAYS)


class KindOut(Schema):
    kind: str
    title: str
    source: str
    rows: int
    new: int
    changed: int
    unchanged: int
    by_status: dict[str, int]
    by_district: dict[str, int] = Field(description="Rows by district name")


class DefaultOut(Schema):
    kind: str
    title: str
    column: str
    default: str = Field(description="What the rows did not say and what is taken instead")
    rows: int


class FlagOut(Schema):
    kind: str
    title: str
    row: int
    name: str
    why: str = Field(description="What a person must decide")


class SituationImportOut(Schema):
    written: bool
    kinds: list[KindOut]
    defaults: list[DefaultOut]
    flagged: list[FlagOut]
    events: int = Field(description="Audit events written, one per fact and change")
    seconds: float


def _body(result: SituationResult) -> dict[str, Any]:
    return {
        "written": result.written,
        "kinds": result.kinds(),
        "defaults": result.defaults(),
        "flagged": result.flagged(),
        "events": result.events,
        "seconds": round(result.seconds, 3),
    }


def _answer(result: SituationResult) -> Status[dict[str, Any]]:
    if result.error_count:
        detail = [
            {
                "loc": ["body", e.sheet, e.row - 1, e.field or e.column]
                if e.row
                else ["body", e.sheet],
                "msg": e.reason,
                "type": "row",
            }
            for e in result.errors
        ]
        return Status(422, {"detail": detail})
    return Status(200, _body(result))


@router.post(
    "/situation/preview",
    response={200: SituationImportOut, **ERRORS},
    summary="Preview a situation line-list import",
)
def situation_preview(request: HttpRequest, payload: SituationIn) -> Status[dict[str, Any]]:  # type: ignore[valid-type]
    """Check every row of every kind and say what the import found (counts per kind, status
    and district), the defaults it applies to what the rows do not say, and the people it
    flags for a person to decide. Nothing is written. Errors: 422, each naming
    `["body", kind, row index, column]`."""
    require(request.user, Cap.SITUATION_IMPORT)
    result = read_json(payload.dict(exclude_none=True))  # type: ignore[attr-defined]
    return _answer(situation_check(actor=request.user, result=result))


@router.post(
    "/situation/import",
    response={200: SituationImportOut, **ERRORS},
    summary="Import a situation line list",
)
def situation_import_api(request: HttpRequest, payload: SituationIn) -> Status[dict[str, Any]]:  # type: ignore[valid-type]
    """People, cases, contacts, people under measures, quarantine sites, rooms, stays, zones and
    testing rounds with the times each fact happened, written all or nothing: any wrong row
    answers 422 naming `["body", kind, row index, column]` and nothing is written. Idempotent
    on natural keys (person: ID number; case: number; contact: case number and ID number;
    measure: person and start; site: code; room: site, building and number; stay: person,
    site and check-in; zone: name and drawing time; round: area and start): sending the same
    body again writes nothing; a contact's or case's changed status is a change dated by the
    row's time."""
    require(request.user, Cap.SITUATION_IMPORT)
    result = read_json(payload.dict(exclude_none=True))  # type: ignore[attr-defined]
    return _answer(situation_import(actor=request.user, result=result))
