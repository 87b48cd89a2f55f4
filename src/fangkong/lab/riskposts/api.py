"""REST endpoints for risk-post workers and who among them is overdue for a test (/api/).

Thin over `services` and `selectors` beside it: registration, leaving, the overdue list and
its tallies per employer and community all come from there.
"""

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status

from fangkong.core.access import Cap, key_filter, require, scoped
from fangkong.core.apikit import (
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    paginate,
)
from fangkong.core.dates import PlanDay
from fangkong.lab.models import RiskPostGroup, RiskPostWorker
from fangkong.lab.riskposts import selectors, services
from fangkong.lab.rounds.selectors import person_for_sampling
from fangkong.people.display import place_label
from fangkong.places.selectors import place_key_for_user

router = Router(tags=["risk posts"])


class WorkerOut(Schema):
    id: int
    person_id: int
    name: str
    id_number: str = Field(description="Masked")
    phone: str = Field(description="Masked")
    place: str
    place_key: str
    employer: str
    post: str
    group: RiskPostGroup
    active: bool
    registered_at: dt.datetime


class WorkerIn(Schema):
    person: str = Field(description="ID number, or the resident's QR (verify URL or token)")
    employer: str = Field(max_length=200)
    post: str = Field(max_length=200)
    group: RiskPostGroup


class LeaveIn(Schema):
    reason: str = ""


class OverdueOut(Schema):
    worker: WorkerOut
    last_sampled: dt.datetime | None = Field(description="Null: never tested")
    days_since: int | None = Field(description="Whole days since the last test")
    interval_days: float = Field(description="The longest gap the profile allows for the group")
    community_key: str


class EmployerTallyOut(Schema):
    employer: str
    workers: int
    overdue: int


class CommunityTallyOut(Schema):
    community: str
    overdue: int


def worker_out(w: RiskPostWorker) -> dict[str, Any]:
    p = w.person
    return {
        "id": w.pk,
        "person_id": p.pk,
        "name": p.name,
        "id_number": p.id_number_masked,
        "phone": p.phone_masked,
        "place": place_label(p.division),
        "place_key": w.division_key,
        "employer": w.employer,
        "post": w.post,
        "group": w.group,
        "active": w.active,
        "registered_at": w.registered_at,
    }


def overdue_out(r: selectors.OverdueRow) -> dict[str, Any]:
    return {
        "worker": worker_out(r.worker),
        "last_sampled": r.last_sampled,
        "days_since": r.days_since,
        "interval_days": r.interval_days,
        "community_key": r.community_key,
    }


def _overdue(
    user: Any, employer: str, community: str, today: dt.date | None
) -> list[selectors.OverdueRow]:
    rows, _seen = selectors.overdue_workers(user, today=today, employer=employer)
    key = place_key_for_user(user, community)
    return [r for r in rows if r.worker.division_key.startswith(key)]


@router.get("/risk-posts", response={200: Page[WorkerOut], **ERRORS}, summary="Risk-post workers")
def worker_list(
    request: HttpRequest,
    employer: str = "",
    group: RiskPostGroup | None = None,
    community: str = Query("", description="Division code or key of a place in your scope"),
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Active workers in your jurisdiction, by employer."""
    qs = selectors.workers_for_user(request.user, employer=employer.strip())
    if group:
        qs = qs.filter(group=group.value)
    key = place_key_for_user(request.user, community)
    if key:
        qs = qs.filter(key_filter(key))
    qs = qs.select_related("person__division__parent__parent").order_by("employer", "id")
    return paginate(qs, limit=limit, offset=offset, convert=worker_out)


@router.post("/risk-posts", response={201: WorkerOut, **ERRORS}, summary="Register a worker")
def worker_new(request: HttpRequest, payload: WorkerIn) -> Status[dict[str, Any]]:
    """A resident in your jurisdiction at a risk post; tested at the group's frequency."""
    require(request.user, Cap.RISK_POSTS_EDIT)  # before the ID number is looked up
    person = person_for_sampling(request.user, payload.person)
    worker = services.risk_post_register(
        actor=request.user,
        person=person,
        employer=payload.employer,
        post=payload.post,
        group=payload.group.value,
    )
    return Status(201, worker_out(worker))


@router.post(
    "/risk-posts/{int:worker_id}/leave",
    response={200: WorkerOut, **ERRORS},
    summary="The worker left the post",
)
def worker_leave(request: HttpRequest, worker_id: Id, payload: LeaveIn) -> dict[str, Any]:
    """Deactivate: the worker drops off the overdue list."""
    require(request.user, Cap.RISK_POSTS_EDIT)
    worker = (
        scoped(RiskPostWorker.objects.filter(pk=worker_id), request.user)
        .select_related("person__division__parent__parent")
        .first()
    )
    if worker is None:
        raise Http404
    services.risk_post_leave(actor=request.user, worker=worker, reason=payload.reason)
    return worker_out(worker)


@router.get(
    "/risk-posts/overdue",
    response={200: Page[OverdueOut], **ERRORS},
    summary="Workers overdue for a test",
)
def overdue_list(
    request: HttpRequest,
    employer: str = "",
    community: str = Query("", description="Division code or key of a place in your scope"),
    today: PlanDay | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Never tested, or last tested longer ago than the profile allows; longest waiting first."""
    rows = _overdue(request.user, employer.strip(), community, today)
    page = rows[offset : offset + limit]
    return {
        "items": [overdue_out(r) for r in page],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > offset + limit else None,
    }


@router.get(
    "/risk-posts/overdue/by-employer",
    response={200: list[EmployerTallyOut], **ERRORS},
    summary="Overdue workers per employer",
)
def overdue_by_employer(request: HttpRequest, today: PlanDay | None = None) -> list[dict[str, Any]]:
    """Active and overdue workers per employer in your jurisdiction."""
    rows, _seen = selectors.overdue_workers(request.user, today=today)
    return [
        {"employer": t.name, "workers": t.workers, "overdue": t.overdue}
        for t in selectors.tally_by_employer(request.user, rows)
    ]


@router.get(
    "/risk-posts/overdue/by-community",
    response={200: list[CommunityTallyOut], **ERRORS},
    summary="Overdue workers per community",
)
def overdue_by_community(
    request: HttpRequest, employer: str = "", today: PlanDay | None = None
) -> list[dict[str, Any]]:
    """Overdue workers per community in your jurisdiction, most first."""
    rows, _seen = selectors.overdue_workers(request.user, today=today, employer=employer.strip())
    return [{"community": t.name, "overdue": t.overdue} for t in selectors.tally_by_community(rows)]
