"""REST endpoints for residents, households, key persons and needs (mounted under /api/)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fangkong.audit.selectors import person_history
from fangkong.core.access import Cap, key_filter, require
from fangkong.core.apikit import (
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    ReasonIn,
    fields_renamed,
    found,
    paginate,
    query_error,
)
from fangkong.people import services
from fangkong.people.models import KeyCategory, Resident
from fangkong.people.reveals import reveal_reason_missing
from fangkong.people.schemas import (
    EventOut,
    HouseholdDetailOut,
    HouseholdIn,
    HouseholdOut,
    KeyPersonIn,
    KeyPersonOut,
    NeedFulfilIn,
    NeedIn,
    NeedOut,
    ResidentIn,
    ResidentOut,
    ResidentPatch,
    event_out,
    household_out,
    key_person_out,
    need_out,
    resident_out,
)
from fangkong.people.selectors import (
    household_for_user,
    households_for_user,
    key_person_for_user,
    key_persons_for_user,
    need_for_user,
    needs_for_user,
    resident_for_user,
    resident_search,
    residents_for_user,
)
from fangkong.places.api import place_param
from fangkong.places.selectors import division_by_code_for_user

router = Router(tags=["people"])

PLACE = {"division": "place"}  # services name the place `division`, the API `place`


def _place(user: Any, code: str) -> Any:
    return found("place", lambda: division_by_code_for_user(user, code))


def _reveal(request: HttpRequest, resident: Resident, fields: str, reason: str) -> dict[str, str]:
    require(request.user, Cap.PII_REVEAL)
    wanted = [f.strip() for f in fields.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in services.PII_FIELDS]
    if unknown:
        raise query_error("reveal", _("Only id_number and phone can be revealed"))
    if not reason.strip():
        raise query_error("reason", reveal_reason_missing())
    return {
        f: services.pii_reveal(actor=request.user, resident=resident, field=f, reason=reason)
        for f in dict.fromkeys(wanted)
    }


# Residents


@router.get("/residents", response={200: Page[ResidentOut], **ERRORS}, summary="Find residents")
def resident_list(
    request: HttpRequest,
    q: str = Query("", description="Name, pinyin initials or pinyin, ID number, or phone"),
    place: str = Query("", description="Division code: only residents within this place"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Residents within your jurisdiction; ID numbers and phones are masked."""
    qs = resident_search(request.user, q).select_related("division")
    within = place_param(request.user, place)
    if within is not None:
        qs = qs.filter(key_filter(within.key))
    return paginate(qs, limit=limit, offset=offset, convert=resident_out)


@router.post("/residents", response={201: ResidentOut, **ERRORS}, summary="Register a resident")
def resident_new(request: HttpRequest, payload: ResidentIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.RESIDENTS_EDIT)
    division = _place(request.user, payload.place)
    household = None
    if payload.household is not None:
        hid = payload.household
        household = found("household", lambda: household_for_user(request.user, hid))
    with fields_renamed(PLACE):
        resident = services.resident_create(
            actor=request.user,
            id_number=payload.id_number,
            name=payload.name,
            division=division,
            phone=payload.phone,
            household=household,
            relation=payload.relation.value if payload.relation else "",
            reason=payload.reason,
        )
    return Status(201, resident_out(resident))


@router.get("/residents/{int:resident_id}", response={200: ResidentOut, **ERRORS})
def resident_detail(
    request: HttpRequest,
    resident_id: Id,
    reveal: str = Query("", description="Comma-separated: id_number, phone (pii.reveal; logged)"),
    reason: str = Query(
        "", description="Required with `reveal`: why (kept in the person's history)"
    ),
) -> dict[str, Any]:
    """One resident. Pass `reveal` to see identifiers unmasked; each reveal is audited."""
    resident = resident_for_user(request.user, resident_id)
    shown = _reveal(request, resident, reveal, reason) if reveal else {}
    return resident_out(resident, shown)


@router.patch("/residents/{int:resident_id}", response={200: ResidentOut, **ERRORS})
def resident_edit(request: HttpRequest, resident_id: Id, payload: ResidentPatch) -> dict[str, Any]:
    """Change the fields you send; every change is audited with `reason`."""
    require(request.user, Cap.RESIDENTS_EDIT)
    resident = resident_for_user(request.user, resident_id)
    data = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {"reason": payload.reason}
    for field in ("name", "phone"):
        if data.get(field) is not None:
            changes[field] = data[field]
    if data.get("relation") is not None:
        changes["relation"] = payload.relation.value if payload.relation else ""
    if data.get("place"):
        changes["division"] = _place(request.user, data["place"])
    if data.get("household") is not None:
        hid = data["household"]
        changes["household"] = found("household", lambda: household_for_user(request.user, hid))
    with fields_renamed(PLACE):
        resident = services.resident_update(actor=request.user, resident=resident, **changes)
    return resident_out(resident)


@router.get(
    "/residents/{int:resident_id}/events",
    response={200: Page[EventOut], **ERRORS},
    summary="History",
)
def resident_events(
    request: HttpRequest, resident_id: Id, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """What happened to this person, newest first: who, when, what changed, why."""
    resident = resident_for_user(request.user, resident_id)
    qs = person_history(request.user, resident.pk)
    return paginate(qs, limit=limit, offset=offset, convert=event_out)


# Households


@router.get("/households", response={200: Page[HouseholdOut], **ERRORS}, summary="Households")
def household_list(
    request: HttpRequest, place: str = "", limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    qs = households_for_user(request.user).select_related("division").order_by("division_key", "id")
    within = place_param(request.user, place)
    if within is not None:
        qs = qs.filter(key_filter(within.key))
    return paginate(qs, limit=limit, offset=offset, convert=household_out)


@router.post("/households", response={201: HouseholdOut, **ERRORS}, summary="Create a household")
def household_new(request: HttpRequest, payload: HouseholdIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.RESIDENTS_EDIT)
    division = _place(request.user, payload.place)
    with fields_renamed(PLACE):
        household = services.household_create(
            actor=request.user,
            code=payload.code,
            division=division,
            address=payload.address,
            reason=payload.reason,
        )
    return Status(201, household_out(household))


@router.get("/households/{int:household_id}", response={200: HouseholdDetailOut, **ERRORS})
def household_detail(request: HttpRequest, household_id: Id) -> dict[str, Any]:
    """A household with its members (identifiers masked)."""
    household = household_for_user(request.user, household_id)
    members = residents_for_user(request.user).filter(household=household)
    return household_out(household) | {
        "members": [resident_out(r) for r in members.select_related("division")]
    }


# Key persons and their needs


@router.get("/key-persons", response={200: Page[KeyPersonOut], **ERRORS}, summary="Ledger")
def key_person_list(
    request: HttpRequest,
    category: KeyCategory | None = None,
    place: str = "",
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """The key-person ledger (重点人员清单) within your jurisdiction."""
    qs = key_persons_for_user(
        request.user,
        category=category.value if category else "",
        within=place_param(request.user, place),
    )
    return paginate(qs, limit=limit, offset=offset, convert=key_person_out)


@router.post("/key-persons", response={201: KeyPersonOut, **ERRORS}, summary="Add to the ledger")
def key_person_new(request: HttpRequest, payload: KeyPersonIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.KEY_PERSONS_EDIT)
    resident = found("resident", lambda: resident_for_user(request.user, payload.resident))
    entry = services.key_person_add(
        actor=request.user,
        resident=resident,
        category=payload.category.value,
        note=payload.note,
        since=payload.since,
        reason=payload.reason,
    )
    return Status(201, key_person_out(entry))


@router.delete("/key-persons/{int:entry_id}", response={204: None, **ERRORS})
def key_person_delete(
    request: HttpRequest,
    entry_id: Id,
    reason: str = Query(
        "", description="Why the person leaves the ledger (or send it in the body)"
    ),
    payload: ReasonIn | None = None,
) -> Status[None]:
    """Take a person off the ledger; a reason is required, in the query or the body."""
    require(request.user, Cap.KEY_PERSONS_EDIT)
    entry = key_person_for_user(request.user, entry_id)
    services.key_person_remove(
        actor=request.user, entry=entry, reason=reason or (payload.reason if payload else "")
    )
    return Status(204, None)


@router.get("/residents/{int:resident_id}/needs", response={200: list[NeedOut], **ERRORS})
def need_list(request: HttpRequest, resident_id: Id) -> list[dict[str, Any]]:
    """The needs list (需求清单) of one person."""
    resident = resident_for_user(request.user, resident_id)
    return [need_out(n) for n in needs_for_user(request.user).filter(resident=resident)]


@router.post("/residents/{int:resident_id}/needs", response={201: NeedOut, **ERRORS})
def need_new(request: HttpRequest, resident_id: Id, payload: NeedIn) -> Status[dict[str, Any]]:
    require(request.user, Cap.KEY_PERSONS_EDIT)
    resident = resident_for_user(request.user, resident_id)
    need = services.need_add(
        actor=request.user,
        resident=resident,
        kind=payload.kind.value,
        description=payload.description,
        recurrence_days=payload.recurrence_days,
        next_due=payload.next_due,
    )
    return Status(201, need_out(need))


@router.post("/needs/{int:need_id}/fulfil", response={200: NeedOut, **ERRORS})
def need_fulfil(request: HttpRequest, need_id: Id, payload: NeedFulfilIn) -> dict[str, Any]:
    """Record that a need was met; a recurring need stays open with its next due date."""
    require(request.user, Cap.KEY_PERSONS_EDIT)
    need = need_for_user(request.user, need_id)
    return need_out(
        services.need_fulfil(actor=request.user, need=need, on=payload.on, note=payload.note)
    )


@router.post("/needs/{int:need_id}/cancel", response={200: NeedOut, **ERRORS})
def need_cancel(request: HttpRequest, need_id: Id, payload: ReasonIn) -> dict[str, Any]:
    require(request.user, Cap.KEY_PERSONS_EDIT)
    need = need_for_user(request.user, need_id)
    return need_out(services.need_cancel(actor=request.user, need=need, reason=payload.reason))
