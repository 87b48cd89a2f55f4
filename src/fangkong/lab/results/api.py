"""REST endpoints for lab results: a CSV/XLSX/FHIR file (multipart), or a FHIR R4 Bundle."""

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    ERRORS,
    MEDIA_TYPES,
    ValidationErrorOut,
    schema_ref,
    too_deep,
)
from fangkong.core.errors import field_error
from fangkong.core.tabular import RowError
from fangkong.lab.models import Lab
from fangkong.lab.results import fhir
from fangkong.lab.results.ingest import ResultsImport, results_import
from fangkong.lab.results.views import run_upload
from fangkong.lab.selectors import labs_for_user

router = Router(tags=["testing"])

FHIR_JSON = "application/fhir+json"


class ResultErrorOut(Schema):
    row: int = Field(description="Row in the file (1 = header), or Bundle.entry index")
    column: str = Field(description="Column header, or a FHIRPath expression")
    value: str
    reason: str


class ResultsImportOut(Schema):
    filename: str
    format: str
    rows_read: int
    applied: int
    already_applied: int
    positives: int
    retests_created: int
    controls_started: int
    controls_cleared: int
    cases_opened: int
    written: bool
    uploaded_before: str | None = Field(description="When this same file was applied before")
    error_count: int
    errors: list[ResultErrorOut]


class IssueOut(Schema):
    severity: str
    code: str
    diagnostics: str
    expression: list[str] | None = None


class OperationOutcomeOut(Schema):
    resourceType: str = "OperationOutcome"
    issue: list[IssueOut]


def import_out(result: ResultsImport) -> dict[str, Any]:
    return {
        "filename": result.filename,
        "format": result.format,
        **result.figures(),
        "written": result.written,
        "uploaded_before": result.uploaded_before.isoformat() if result.uploaded_before else None,
        "error_count": result.error_count,
        "errors": [
            {"row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
            for e in result.errors
        ],
    }


def _lab_by_code(user: Any, code: str, field: str) -> Lab:
    lab = labs_for_user(user, Cap.RESULTS_UPLOAD).filter(code=code).first()
    if lab is None:
        raise field_error(field, _("No laboratory with this code in your jurisdiction"))
    return lab


@router.post(
    "/results/import",
    response={200: ResultsImportOut, **ERRORS, 422: ResultsImportOut | ValidationErrorOut},
    summary="Upload lab results",
)
def results_upload(
    request: HttpRequest,
    lab: Form[str],
    file: UploadedFile = File(...),  # noqa: B008
) -> Any:
    """Upload a CSV/XLSX file (tube barcode 试管编码, result 检测结果 阴性/阳性, Ct value Ct值,
    tested at 检测时间) or a FHIR Bundle as JSON, for the laboratory with code `lab`.
    Applied whole or not at all (422 lists each bad row and column); the same results
    uploaded again change nothing."""
    require(request.user, Cap.RESULTS_UPLOAD)
    chosen = _lab_by_code(request.user, lab, "lab")
    result = run_upload(request.user, chosen, file)
    return Status(200 if result.written else 422, import_out(result))


def _fhir_response(body: dict[str, Any], status: int) -> HttpResponse:
    content = json.dumps(body, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")


def _problem(message: str, *, code: str = "invalid", status: int = 422) -> HttpResponse:
    issue = {"severity": "error", "code": code, "diagnostics": message}
    return _fhir_response({"resourceType": "OperationOutcome", "issue": [issue]}, status)


def _fhir_lab(user: Any, code: str | None) -> Lab | HttpResponse:
    labs = labs_for_user(user, Cap.RESULTS_UPLOAD)
    if code:
        lab = labs.filter(code=code).first()
        if lab is None:
            message = _("No laboratory with this code in your jurisdiction")
            return _problem(message, code="not-found")
        return lab
    only = list(labs[:2])
    if len(only) != 1:
        return _problem(_("Name the laboratory: add ?lab=<lab code> to the address"))
    return only[0]


def summary_text(result: ResultsImport) -> str:
    if result.uploaded_before is not None:
        return _("This Bundle was applied before; nothing changed.")
    return _(
        "%(applied)s results applied, %(already)s already applied; %(positives)s positive, "
        "%(retests)s retests owed, %(cases)s cases opened."
    ) % {
        "applied": result.applied,
        "already": result.already_applied,
        "positives": result.positives,
        "retests": result.retests_created,
        "cases": result.cases_opened,
    }


@router.post(
    "/fhir/Bundle",
    response={
        200: OperationOutcomeOut,
        **ERRORS,
        415: OperationOutcomeOut,
        422: ValidationErrorOut,
    },
    summary="Post a FHIR R4 Bundle of results",
    openapi_extra={
        # 200 and 415 answer in FHIR JSON only; 422 in FHIR JSON, or JSON for a field error
        MEDIA_TYPES: {200: FHIR_JSON, 415: FHIR_JSON},
        "responses": {422: {"content": {FHIR_JSON: {"schema": schema_ref(OperationOutcomeOut)}}}},
        "requestBody": {
            "required": True,
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            "description": "A Bundle (batch, transaction or collection) of Observations "
            "(LOINC 94500-6, SNOMED 260373001 detected / 260415000 not detected) and the "
            "Specimens they name (identifier value = tube barcode).",
        },
    },
)
def fhir_bundle(request: HttpRequest, lab: str | None = Query(None)) -> Any:
    """Apply the results of a FHIR R4 Bundle (content type application/fhir+json) for the
    laboratory `lab` (optional when you have only one). 200 with an OperationOutcome of
    severity information saying what was applied; 422 with one error issue per problem,
    each with a FHIRPath expression, and nothing applied."""
    require(request.user, Cap.RESULTS_UPLOAD)
    kind = request.content_type or ""
    if kind not in (FHIR_JSON, "application/json"):
        return _problem(_("Send the Bundle as application/fhir+json"), status=415)
    chosen = _fhir_lab(request.user, lab)
    if isinstance(chosen, HttpResponse):
        return chosen
    too_deep_problem = _("The Bundle is nested too deeply")
    try:
        data = json.loads(request.body.decode("utf-8-sig"))
    except RecursionError:
        return _problem(too_deep_problem, code="structure")
    except (UnicodeDecodeError, ValueError):
        error = RowError(0, "Bundle", "", fhir.E_NOT_JSON)
        return _fhir_response(fhir.operation_outcome([error]), 422)
    if too_deep(data):
        return _problem(too_deep_problem, code="structure")
    result = results_import(actor=request.user, lab=chosen, bundle=data, filename="Bundle")
    if not result.written:
        body = fhir.operation_outcome(result.errors, total=result.error_count)
        return _fhir_response(body, 422)
    return _fhir_response(fhir.outcome_information(summary_text(result), result.figures()), 200)
