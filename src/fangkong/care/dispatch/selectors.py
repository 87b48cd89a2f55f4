"""Reads of the 120 side, scoped: a dispatcher sees the queue of its jurisdiction (requests
routed by 120, and those 110 handed over) and the vehicles of the centres it staffs; the task
force and the command centre see their jurisdiction's queue and centres."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from fangkong.care.dispatch.models import Stage, Vehicle
from fangkong.care.facilities.selectors import facilities_for_user
from fangkong.care.models import CareRequest, FacilityKind, RequestStatus
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.roles import Role

CLOSED = (RequestStatus.COMPLETED, RequestStatus.CANCELLED)


def is_dispatcher(user: Any) -> bool:
    return not getattr(user, "is_superuser", False) and getattr(user, "role", "") == (
        Role.DISPATCH_120
    )


def may_dispatch(user: Any) -> bool:
    return can(user, Cap.CARE_DISPATCH) or can(user, Cap.CARE_MANAGE)


def _require_dispatch(user: Any) -> None:
    if not may_dispatch(user):
        require(user, Cap.CARE_DISPATCH)


def queue_for_user(user: Any, *, done: bool = False) -> QuerySet[CareRequest]:
    """The 120 queue: requests by 120 of people of the user's jurisdiction, open and not yet
    handed over (`done`: those handed over or closed), most urgent first."""
    _require_dispatch(user)
    qs = scoped(CareRequest.objects.filter(via_120=True), user)
    finished = Q(status__in=CLOSED) | Q(dispatch__stage=Stage.HANDED_OVER)
    qs = qs.filter(finished) if done else qs.exclude(finished)
    return qs.select_related("person", "facility", "dispatch", "dispatch__vehicle").order_by(
        "due_at", "pk"
    )


def queued_request(user: Any, pk: int) -> CareRequest:
    _require_dispatch(user)
    try:
        return (
            scoped(CareRequest.objects.filter(via_120=True), user)
            .select_related("person", "facility", "dispatch", "dispatch__vehicle")
            .get(pk=pk)
        )
    except CareRequest.DoesNotExist:
        raise Http404 from None


def centres_for_user(user: Any) -> QuerySet[Any]:
    """The 120 centres whose vehicles the user may dispatch (a dispatcher: those it staffs)."""
    _require_dispatch(user)
    qs = facilities_for_user(user).filter(kind=FacilityKind.DISPATCH_120)
    return qs.filter(staff=user) if is_dispatcher(user) else qs


def vehicles_for_user(user: Any) -> QuerySet[Vehicle]:
    return Vehicle.objects.filter(centre__in=centres_for_user(user)).select_related("centre")
