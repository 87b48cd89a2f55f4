"""Closed-loop transfers (闭环转运) of people who tested positive to a designated or shelter
hospital: requested, departed (stay ends, room awaits disinfection, measure closes, the case
records the transfer), handed over."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core import changes
from fangkong.core.access import Cap, acting_user, can, in_scope, key_filter, require, scope_key
from fangkong.core.errors import field_error
from fangkong.epi.cases.services import case_transfer, check_happened
from fangkong.epi.models import Case, CaseStatus
from fangkong.people.models import Resident
from fangkong.quarantine.measures.selectors import (
    check_measure,
    measures_for_user,
    open_stay,
    positive_tube_q,
    site_ids_for,
    with_today,
)
from fangkong.quarantine.measures.services import (
    check_checked_out_at,
    check_closed_at,
    measure_close,
    stay_end,
)
from fangkong.quarantine.models import (
    DueTestStatus,
    Measure,
    MeasureStatus,
    StayStatus,
    Transfer,
    TransferDestination,
    TransferStatus,
)

OPEN_TRANSFER = (TransferStatus.REQUESTED, TransferStatus.DEPARTED)


# Transfers ---------------------------------------------------------------------------------------


def transfers_for_user(user: Any) -> QuerySet[Transfer]:
    if not can(user, Cap.TRANSFERS_MANAGE):
        require(user, Cap.QUARANTINE_VIEW)
    site_ids = site_ids_for(user)
    if site_ids is not None:
        condition = Q(stay__site_id__in=site_ids)
    else:
        condition = key_filter(scope_key(user))
    if can(user, Cap.QUARANTINE_VIEW):
        condition |= Q(measure__in=measures_for_user(user).values("pk"))
    return Transfer.objects.filter(condition).select_related(
        "person", "stay__site", "stay__room", "measure", "case"
    )


def transfer_for_user(user: Any, pk: int) -> Transfer:
    try:
        return transfers_for_user(user).get(pk=pk)
    except Transfer.DoesNotExist:
        raise Http404 from None


def open_case(person_id: int) -> Case | None:
    return Case.objects.filter(person_id=person_id, status=CaseStatus.REPORTED).first()


def transfer_candidates(user: Any) -> list[Measure]:
    """Active measures whose person has an open case or a positive test, with no transfer yet."""
    positive = Q(tests__status=DueTestStatus.POSITIVE) | positive_tube_q("tests__tube__")
    has_case = Q(person__cases__status=CaseStatus.REPORTED)
    busy = Transfer.objects.filter(status__in=OPEN_TRANSFER).values("person_id")
    qs = (
        measures_for_user(user)
        .filter(status=MeasureStatus.ACTIVE)
        .filter(positive | has_case)
        .exclude(person_id__in=busy)
        .distinct()
    )
    return list(with_today(qs, timezone.localdate()).select_related("person").order_by("id")[:200])


@transaction.atomic
def transfer_request(
    *,
    actor: Any,
    measure: Measure | None = None,
    case: Case | None = None,
    destination_kind: str,
    destination: str,
    vehicle: str = "",
    escort: str = "",
) -> Transfer:
    """A closed-loop transfer task for a person who tested positive: from their measure, or
    from their case (a person with no measure, found in the community)."""
    require(actor, Cap.TRANSFERS_MANAGE)
    if measure is not None:
        check_measure(actor, measure)
        person = measure.person
        case = case or open_case(person.pk)
    elif case is not None:
        if not in_scope(actor, case.division_key) or case.status != CaseStatus.REPORTED:
            raise field_error("case", _("No open case in your jurisdiction"))
        person = case.person
        measure = Measure.objects.filter(person=person, status=MeasureStatus.ACTIVE).first()
    else:
        raise field_error("measure", _("Start the transfer from the person's measure or case"))
    if destination_kind not in TransferDestination.values:
        raise field_error("destination_kind", _("Choose a designated or shelter hospital"))
    destination = (destination or "").strip()
    if not destination:
        raise field_error("destination", _("Name the hospital"))
    Resident.objects.select_for_update().filter(pk=person.pk).first()  # serialise per person
    if Transfer.objects.filter(person=person, status__in=OPEN_TRANSFER).exists():
        raise field_error(
            "person", _("%(name)s already has a transfer under way") % {"name": person.name}
        )
    stay = open_stay(person.pk)
    transfer = Transfer.objects.create(
        person=person,
        stay=stay,
        measure=measure,
        case=case,
        destination_kind=destination_kind,
        destination=destination[:120],
        vehicle=(vehicle or "").strip()[:40],
        escort=(escort or "").strip()[:60],
        requested_by=acting_user(actor),
        division_key=stay.division_key if stay is not None else person.division_key,
    )
    event_record(
        actor=actor,
        action="transfer.requested",
        obj=transfer,
        person_id=person.pk,
        field="status",
        to_value=TransferStatus.REQUESTED,
        data={"destination": destination, "vehicle": transfer.vehicle, "escort": transfer.escort},
    )
    return transfer


def _transfer_locked(actor: Any, transfer: Transfer, expected: str) -> Transfer:
    require(actor, Cap.TRANSFERS_MANAGE)
    if not transfers_for_user(actor).filter(pk=transfer.pk).exists():
        raise field_error("transfer", _("This transfer is outside your jurisdiction"))
    locked = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("person", "stay", "measure", "case")
        .get(pk=transfer.pk)
    )
    if locked.status != expected:
        raise field_error(
            "status",
            _("This transfer is %(status)s") % {"status": locked.get_status_display().lower()},
        )
    return locked


def _when(value: dt.datetime | None, name: str, after: dt.datetime | None = None) -> dt.datetime:
    """When a step happened (valid time, now if not given): not ahead of the clock beyond the
    policy's tolerance, not before the departure."""
    return check_happened(name, value, after=((after, _("This time is before the departure")),))


def _transfer_event(
    actor: Any, t: Transfer, old: str, reason: str = "", at: dt.datetime | None = None
) -> None:
    event_record(
        at=at,
        actor=actor,
        action=f"transfer.{t.status}",
        obj=t,
        person_id=t.person_id,
        field="status",
        from_value=old,
        to_value=t.status,
        reason=reason,
    )


@transaction.atomic
def transfer_depart(
    *, actor: Any, transfer: Transfer, departed_at: dt.datetime | None = None
) -> Transfer:
    """The vehicle left: the stay ends and the room awaits disinfection, the measure closes as
    transferred, and the person's open case records the closed-loop transfer."""
    t = _transfer_locked(actor, transfer, TransferStatus.REQUESTED)
    departed_at = _when(departed_at, "departed_at")
    stay = open_stay(t.person_id)
    measure = Measure.objects.filter(person_id=t.person_id, status=MeasureStatus.ACTIVE).first()
    try:  # the departure ends the stay and the measure: it cannot come before either began
        if stay is not None:
            check_checked_out_at(stay, departed_at)
        if measure is not None:
            check_closed_at(measure, departed_at)
    except ValidationError as exc:
        raise field_error("departed_at", " ".join(exc.messages)) from None
    where = f"{t.get_destination_kind_display()} {t.destination}"
    reason = _("Closed-loop transfer to %(where)s") % {"where": where}
    t.status, t.departed_at = TransferStatus.DEPARTED, departed_at
    t.save(update_fields=["status", "departed_at"])
    _transfer_event(actor, t, TransferStatus.REQUESTED, at=departed_at)
    if stay is not None:
        stay_end(
            actor=actor, stay=stay, status=StayStatus.TRANSFERRED, reason=reason, at=departed_at
        )
    if measure is not None:
        measure_close(
            actor=actor,
            measure=measure,
            status=MeasureStatus.TRANSFERRED,
            reason=reason,
            closed_at=departed_at,
        )
    case = t.case if t.case is not None and t.case.status == CaseStatus.REPORTED else None
    case = case or open_case(t.person_id)
    if case is not None:
        case_transfer(
            actor=actor,
            case=case,
            destination=t.destination_kind,
            destination_name=t.destination,
            transferred_at=departed_at,
            reason=reason,
            check_access=False,
        )
        if t.case_id != case.pk:
            t.case = case
            t.save(update_fields=["case"])
    changes.changed("person", [t.person_id])
    return t


@transaction.atomic
def transfer_hand_over(
    *, actor: Any, transfer: Transfer, received_by: str, handed_over_at: dt.datetime | None = None
) -> Transfer:
    """The hospital received the person: who received them, and when."""
    t = _transfer_locked(actor, transfer, TransferStatus.DEPARTED)
    received_by = (received_by or "").strip()
    if not received_by:
        raise field_error("received_by", _("Name who received the person"))
    t.handed_over_at = _when(handed_over_at, "handed_over_at", after=t.departed_at)
    t.received_by = received_by[:60]
    t.status = TransferStatus.HANDED_OVER
    t.save(update_fields=["status", "handed_over_at", "received_by"])
    _transfer_event(actor, t, TransferStatus.DEPARTED, reason=t.received_by, at=t.handed_over_at)
    return t


@transaction.atomic
def transfer_cancel(*, actor: Any, transfer: Transfer, reason: str) -> Transfer:
    t = _transfer_locked(actor, transfer, TransferStatus.REQUESTED)
    if not (reason or "").strip():
        raise field_error("reason", _("Give a reason"))
    t.status = TransferStatus.CANCELLED
    t.save(update_fields=["status"])
    _transfer_event(actor, t, TransferStatus.REQUESTED, reason=reason.strip())
    return t
