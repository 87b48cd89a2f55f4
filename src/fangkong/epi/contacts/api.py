"""REST endpoints for contacts and requests for contacts registered elsewhere (协查), mounted
under /api/ after the cases' (the same "cases" tag)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import ERRORS, Id, Limit, Offset, Page, paginate
from fangkong.core.errors import BulkErrors, field_error
from fangkong.epi.cases.schemas import CaseOut, case_out
from fangkong.epi.cases.selectors import case_for_user
from fangkong.epi.contacts import requests as contact_requests
from fangkong.epi.contacts import selectors, services
from fangkong.epi.contacts.schemas import (
    ContactIn,
    ContactOut,
    ContactRequestDecisionIn,
    ContactRequestOut,
    ContactsAddedOut,
    ContactsStatusIn,
    ContactsStatusOut,
    ContactStatusIn,
    ConvertIn,
    contact_out,
    contact_request_out,
)
from fangkong.epi.models import ContactStatus, Degree, RequestStatus

router = Router(tags=["cases"])

CONTACT_RELATED = ("person__division", "case", "venue")
CONTACT_FIELDS = {"exposure_start": "exposure_start", "via": "via_id_number"}


# Contacts of a case


@router.get("/cases/{int:case_id}/contacts", response={200: list[ContactOut], **ERRORS})
def case_contacts(request: HttpRequest, case_id: Id) -> list[dict[str, Any]]:
    """The case's contacts within your jurisdiction, close contacts first."""
    case = case_for_user(request.user, case_id)
    qs = selectors.contacts_for_user(request.user, case=case).select_related(*CONTACT_RELATED)
    return [contact_out(c) for c in qs.order_by("degree", "id")]


def _bulk_422(exc: BulkErrors, single: bool) -> Status[dict[str, Any]]:
    detail = []
    for index in sorted(exc.rows):
        for name, messages in exc.rows[index].items():
            field = CONTACT_FIELDS.get(name, name)
            loc: list[str | int] = ["body", field] if single else ["body", index, field]
            detail.append({"loc": loc, "msg": " ".join(messages)})
    return Status(422, {"detail": detail})


@router.post(
    "/cases/{int:case_id}/contacts",
    response={201: ContactsAddedOut, **ERRORS},
    summary="Add contacts (one or a list)",
)
def case_contacts_add(
    request: HttpRequest, case_id: Id, payload: list[ContactIn] | ContactIn
) -> Status[dict[str, Any]]:
    """Send one contact or a list. All rows are checked first: any bad row answers 422 with
    `loc` ["body", row, field] and nothing is added. Persons already known for the case are
    reported in `duplicates` and not added again. Someone registered outside your jurisdiction
    becomes no contact: the row is sent to their jurisdiction for confirmation (`requested`),
    and nothing about them is answered."""
    require(request.user, Cap.CONTACTS_EDIT)
    case = case_for_user(request.user, case_id)
    single = not isinstance(payload, list)
    items = [payload] if isinstance(payload, ContactIn) else payload
    rows = [services.ContactRow(**_row(item)) for item in items]
    try:
        batch = services.contacts_add_bulk(actor=request.user, case=case, rows=rows)
    except BulkErrors as exc:
        return _bulk_422(exc, single)
    return Status(
        201,
        {
            "added": [contact_out(c) for c in batch],
            "duplicates": [
                {
                    "index": d.index,
                    "contact_id": d.contact.pk,
                    "message": services.duplicate_message(d),
                }
                for d in batch.duplicates
            ],
            "requested": [
                {
                    "index": r.index,
                    "request_id": r.request.pk,
                    "message": services.requested_message(r),
                }
                for r in batch.requested
            ],
        },
    )


def _row(item: ContactIn) -> dict[str, Any]:
    data = item.dict()
    data["degree"] = item.degree.value
    data["relation"] = item.relation.value
    data["id_number"] = data["id_number"].strip().upper()
    data["via_id_number"] = data["via_id_number"].strip().upper()
    if data["last_exposure_on"] is None:
        moment = item.exposure_end or item.exposure_start
        data["last_exposure_on"] = moment.date() if moment else None
    return data


# Contacts


@router.get("/contacts", response={200: Page[ContactOut], **ERRORS}, summary="Contacts")
def contact_list(
    request: HttpRequest,
    status: ContactStatus | None = None,
    degree: Degree | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Contacts within your jurisdiction across all cases, newest first."""
    qs = selectors.contacts_for_user(
        request.user,
        status=status.value if status else "",
        degree=degree.value if degree else "",
    )
    qs = qs.select_related(*CONTACT_RELATED).order_by("-id")
    return paginate(qs, limit=limit, offset=offset, convert=contact_out)


@router.post(
    "/contacts/status",
    response={200: ContactsStatusOut, 409: ContactsStatusOut, **ERRORS},
    summary="Change many contacts' status",
)
def contacts_status(request: HttpRequest, payload: ContactsStatusIn) -> Status[dict[str, Any]]:
    """Move many contacts to one status with one reason: the contacts `ids`, or every contact
    in your jurisdiction matching `filter` (the filters of `GET /api/contacts`, not only a
    page). All or nothing: if any contact is outside your jurisdiction or cannot make the move,
    the answer is 409 naming each one and nothing changes. Contacts already at the status are
    `unchanged`, so sending the same request again changes nothing."""
    require(request.user, Cap.CONTACTS_EDIT)
    if (payload.ids is None) == (payload.filter is None):
        raise field_error("ids", _("Send either ids or filter"))
    selection = None
    if payload.filter is not None:
        wanted = payload.filter
        selection = selectors.contacts_for_user(
            request.user,
            status=wanted.status.value if wanted.status else "",
            degree=wanted.degree.value if wanted.degree else "",
        )
    batch = services.contacts_set_status(
        actor=request.user,
        ids=payload.ids,
        selection=selection,
        status=payload.status.value,
        reason=payload.reason,
        changed_at=payload.changed_at,
    )
    return Status(409 if batch.refused else 200, batch.answer())


@router.get("/contacts/{int:contact_id}", response={200: ContactOut, **ERRORS})
def contact_detail(request: HttpRequest, contact_id: Id) -> dict[str, Any]:
    return contact_out(selectors.contact_for_user(request.user, contact_id))


@router.post("/contacts/{int:contact_id}/status", response={200: ContactOut, **ERRORS})
def contact_status(
    request: HttpRequest, contact_id: Id, payload: ContactStatusIn
) -> dict[str, Any]:
    """identified → located → under_control → released, or lost (with a reason)."""
    require(request.user, Cap.CONTACTS_EDIT)
    contact = selectors.contact_for_user(request.user, contact_id)
    services.contact_set_status(
        actor=request.user,
        contact=contact,
        status=payload.status.value,
        reason=payload.reason,
        changed_at=payload.changed_at,
    )
    return contact_out(contact)


@router.post("/contacts/{int:contact_id}/convert", response={201: CaseOut, **ERRORS})
def contact_convert(
    request: HttpRequest, contact_id: Id, payload: ConvertIn
) -> Status[dict[str, Any]]:
    """The contact tested positive: register their case; the chain is kept."""
    require(request.user, Cap.CASES_EDIT)
    contact = selectors.contact_for_user(request.user, contact_id)
    case = services.contact_convert_to_case(
        actor=request.user,
        contact=contact,
        kind=payload.kind.value,
        found_by=payload.found_by.value,
        sampled_on=payload.sampled_on,
        onset_on=payload.onset_on,
        reported_on=payload.reported_on,
        reason=payload.reason,
    )
    return Status(201, case_out(case))


# Requests for contacts registered elsewhere (协查)


@router.get(
    "/contact-requests",
    response={200: Page[ContactRequestOut], **ERRORS},
    summary="Contact requests to decide",
)
def contact_request_list(
    request: HttpRequest,
    status: RequestStatus | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Requests for people registered in your jurisdiction (district or city level), newest
    first; empty below district level."""
    qs = contact_requests.requests_to_decide(
        request.user, status=status.value if status else ""
    ).select_related(*contact_requests.RELATED)
    return paginate(
        qs, limit=limit, offset=offset, convert=lambda q: contact_request_out(q, decides=True)
    )


@router.get(
    "/contact-requests/sent",
    response={200: Page[ContactRequestOut], **ERRORS},
    summary="Contact requests sent",
)
def contact_request_sent(
    request: HttpRequest,
    status: RequestStatus | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Requests made for cases of your jurisdiction: their outcome, never the person."""
    qs = contact_requests.requests_sent(
        request.user, status=status.value if status else ""
    ).select_related(*contact_requests.RELATED)
    return paginate(
        qs, limit=limit, offset=offset, convert=lambda q: contact_request_out(q, decides=False)
    )


@router.get("/contact-requests/{int:request_id}", response={200: ContactRequestOut, **ERRORS})
def contact_request_detail(request: HttpRequest, request_id: Id) -> dict[str, Any]:
    found, decides = contact_requests.request_for_user(request.user, request_id)
    return contact_request_out(found, decides=decides)


def _decide(request: HttpRequest, request_id: Id, reason: str, confirm: bool) -> dict[str, Any]:
    found, _decides = contact_requests.request_for_user(request.user, request_id)
    contact_requests.contact_request_decide(
        actor=request.user, request=found, confirm=confirm, reason=reason
    )
    found, decides = contact_requests.request_for_user(request.user, request_id)
    return contact_request_out(found, decides=decides)


@router.post(
    "/contact-requests/{int:request_id}/confirm",
    response={200: ContactRequestOut, **ERRORS},
    summary="Confirm a contact request",
)
def contact_request_confirm(
    request: HttpRequest, request_id: Id, payload: ContactRequestDecisionIn
) -> dict[str, Any]:
    """The person's district or the city: the contact is made (the health code follows)."""
    return _decide(request, request_id, payload.reason, confirm=True)


@router.post(
    "/contact-requests/{int:request_id}/reject",
    response={200: ContactRequestOut, **ERRORS},
    summary="Reject a contact request",
)
def contact_request_reject(
    request: HttpRequest, request_id: Id, payload: ContactRequestDecisionIn
) -> dict[str, Any]:
    """The person's district or the city, with a reason; no contact is made."""
    return _decide(request, request_id, payload.reason, confirm=False)
