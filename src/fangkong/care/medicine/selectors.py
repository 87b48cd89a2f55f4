"""Reads of medicine courses and orders, scoped: the people of the caller's jurisdiction; a
pharmacy's own account (hospital role) sees the orders of the pharmacies it staffs. Who runs out
within the policy's number of days (`care.medicine_runout_warning_days`)."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import MedicineBatch, MedicineCourse, MedicineOrder, OrderStatus
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.roles import Role
from fangkong.policy.accessor import current
from fangkong.quarantine.models import STAY_OPEN, Stay


def courses_for_user(user: Any) -> QuerySet[MedicineCourse]:
    require(user, Cap.CARE_COMMUNITY)
    return scoped(MedicineCourse.objects.all(), user)


def course_for_user(user: Any, pk: int) -> MedicineCourse:
    try:
        return courses_for_user(user).select_related("person", "pharmacy").get(pk=pk)
    except MedicineCourse.DoesNotExist:
        raise Http404 from None


def warning_days() -> int:
    return current().rules.care.medicine_runout_warning_days


def running_out_for_user(user: Any, today: dt.date | None = None) -> QuerySet[MedicineCourse]:
    """Active courses whose medicine runs out within the warning days (or has run out)."""
    today = today or timezone.localdate()
    last = today + dt.timedelta(days=warning_days())
    return (
        courses_for_user(user)
        .filter(active=True, runs_out_on__lte=last)
        .select_related("person", "pharmacy")
        .order_by("runs_out_on", "id")
    )


def medicine_reach(user: Any) -> str:
    """Whose medicine orders the user's job reaches (else 403): the community and the task
    force their jurisdiction's people ("jurisdiction"); a pharmacy's account the orders of the
    pharmacies it staffs ("pharmacy"); a quarantine site the people staying at its sites
    ("site"). 120 dispatch and the 12345 hotline raise care requests (medicine refills
    included) but never see or handle medicine orders."""
    require(user, Cap.CARE_VIEW)
    if can(user, Cap.CARE_COMMUNITY) or can(user, Cap.CARE_MANAGE):
        return "jurisdiction"
    if is_facility_staff(user):
        return "pharmacy"
    if getattr(user, "role", "") == Role.QUARANTINE:
        return "site"
    raise PermissionDenied(Cap.CARE_COMMUNITY)


def medicine_reachable(user: Any) -> bool:
    """Whether the user's job reaches any medicine orders (the menu offers the page only then:
    120 and 12345 hold care.view but would be refused). No query."""
    try:
        medicine_reach(user)
    except PermissionDenied:
        return False
    return True


def _reached(qs: QuerySet[Any], user: Any) -> QuerySet[Any]:
    reach = medicine_reach(user)
    if reach == "pharmacy":
        return qs.filter(pharmacy__staff=user)
    if reach == "site":
        return qs.filter(
            person_id__in=Stay.objects.filter(status__in=STAY_OPEN, site__staff=user).values(
                "person_id"
            )
        )
    return scoped(qs, user)


def orders_for_user(user: Any) -> QuerySet[MedicineOrder]:
    return _reached(MedicineOrder.objects.all(), user)


def order_for_user(user: Any, pk: int) -> MedicineOrder:
    try:
        return orders_for_user(user).select_related("person", "pharmacy", "batch").get(pk=pk)
    except MedicineOrder.DoesNotExist:
        raise Http404 from None


def batches_for_user(user: Any) -> QuerySet[MedicineBatch]:
    reach = medicine_reach(user)
    if reach == "site":  # a site sees its people's orders, not the pharmacies' batches
        return MedicineBatch.objects.none()
    return _reached(MedicineBatch.objects.all(), user)


def order_history(order: MedicineOrder) -> QuerySet[Event]:
    return Event.objects.filter(object_type="care.medicineorder", object_id=str(order.pk))


def orders_of_person(person: Any) -> QuerySet[MedicineOrder]:
    """A resident's own open medicine orders (their phone page), those awaiting their answer
    to a substitute first."""
    awaiting = Case(When(status=OrderStatus.SUBSTITUTE, then=Value(0)), default=Value(1))
    return (
        MedicineOrder.objects.filter(person=person)
        .exclude(status__in=[OrderStatus.CONFIRMED, OrderStatus.CANCELLED])
        .select_related("pharmacy")
        .order_by(awaiting, "-needed_at", "-id")
    )
