"""Writes on medical requests: raise one (the control state attached, routed by the rule in
force), route many in one batch (columnar), and move a request on (accepted, completed,
cancelled). Every change is an audit event with who, when, what and why.

Extension points for what comes next (issue 17, items 4–9): a request routed `via_120` is the
120 dispatch queue's (filter `via_120=True, status=routed`); hospitals confirm with
`request_set_status(…, status=accepted)`, and a refusal will be a status of its own recorded
with its reason; `due_at` is the SLA clock the board reads.
"""

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SELF_SERVICE, SYSTEM
from fangkong.audit.models import Event
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import (
    CareRequest,
    Channel,
    Facility,
    HealthPlan,
    NeedOccurrence,
    RequestStatus,
    RequestType,
)
from fangkong.care.requests.selectors import request_visible
from fangkong.care.requests.state import states_of
from fangkong.care.routing.engine import NAMED, PLANNED, Routed, due_by, route_all
from fangkong.care.routing.selectors import in_force, sites_in_service
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.bulk import update_rows
from fangkong.core.dates import check_happened
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.people.models import Resident
from fangkong.people.services import clean_phone

OPEN = (RequestStatus.REQUESTED, RequestStatus.ROUTED, RequestStatus.ACCEPTED)
CLOSED = (RequestStatus.COMPLETED, RequestStatus.CANCELLED)
# Where a request may go from each status.
MOVES: dict[str, tuple[str, ...]] = {
    RequestStatus.REQUESTED: (RequestStatus.CANCELLED,),
    RequestStatus.ROUTED: (RequestStatus.ACCEPTED, RequestStatus.CANCELLED),
    RequestStatus.ACCEPTED: (RequestStatus.COMPLETED, RequestStatus.CANCELLED),
}

# What routing writes on a request, in the order of the batch's columns.
ROUTED_FIELDS = (
    "control_state",
    "state_basis",
    "status",
    "destination",
    "facility",
    "facility_match",
    "via_120",
    "closed_loop",
    "sla_minutes",
    "due_at",
    "rule_number",
    "profile_code",
    "profile_version",
    "routed_at",
)

CHANNEL_OF_ROLE: dict[str, str] = {
    Role.GRID: Channel.GRID,
    Role.STREET: Channel.GRID,
    Role.QUARANTINE: Channel.QUARANTINE_SITE,
    Role.HOTLINE: Channel.HOTLINE,
}


def channel_of(user: Any) -> str:
    """Who raises a request, by the raiser's role (the task force for the others)."""
    return CHANNEL_OF_ROLE.get(str(getattr(user, "role", "")), Channel.TASK_FORCE)


def person_in_scope(actor: Any, id_number: str) -> Resident:
    """The person of the actor's jurisdiction with this ID number; else a field error (an
    outsider's person is "not found", nothing said about them)."""
    number = (id_number or "").strip().upper()
    found = scoped(Resident.objects.all(), actor).filter(id_number=number).first()
    if found is None:
        raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    return found


class _Row(SimpleNamespace):
    """A request as the batch reads it (and `_route` fills in)."""

    pk: int
    person_id: int
    type: str
    division_key: str
    raised_at: dt.datetime
    status: str
    before: str  # the status before this batch


def planned_facilities(requests: Sequence[Any]) -> list[tuple[int | None, int | None]]:
    """What the person's health plan names for each request (two queries for any number): the
    standing need's facility when the request was raised for a need, and the plan's contact
    hospital; (None, None) for a person without a plan."""
    raised = [r.pk for r in requests if r.pk is not None]
    need_of: dict[int, int] = {}
    if raised:
        need_of = dict(
            NeedOccurrence.objects.filter(
                request_id__in=in_ids(raised), need__facility__isnull=False
            ).values_list("request_id", "need__facility_id")
        )
    contact_of = dict(
        HealthPlan.objects.filter(
            person_id__in=in_ids({r.person_id for r in requests}), contact_hospital__isnull=False
        ).values_list("person_id", "contact_hospital_id")
    )
    return [(need_of.get(r.pk), contact_of.get(r.person_id)) for r in requests]


def _route(
    requests: Sequence[Any],
    now: dt.datetime,
    planned: Sequence[tuple[int | None, ...]] | None = None,
) -> list[tuple[Routed, Any]]:
    """Attach each request's control state and routing decision (in memory). `planned`: per
    request, the facilities the person's health plan names, first choice first; the first in
    service and of the rule's kind is taken when the rule names no facility."""
    policy = in_force()
    states = states_of([r.person_id for r in requests], [r.division_key for r in requests])
    sites = sites_in_service()
    decisions = route_all(
        policy.rules.care,
        [r.type for r in requests],
        [s.state for s in states],
        [r.division_key for r in requests],
        sites,
    )
    kind_of = {site.id: site.kind for site in sites}
    clocks = {t: policy.rules.care.clock_for(t) for t in {r.type for r in requests}}
    dues: dict[tuple[dt.datetime, str], dt.datetime] = {}  # requests raised together share one
    out = []
    for i, (request, state, routed) in enumerate(zip(requests, states, decisions, strict=True)):
        if planned is not None and routed.match != NAMED:
            for choice in planned[i]:
                if choice is not None and kind_of.get(choice) == routed.destination:
                    routed = replace(routed, facility_id=choice, match=PLANNED)
                    break
        request.control_state, request.state_basis = state.state, state.basis
        request.destination = routed.destination
        request.facility_id = routed.facility_id
        request.via_120, request.closed_loop = routed.via_120, routed.closed_loop
        request.sla_minutes = routed.sla_minutes
        request.rule_number = routed.rule_number
        request.facility_match = routed.match
        request.profile_code = policy.profile.code
        request.profile_version = policy.profile.version
        request.routed_at = now
        when = (request.raised_at, request.type)
        due = dues.get(when)
        if due is None:
            due = dues[when] = due_by(request.raised_at, clocks[request.type])
        request.due_at = due
        request.status = RequestStatus.ROUTED if routed.facility_id else RequestStatus.REQUESTED
        out.append((routed, state))
    return out


def _routed_data(request: CareRequest) -> dict[str, Any]:
    return {
        "control_state": request.control_state,
        "basis": request.state_basis,
        "rule": request.rule_number,
        "profile": f"{request.profile_code} v{request.profile_version}",
        "destination": request.destination,
        "facility": request.facility_id,
        "match": request.facility_match,
    }


@transaction.atomic
def request_raise(
    *,
    actor: Any,
    person: Resident,
    type: str,
    channel: str,
    description: str = "",
    contact_phone: str = "",
    raised_at: dt.datetime | None = None,
    planned: Facility | None = None,
) -> CareRequest:
    """A request for `person`, routed at once. Staff raise requests for people of their
    jurisdiction only (refused, nothing written, otherwise); the person on the public page
    (`actor` = SELF_SERVICE) for themselves; the daily job of health plans (SYSTEM) for a
    standing need, whose `planned` facility is taken when it is of the rule's kind, in
    service, and the rule names none."""
    if actor not in (SELF_SERVICE, SYSTEM):
        require(actor, Cap.CARE_REQUEST)
        if not scoped(Resident.objects.filter(pk=person.pk), actor).exists():
            raise field_error("id_number", _("No person with this ID number in your jurisdiction"))
    if type not in RequestType.values:
        raise field_error("type", _("Choose the kind of request"))
    if channel not in Channel.values:
        raise field_error("channel", _("Choose who raises the request"))
    now = timezone.now()
    raised = raised_at or now
    check_happened(
        "raised_at",
        raised,
        tolerance=in_force().rules.records.tolerance,
        born=person.birth_date,
        now=now,
    )
    request = CareRequest(
        person=person,
        type=type,
        channel=channel,
        description=(description or "").strip()[:1000],
        contact_phone=clean_phone(contact_phone) if contact_phone else "",
        division_key=person.division_key,
        raised_at=raised,
        created_at=now,
        created_by=actor if actor not in (SELF_SERVICE, SYSTEM) else None,
    )
    contact = planned_facilities([request])[0][1]
    _route([request], now, [(planned.pk if planned is not None else None, contact)])
    request.save()
    event_record(
        actor=actor,
        action="care.request_raised",
        obj=request,
        person_id=person.pk,
        division_key=request.division_key,
        field="status",
        from_value="",
        to_value=request.status,
        data={"type": type, "channel": channel, **_routed_data(request)},
        at=raised,
    )
    return request


def requests_route(*, actor: Any, ids: Sequence[int]) -> int:
    """Route (again) many open, not yet accepted requests in one batch by the rule in force:
    their control states read now, the decisions made once per (type, state, home), and on
    PostgreSQL one statement that updates every row and writes its audit event. Returns how
    many were routed (accepted and closed ones are left as they are). An id outside the
    actor's jurisdiction refuses the batch, nothing written."""
    require(actor, Cap.CARE_MANAGE)
    now = timezone.now()
    with transaction.atomic():
        wanted = sorted(set(ids))
        postgres = connection.vendor == "postgresql"
        # One read of the rows in the actor's scope: the scope check and the batch. On
        # PostgreSQL the rows are not locked here (locking 10,000 rows writes each one once
        # more): the UPDATE locks them and checks their status again, so a request accepted
        # meanwhile is left as it is, and gets no event.
        rows = scoped(CareRequest.objects.filter(pk__in=in_ids(wanted)), actor)
        if not postgres:
            rows = rows.select_for_update(of=("self",))
        found = list(
            rows.values_list("pk", "person_id", "type", "division_key", "raised_at", "status")
        )
        seen = {row[0] for row in found}
        unknown = [str(pk) for pk in wanted if pk not in seen]
        if unknown:
            raise field_error(
                "ids",
                _("Not requests of your jurisdiction: %(ids)s") % {"ids": ", ".join(unknown[:20])},
            )
        # Plain rows, not model instances: the batch reads six columns and writes in bulk.
        movable = (RequestStatus.REQUESTED, RequestStatus.ROUTED)
        requests = [
            _Row(
                pk=pk,
                person_id=person,
                type=kind,
                division_key=key,
                raised_at=at,
                status=st,
                before=st,
            )
            for pk, person, kind, key, at, st in found
            if st in movable
        ]
        if not requests:
            return 0
        decided = _route(requests, now, planned_facilities(requests))
        if postgres:
            return _write_routed_pg(actor, requests, decided, now)
        _write_routed(actor, requests, decided, now)
    return len(requests)


def _write_routed(
    actor: Any, requests: Sequence[Any], decided: Sequence[tuple[Routed, Any]], now: dt.datetime
) -> None:
    """Every routed row in one columnar UPDATE, the audit events in one columnar write."""
    update_rows(
        CareRequest,
        ROUTED_FIELDS,
        [
            (
                r.pk,
                state.state,
                state.basis,
                r.status,
                routed.destination,
                routed.facility_id,
                routed.match,
                routed.via_120,
                routed.closed_loop,
                routed.sla_minutes,
                r.due_at,
                routed.rule_number,
                r.profile_code,
                r.profile_version,
                now,
            )
            for r, (routed, state) in zip(requests, decided, strict=True)
        ],
    )
    actor_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=now,
            actor=actor_id,
            actor_name=actor_name,
            action="care.request_routed",
            object_type="care.carerequest",
            object_id=str(r.pk),
            person_id=r.person_id,
            division_key=r.division_key,
            field="status",
            from_value=r.before,
            to_value=r.status,
            data=f'{{"rule": {r.rule_number}, "facility": {r.facility_id or "null"}}}',
        )
        for r in requests
    )


def _write_routed_pg(
    actor: Any, requests: Sequence[Any], decided: Sequence[tuple[Routed, Any]], now: dt.datetime
) -> int:
    """PostgreSQL: one statement. The distinct decisions (a few hundred for 10,000 requests)
    and the per-request columns (id, decision, state, basis, due, status before) travel as two
    JSON texts; the UPDATE joins them and its RETURNING feeds the INSERT of the audit events,
    so no row comes back to Python and none is sent twice. A row whose status moved on since it
    was read (accepted, cancelled) is left as it is and gets no event. Returns how many were
    routed."""
    index: dict[Routed, int] = {}
    for routed, _state in decided:
        index.setdefault(routed, len(index))
    decisions = [
        {
            "k": k,
            "dest": d.destination,
            "fac": d.facility_id,
            "match": d.match,
            "v120": d.via_120,
            "loop": d.closed_loop,
            "sla": d.sla_minutes,
            "rule": d.rule_number,
        }
        for d, k in index.items()
    ]
    dues: dict[dt.datetime, str] = {}  # one text per distinct due time
    rows = []
    for r, (routed, state) in zip(requests, decided, strict=True):
        due = dues.get(r.due_at)
        if due is None:
            due = dues[r.due_at] = r.due_at.isoformat()
        rows.append(
            {"p": r.pk, "k": index[routed], "s": state.state, "b": state.basis, "d": due,
             "o": r.before}
        )  # fmt: skip
    actor_id, actor_name = actor_columns(actor)
    q = connection.ops.quote_name
    request_table = q(CareRequest._meta.db_table)
    event_table = q(Event._meta.db_table)
    sql = f"""
        WITH d AS (
            SELECT * FROM json_to_recordset(%(decisions)s::json) AS d(
                k int, dest text, fac bigint, match text, v120 bool, loop bool, sla int, rule int)
        ), r AS (
            SELECT * FROM json_to_recordset(%(rows)s::json) AS r(
                p bigint, k int, s text, b text, d timestamptz, o text)
        ), up AS (
            UPDATE {request_table} AS t SET
                control_state = r.s, state_basis = r.b,
                status = CASE WHEN d.fac IS NULL THEN %(requested)s ELSE %(routed)s END,
                destination = d.dest, facility_id = d.fac, facility_match = d.match,
                via_120 = d.v120, closed_loop = d.loop, sla_minutes = d.sla, due_at = r.d,
                rule_number = d.rule, profile_code = %(code)s, profile_version = %(version)s,
                routed_at = %(now)s
            FROM r JOIN d ON d.k = r.k
            WHERE t.id = r.p AND t.status IN (%(requested)s, %(routed)s)
            RETURNING t.id, t.person_id, t.division_key, t.status, t.rule_number,
                t.facility_id, r.o
        )
        INSERT INTO {event_table} (
            at, recorded_at, actor_id, actor_name, action, object_type, object_id,
            object_label, person_id, division_key, field, from_value, to_value, reason, basis,
            data)
        SELECT %(now)s, %(now)s, %(actor)s, %(actor_name)s, 'care.request_routed',
            'care.carerequest', up.id::text, '', up.person_id, up.division_key, 'status', up.o,
            up.status, '', '', json_build_object('rule', up.rule_number, 'facility',
            up.facility_id)::jsonb
        FROM up
    """
    first = requests[0]
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "decisions": json.dumps(decisions),
                "rows": json.dumps(rows),
                "requested": RequestStatus.REQUESTED.value,
                "routed": RequestStatus.ROUTED.value,
                "code": first.profile_code,
                "version": first.profile_version,
                "now": now,
                "actor": actor_id,
                "actor_name": actor_name,
            },
        )
        return int(cursor.rowcount)


@transaction.atomic
def request_set_status(
    *,
    actor: Any,
    request: CareRequest,
    status: str,
    reason: str = "",
    happened_at: dt.datetime | None = None,
) -> CareRequest:
    """Accept (the facility it was routed to, or the task force), complete, or cancel (with a
    reason) a request of the actor's scope. `happened_at` (default now, never in the future,
    never before the request was raised) dates the event; a completion or cancellation sets
    `closed_at`, which the figures "as of T" read."""
    require(actor, Cap.CARE_VIEW)
    if not request_visible(actor, request.pk):
        raise field_error("request", _("This request is outside your jurisdiction"))
    request = CareRequest.objects.select_for_update().get(pk=request.pk)
    if status not in MOVES.get(request.status, ()):
        raise field_error(
            "status",
            _("A request %(now)s cannot become %(then)s")
            % {
                "now": RequestStatus(request.status).label,
                "then": RequestStatus(status).label if status in RequestStatus.values else status,
            },
        )
    reason = (reason or "").strip()
    if status == RequestStatus.CANCELLED:
        if not (can(actor, Cap.CARE_MANAGE) or can(actor, Cap.CARE_REQUEST)):
            raise field_error("status", _("Only the task force or who raised it may cancel it"))
        if not reason:
            raise field_error("reason", _("Give a reason"))
    elif not (can(actor, Cap.CARE_MANAGE) or is_facility_staff(actor)):
        raise field_error("status", _("Only the facility or the task force may do this"))
    now = timezone.now()
    at = happened_at or now
    check_happened(
        "happened_at",
        at,
        tolerance=in_force().rules.records.tolerance,
        after=((request.raised_at, _("This is before the request was raised")),),
        now=now,
    )
    old = request.status
    request.status = status
    fields = ["status"]
    if status in CLOSED:
        request.closed_at = at
        fields.append("closed_at")
    request.save(update_fields=fields)
    event_record(
        actor=actor,
        action=f"care.request_{status}",
        obj=request,
        person_id=request.person_id,
        division_key=request.division_key,
        field="status",
        from_value=old,
        to_value=status,
        reason=reason[:300],
        at=at,
    )
    return request
