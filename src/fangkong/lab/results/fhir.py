"""HL7 FHIR R4 results: read a Bundle of Observations and Specimens, answer with an
OperationOutcome.

Only the subset a SARS-CoV-2 RNA result needs is modelled (pydantic, unknown elements
allowed): Observation.code LOINC 94500-6, valueCodeableConcept SNOMED 260373001 detected /
260415000 not detected, an optional Ct value (a component or valueQuantity), issued or
effectiveDateTime, and Observation.specimen pointing at a Specimen whose identifier value is
the tube barcode (an entry by fullUrl or `Specimen/<id>`, or a contained `#<id>`).
`fhir.resources` was tried and not taken: its releases ship R5, R4B and STU3 but not R4, and
validating every element of a large batch is far slower than this subset.

Each problem is a `RowError` whose column is a FHIRPath expression such as
`Bundle.entry[3].resource.valueCodeableConcept`; `operation_outcome` turns them into issues.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from pydantic import BaseModel, ConfigDict, ValidationError

from fangkong.core.tabular import (
    E_JSON_DEPTH,
    E_TOO_MANY_ROWS,
    JSON_MAX_DEPTH,
    Limits,
    RowError,
    json_depth,
)
from fangkong.lab.models import Outcome
from fangkong.lab.results import reasons

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
SARS_COV_2_RNA = "94500-6"
SNOMED_OUTCOMES = {"260373001": Outcome.POSITIVE, "260415000": Outcome.NEGATIVE}
BUNDLE_TYPES = ("batch", "transaction", "collection")
FINAL_STATUSES = ("final", "amended", "corrected")
CT_WORDS = ("ct", "ct value", "cycle threshold", "cycles")
IGNORED_TYPES = ("DiagnosticReport", "Patient", "Organization", "Practitioner", "ServiceRequest")

E_NOT_BUNDLE = gettext_noop('The body must be a FHIR Bundle (resourceType "Bundle")')
E_NOT_JSON = gettext_noop("The body is not JSON")
E_STRUCTURE = gettext_noop("Not valid FHIR here: %(detail)s")
E_BUNDLE_TYPE = gettext_noop("Bundle.type must be batch, transaction or collection")
E_NO_ENTRIES = gettext_noop("The Bundle holds no Observation")
E_RESOURCE_TYPE = gettext_noop("Only Observation and Specimen resources are read here")
E_CODE = gettext_noop("Observation.code must be LOINC 94500-6 (system http://loinc.org)")
E_VALUE = gettext_noop(
    "The result must be SNOMED CT 260373001 (detected) or 260415000 (not detected), "
    "system http://snomed.info/sct"
)
E_STATUS = gettext_noop("Only final, amended or corrected results can be applied")
E_NO_SPECIMEN = gettext_noop("Observation.specimen is required: it names the tube")
E_SPECIMEN_UNRESOLVED = gettext_noop("No Specimen in the Bundle matches this reference")
E_NO_BARCODE = gettext_noop("The Specimen needs an identifier whose value is the tube barcode")
E_NO_TIME = gettext_noop("Give issued or effectiveDateTime: when the sample was tested")
E_BAD_TIME = gettext_noop("Not a FHIR dateTime")
E_CT = gettext_noop("Ct value must be a number between 0 and 50")

# FHIR issue-type codes (http://hl7.org/fhir/issue-type) for each reason.
ISSUE_CODES = {
    E_NOT_BUNDLE: "structure",
    E_NOT_JSON: "structure",
    E_STRUCTURE: "structure",
    E_BUNDLE_TYPE: "value",
    E_NO_ENTRIES: "required",
    E_RESOURCE_TYPE: "not-supported",
    E_CODE: "code-invalid",
    E_VALUE: "code-invalid",
    E_STATUS: "business-rule",
    E_NO_SPECIMEN: "required",
    E_SPECIMEN_UNRESOLVED: "not-found",
    E_NO_BARCODE: "required",
    E_NO_TIME: "required",
    E_BAD_TIME: "value",
    E_CT: "value",
    E_JSON_DEPTH: "too-costly",
    E_TOO_MANY_ROWS: "too-costly",
}


class _Element(BaseModel):
    model_config = ConfigDict(extra="allow")


class Coding(_Element):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(_Element):
    coding: list[Coding] = []
    text: str | None = None


class Quantity(_Element):
    value: float | None = None
    unit: str | None = None
    code: str | None = None


class Reference(_Element):
    reference: str | None = None


class Identifier(_Element):
    system: str | None = None
    value: str | None = None


class Specimen(_Element):
    resourceType: str
    id: str | None = None
    identifier: list[Identifier] = []


class Component(_Element):
    code: CodeableConcept | None = None
    valueQuantity: Quantity | None = None


class Observation(_Element):
    resourceType: str
    id: str | None = None
    status: str | None = None
    code: CodeableConcept
    specimen: Reference | None = None
    valueCodeableConcept: CodeableConcept | None = None
    valueQuantity: Quantity | None = None
    component: list[Component] = []
    effectiveDateTime: str | None = None
    issued: str | None = None
    contained: list[dict[str, Any]] = []


class Entry(_Element):
    fullUrl: str | None = None
    resource: dict[str, Any]


class Bundle(_Element):
    resourceType: str
    type: str
    entry: list[Entry] = []


@dataclass
class FhirRow:
    """One Observation read as a results-file row; `paths` locate each value for errors."""

    number: int  # the entry's index in Bundle.entry
    barcode: str
    outcome: str
    ct: float | None
    tested: dt.datetime
    paths: dict[str, str] = field(default_factory=dict)


@dataclass
class ReadBundle:
    rows: list[FhirRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def error(self, number: int, where: str, message: str, value: str = "", **params: Any) -> None:
        self.errors.append(RowError(number, where, value, message, params))


def _pydantic_errors(out: ReadBundle, number: int, prefix: str, exc: ValidationError) -> None:
    for problem in exc.errors():
        where = prefix
        for part in problem["loc"]:
            where += f"[{part}]" if isinstance(part, int) else f".{part}"
        out.error(number, where, E_STRUCTURE, detail=problem["msg"])


def _has(concept: CodeableConcept | None, system: str, codes: Any) -> str | None:
    for coding in concept.coding if concept else []:
        if coding.system == system and coding.code in codes:
            return coding.code
    return None


def parse_time(text: str) -> dt.datetime | None:
    """A FHIR dateTime/instant; a date or a time without offset is read as local time."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.get_current_timezone())
    return value


def _is_ct(component: Component) -> bool:
    concept = component.code
    words = [concept.text or ""] if concept else []
    for coding in concept.coding if concept else []:
        words += [coding.code or "", coding.display or ""]
    quantity = component.valueQuantity
    if quantity is not None:
        words += [quantity.unit or "", quantity.code or ""]
    return any(w.strip().strip("{}").lower() in CT_WORDS for w in words)


def _ct(obs: Observation, base: str) -> tuple[float | None, str]:
    if obs.valueQuantity is not None and obs.valueQuantity.value is not None:
        return obs.valueQuantity.value, f"{base}.valueQuantity.value"
    for k, component in enumerate(obs.component):
        if _is_ct(component) and component.valueQuantity is not None:
            return component.valueQuantity.value, f"{base}.component[{k}].valueQuantity.value"
    return None, ""


class _Specimens:
    """Specimens of the Bundle by fullUrl and by `Specimen/<id>`: (entry, barcode)."""

    def __init__(self) -> None:
        self.by_ref: dict[str, tuple[int, str, str]] = {}  # ref → (entry, path, barcode)

    def add(self, number: int, full_url: str | None, spec: Specimen, out: ReadBundle) -> None:
        path = f"Bundle.entry[{number}].resource"
        barcode = next((i.value.strip() for i in spec.identifier if i.value), "")
        if not barcode:
            out.error(number, f"{path}.identifier", E_NO_BARCODE)
        item = (number, f"{path}.identifier[0].value", barcode)
        if full_url:
            self.by_ref[full_url] = item
        if spec.id:
            self.by_ref[f"Specimen/{spec.id}"] = item


def _contained_specimen(
    obs: Observation, ref: str, number: int, base: str, out: ReadBundle
) -> tuple[str, str] | None:
    for k, raw in enumerate(obs.contained):
        if raw.get("resourceType") != "Specimen" or f"#{raw.get('id')}" != ref:
            continue
        try:
            spec = Specimen.model_validate(raw)
        except ValidationError as exc:
            _pydantic_errors(out, number, f"{base}.contained[{k}]", exc)
            return None
        barcode = next((i.value.strip() for i in spec.identifier if i.value), "")
        if not barcode:
            out.error(number, f"{base}.contained[{k}].identifier", E_NO_BARCODE)
            return None
        return barcode, f"{base}.contained[{k}].identifier[0].value"
    return None


def _observation(
    number: int, obs: Observation, specimens: _Specimens, out: ReadBundle
) -> FhirRow | None:
    base = f"Bundle.entry[{number}].resource"
    before = len(out.errors)
    if not _has(obs.code, LOINC, (SARS_COV_2_RNA,)):
        out.error(number, f"{base}.code", E_CODE)
    if obs.status is not None and obs.status not in FINAL_STATUSES:
        out.error(number, f"{base}.status", E_STATUS, obs.status)
    code = _has(obs.valueCodeableConcept, SNOMED, SNOMED_OUTCOMES)
    if code is None:
        out.error(number, f"{base}.valueCodeableConcept", E_VALUE)
    ct, ct_path = _ct(obs, base)
    if ct is not None and not 0 < ct <= 50:
        out.error(number, ct_path, E_CT, str(ct))
    time_field = "issued" if obs.issued else "effectiveDateTime"
    time_text = obs.issued or obs.effectiveDateTime
    tested = parse_time(time_text) if time_text else None
    if not time_text:
        out.error(number, f"{base}.effectiveDateTime", E_NO_TIME)
    elif tested is None:
        out.error(number, f"{base}.{time_field}", E_BAD_TIME, time_text)
    found: tuple[str, str] | None = None
    ref = obs.specimen.reference if obs.specimen else None
    if not ref:
        out.error(number, f"{base}.specimen", E_NO_SPECIMEN)
    elif ref.startswith("#"):
        found = _contained_specimen(obs, ref, number, base, out)
        if found is None and len(out.errors) == before:
            out.error(number, f"{base}.specimen.reference", E_SPECIMEN_UNRESOLVED, ref)
    elif ref in specimens.by_ref:
        _entry, path, barcode = specimens.by_ref[ref]
        found = (barcode, path) if barcode else None
    else:
        out.error(number, f"{base}.specimen.reference", E_SPECIMEN_UNRESOLVED, ref)
    if len(out.errors) > before or found is None or code is None or tested is None:
        return None
    paths = {
        "barcode": found[1],
        "result": f"{base}.valueCodeableConcept",
        "ct_value": ct_path or f"{base}.component",
        "tested_at": f"{base}.{time_field}",
    }
    return FhirRow(number, found[0], SNOMED_OUTCOMES[code], ct, tested, paths)


def read_bundle(data: Any) -> ReadBundle:
    """The results a Bundle carries, or the errors that keep it from being applied."""
    out = ReadBundle()
    if json_depth(data) > JSON_MAX_DEPTH:  # refused before any recursive validation
        out.error(0, "Bundle", E_JSON_DEPTH, limit=JSON_MAX_DEPTH)
        return out
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        out.error(0, "Bundle", E_NOT_BUNDLE)
        return out
    entries = data.get("entry")
    limit = Limits.from_settings().rows
    if isinstance(entries, list) and len(entries) > limit:
        out.error(0, "Bundle.entry", E_TOO_MANY_ROWS, limit=limit)
        return out
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as exc:
        _pydantic_errors(out, 0, "Bundle", exc)
        return out
    if bundle.type not in BUNDLE_TYPES:
        out.error(0, "Bundle.type", E_BUNDLE_TYPE, bundle.type)
    specimens = _Specimens()
    observations: list[tuple[int, Observation]] = []
    for number, entry in enumerate(bundle.entry):
        kind = entry.resource.get("resourceType")
        path = f"Bundle.entry[{number}].resource"
        try:
            if kind == "Specimen":
                specimens.add(number, entry.fullUrl, Specimen.model_validate(entry.resource), out)
            elif kind == "Observation":
                observations.append((number, Observation.model_validate(entry.resource)))
            elif kind not in IGNORED_TYPES:
                out.error(number, f"{path}.resourceType", E_RESOURCE_TYPE, str(kind))
        except ValidationError as exc:
            _pydantic_errors(out, number, path, exc)
    if not observations and not out.errors:
        out.error(0, "Bundle.entry", E_NO_ENTRIES)
    for number, obs in observations:
        row = _observation(number, obs, specimens, out)
        if row is not None:
            out.rows.append(row)
    return out


# OperationOutcome -------------------------------------------------------------------------


def issue_code(message: str) -> str:
    return ISSUE_CODES.get(message) or reasons.ISSUE_CODES.get(message, "invalid")


def operation_outcome(errors: list[RowError], *, total: int | None = None) -> dict[str, Any]:
    """An OperationOutcome with one error issue per problem (reasons in the reader's language)."""
    issues = [
        {
            "severity": "error",
            "code": issue_code(e.message),
            "diagnostics": e.reason,
            **({"expression": [e.column]} if e.column else {}),
        }
        for e in errors
    ]
    if total is not None and total > len(errors):
        more = gettext("%(count)s more problems are not listed") % {"count": total - len(errors)}
        issues.append({"severity": "error", "code": "too-costly", "diagnostics": more})
    return {"resourceType": "OperationOutcome", "issue": issues}


def outcome_information(text: str, figures: dict[str, int]) -> dict[str, Any]:
    """An OperationOutcome (severity information) summarising what was applied."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "information",
                "code": "informational",
                "diagnostics": text,
                "details": {
                    "coding": [
                        {"system": "urn:fangkong:results", "code": k, "display": str(v)}
                        for k, v in figures.items()
                    ],
                    "text": text,
                },
            }
        ],
    }
