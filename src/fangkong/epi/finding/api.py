"""REST endpoints for contact-finding jobs (mounted under /api/)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, found, paginate
from fangkong.epi.cases.selectors import case_for_user
from fangkong.epi.contacts import requests as contact_requests
from fangkong.epi.finding import services as finding
from fangkong.epi.models import (
    Candidate,
    CandidateDecision,
    Case,
    Degree,
    FindingJob,
    JobStatus,
)

router = Router(tags=["finding"])


# Shapes -------------------------------------------------------------------------------


class CaseRef(Schema):
    id: int
    number: str


class JobIn(Schema):
    cases: list[Id] = Field(min_length=1, description="Ids of the cases to find contacts of")
    padding_minutes: int = Field(
        0, ge=0, le=finding.MAX_PADDING_MINUTES, description="Widen each stay on both sides"
    )
    include_secondary: bool = Field(
        False, description="Also find secondary contacts (only if the active profile has them)"
    )


class JobOut(Schema):
    id: int
    status: JobStatus
    progress: int = Field(description="Percent done")
    error: str
    cases: list[CaseRef]
    padding_minutes: int
    include_secondary: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None


class PersonRef(Schema):
    id: int
    name: str
    id_number: str = Field(description="Masked")


class VenueRef(Schema):
    id: int
    code: str
    name: str


class CandidateOut(Schema):
    id: int
    case: CaseRef
    person: PersonRef
    degree: Degree
    via_person_id: int | None = Field(description="Secondary: the close contact they met")
    venue: VenueRef
    overlap_start: dt.datetime
    overlap_end: dt.datetime
    overlap_minutes: int
    decision: CandidateDecision
    already_case: CaseRef | None = Field(
        description="The person is already a case (their latest): flagged, not left out"
    )


class ConfirmIn(Schema):
    candidates: list[Id] = Field(default_factory=list, description="Candidate ids")
    all_close: bool = Field(False, description="Confirm every pending close-contact candidate")
    reason: str = ""


class DismissIn(Schema):
    candidates: list[Id] = Field(min_length=1)
    reason: str = ""


class ReferIn(Schema):
    reason: str = Field("", description="Kept with each request")


class ReferOut(Schema):
    referred: int = Field(description="Requests sent (people already requested are not sent again)")


class DecisionOut(Schema):
    decided: int = Field(description="Candidates whose decision was recorded")
    contacts_added: int
    already_known: int = Field(description="Confirmed candidates who already were contacts")
    waiting: list[int] = Field(
        description="Secondary candidates left pending: confirm their close contact first"
    )


def job_out(job: FindingJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "progress": job.progress,
        "error": job.error,
        "cases": [{"id": c.pk, "number": c.number} for c in job.cases.order_by("id")],
        "padding_minutes": job.padding_minutes,
        "include_secondary": job.include_secondary,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def candidate_out(c: Candidate) -> dict[str, Any]:
    return {
        "id": c.pk,
        "case": {"id": c.case_id, "number": c.case.number},
        "person": {
            "id": c.person_id,
            "name": c.person.name,
            "id_number": c.person.id_number_masked,
        },
        "degree": c.degree,
        "via_person_id": c.via_person_id,
        "venue": {"id": c.venue_id, "code": c.venue.code, "name": c.venue.name},
        "overlap_start": c.overlap_start,
        "overlap_end": c.overlap_end,
        "overlap_minutes": c.overlap_minutes,
        "decision": c.decision,
        "already_case": _known_case(c),
    }


def _known_case(c: Candidate) -> dict[str, Any] | None:
    number = getattr(c, "known_case_number", None)
    return {"id": c.known_case_id, "number": number} if number else None  # type: ignore[attr-defined]


def _decision_out(d: finding.Decision) -> dict[str, Any]:
    return {
        "decided": d.decided,
        "contacts_added": d.contacts_added,
        "already_known": d.already_known,
        "waiting": d.waiting,
    }


# Jobs ---------------------------------------------------------------------------------


def _case(user: Any, pk: int) -> Case:
    return found("cases", lambda: case_for_user(user, pk))


@router.post("/finding-jobs", response={201: JobOut, **ERRORS}, summary="Start contact finding")
def finding_job_new(request: HttpRequest, payload: JobIn) -> Status[dict[str, Any]]:
    """Queue a job that finds candidate contacts of the cases from the venue check-in log.

    Poll `GET /api/finding-jobs/{id}` for its progress; `include_secondary` is refused (422)
    when the active policy profile does not identify secondary contacts.
    """
    finding.finding_jobs_for_user(request.user)  # 403 before looking anything up
    cases = [_case(request.user, pk) for pk in payload.cases]
    job = finding.finding_job_create(
        actor=request.user,
        cases=cases,
        padding_minutes=payload.padding_minutes,
        include_secondary=payload.include_secondary,
    )
    job.refresh_from_db()
    return Status(201, job_out(job))


@router.get("/finding-jobs", response={200: Page[JobOut], **ERRORS}, summary="Finding jobs")
def finding_job_list(request: HttpRequest, limit: int = Limit, offset: int = Offset) -> Any:
    """Contact-finding jobs within your jurisdiction, newest first."""
    qs = finding.finding_jobs_for_user(request.user)
    return paginate(qs, limit=limit, offset=offset, convert=job_out)


@router.get("/finding-jobs/{int:job_id}", response={200: JobOut, **ERRORS}, summary="A job")
def finding_job_detail(request: HttpRequest, job_id: Id) -> dict[str, Any]:
    """Status (queued → running → done/failed), progress in percent, and the error if any."""
    return job_out(finding.finding_job_for_user(request.user, job_id))


@router.get(
    "/finding-jobs/{int:job_id}/candidates",
    response={200: Page[CandidateOut], **ERRORS},
    summary="Candidates of a job",
)
def finding_job_candidates(
    request: HttpRequest,
    job_id: Id,
    decision: CandidateDecision | None = None,
    degree: Degree | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Candidates living within your jurisdiction with their evidence, longest overlap first."""
    job = finding.finding_job_for_user(request.user, job_id)
    qs = finding.candidates_of_job(
        request.user,
        job,
        decision=decision.value if decision else "",
        degree=degree.value if degree else "",
    ).select_related("case", "person", "venue")
    return paginate(qs, limit=limit, offset=offset, convert=candidate_out)


@router.post(
    "/finding-jobs/{int:job_id}/confirm",
    response={200: DecisionOut, **ERRORS},
    summary="Confirm candidates",
)
def finding_job_confirm(request: HttpRequest, job_id: Id, payload: ConfirmIn) -> dict[str, Any]:
    """Make candidates contacts (audited); confirming a known contact again adds nothing."""
    job = finding.finding_job_for_user(request.user, job_id)
    done = finding.candidates_confirm(
        actor=request.user,
        job=job,
        candidate_ids=payload.candidates,
        all_close=payload.all_close,
        reason=payload.reason,
    )
    return _decision_out(done)


@router.post(
    "/finding-jobs/{int:job_id}/dismiss",
    response={200: DecisionOut, **ERRORS},
    summary="Dismiss candidates",
)
def finding_job_dismiss(request: HttpRequest, job_id: Id, payload: DismissIn) -> dict[str, Any]:
    """Set pending candidates aside (audited)."""
    job = finding.finding_job_for_user(request.user, job_id)
    done = finding.candidates_dismiss(
        actor=request.user, job=job, candidate_ids=payload.candidates, reason=payload.reason
    )
    return _decision_out(done)


@router.post(
    "/finding-jobs/{int:job_id}/refer",
    response={200: ReferOut, **ERRORS},
    summary="Send candidates living elsewhere to their jurisdiction",
)
def finding_job_refer(request: HttpRequest, job_id: Id, payload: ReferIn) -> dict[str, int]:
    """Pending candidates registered outside your jurisdiction become contact requests that
    their district or the city confirms (see /api/contact-requests); nothing about them is
    answered."""
    job = finding.finding_job_for_user(request.user, job_id)
    referred = contact_requests.candidates_refer(actor=request.user, job=job, reason=payload.reason)
    return {"referred": referred}
