"""Reads of medicine courses and orders, scoped: the people of the caller's jurisdiction; a
pharmacy's own account (hospital role) sees the orders of the pharmacies it staffs. Who runs out
within the policy's number of days (`care.medicine_runout_warning_days`)."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.care.facilities.selectors import is_facility_staff
from fangkong.care.models import MedicineBatch, MedicineCourse, MedicineOrder
from fangkong.core.access import Cap, require, scoped
from fangkong.policy.accessor import current


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


def orders_for_user(user: Any) -> QuerySet[MedicineOrder]:
    require(user, Cap.CARE_VIEW)
    if is_facility_staff(user):
        return MedicineOrder.objects.filter(pharmacy__staff=user)
    return scoped(MedicineOrder.objects.all(), user)


def order_for_user(user: Any, pk: int) -> MedicineOrder:
    try:
        return orders_for_user(user).select_related("person", "pharmacy", "batch").get(pk=pk)
    except MedicineOrder.DoesNotExist:
        raise Http404 from None


def batches_for_user(user: Any) -> QuerySet[MedicineBatch]:
    require(user, Cap.CARE_VIEW)
    if is_facility_staff(user):
        return MedicineBatch.objects.filter(pharmacy__staff=user)
    return scoped(MedicineBatch.objects.all(), user)


def order_history(order: MedicineOrder) -> QuerySet[Event]:
    return Event.objects.filter(object_type="care.medicineorder", object_id=str(order.pk))
