"""Contacts registered outside the requester's jurisdiction (协查请求).

A tracer who names someone registered elsewhere — typed, pasted, imported, or a contact-finding
candidate living elsewhere — makes no contact and learns nothing about the person: a request
goes to the person's jurisdiction. Their district (or the city) sees it, and confirms it (the
contact is made then, so the health code changes only then) or rejects it, always with a
reason. The requester follows the request's outcome, never the person.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core.access import NO_SCOPE, Cap, can, in_scope, key_filter, require, scope_key
from fangkong.core.errors import BulkErrors, field_error
from fangkong.epi.contacts.services import (
    ContactRow,
    contact_requests_write,
    contacts_add_bulk,
)
from fangkong.epi.models import (
    Candidate,
    CandidateDecision,
    Contact,
    ContactRequest,
    ExposureRelation,
    FindingJob,
    JobStatus,
    RequestStatus,
)
from fangkong.places.models import KEY_LENGTH, Level

RELATED = ("case", "person__division", "venue", "requested_by", "decided_by")


# Who decides -------------------------------------------------------------------------------


def decides_requests(user: Any) -> bool:
    """The city, or a district (or a user whose jurisdiction holds a district), with
    `contacts.edit`: those confirm contacts of the people registered in their jurisdiction."""
    key = scope_key(user)
    return (
        key != NO_SCOPE and len(key) <= KEY_LENGTH[Level.DISTRICT] and can(user, Cap.CONTACTS_EDIT)
    )


# Reads -------------------------------------------------------------------------------------


def requests_to_decide(user: Any, *, status: str = "") -> QuerySet[ContactRequest]:
    """Requests for people registered in the user's jurisdiction (empty below district)."""
    require(user, Cap.CONTACTS_VIEW)
    if not decides_requests(user):
        return ContactRequest.objects.none()
    qs = ContactRequest.objects.filter(key_filter(scope_key(user)))
    return qs.filter(status=status) if status else qs


def requests_sent(user: Any, *, status: str = "") -> QuerySet[ContactRequest]:
    """Requests made for cases of the user's jurisdiction (whoever sent them)."""
    require(user, Cap.CONTACTS_VIEW)
    qs = ContactRequest.objects.filter(key_filter(scope_key(user), "case_key"))
    return qs.filter(status=status) if status else qs


def request_for_user(user: Any, pk: int) -> tuple[ContactRequest, bool]:
    """The request and whether the user may see the person (they decide on it); else 404."""
    found = requests_to_decide(user).select_related(*RELATED).filter(pk=pk).first()
    if found is not None:
        return found, True
    found = requests_sent(user).select_related(*RELATED).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found, False


# Deciding ----------------------------------------------------------------------------------


def _need_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise field_error("reason", _("Give a reason for this decision"))
    return reason.strip()


@transaction.atomic
def contact_request_decide(
    *, actor: Any, request: ContactRequest, confirm: bool, reason: str
) -> ContactRequest:
    """Confirm (the contact is made, the health code follows) or reject, with a reason."""
    require(actor, Cap.CONTACTS_EDIT)
    if not (decides_requests(actor) and in_scope(actor, request.division_key)):
        raise PermissionDenied(Cap.CONTACTS_EDIT)
    reason = _need_reason(reason)
    request = (
        ContactRequest.objects.select_for_update(of=("self",))
        .select_related("case__person", "person", "venue")
        .get(pk=request.pk)
    )
    if request.status != RequestStatus.PENDING:
        raise field_error("decision", _("This request was already decided"))
    contact = _contact_for(actor, request, reason) if confirm else None
    old = request.get_status_display()
    request.status = RequestStatus.CONFIRMED if confirm else RequestStatus.REJECTED
    request.decided_by, request.decided_at = actor, timezone.now()
    request.decision_reason, request.contact = reason, contact
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "contact"])
    if request.candidate_id:
        decided = CandidateDecision.CONFIRMED if confirm else CandidateDecision.DISMISSED
        Candidate.objects.filter(pk=request.candidate_id).update(decision=decided)
    event_record(
        actor=actor,
        action="contact_request.confirmed" if confirm else "contact_request.rejected",
        obj=request,
        person_id=request.person_id,
        field="status",
        from_value=old,
        to_value=request.get_status_display(),
        reason=reason,
        data={"case": request.case.number, "contact": contact.pk if contact else None},
    )
    return request


def _contact_for(actor: Any, request: ContactRequest, reason: str) -> Contact:
    row = ContactRow(
        id_number=request.person.id_number,
        relation=request.relation,
        degree=request.degree,
        venue_code=request.venue.code if request.venue else "",
        exposure_start=request.exposure_start,
        exposure_end=request.exposure_end,
        last_exposure_on=request.last_exposure_on,
        via_id_number=request.via_id_number,
        overlap_minutes=request.overlap_minutes,
        note=request.note,
        identified_at=request.identified_at,  # when the requester identified them
    )
    try:
        batch = contacts_add_bulk(
            actor=actor, case=request.case, rows=[row], reason=reason, confirming=True
        )
    except BulkErrors as exc:
        fields = exc.rows.get(0, {})
        if "via" in fields:
            raise field_error(
                "decision",
                _(
                    "The close contact this person was exposed to is not a contact of the case "
                    "yet; confirm that request first"
                ),
            ) from None
        raise field_error(
            "decision", " ".join(m for messages in fields.values() for m in messages)
        ) from None
    return batch[0] if batch else batch.duplicates[0].contact


# Candidates of contact finding living elsewhere --------------------------------------------


def candidates_refer(*, actor: Any, job: FindingJob, reason: str = "") -> int:
    """Send the job's pending candidates who live outside the actor's jurisdiction to their
    own jurisdiction (one request per person and case, never twice). Returns how many."""
    require(actor, Cap.CONTACT_FINDING)
    require(actor, Cap.CONTACTS_EDIT)
    if not in_scope(actor, job.division_key):
        raise Http404
    if job.status != JobStatus.DONE:
        raise field_error("job", _("This job has not finished yet"))
    elsewhere = (
        Candidate.objects.filter(job=job, decision=CandidateDecision.PENDING)
        .exclude(key_filter(scope_key(actor)))
        .select_related("case", "person", "venue", "via_person")
        .order_by("case_id", "person_id", "degree", "-overlap_minutes", "id")
    )
    chosen = _not_requested_yet(_best_per_case_and_person(elsewhere))
    rows = [_candidate_request(c) for c in chosen]
    return len(contact_requests_write(actor=actor, rows=rows, reason=reason))


def _best_per_case_and_person(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Close before secondary (the ordering), then the longest overlap: one per person."""
    best: dict[tuple[int, int], Candidate] = {}
    for c in candidates:
        best.setdefault((c.case_id, c.person_id), c)
    return list(best.values())


def _not_requested_yet(candidates: list[Candidate]) -> list[Candidate]:
    if not candidates:
        return []
    held = set(
        ContactRequest.objects.filter(
            case_id__in={c.case_id for c in candidates},
            person_id__in={c.person_id for c in candidates},
            status__in=[RequestStatus.PENDING, RequestStatus.CONFIRMED],
        ).values_list("case_id", "person_id")
    )
    return [c for c in candidates if (c.case_id, c.person_id) not in held]


def _candidate_request(c: Candidate) -> dict[str, Any]:
    return {
        "case": c.case,
        "person": c.person,
        "id_number_given": "",  # the requester never saw it
        "name_given": "",
        "phone_given": "",
        "degree": c.degree,
        "via_id_number": c.via_person.id_number if c.via_person else "",
        "relation": ExposureRelation.VENUE,
        "venue": c.venue,
        "exposure_start": c.overlap_start,
        "exposure_end": c.overlap_end,
        "last_exposure_on": timezone.localdate(c.overlap_end),
        "overlap_minutes": c.overlap_minutes,
        "note": "",
        "candidate": c,
    }


def open_requests_count(user: Any) -> int:
    """Pending requests awaiting the user's decision (for the page heading)."""
    return requests_to_decide(user, status=RequestStatus.PENDING).count()
