"""Request and response shapes of the people API. Identifiers leave masked unless revealed."""

import datetime as dt

from django.conf import settings
from ninja import Field, Schema

from fangkong.audit.models import Event
from fangkong.core.apikit import Id
from fangkong.core.dates import Day, PlanDay
from fangkong.people.models import (
    Household,
    KeyCategory,
    KeyPerson,
    Need,
    NeedKind,
    NeedStatus,
    Relation,
    Resident,
    Sex,
)
from fangkong.places.schemas import PlaceRef, place_ref


class ResidentBrief(Schema):
    id: int
    name: str
    sex: Sex
    birth_date: dt.date
    id_number: str = Field(description="Masked unless revealed")
    phone: str = Field(description="Masked unless revealed")
    place: PlaceRef


class ResidentOut(ResidentBrief):
    household_id: int | None
    relation: Relation | None
    revealed: list[str] = Field(description="Fields shown unmasked in this response (logged)")
    created_at: dt.datetime
    updated_at: dt.datetime


class ResidentIn(Schema):
    id_number: str = Field(description="18-character resident ID number (GB 11643)")
    name: str
    place: str = Field(description="Division code of the community or finer place of residence")
    phone: str = ""
    household: Id | None = Field(None, description="Household id (same place)")
    relation: Relation | None = None
    reason: str = ""


class ResidentPatch(Schema):
    name: str | None = None
    phone: str | None = None
    place: str | None = None
    household: Id | None = None
    relation: Relation | None = None
    reason: str = ""


class HouseholdOut(Schema):
    id: int
    code: str
    address: str
    place: PlaceRef


class HouseholdDetailOut(HouseholdOut):
    members: list[ResidentOut]


class HouseholdIn(Schema):
    code: str = Field(max_length=40)
    place: str = Field(description="Division code of the household's place")
    address: str = Field("", max_length=300)
    reason: str = ""


class KeyPersonOut(Schema):
    id: int
    category: KeyCategory
    category_label: str
    note: str
    since: dt.date
    resident: ResidentBrief


class KeyPersonIn(Schema):
    resident: Id = Field(description="Resident id")
    category: KeyCategory
    note: str = Field("", max_length=300)
    since: Day | None = None
    reason: str = ""


class NeedOut(Schema):
    id: int
    resident_id: int
    kind: NeedKind
    description: str
    recurrence_days: int | None
    next_due: dt.date | None
    status: NeedStatus
    created_at: dt.datetime


class NeedIn(Schema):
    kind: NeedKind
    description: str = Field(max_length=300)
    recurrence_days: int | None = Field(
        None, ge=1, le=settings.PLAN_HORIZON_DAYS, description="Repeat every n days; empty: once"
    )
    next_due: PlanDay | None = None


class NeedFulfilIn(Schema):
    on: Day | None = Field(None, description="Day the need was met (default: today)")
    note: str = ""


class EventOut(Schema):
    id: int
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    field: str
    from_value: str
    to_value: str
    reason: str
    basis: str
    actor_label: str = Field(description="Who, as people read it (a process by its name)")
    action_label: str = Field(description="What happened, in the request's language")
    field_label: str
    from_label: str = Field(description="The value before, as a label in the request's language")
    to_label: str


def resident_brief(r: Resident, revealed: dict[str, str] | None = None) -> dict[str, object]:
    shown = revealed or {}
    return {
        "id": r.pk,
        "name": r.name,
        "sex": r.sex,
        "birth_date": r.birth_date,
        "id_number": shown.get("id_number", r.id_number_masked),
        "phone": shown.get("phone", r.phone_masked),
        "place": place_ref(r.division),
    }


def resident_out(r: Resident, revealed: dict[str, str] | None = None) -> dict[str, object]:
    return resident_brief(r, revealed) | {
        "household_id": r.household_id,
        "relation": r.relation or None,
        "revealed": sorted(revealed or {}),
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def household_out(h: Household) -> dict[str, object]:
    return {"id": h.pk, "code": h.code, "address": h.address, "place": place_ref(h.division)}


def key_person_out(k: KeyPerson) -> dict[str, object]:
    return {
        "id": k.pk,
        "category": k.category,
        "category_label": k.get_category_display(),
        "note": k.note,
        "since": k.since,
        "resident": resident_brief(k.resident),
    }


def need_out(n: Need) -> dict[str, object]:
    return {
        "id": n.pk,
        "resident_id": n.resident_id,
        "kind": n.kind,
        "description": n.description,
        "recurrence_days": n.recurrence_days,
        "next_due": n.next_due,
        "status": n.status,
        "created_at": n.created_at,
    }


def event_out(e: Event) -> dict[str, object]:
    return {
        "id": e.pk,
        "at": e.at,
        "actor": e.actor_name,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "field": e.field,
        "from_value": e.from_value,
        "to_value": e.to_value,
        "reason": e.reason,
        "basis": e.basis,
        "actor_label": e.actor_label,
        "action_label": e.action_label,
        "field_label": e.field_label,
        "from_label": e.from_label,
        "to_label": e.to_label,
    }
