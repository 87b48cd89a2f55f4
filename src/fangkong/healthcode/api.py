"""REST endpoints for health-code status, manual overrides, appeals and public verification."""

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate, query_error
from fangkong.core.dates import PlanMoment
from fangkong.healthcode import appeals, explanation, rules, selectors
from fangkong.healthcode.models import Appeal, AppealStatus, CodeStatus
from fangkong.people.reveals import reveal_reason_missing

router = Router(tags=["status"])

ColourName = Literal["red", "yellow", "green"]
STATUS = Query(None, alias="status", description="open, upheld or rejected; all if absent")


class CodeStatusOut(Schema):
    person_id: int
    colour: ColourName
    colour_label: str
    rule: str = Field(
        description="The profile condition that decided the colour, or manual_override"
    )
    rule_label: str
    since: dt.datetime | None
    until: dt.datetime | None = Field(description="When the colour stops holding; null: not known")
    overridden: bool
    profile: str = Field(description="Code of the policy profile the rules came from")
    explanation: list[str] = Field(description="Why, in plain sentences in the reader's language")
    facts: list[dict[str, Any]] = Field(description="The deciding facts with their dates")


class OverrideIn(Schema):
    colour: ColourName
    reason: str = Field("", description="Required: why the colour is set by hand")
    basis: str = Field("", description="Required: the document or decision it rests on")
    valid_until: PlanMoment | None = None


class CurrentStatus(Schema):
    colour: ColourName
    rule: str
    explanation: list[str]


class AppealOut(Schema):
    id: int
    person_id: int
    person_name: str
    colour_appealed: ColourName
    rule_appealed: str
    statement: str
    contact_phone: str = Field(
        description="Given by the person so reviewers can call back; masked unless revealed"
    )
    revealed: list[str] = Field(description="Fields shown unmasked in this response (logged)")
    status: AppealStatus
    decision: str
    decided_at: dt.datetime | None
    created_at: dt.datetime
    current: CurrentStatus


class DecideIn(Schema):
    decision: Literal["uphold", "reject"]
    reason: str = Field("", description="Required")
    colour: ColourName = Field("green", description="Upheld: the corrected colour")
    basis: str = Field("", description='Upheld: basis of the correction (default "appeal #id")')
    valid_until: PlanMoment | None = Field(
        None, description="Upheld: end of the correction (default: end of the appealed colour)"
    )


class VerifyOut(Schema):
    name: str = Field(description="First character of the name only, e.g. 张*")
    colour: ColourName
    colour_label: str
    checked_at: dt.datetime
    until: dt.datetime | None


def code_status_out(code: CodeStatus, profiles: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "person_id": code.person_id,
        "colour": code.colour,
        "colour_label": explanation.colour_label(code.colour),
        "rule": code.rule,
        "rule_label": str(rules.RULE_LABELS.get(code.rule, code.rule)),
        "since": code.since,
        "until": code.until,
        "overridden": code.overridden,
        "profile": code.profile_code,
        "explanation": explanation.explain(code, audience="staff", profiles=profiles),
        "facts": list(code.facts or []),
    }


def appeal_out(
    appeal: Appeal, profiles: dict[str, Any], revealed: dict[str, str] | None = None
) -> dict[str, Any]:
    code = getattr(appeal.person, "code_status", None) or selectors.green_status(appeal.person)
    shown = revealed or {}
    return {
        "id": appeal.pk,
        "person_id": appeal.person_id,
        "person_name": appeal.person.name,
        "colour_appealed": appeal.colour_appealed,
        "rule_appealed": appeal.rule_appealed,
        "statement": appeal.statement,
        "contact_phone": shown.get("contact_phone", appeal.contact_phone_masked),
        "revealed": sorted(shown),
        "status": appeal.status,
        "decision": appeal.decision,
        "decided_at": appeal.decided_at,
        "created_at": appeal.created_at,
        "current": {
            "colour": code.colour,
            "rule": code.rule,
            "explanation": explanation.explain(code, audience="staff", profiles=profiles),
        },
    }


@router.get(
    "/people/{int:person_id}/code-status",
    response={200: CodeStatusOut, **ERRORS},
    summary="A person's health code and why",
)
def code_status(request: HttpRequest, person_id: Id) -> dict[str, Any]:
    """Colour, deciding rule, since/until, plain-language explanation and the deciding facts."""
    person = selectors.person_for_status(request.user, person_id)
    return code_status_out(selectors.status_current(person))


@router.post(
    "/people/{int:person_id}/code-override",
    response={201: CodeStatusOut, **ERRORS},
    summary="Set a person's colour by hand",
)
def code_override(
    request: HttpRequest, person_id: Id, payload: OverrideIn
) -> Status[dict[str, Any]]:
    """Needs code_status.override; refused (422) without a reason and a basis. Audited."""
    person = selectors.person_for_status(request.user, person_id)
    appeals.code_override_create(
        actor=request.user,
        person=person,
        colour=payload.colour,
        reason=payload.reason,
        basis=payload.basis,
        valid_until=payload.valid_until,
    )
    return Status(201, code_status_out(selectors.status_current(person)))


@router.get("/appeals", response={200: Page[AppealOut], **ERRORS}, summary="Appeals to review")
def appeals_list(
    request: HttpRequest,
    status_filter: AppealStatus | None = STATUS,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Appeals within your jurisdiction (appeals.decide), oldest first, with the current status."""
    wanted = status_filter.value if status_filter else ""
    qs = appeals.appeals_for_user(request.user, status=wanted).order_by("created_at", "id")
    profiles: dict[str, Any] = {}
    return paginate(qs, limit=limit, offset=offset, convert=lambda a: appeal_out(a, profiles))


@router.get("/appeals/{int:appeal_id}", response={200: AppealOut, **ERRORS}, summary="One appeal")
def appeal_detail(
    request: HttpRequest,
    appeal_id: Id,
    reveal: str = Query("", description="contact_phone: the call-back number in full (logged)"),
    reason: str = Query("", description="Required with `reveal`: why (kept in the history)"),
) -> dict[str, Any]:
    """An appeal with the current status; `reveal=contact_phone` needs pii.reveal and a reason."""
    appeal = appeals.appeal_for_user(request.user, appeal_id)
    shown: dict[str, str] = {}
    if reveal:
        require(request.user, Cap.PII_REVEAL)
        if reveal.strip() != "contact_phone":
            raise query_error("reveal", _("Only contact_phone can be revealed"))
        if not reason.strip():
            raise query_error("reason", reveal_reason_missing())
        shown["contact_phone"] = appeals.appeal_phone_reveal(
            actor=request.user, appeal=appeal, reason=reason
        )
    return appeal_out(appeal, {}, shown)


@router.post(
    "/appeals/{int:appeal_id}/decide",
    response={200: AppealOut, **ERRORS},
    summary="Uphold or reject an appeal",
)
def appeal_decide(request: HttpRequest, appeal_id: Id, payload: DecideIn) -> dict[str, Any]:
    """Upholding records a manual setting with the decided colour (basis "appeal #id")."""
    appeal = appeals.appeal_for_user(request.user, appeal_id)
    appeals.appeal_decide(
        actor=request.user,
        appeal=appeal,
        uphold=payload.decision == "uphold",
        reason=payload.reason,
        colour=payload.colour,
        basis=payload.basis,
        valid_until=payload.valid_until,
    )
    return appeal_out(appeals.appeal_for_user(request.user, appeal_id), {})


@router.get(
    "/verify/{token}",
    auth=None,
    response={200: VerifyOut, 404: ERRORS[404]},
    summary="Verify a health code (public)",
)
def code_verify(request: HttpRequest, token: str) -> dict[str, Any]:
    """No login: the name's first character, the colour and how long it holds. Nothing else."""
    code = selectors.status_by_token(token)
    if code is None:
        raise Http404
    return {
        "name": f"{code.person.name[:1]}*",
        "colour": code.colour,
        "colour_label": explanation.colour_label(code.colour),
        "checked_at": timezone.now(),
        "until": code.until,
    }
