"""Writes of the hospital side. The facility confirms admission; a refusal, or no confirmation
within the request's SLA clock, is a first-diagnosis-responsibility incident (首诊负责制)
recorded with its reason and escalated to the command centre at once. The request stays with
the facility: no refusal is accepted, the command centre steps in.

The missed-SLA incidents are found by `incidents_sweep` — run by the worker
(`care.tasks.sweep_care_sla`, `fangkong care_sweep` from cron) and on every read of the board
and the dashboard, so the figures are right even if the worker lags. Running it twice records
nothing the second time (one incident per request and facility, a unique constraint)."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SYSTEM
from fangkong.audit.services import EventRow, event_record, events_record_bulk
from fangkong.care.admission.models import Incident, IncidentKind, RefusalReason
from fangkong.care.admission.reasons import says_no_test_result
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import CareRequest, RequestStatus
from fangkong.care.requests.selectors import request_visible
from fangkong.care.requests.services import request_set_status
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.dates import check_happened
from fangkong.core.errors import field_error
from fangkong.policy.accessor import current


def admission_confirm(*, actor: Any, request: CareRequest) -> CareRequest:
    """The facility (or the task force) confirms the patient is admitted."""
    return request_set_status(actor=actor, request=request, status=RequestStatus.ACCEPTED)


@transaction.atomic
def admission_refuse(
    *,
    actor: Any,
    request: CareRequest,
    reason: str,
    reason_text: str = "",
    happened_at: dt.datetime | None = None,
) -> Incident:
    """Record a refusal by the facility the request was routed to: an incident, escalated to
    the command centre. "No test result" is not a reason offered; a free text saying it is
    recorded all the same, flagged."""
    require(actor, Cap.CARE_VIEW)
    if not (can(actor, Cap.CARE_MANAGE) or is_facility_staff(actor)):
        raise field_error("reason", _("Only the facility or the task force may record this"))
    if not request_visible(actor, request.pk):
        raise field_error("request", _("This request is outside your jurisdiction"))
    request = CareRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.ROUTED or request.facility_id is None:
        raise field_error("reason", _("Only a request routed to a facility can be refused"))
    if reason not in RefusalReason.values:
        raise field_error("reason", _("Choose a reason"))
    text = (reason_text or "").strip()[:500]
    if reason == RefusalReason.OTHER and not text:
        raise field_error("reason_text", _("Say what the reason is"))
    now = timezone.now()
    at = happened_at or now
    check_happened(
        "happened_at",
        at,
        tolerance=current().rules.records.tolerance,
        after=((request.raised_at, _("This is before the request was raised")),),
        now=now,
    )
    incident = Incident.objects.create(
        request=request,
        facility_id=request.facility_id,
        kind=IncidentKind.REFUSED,
        reason=reason,
        reason_text=text,
        flagged=says_no_test_result(text),
        happened_at=at,
        recorded_at=now,
        escalated_at=now,
        division_key=request.division_key,
        recorded_by=actor,
    )
    event_record(
        actor=actor,
        action="care.incident_recorded",
        obj=incident,
        person_id=request.person_id,
        field="kind",
        from_value="",
        to_value=incident.kind,
        reason=(text or str(RefusalReason(reason).label))[:300],
        data={
            "request": request.pk,
            "facility": request.facility_id,
            "reason": reason,
            "flagged": incident.flagged,
            "escalated_to": "command",
        },
        at=at,
    )
    return incident


@transaction.atomic
def incident_resolve(
    *,
    actor: Any,
    incident: Incident,
    resolution: str,
    basis: str = "",
    happened_at: dt.datetime | None = None,
) -> Incident:
    """The command centre (or the medical task force) closes an incident of its jurisdiction:
    what was done (required), on what basis, when it happened (default now; never in the
    future, never before the incident). Once only; an audit event dated when it happened."""
    require(actor, Cap.CARE_MANAGE)
    if not scoped(Incident.objects.filter(pk=incident.pk), actor).exists():
        raise field_error("incident", _("This incident is outside your jurisdiction"))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.resolved_at is not None:
        raise field_error("resolution", _("This incident is resolved already"))
    text = (resolution or "").strip()[:500]
    if not text:
        raise field_error("resolution", _("Say what was done"))
    now = timezone.now()
    at = happened_at or now
    check_happened(
        "happened_at",
        at,
        tolerance=current().rules.records.tolerance,
        after=((incident.happened_at, _("This is before the incident happened")),),
        now=now,
    )
    incident.resolution = text
    incident.resolution_basis = (basis or "").strip()[:300]
    incident.resolved_at = at
    incident.resolution_recorded_at = now
    incident.resolved_by = actor
    incident.save(
        update_fields=[
            "resolution",
            "resolution_basis",
            "resolved_at",
            "resolution_recorded_at",
            "resolved_by",
        ]
    )
    event_record(
        actor=actor,
        action="care.incident_resolved",
        obj=incident,
        person_id=incident.request.person_id,
        field="resolution",
        from_value="",
        to_value=text[:200],
        reason=text[:300],
        basis=incident.resolution_basis,
        data={"request": incident.request_id, "facility": incident.facility_id},
        at=at,
    )
    return incident


def incidents_sweep(*, now: dt.datetime | None = None) -> int:
    """Record an incident for every request routed to a facility that has not confirmed
    admission by its SLA clock (`due_at`, strictly before `now`); returns how many were new.
    One missed-SLA incident per request: routed again elsewhere and missed again, the first
    stands (the command centre has it already)."""
    now = now or timezone.now()
    missed = (
        CareRequest.objects.filter(
            status=RequestStatus.ROUTED, facility__isnull=False, due_at__lt=now
        )
        # NOT IN (one hashed subquery) rather than a correlated NOT EXISTS per request: read
        # on every board view, it must stay cheap with thousands of requests and incidents.
        .exclude(
            pk__in=Incident.objects.filter(kind=IncidentKind.NOT_CONFIRMED).values("request_id")
        )
        .values_list("pk", "facility_id", "due_at", "division_key", "person_id")
    )
    rows = [(pk, f, due, key, person) for pk, f, due, key, person in missed if due is not None]
    if not rows:
        return 0
    with transaction.atomic():
        Incident.objects.bulk_create(
            [
                Incident(
                    request_id=pk,
                    facility_id=facility,
                    kind=IncidentKind.NOT_CONFIRMED,
                    happened_at=due,
                    recorded_at=now,
                    escalated_at=now,
                    division_key=key,
                )
                for pk, facility, due, key, _person in rows
            ],
            ignore_conflicts=True,  # a sweep running alongside recorded it first
        )
        # Only the incidents this sweep wrote get an event.
        made = dict(
            Incident.objects.filter(
                kind=IncidentKind.NOT_CONFIRMED,
                recorded_at=now,
                request_id__in=[r[0] for r in rows],
            ).values_list("request_id", "pk")
        )
        events_record_bulk(
            EventRow(
                at=due,
                actor=None,
                actor_name=SYSTEM,
                action="care.incident_recorded",
                object_type="care.incident",
                object_id=str(made[pk]),
                person_id=person,
                division_key=key,
                field="kind",
                from_value="",
                to_value=IncidentKind.NOT_CONFIRMED,
                data=f'{{"request": {pk}, "facility": {facility}, "escalated_to": "command"}}',
            )
            for pk, facility, due, key, person in rows
            if pk in made
        )
    return len(made)
