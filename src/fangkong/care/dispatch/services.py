"""Writes of the 120 side: register a centre's ambulances, move a dispatch through its steps
(vehicle assigned, picked up, arrived, handed over: each with the time it happened, default
now, and the time it was written; each an audit event), take over an emergency from 110."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.care.dispatch.models import Dispatch, Source, Stage, Vehicle
from fangkong.care.dispatch.selectors import centres_for_user, queued_request, vehicles_for_user
from fangkong.care.models import CareRequest, Channel, Facility, RequestType
from fangkong.care.requests.services import request_raise
from fangkong.core.dates import check_happened
from fangkong.core.errors import field_error
from fangkong.people.models import Resident
from fangkong.policy.accessor import current

# Each step: the stage it leaves from, the stage it reaches, the time field it sets.
STEPS: dict[str, tuple[Stage, Stage]] = {
    "assign": (Stage.QUEUED, Stage.ASSIGNED),
    "pick_up": (Stage.ASSIGNED, Stage.PICKED_UP),
    "arrive": (Stage.PICKED_UP, Stage.ARRIVED),
    "hand_over": (Stage.ARRIVED, Stage.HANDED_OVER),
}
TIME_OF: dict[str, str] = {
    Stage.ASSIGNED: "assigned_at",
    Stage.PICKED_UP: "picked_up_at",
    Stage.ARRIVED: "arrived_at",
    Stage.HANDED_OVER: "handed_over_at",
}


@transaction.atomic
def vehicle_register(*, actor: Any, centre: Facility, plate: str, call_sign: str = "") -> Vehicle:
    """An ambulance of a 120 centre the actor may dispatch for."""
    if not centres_for_user(actor).filter(pk=centre.pk).exists():
        raise field_error("centre", _("Not a 120 centre you dispatch for"))
    plate = (plate or "").strip().upper()
    if not plate:
        raise field_error("plate", _("Give the number plate"))
    if Vehicle.objects.filter(plate=plate).exists():
        raise field_error("plate", _("A vehicle with this number plate is registered"))
    vehicle = Vehicle.objects.create(
        centre=centre,
        plate=plate,
        call_sign=(call_sign or "").strip()[:32],
        division_key=centre.division_key,
    )
    event_record(
        actor=actor,
        action="care.vehicle_registered",
        obj=vehicle,
        data={"centre": centre.code, "plate": plate},
    )
    return vehicle


def vehicle_of(actor: Any, vehicle_id: Any) -> Vehicle:
    """A vehicle in service of the actor's centres, or a field error at `vehicle`."""
    found = (
        vehicles_for_user(actor).filter(pk=vehicle_id, active=True).first()
        if str(vehicle_id or "").isdigit()
        else None
    )
    if found is None:
        raise field_error("vehicle", _("No vehicle in service of your 120 centres with this id"))
    return found


@transaction.atomic
def dispatch_step(
    *,
    actor: Any,
    request: CareRequest,
    step: str,
    vehicle: Vehicle | None = None,
    happened_at: dt.datetime | None = None,
) -> Dispatch:
    """Move the request's dispatch one step on, dated by `happened_at` (default now); the
    vehicle is named when it is assigned."""
    request = queued_request(actor, request.pk)
    if step not in STEPS:
        raise field_error("step", _("Choose a step"))
    dispatch, _made = Dispatch.objects.select_for_update().get_or_create(
        request=request,
        defaults={
            "source": Source.CARE,
            "division_key": request.division_key,
            "created_by": actor,
        },
    )
    start, stage = STEPS[step]
    if dispatch.stage != start:
        raise field_error(
            "step",
            _("The dispatch is at “%(now)s”: it cannot go to “%(then)s”")
            % {"now": Stage(dispatch.stage).label, "then": Stage(stage).label},
        )
    now = timezone.now()
    at = happened_at or now
    earlier = TIME_OF.get(start)
    check_happened(
        "happened_at",
        at,
        tolerance=current().rules.records.tolerance,
        after=(
            (getattr(dispatch, earlier) if earlier else request.raised_at,
             _("This is before the step before it")),
        ),
        now=now,
    )  # fmt: skip
    if stage == Stage.ASSIGNED:
        if vehicle is None:
            raise field_error("vehicle", _("Choose the vehicle"))
        dispatch.vehicle = vehicle_of(actor, vehicle.pk)
    field = TIME_OF[stage]
    setattr(dispatch, field, at)
    setattr(dispatch, field.replace("_at", "_recorded"), now)
    old, dispatch.stage = dispatch.stage, stage
    dispatch.save()
    event_record(
        actor=actor,
        action=f"care.dispatch_{stage}",
        obj=dispatch,
        person_id=request.person_id,
        field="stage",
        from_value=old,
        to_value=stage,
        data={"request": request.pk, "vehicle": dispatch.vehicle.plate if dispatch.vehicle else ""},
        at=at,
    )
    return dispatch


@transaction.atomic
def transfer_from_110(
    *,
    actor: Any,
    person: Resident,
    ref_110: str,
    description: str = "",
    contact_phone: str = "",
    raised_at: dt.datetime | None = None,
) -> CareRequest:
    """An emergency handed over by 110 (its reference number kept): raised as an emergency
    request, routed by the rule in force, and queued for 120 like any other."""
    ref = (ref_110 or "").strip()
    if not ref:
        raise field_error("ref_110", _("Give 110's reference number"))
    if Dispatch.objects.filter(source=Source.POLICE_110, ref_110=ref).exists():
        raise field_error("ref_110", _("This 110 hand-over is already in the queue"))
    request = request_raise(
        actor=actor,
        person=person,
        type=RequestType.EMERGENCY,
        channel=Channel.HOTLINE,
        description=description,
        contact_phone=contact_phone,
        raised_at=raised_at,
    )
    if not request.via_120:
        CareRequest.objects.filter(pk=request.pk).update(via_120=True)
        request.via_120 = True
    dispatch = Dispatch.objects.create(
        request=request,
        source=Source.POLICE_110,
        ref_110=ref[:32],
        division_key=request.division_key,
        created_by=actor,
    )
    event_record(
        actor=actor,
        action="care.dispatch_transferred",
        obj=dispatch,
        person_id=person.pk,
        field="stage",
        from_value="",
        to_value=Stage.QUEUED,
        data={"request": request.pk, "ref_110": ref},
        at=request.raised_at,
    )
    return request
