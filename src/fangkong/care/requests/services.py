"""Writes on medical requests: raise one (the control state attached, routed by the rule in
force), route many in one batch (columnar), and move a request on (accepted, completed,
cancelled). Every change is an audit event with who, when, what and why.

Extension points for what comes next (issue 17, items 4–9): a request routed `via_120` is the
120 dispatch queue's (filter `via_120=True, status=routed`); hospitals confirm with
`request_set_status(…, status=accepted)`, and a refusal will be a status of its own recorded
with its reason; `due_at` is the SLA clock the board reads.
"""

import datetime as dt
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SELF_SERVICE, SYSTEM
from fangkong.audit.services import EventRow, actor_columns, event_record, events_record_bulk
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import CareRequest, Channel, Facility, RequestStatus, RequestType
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


def _route(requests: Sequence[Any], now: dt.datetime) -> list[tuple[Routed, Any]]:
    """Attach each request's control state and routing decision (in memory)."""
    policy = in_force()
    states = states_of([r.person_id for r in requests], [r.division_key for r in requests])
    decisions = route_all(
        policy.rules.care,
        [r.type for r in requests],
        [s.state for s in states],
        [r.division_key for r in requests],
        sites_in_service(),
    )
    clocks = {t: policy.rules.care.clock_for(t) for t in {r.type for r in requests}}
    dues: dict[tuple[dt.datetime, str], dt.datetime] = {}  # requests raised together share one
    out = []
    for request, state, routed in zip(requests, states, decisions, strict=True):
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
    _route([request], now)
    if (
        planned is not None
        and planned.active
        and planned.kind == request.destination
        and request.facility_match != NAMED
    ):
        request.facility, request.facility_match = planned, PLANNED
        request.status = RequestStatus.ROUTED
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
    their control states read now, one UPDATE per distinct decision, one columnar write of the
    audit events. Returns how many were routed (accepted and closed ones are left as they
    are). An id outside the actor's jurisdiction refuses the batch, nothing written."""
    require(actor, Cap.CARE_MANAGE)
    now = timezone.now()
    with transaction.atomic():
        wanted = sorted(set(ids))
        seen = set(
            scoped(CareRequest.objects.filter(pk__in=in_ids(wanted)), actor).values_list(
                "pk", flat=True
            )
        )
        unknown = [str(pk) for pk in wanted if pk not in seen]
        if unknown:
            raise field_error(
                "ids",
                _("Not requests of your jurisdiction: %(ids)s") % {"ids": ", ".join(unknown[:20])},
            )
        # Plain rows, not model instances: the batch reads five columns and writes by UPDATE.
        requests = [
            _Row(pk=pk, person_id=person, type=kind, division_key=key, raised_at=at, status=st)
            for pk, person, kind, key, at, st in CareRequest.objects.filter(
                pk__in=in_ids(wanted),
                status__in=[RequestStatus.REQUESTED, RequestStatus.ROUTED],
            )
            .select_for_update()
            .values_list("pk", "person_id", "type", "division_key", "raised_at", "status")
        ]
        if not requests:
            return 0
        before = {r.pk: r.status for r in requests}
        decided = _route(requests, now)
        # One columnar UPDATE of every routed row (an array per column on PostgreSQL).
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
                from_value=before[r.pk],
                to_value=r.status,
                data=f'{{"rule": {r.rule_number}, "facility": {r.facility_id or "null"}}}',
            )
            for r in requests
        )
    return len(requests)


@transaction.atomic
def request_set_status(
    *, actor: Any, request: CareRequest, status: str, reason: str = ""
) -> CareRequest:
    """Accept (the facility it was routed to, or the task force), complete, or cancel (with a
    reason) a request of the actor's scope."""
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
    old = request.status
    request.status = status
    request.save(update_fields=["status"])
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
    )
    return request
