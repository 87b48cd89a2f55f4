"""The policy API: versions, drafts, validation, comparison, activation from a date, files.

Reading needs `policy.view` (drafts `policy.manage`); writing is for a city-wide command centre
(`services.may_activate`), as on the pages. Problems with rules are answered 422 with one entry
per problem, `loc` the path into the body (`["body", "rules", "categories", …]`).
"""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import WithJsonSchema

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, ReasonIn, ValidationErrorOut
from fangkong.core.dates import Day, PlanDay
from fangkong.policy import accessor, documents, selectors, services
from fangkong.policy.compare import comparison, differences
from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.policy.schema import Rules, json_schema
from fangkong.policy.validation import Problem, rules_problems

router = Router(tags=["policy"])

# The rules as the schema says (titles and descriptions included), validated by the handlers so
# that every problem is answered at its path in the reader's language.
RulesDocument = Annotated[dict[str, Any], WithJsonSchema(json_schema())]


class PolicyOut(Schema):
    code: str
    version: int
    name: str
    name_zh: str
    name_en: str
    issued_by: str
    published_on: dt.date
    source: str
    activated_at: dt.datetime | None
    rules: dict[str, Any] = Field(description="The profile's rules (fangkong.policy.schema.Rules)")


class ProfileSummaryOut(Schema):
    id: int
    code: str
    version: int
    name: str
    name_zh: str
    name_en: str
    issued_by: str
    published_on: dt.date
    source: str
    status: str = Field(description="draft, in_force, scheduled, retired or available")
    is_draft: bool
    scheduled_from: dt.datetime | None = Field(description="When it comes into force, if it will")
    based_on: int | None = Field(description="The version it was copied from")
    activated_at: dt.datetime | None = Field(description="When it last came into force")
    created_at: dt.datetime


class ProfileOut(ProfileSummaryOut):
    rules: RulesDocument


class DraftIn(Schema):
    """A draft's new content: every field given replaces what the draft had."""

    name_zh: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200)
    issued_by: str | None = Field(None, min_length=1, max_length=200)
    published_on: Day | None = None
    source: str | None = Field(None, min_length=1, max_length=300)
    rules: RulesDocument | None = None


class RulesIn(Schema):
    rules: RulesDocument


class ProblemOut(Schema):
    loc: list[str | int]
    msg: str


class RulesCheckOut(Schema):
    valid: bool
    problems: list[ProblemOut]


class ActivateIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)
    effective_on: PlanDay | None = Field(
        None, description="The first day in force (from its first minute); empty or today: now"
    )


class ActivationOut(Schema):
    id: int
    profile: int
    code: str
    version: int
    effective_from: dt.datetime
    status: str = Field(
        description="scheduled, due (in force, not yet switched), applied, withdrawn"
    )
    reason: str
    decided_at: dt.datetime
    decided_by: str
    applied_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdraw_reason: str


class SummaryRowOut(Schema):
    label: str
    a: str
    b: str
    differs: bool


class FieldRowOut(Schema):
    path: str = Field(description="Where in the rules: categories.close_contact.phases.0.days")
    label: str = Field(description="The same in the reader's language")
    a: str
    b: str


class CompareOut(Schema):
    a: ProfileSummaryOut
    b: ProfileSummaryOut
    summary: list[SummaryRowOut]
    differences: list[FieldRowOut]


class DocumentOut(Schema):
    """A version as a file: the shape of src/fangkong/policy/profiles/*.json."""

    code: str
    version: int
    name_zh: str
    name_en: str
    issued_by: str
    published_on: str
    source: str
    rules: RulesDocument


def _manager(request: HttpRequest) -> None:
    if not services.may_activate(request.user):
        raise PermissionDenied


def _invalid(problems: list[Problem], prefix: tuple[str, ...] = ()) -> JsonResponse:
    """422 with one entry per problem at its path (answered as is: the documented shape)."""
    detail = [{"loc": ["body", *prefix, *p.loc], "msg": p.message} for p in problems]
    return JsonResponse({"detail": detail}, status=422)


def _summary(version: selectors.Version) -> dict[str, Any]:
    p = version.profile
    return {
        "id": p.pk,
        "code": p.code,
        "version": p.version,
        "name": p.name,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "issued_by": p.issued_by,
        "published_on": p.published_on,
        "source": p.source,
        "status": version.status,
        "is_draft": p.is_draft,
        "scheduled_from": version.scheduled_from,
        "based_on": p.based_on_id,
        "activated_at": p.activated_at,
        "created_at": p.created_at,
    }


def _version(request: HttpRequest, profile: PolicyProfile) -> selectors.Version:
    found = selectors.versions(request.user, selectors.timeline())
    return next(v for v in found if v.profile.pk == profile.pk)


def _detail(request: HttpRequest, profile: PolicyProfile) -> dict[str, Any]:
    return {**_summary(_version(request, profile)), "rules": profile.rules}


def _activation_out(step: selectors.Step) -> dict[str, Any]:
    a = step.activation
    return {
        "id": a.pk,
        "profile": a.profile_id,
        "code": a.profile.code,
        "version": a.profile.version,
        "effective_from": a.effective_from,
        "status": step.status,
        "reason": a.reason,
        "decided_at": a.decided_at,
        "decided_by": str(a.decided_by) if a.decided_by else "",
        "applied_at": a.applied_at,
        "withdrawn_at": a.withdrawn_at,
        "withdraw_reason": a.withdraw_reason,
    }


@router.get("/active", response={200: PolicyOut, **ERRORS}, summary="Active policy")
def policy_active(request: HttpRequest) -> Any:
    """The policy profile in force: its days, tests and thresholds."""
    require(request.user, Cap.POLICY_VIEW)
    try:
        return accessor.current().profile
    except accessor.NoActivePolicy:
        raise Http404 from None


@router.get("/schema", response={200: dict[str, Any], **ERRORS}, summary="Rules schema")
def policy_schema(request: HttpRequest) -> Any:
    """The JSON schema of a version's `rules`: every field, its type, limits, title and help."""
    require(request.user, Cap.POLICY_VIEW)
    return json_schema()


@router.get(
    "/profiles", response={200: list[ProfileSummaryOut], **ERRORS}, summary="Policy versions"
)
def policy_profiles(request: HttpRequest) -> Any:
    """Every version (drafts for those who write profiles), with where each stands."""
    require(request.user, Cap.POLICY_VIEW)
    return [_summary(v) for v in selectors.versions(request.user, selectors.timeline())]


@router.get(
    "/profiles/{int:profile_id}", response={200: ProfileOut, **ERRORS}, summary="A policy version"
)
def policy_profile(request: HttpRequest, profile_id: Id) -> Any:
    require(request.user, Cap.POLICY_VIEW)
    return _detail(request, selectors.profile_for_user(request.user, profile_id))


@router.post(
    "/profiles/{int:profile_id}/copy",
    response={201: ProfileOut, **ERRORS},
    summary="Copy a version to a new draft",
)
def policy_profile_copy(request: HttpRequest, profile_id: Id) -> Any:
    """A new draft: the next version of the same code, with the same names and rules."""
    _manager(request)
    source = selectors.profile_for_user(request.user, profile_id)
    draft = services.profile_copy(profile=source, actor=request.user)
    return Status(201, _detail(request, draft))


@router.put(
    "/profiles/{int:profile_id}",
    response={200: ProfileOut, **ERRORS},
    summary="Change a draft",
)
def policy_profile_update(request: HttpRequest, profile_id: Id, payload: DraftIn) -> Any:
    """Replace a draft's rules and/or names. The rules are validated whole: 422 lists every
    problem at its path. A version once activated is fixed (422)."""
    _manager(request)
    profile = selectors.profile_for_user(request.user, profile_id)
    fields = payload.model_dump(exclude={"rules"}, exclude_none=True)
    try:
        profile = services.profile_update(
            profile=profile, actor=request.user, rules=payload.rules, **fields
        )
    except services.RulesInvalid as exc:
        return _invalid(exc.problems)
    return _detail(request, profile)


@router.delete(
    "/profiles/{int:profile_id}", response={204: None, **ERRORS}, summary="Discard a draft"
)
def policy_profile_discard(request: HttpRequest, profile_id: Id) -> Any:
    _manager(request)
    services.profile_discard(
        profile=selectors.profile_for_user(request.user, profile_id), actor=request.user
    )
    return Status(204, None)


@router.post("/validate", response={200: RulesCheckOut, **ERRORS}, summary="Check rules")
def policy_validate(request: HttpRequest, payload: RulesIn) -> Any:
    """Check a rules document without saving anything: every problem at its path."""
    require(request.user, Cap.POLICY_MANAGE)
    _rules, problems = rules_problems(payload.rules)
    return {
        "valid": not problems,
        "problems": [{"loc": ["rules", *p.loc], "msg": p.message} for p in problems],
    }


@router.get("/compare", response={200: CompareOut, **ERRORS}, summary="Compare two versions")
def policy_compare(request: HttpRequest, a: Id, b: Id) -> Any:
    """Versions `a` and `b` side by side: the rules in plain words (`summary`), then every
    field that differs, labelled in the reader's language (`differences`)."""
    require(request.user, Cap.POLICY_VIEW)
    left = selectors.profile_for_user(request.user, a)
    right = selectors.profile_for_user(request.user, b)
    summary = comparison([Rules.model_validate(left.rules), Rules.model_validate(right.rules)])
    return {
        "a": _summary(_version(request, left)),
        "b": _summary(_version(request, right)),
        "summary": [
            {"label": r.label, "a": r.cells[0], "b": r.cells[1], "differs": r.differs}
            for r in summary
        ],
        "differences": [
            {"path": d.path, "label": d.label, "a": d.a, "b": d.b}
            for d in differences(left.rules, right.rules)
            if d.differs
        ],
    }


@router.post(
    "/profiles/{int:profile_id}/activate",
    response={200: ActivationOut, 204: None, **ERRORS},
    summary="Activate a version from a date",
)
def policy_profile_activate(request: HttpRequest, profile_id: Id, payload: ActivateIn) -> Any:
    """Put a version in force from `effective_on` (empty or today: now; a later day: from its
    first minute). The version is fixed from here on. 204: it is in force already."""
    _manager(request)
    profile = selectors.profile_for_user(request.user, profile_id)
    done = services.profile_activate(
        profile=profile,
        actor=request.user,
        reason=payload.reason,
        effective_on=payload.effective_on,
    )
    if done is None:
        return Status(204, None)
    done.refresh_from_db()
    return _activation_out(selectors.Step(done, selectors.activation_status(done, timezone.now())))


@router.get(
    "/activations", response={200: list[ActivationOut], **ERRORS}, summary="Policy activations"
)
def policy_activations(request: HttpRequest) -> Any:
    """Every activation, latest first: what came or comes into force when, and why."""
    require(request.user, Cap.POLICY_VIEW)
    return [_activation_out(s) for s in selectors.timeline()]  # drafts have none


@router.post(
    "/activations/{int:activation_id}/withdraw",
    response={200: ActivationOut, **ERRORS},
    summary="Withdraw an activation to come",
)
def policy_activation_withdraw(request: HttpRequest, activation_id: Id, payload: ReasonIn) -> Any:
    _manager(request)
    activation: PolicyActivation = selectors.activation_for_user(request.user, activation_id)
    services.activation_withdraw(activation=activation, actor=request.user, reason=payload.reason)
    step = next(s for s in selectors.timeline() if s.activation.pk == activation.pk)
    return _activation_out(step)


@router.get(
    "/profiles/{int:profile_id}/document.json",
    response={200: DocumentOut, **ERRORS},
    summary="Download a version (JSON)",
)
def policy_document_json(request: HttpRequest, profile_id: Id) -> Any:
    require(request.user, Cap.POLICY_VIEW)
    return documents.document_of(selectors.profile_for_user(request.user, profile_id))


@router.get(
    "/profiles/{int:profile_id}/document.yaml",
    response={200: None, **ERRORS},
    summary="Download a version (YAML)",
    openapi_extra={
        "responses": {
            200: {"description": "The version as YAML", "content": {documents.YAML_TYPE: {}}}
        }
    },
)
def policy_document_yaml(request: HttpRequest, profile_id: Id) -> HttpResponse:
    require(request.user, Cap.POLICY_VIEW)
    profile = selectors.profile_for_user(request.user, profile_id)
    response = HttpResponse(
        documents.as_yaml(profile), content_type=f"{documents.YAML_TYPE}; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{documents.filename_of(profile, "yaml")}"'
    )
    return response


@router.post(
    "/profiles/upload",
    response={201: ProfileOut, **ERRORS, 422: ValidationErrorOut},
    summary="Upload a version as a new draft",
)
def policy_profile_upload(request: HttpRequest, file: UploadedFile = File(...)) -> Any:  # noqa: B008
    """A YAML or JSON file shaped as downloaded (multipart field `file`) becomes the next
    version of its code, a draft. 422 lists every problem by its path in the file."""
    _manager(request)
    try:
        draft = services.profile_upload(
            actor=request.user,
            content=file.read(documents.MAX_BYTES + 1),
            filename=file.name or "",
        )
    except services.RulesInvalid as exc:
        return _invalid(exc.problems, ("file",))
    return Status(201, _detail(request, draft))
