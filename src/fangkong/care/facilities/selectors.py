"""Reads of the facilities' registry. A facility is seen when its place and the caller's node
lie on one branch (`lab.selectors.overlap_q`: a grid worker sees the district's designated
hospital, the district sees the facilities of its streets); an account with the hospital role
sees only the facilities whose staff it is on."""

from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from fangkong.audit.models import Event
from fangkong.care.models import Facility
from fangkong.core.access import Cap, require
from fangkong.core.roles import Role
from fangkong.lab.selectors import overlap_q


def is_facility_staff(user: Any) -> bool:
    """A facility's own account (role "hospital"): it works for the facilities it staffs."""
    return not getattr(user, "is_superuser", False) and getattr(user, "role", "") == Role.HOSPITAL


def facilities_for_user(user: Any, cap: Cap = Cap.CARE_VIEW) -> QuerySet[Facility]:
    """Facilities of the caller's jurisdiction (a hospital account: those it staffs)."""
    require(user, cap)
    qs = Facility.objects.filter(overlap_q(user))
    if is_facility_staff(user):
        qs = qs.filter(staff=user)
    return qs


def facility_for_user(user: Any, pk: int, cap: Cap = Cap.CARE_VIEW) -> Facility:
    try:
        return facilities_for_user(user, cap).select_related("division").get(pk=pk)
    except Facility.DoesNotExist:
        raise Http404 from None


def registry_for(user: Any) -> QuerySet[Facility]:
    """The facilities of the registry list, with their places and the size of their staff."""
    return (
        facilities_for_user(user)
        .select_related("division")
        .annotate(staff_count=Count("staff"))
        .order_by("code")
    )


def facility_history(facility: Facility, limit: int = 50) -> QuerySet[Event]:
    return Event.objects.filter(object_type="care.facility", object_id=str(facility.pk))[:limit]
