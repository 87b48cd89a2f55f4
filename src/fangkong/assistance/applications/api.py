"""REST endpoints of social assistance (/api/assistance/…), scoped like the pages: staff see
the applications of people of their jurisdiction; the resident (/api/my-assistance, after ID
number and phone) only their own."""

import time
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile
from ninja.utils import check_csrf

from fangkong.assistance.applications import selectors, services
from fangkong.assistance.applications.schemas import (
    AssistanceApplicationIn,
    AssistanceApplicationOut,
    AssistanceClaimIn,
    AssistanceDecisionIn,
    AssistanceIdentifyIn,
    AssistanceOverdueOut,
    AssistancePaymentIn,
    AssistancePaymentOut,
    AssistanceReviewIn,
    AssistanceWithdrawIn,
)
from fangkong.assistance.applications.views import SESSION_KEY, SESSION_SECONDS
from fangkong.assistance.models import Application, ApplicationStatus, DocumentKind, Payment
from fangkong.audit.labels import SELF_SERVICE
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.errors import field_error
from fangkong.healthcode.appeals import person_by_identity
from fangkong.healthcode.views import my_code_throttled
from fangkong.people.models import Resident

router = Router(tags=["social assistance"])


def application_out(item: Application) -> dict[str, Any]:
    documents = list(item.documents.all())
    have = {d.kind for d in documents}
    return {
        "id": item.pk,
        "number": item.number,
        "programme": item.programme,
        "coverage": item.coverage,
        "procedure": item.procedure,
        "channel": item.channel,
        "status": item.status,
        "applicant_id": item.applicant_id,
        "members": [
            {
                "person_id": m.person_id,
                "name": m.person.name,
                "relation": m.relation,
                "covered": m.covered,
            }
            for m in item.members.all()
        ],
        "monthly_income": item.monthly_income,
        "assets": item.assets,
        "income_per_person": item.income_per_person,
        "seriously_ill_or_disabled": item.seriously_ill_or_disabled,
        "months_without_income": item.months_without_income,
        "unemployment_insurance": item.unemployment_insurance,
        "eligible": item.eligible,
        "findings": selectors.findings_in_words(item.findings),
        "monthly_amount": item.monthly_amount,
        "one_off_amount": item.one_off_amount,
        "documents_required": item.documents_required,
        "documents_missing": [k for k in item.documents_required if k not in have],
        "documents": [
            {
                "id": d.pk,
                "kind": d.kind,
                "kind_label": str(DocumentKind(d.kind).label),
                "content_type": d.content_type,
                "size": d.size,
                "uploaded_at": d.uploaded_at,
            }
            for d in documents
        ],
        "due_at": item.due_at,
        "overdue": item.status in selectors.OPEN and item.due_at < timezone.now(),
        "profile_code": item.profile_code,
        "profile_version": item.profile_version,
        "review_note": item.review_note,
        "reviewed_at": item.reviewed_at,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "decision_basis": item.decision_basis,
        "applied_at": item.applied_at,
        "created_at": item.created_at,
    }


def _one(request: HttpRequest, pk: int) -> Application:
    found = selectors.with_details(selectors.applications_for_user(request.user)).filter(pk=pk)
    item = found.first()
    if item is None:
        raise Http404
    return item


def payment_out(item: Payment) -> dict[str, Any]:
    return {
        "id": item.pk,
        "amount": item.amount,
        "paid_on": item.paid_on,
        "period": item.period,
        "reference": item.reference,
        "recorded_at": item.recorded_at,
    }


@router.get(
    "/assistance/applications",
    response={200: Page[AssistanceApplicationOut], **ERRORS},
    summary="Assistance applications",
)
def assistance_application_list(
    request: HttpRequest,
    status: str = "",
    overdue: bool = False,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Applications of people of your jurisdiction, newest first; `status` filters,
    `overdue=true` keeps those undecided past their deadline (oldest deadline first)."""
    qs = selectors.with_details(selectors.applications_for_user(request.user))
    if overdue:
        qs = selectors.overdue(qs).order_by("due_at", "pk")
    if status in ApplicationStatus.values:
        qs = qs.filter(status=status)
    return paginate(qs, limit=limit, offset=offset, convert=application_out)


@router.get(
    "/assistance/overdue",
    response={200: AssistanceOverdueOut, **ERRORS},
    summary="How many applications are past their deadline",
)
def assistance_overdue(request: HttpRequest) -> dict[str, Any]:
    return {"overdue": selectors.overdue_count(request.user)}


@router.post(
    "/assistance/applications",
    response={201: AssistanceApplicationOut, **ERRORS},
    summary="File an application for a resident",
)
def assistance_application_new(
    request: HttpRequest, payload: AssistanceApplicationIn
) -> Status[dict[str, Any]]:
    """For a person of your jurisdiction (else 422 on `id_number`, nothing written): the
    household from the registry, judged by the rules in force."""
    person = services.person_in_scope(request.user, payload.id_number)
    filed = services.application_file(
        actor=request.user,
        person=person,
        applied_at=payload.applied_at,
        **payload.dict(exclude={"id_number", "applied_at"}),
    )
    return Status(201, application_out(_one(request, filed.pk)))


@router.get(
    "/assistance/applications/{int:application_id}",
    response={200: AssistanceApplicationOut, **ERRORS},
    summary="An assistance application",
)
def assistance_application_get(request: HttpRequest, application_id: Id) -> dict[str, Any]:
    return application_out(_one(request, application_id))


@router.post(
    "/assistance/applications/{int:application_id}/documents",
    response={201: AssistanceApplicationOut, **ERRORS},
    summary="Upload a document",
)
def assistance_document_add(
    request: HttpRequest,
    application_id: Id,
    kind: Form[DocumentKind],
    file: UploadedFile = File(...),  # noqa: B008
) -> Status[dict[str, Any]]:
    """A PDF, JPEG or PNG of an undecided application (multipart: `kind`, `file`)."""
    item = selectors.application_for_user(request.user, application_id)
    services.document_add(actor=request.user, application=item, kind=kind, upload=file)
    return Status(201, application_out(_one(request, item.pk)))


@router.post(
    "/assistance/applications/{int:application_id}/review",
    response={200: AssistanceApplicationOut, **ERRORS},
    summary="Record the street's review",
)
def assistance_application_review(
    request: HttpRequest, application_id: Id, payload: AssistanceReviewIn
) -> dict[str, Any]:
    item = selectors.application_for_user(request.user, application_id)
    services.application_review(
        actor=request.user, application=item, note=payload.note, reviewed_at=payload.reviewed_at
    )
    return application_out(_one(request, item.pk))


@router.post(
    "/assistance/applications/{int:application_id}/decision",
    response={200: AssistanceApplicationOut, **ERRORS},
    summary="Approve or refuse",
)
def assistance_application_decide(
    request: HttpRequest, application_id: Id, payload: AssistanceDecisionIn
) -> dict[str, Any]:
    """With the reason and the basis. A standard application is reviewed first; under the
    emergency procedure it may be decided at once."""
    item = selectors.application_for_user(request.user, application_id)
    services.application_decide(
        actor=request.user,
        application=item,
        approve=payload.decision == "approve",
        reason=payload.reason,
        basis=payload.basis,
        decided_at=payload.decided_at,
    )
    return application_out(_one(request, item.pk))


@router.post(
    "/assistance/applications/{int:application_id}/withdraw",
    response={200: AssistanceApplicationOut, **ERRORS},
    summary="Withdraw an undecided application",
)
def assistance_application_withdraw(
    request: HttpRequest, application_id: Id, payload: AssistanceWithdrawIn
) -> dict[str, Any]:
    item = selectors.application_for_user(request.user, application_id)
    services.application_withdraw(actor=request.user, application=item, reason=payload.reason)
    return application_out(_one(request, item.pk))


@router.get(
    "/assistance/applications/{int:application_id}/payments",
    response={200: list[AssistancePaymentOut], **ERRORS},
    summary="Payments of an application",
)
def assistance_payment_list(request: HttpRequest, application_id: Id) -> list[dict[str, Any]]:
    item = selectors.application_for_user(request.user, application_id)
    return [payment_out(p) for p in item.payments.all()]


@router.post(
    "/assistance/applications/{int:application_id}/payments",
    response={201: AssistancePaymentOut, **ERRORS},
    summary="Record a payment",
)
def assistance_payment_new(
    request: HttpRequest, application_id: Id, payload: AssistancePaymentIn
) -> Status[dict[str, Any]]:
    item = selectors.application_for_user(request.user, application_id)
    paid = services.payment_record(actor=request.user, application=item, **payload.dict())
    return Status(201, payment_out(paid))


# The resident's own (no account: the session of /my-assistance/) --------------------------


def _resident(request: HttpRequest) -> Resident:
    entry = request.session.get(SESSION_KEY)
    if not entry or time.time() - entry.get("at", 0) > SESSION_SECONDS:
        raise PermissionDenied
    person = Resident.objects.filter(pk=entry.get("person")).first()
    if person is None:
        raise PermissionDenied
    return person


def _same_site(request: HttpRequest) -> None:
    """A session-held write checks the CSRF token, as the pages do."""
    if check_csrf(request) is not None:
        raise PermissionDenied


@router.post(
    "/my-assistance/identify",
    auth=None,
    response={204: None, **ERRORS},
    summary="A resident identifies themselves (ID number and phone)",
)
def my_assistance_identify(request: HttpRequest, payload: AssistanceIdentifyIn) -> Status[None]:
    """Both must match a person of the registry (throttled per network, as /my-code/); the
    session then reaches that person's own applications for half an hour."""
    _same_site(request)
    if my_code_throttled(request):
        raise field_error(
            "id_number", _("Too many attempts from this network; try again in an hour.")
        )
    found = person_by_identity(payload.id_number, payload.phone)
    if found is None:
        raise field_error("id_number", _("No person matches this ID number and phone."))
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"person": found.pk, "at": time.time()}
    return Status(204, None)


@router.get(
    "/my-assistance",
    auth=None,
    response={200: list[AssistanceApplicationOut], **ERRORS},
    summary="A resident's own applications",
)
def my_assistance_list(request: HttpRequest) -> list[dict[str, Any]]:
    person = _resident(request)
    mine = selectors.with_details(selectors.applications_of_person(person))
    return [application_out(a) for a in mine]


@router.post(
    "/my-assistance",
    auth=None,
    response={201: AssistanceApplicationOut, **ERRORS},
    summary="A resident applies",
)
def my_assistance_apply(request: HttpRequest, payload: AssistanceClaimIn) -> Status[dict[str, Any]]:
    _same_site(request)
    person = _resident(request)
    filed = services.application_file(actor=SELF_SERVICE, person=person, **payload.dict())
    mine = selectors.with_details(selectors.applications_of_person(person))
    return Status(201, application_out(mine.get(pk=filed.pk)))


@router.post(
    "/my-assistance/{int:application_id}/documents",
    auth=None,
    response={201: AssistanceApplicationOut, **ERRORS},
    summary="A resident uploads a document to their own application",
)
def my_assistance_document(
    request: HttpRequest,
    application_id: Id,
    kind: Form[DocumentKind],
    file: UploadedFile = File(...),  # noqa: B008
) -> Status[dict[str, Any]]:
    """A PDF, JPEG or PNG of one of their own undecided applications (another's: 404)."""
    _same_site(request)
    person = _resident(request)
    mine = selectors.with_details(selectors.applications_of_person(person))
    item = mine.filter(pk=application_id).first()
    if item is None:
        raise Http404
    services.document_add(actor=SELF_SERVICE, application=item, kind=kind, upload=file)
    return Status(201, application_out(mine.get(pk=item.pk)))
