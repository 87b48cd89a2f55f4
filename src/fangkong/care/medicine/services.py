"""Writes on medicine delivery (送药): a chronic patient's course (its supply and daily dose
give the day it runs out), orders raised by the community, batched per pharmacy by the medical
task force, sourced by the pharmacy (a substitute is proposed, and accepted or declined by the
patient), delivered to the receiving point or the door and confirmed received, which adds the
medicine to the course's supply. Each step has the time it happened (given, or now) and an
audit event recorded now."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.labels import SELF_SERVICE
from fangkong.audit.services import event_record
from fangkong.care.facilities.selectors import facilities_for_user, is_facility_staff
from fangkong.care.medicine.selectors import order_for_user
from fangkong.care.medicine.supply import left_on, runs_out_on
from fangkong.care.models import (
    DeliverTo,
    Facility,
    FacilityKind,
    MedicineBatch,
    MedicineCourse,
    MedicineOrder,
    OrderStatus,
)
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.dates import check_happened
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.people.models import Resident
from fangkong.policy.accessor import current

OPEN = (
    OrderStatus.NEEDED,
    OrderStatus.BATCHED,
    OrderStatus.SUBSTITUTE,
    OrderStatus.SOURCED,
    OrderStatus.DELIVERED,
)


def _person(actor: Any, person: Resident) -> None:
    if not scoped(Resident.objects.filter(pk=person.pk), actor).exists():
        raise field_error("id_number", _("No person with this ID number in your jurisdiction"))


def _pharmacy(actor: Any, pharmacy: Facility | None, field: str = "pharmacy") -> Facility | None:
    if pharmacy is None:
        return None
    if (
        pharmacy.kind != FacilityKind.PHARMACY
        or not facilities_for_user(actor).filter(pk=pharmacy.pk).exists()
    ):
        raise field_error(field, _("Choose a pharmacy"))
    return pharmacy


def _positive(field: str, value: Decimal) -> Decimal:
    if value is None or value <= 0:
        raise field_error(field, _("Give a number above zero"))
    return value


def _when(
    field: str, value: dt.datetime | None, person: Resident, after: Any = None
) -> dt.datetime:
    """The time a step happened: given (checked, never ahead of the clock) or now."""
    now = timezone.now()
    at = value or now
    check_happened(
        field,
        at,
        tolerance=current().rules.records.tolerance,
        born=person.birth_date,
        now=now,
        after=((after, _("This comes before the step it follows")),) if after else (),
    )
    return at


@transaction.atomic
def course_save(
    *,
    actor: Any,
    person: Resident,
    medicine: str,
    daily_dose: Decimal,
    supply: Decimal,
    supply_on: dt.date,
    unit: str = "",
    pharmacy: Facility | None = None,
    course: MedicineCourse | None = None,
    active: bool = True,
) -> MedicineCourse:
    """Record (or correct) a chronic patient's medicine: what is on hand on a day and the daily
    dose; the day it runs out follows."""
    require(actor, Cap.CARE_COMMUNITY)
    _person(actor, person)
    medicine = (medicine or "").strip()[:100]
    if not medicine:
        raise field_error("medicine", _("Name the medicine"))
    _positive("daily_dose", daily_dose)
    if supply is None or supply < 0:
        raise field_error("supply", _("Give a number of zero or more"))
    values = {
        "medicine": medicine,
        "unit": (unit or "").strip()[:20],
        "daily_dose": daily_dose,
        "supply": supply,
        "supply_on": supply_on,
        "runs_out_on": runs_out_on(supply, daily_dose, supply_on),
        "pharmacy": _pharmacy(actor, pharmacy),
        "active": active,
    }
    created = course is None
    if course is None:
        course = MedicineCourse(person=person, division_key=person.division_key)
    elif course.person_id != person.pk:
        raise field_error("course", _("Not a course of this person"))
    for name, value in values.items():
        setattr(course, name, value)
    course.save()
    event_record(
        actor=actor,
        action="care.course_saved",
        obj=course,
        person_id=person.pk,
        field="runs_out_on",
        to_value=course.runs_out_on.isoformat(),
        data={"created": created, "supply": str(supply), "daily_dose": str(daily_dose)},
    )
    return course


def _step(actor: Any, order: MedicineOrder, to: str, at: dt.datetime, **data: Any) -> None:
    old = order.status
    order.status = to
    order.save()
    reason = data.pop("reason", "")
    event_record(
        actor=actor,
        action=f"care.medicine_{data.pop('action', to)}",
        obj=order,
        person_id=order.person_id,
        field="status",
        from_value=old,
        to_value=to,
        reason=reason,
        data=data,
        at=at,
    )


@transaction.atomic
def order_raise(
    *,
    actor: Any,
    person: Resident,
    medicine: str,
    quantity: Decimal,
    pharmacy: Facility,
    deliver_to: str = DeliverTo.POINT,
    course: MedicineCourse | None = None,
    needed_at: dt.datetime | None = None,
) -> MedicineOrder:
    """The community raises a medicine need for a person of its jurisdiction."""
    require(actor, Cap.CARE_COMMUNITY)
    _person(actor, person)
    medicine = (medicine or "").strip()[:100]
    if not medicine:
        raise field_error("medicine", _("Name the medicine"))
    if deliver_to not in DeliverTo.values:
        raise field_error("deliver_to", _("Say where to deliver"))
    if course is not None and course.person_id != person.pk:
        raise field_error("course", _("Not a course of this person"))
    at = _when("needed_at", needed_at, person)
    if pharmacy is None:
        raise field_error("pharmacy", _("Choose a pharmacy"))
    _pharmacy(actor, pharmacy)
    order = MedicineOrder.objects.create(
        person=person,
        course=course,
        medicine=medicine,
        quantity=_positive("quantity", quantity),
        pharmacy=pharmacy,
        deliver_to=deliver_to,
        needed_at=at,
        division_key=person.division_key,
        created_by=actor,
    )
    event_record(
        actor=actor,
        action="care.medicine_needed",
        obj=order,
        person_id=person.pk,
        field="status",
        from_value="",
        to_value=order.status,
        at=at,
    )
    return order


def orders_batch(
    *, actor: Any, ids: Sequence[int] | None = None, batched_at: dt.datetime | None = None
) -> list[MedicineBatch]:
    """Gather the needed orders of the actor's jurisdiction (all, or `ids`) into one batch per
    pharmacy (the medical task force)."""
    require(actor, Cap.CARE_MANAGE)
    now = timezone.now()
    at = batched_at or now
    with transaction.atomic():
        qs = scoped(MedicineOrder.objects.filter(status=OrderStatus.NEEDED), actor)
        if ids is not None:
            wanted = sorted(set(ids))
            qs = qs.filter(pk__in=in_ids(wanted))
            found = set(qs.values_list("pk", flat=True))
            unknown = [str(pk) for pk in wanted if pk not in found]
            if unknown:
                raise field_error(
                    "ids",
                    _("Not needed orders of your jurisdiction: %(ids)s")
                    % {"ids": ", ".join(unknown[:20])},
                )
        by_pharmacy: dict[int, list[MedicineOrder]] = {}
        for order in qs.select_for_update().order_by("pharmacy_id", "id"):
            by_pharmacy.setdefault(order.pharmacy_id, []).append(order)
        batches = []
        for pharmacy_id, orders in by_pharmacy.items():
            batch = MedicineBatch.objects.create(
                pharmacy_id=pharmacy_id,
                division_key=orders[0].pharmacy.division_key,
                batched_at=at,
                created_by=actor,
            )
            for order in orders:
                order.batch = batch
                _step(actor, order, OrderStatus.BATCHED, at, batch=batch.pk)
            batches.append(batch)
    return batches


def _may_source(actor: Any, order: MedicineOrder) -> None:
    if not (can(actor, Cap.CARE_MANAGE) or is_facility_staff(actor)):
        raise field_error("status", _("Only the pharmacy or the task force may do this"))


def _move(order: MedicineOrder, allowed: tuple[str, ...]) -> None:
    if order.status not in allowed:
        raise field_error(
            "status",
            _("An order %(now)s cannot take this step") % {"now": order.get_status_display()},
        )


@transaction.atomic
def order_source(
    *,
    actor: Any,
    order: MedicineOrder,
    substitute: str = "",
    at: dt.datetime | None = None,
) -> MedicineOrder:
    """The pharmacy (or the task force) found the medicine; or only a substitute, which the
    patient must accept or decline first."""
    order = order_for_user(actor, order.pk)
    _may_source(actor, order)
    _move(order, (OrderStatus.BATCHED,))
    when = _when("at", at, order.person, after=order.needed_at)
    substitute = (substitute or "").strip()[:100]
    if substitute:
        order.substitute = substitute
        _step(actor, order, OrderStatus.SUBSTITUTE, when, substitute=substitute)
    else:
        order.sourced_at = when
        _step(actor, order, OrderStatus.SOURCED, when)
    return order


@transaction.atomic
def order_substitute_answer(
    *,
    actor: Any,
    order: MedicineOrder,
    accept: bool,
    reason: str = "",
    at: dt.datetime | None = None,
) -> MedicineOrder:
    """The patient's answer to a substitute, recorded by the community: accepted, the
    substitute is what is delivered; declined, the order goes back to the pharmacy to be
    sourced again (the reason recorded), and the substitute is dropped."""
    require(actor, Cap.CARE_COMMUNITY)
    order = order_for_user(actor, order.pk)
    return _answer(actor, order, accept, reason, at)


@transaction.atomic
def my_substitute_answer(
    *,
    person: Resident,
    order_id: int,
    accept: bool,
    reason: str = "",
    at: dt.datetime | None = None,
) -> MedicineOrder:
    """The patient answers themselves (their phone page `/my-care/` or the API, identified by
    ID number and phone): only an order of their own; the event's actor is the resident."""
    order = (
        MedicineOrder.objects.select_for_update()
        .select_related("person")
        .filter(pk=order_id, person=person)
        .first()
    )
    if order is None:
        raise field_error("order", _("No such medicine order of yours"))
    return _answer(SELF_SERVICE, order, accept, reason, at)


def _answer(
    actor: Any, order: MedicineOrder, accept: bool, reason: str, at: dt.datetime | None
) -> MedicineOrder:
    _move(order, (OrderStatus.SUBSTITUTE,))
    when = _when("at", at, order.person, after=order.needed_at)
    offered = order.substitute
    if accept:
        order.sourced_at = when  # the substitute stays on the order: it is what comes
        _step(
            actor,
            order,
            OrderStatus.SOURCED,
            when,
            action="substitute_accepted",
            substitute=offered,
        )
    else:
        reason = (reason or "").strip()[:300]
        if not reason:
            raise field_error("reason", _("Give a reason"))
        order.substitute = ""
        _step(
            actor,
            order,
            OrderStatus.BATCHED,
            when,
            action="substitute_declined",
            substitute=offered,
            reason=reason,
        )
    return order


@transaction.atomic
def order_deliver(
    *,
    actor: Any,
    order: MedicineOrder,
    deliver_to: str | None = None,
    at: dt.datetime | None = None,
) -> MedicineOrder:
    """Delivered by the community to the receiving point or the door."""
    require(actor, Cap.CARE_COMMUNITY)
    order = order_for_user(actor, order.pk)
    _move(order, (OrderStatus.SOURCED,))
    if deliver_to is not None:
        if deliver_to not in DeliverTo.values:
            raise field_error("deliver_to", _("Say where to deliver"))
        order.deliver_to = deliver_to
    when = _when("at", at, order.person, after=order.sourced_at)
    order.delivered_at = when
    _step(actor, order, OrderStatus.DELIVERED, when, deliver_to=order.deliver_to)
    return order


@transaction.atomic
def order_confirm(
    *, actor: Any, order: MedicineOrder, at: dt.datetime | None = None
) -> MedicineOrder:
    """The patient has it (confirmed by the community): the course's supply grows by the
    quantity, counted that day, and the day it runs out moves."""
    require(actor, Cap.CARE_COMMUNITY)
    order = order_for_user(actor, order.pk)
    _move(order, (OrderStatus.DELIVERED,))
    when = _when("at", at, order.person, after=order.delivered_at)
    order.confirmed_at = when
    _step(actor, order, OrderStatus.CONFIRMED, when)
    course = order.course
    if course is not None:
        day = timezone.localdate(when)
        supply = left_on(course.supply, course.daily_dose, course.supply_on, day) + order.quantity
        old = course.runs_out_on
        course.supply, course.supply_on = supply, day
        course.runs_out_on = runs_out_on(supply, course.daily_dose, day)
        course.save(update_fields=["supply", "supply_on", "runs_out_on"])
        event_record(
            actor=actor,
            action="care.course_supplied",
            obj=course,
            person_id=course.person_id,
            field="runs_out_on",
            from_value=old.isoformat(),
            to_value=course.runs_out_on.isoformat(),
            data={"order": order.pk, "supply": str(supply)},
            at=when,
        )
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order: MedicineOrder, reason: str) -> MedicineOrder:
    require(actor, Cap.CARE_COMMUNITY)
    order = order_for_user(actor, order.pk)
    _move(order, OPEN)
    reason = (reason or "").strip()[:300]
    if not reason:
        raise field_error("reason", _("Give a reason"))
    _step(actor, order, OrderStatus.CANCELLED, timezone.now(), reason=reason)
    return order


def order_step(
    *,
    actor: Any,
    order: MedicineOrder,
    step: str,
    substitute: str = "",
    deliver_to: str = "",
    reason: str = "",
    at: dt.datetime | None = None,
) -> MedicineOrder:
    """One step by name (the pages' buttons and the API's `step`)."""
    if step == "source":
        return order_source(actor=actor, order=order, substitute=substitute, at=at)
    if step in ("accept", "decline"):
        return order_substitute_answer(
            actor=actor, order=order, accept=step == "accept", reason=reason, at=at
        )
    if step == "deliver":
        return order_deliver(actor=actor, order=order, deliver_to=deliver_to or None, at=at)
    if step == "confirm":
        return order_confirm(actor=actor, order=order, at=at)
    if step == "cancel":
        return order_cancel(actor=actor, order=order, reason=reason)
    raise field_error("step", _("Unknown step"))
