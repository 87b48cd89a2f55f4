"""REST endpoints of allocation (/api/quarantine/allocations…), scoped by
`selectors.batches_for` like the pages."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.access import Cap, require
from fangkong.core.apikit import (
    ERRORS,
    Id,
)
from fangkong.core.dates import Day, Happened
from fangkong.quarantine.allocation import engine, selectors, services
from fangkong.quarantine.models import (
    AllocationBatch,
    Category,
    Room,
)

router = Router(tags=["quarantine"])
AllocatedQuery = Query(
    None, description="When the rooms were allocated (valid time); now if left out"
)


class AllocationIn(Schema):
    category: Category
    source: Literal["contacts", "id_numbers"]
    id_numbers: list[str] = Field(default_factory=list, description='With source "id_numbers"')
    anchor_on: Day | None = Field(
        None, description='With source "id_numbers": the date the schedules count from'
    )
    since: Day | None = Field(
        None, description='With source "contacts": only contacts found since this day'
    )


class AllocationLineOut(Schema):
    person: int
    room: int
    room_label: str
    site: int
    site_code: str
    group: int = Field(description="People with the same group share the room")
    anchor_on: dt.date


class UnplacedOut(Schema):
    person: int | None
    label: str = Field(description="The masked ID number when no person was found")
    reason: str


class AllocationOut(Schema):
    id: int
    status: str
    category: Category
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    plan: list[AllocationLineOut]
    unplaced: list[UnplacedOut]


class AllocationRemoveIn(Schema):
    people: list[Id]


class AllocationCancelIn(Schema):
    reason: str = Field("", max_length=300)


def _batch_out(batch: AllocationBatch) -> dict[str, Any]:
    rooms: dict[int, Room] = {}
    ids = sorted({line["room"] for line in batch.plan})
    for chunk in engine.chunks(ids):
        rooms.update(Room.objects.select_related("site").in_bulk(list(chunk)))
    return {
        "id": batch.pk,
        "status": batch.status,
        "category": batch.category,
        "created_at": batch.created_at,
        "confirmed_at": batch.confirmed_at,
        "plan": [
            {
                "person": line["person"],
                "room": line["room"],
                "room_label": str(rooms[line["room"]]) if line["room"] in rooms else "",
                "site": line["site"],
                "site_code": rooms[line["room"]].site.code if line["room"] in rooms else "",
                "group": line["group"],
                "anchor_on": line["anchor"],
            }
            for line in batch.plan
        ],
        "unplaced": [
            {
                "person": entry.get("person"),
                "label": entry.get("label", ""),
                "reason": engine.reason_text(entry),
            }
            for entry in batch.unplaced
        ],
    }


# Allocation -----------------------------------------------------------------------------


@router.post(
    "/quarantine/allocations",
    response={201: AllocationOut, **ERRORS},
    summary="Propose rooms for a batch of people",
)
def quarantine_allocation_propose(request: HttpRequest, payload: AllocationIn) -> Status[dict]:
    """Saved as a draft: confirm it (or cancel it) with the returned id. People who cannot be
    placed are listed with the reason."""
    require(request.user, Cap.QUARANTINE_MANAGE)
    unplaced: list[dict[str, Any]] = []
    if payload.source == "contacts":
        people = selectors.people_from_contacts(
            request.user, category=payload.category.value, since=payload.since
        )
    else:
        people, unplaced = selectors.people_from_id_numbers(
            request.user, "\n".join(payload.id_numbers), anchor_on=payload.anchor_on
        )
    batch = services.allocation_propose(
        actor=request.user,
        category=payload.category.value,
        people=people,
        unplaced=unplaced,
        source=f"api:{payload.source}",
    )
    return Status(201, _batch_out(batch))


@router.get(
    "/quarantine/allocations/{int:batch_id}",
    response={200: AllocationOut, **ERRORS},
    summary="An allocation",
)
def quarantine_allocation(request: HttpRequest, batch_id: Id) -> dict[str, Any]:
    return _batch_out(selectors.batch_for(request.user, batch_id))


@router.post(
    "/quarantine/allocations/{int:batch_id}/remove",
    response={200: AllocationOut, **ERRORS},
    summary="Take people out of a proposal",
)
def quarantine_allocation_remove(
    request: HttpRequest, batch_id: Id, payload: AllocationRemoveIn
) -> dict:
    batch = selectors.batch_for(request.user, batch_id)
    batch = services.allocation_remove(actor=request.user, batch=batch, person_ids=payload.people)
    return _batch_out(batch)


@router.post(
    "/quarantine/allocations/{int:batch_id}/confirm",
    response={200: AllocationOut, **ERRORS},
    summary="Confirm an allocation",
)
def quarantine_allocation_confirm(
    request: HttpRequest, batch_id: Id, allocated_at: Happened | None = AllocatedQuery
) -> dict[str, Any]:
    """All or nothing: if a room was taken meanwhile nothing is booked (422); propose again.
    `allocated_at`: when the rooms were allocated and the measures started (valid time, now
    if left out); the people cannot be checked in before it."""
    batch = selectors.batch_for(request.user, batch_id)
    confirmed = services.allocation_confirm(
        actor=request.user, batch=batch, allocated_at=allocated_at
    )
    return _batch_out(confirmed)


@router.post(
    "/quarantine/allocations/{int:batch_id}/cancel",
    response={200: AllocationOut, **ERRORS},
    summary="Cancel a proposal",
)
def quarantine_allocation_cancel(
    request: HttpRequest, batch_id: Id, payload: AllocationCancelIn
) -> dict:
    batch = selectors.batch_for(request.user, batch_id)
    batch = services.allocation_cancel(actor=request.user, batch=batch, reason=payload.reason)
    return _batch_out(batch)
