"""App-wide reads: which enterprises, couriers, vehicles and passes a user may see.

Rows are scoped by the enterprise's place (`division_key`). An account with the `supply` role
(an enterprise's own account) sees only the enterprises whose staff it is on, and only their
couriers, vehicles and passes: another enterprise's rows are "not found" to it. The
sub-domains' own reads are in enterprises/selectors.py and passes/selectors.py.
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from fangkong.core.access import Cap, require, scoped
from fangkong.core.roles import Role
from fangkong.supplies.models import Courier, Enterprise, SupplyPass, Vehicle


def is_enterprise_account(user: Any) -> bool:
    """An enterprise's own account (role "supply"): it works for the enterprises it staffs."""
    return not getattr(user, "is_superuser", False) and getattr(user, "role", "") == Role.SUPPLY


def enterprises_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[Enterprise]:
    """Enterprises in the caller's jurisdiction (an enterprise account: its own), refused to
    one without `cap`."""
    require(user, cap)
    qs = scoped(Enterprise.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.filter(staff=user)
    return qs


def _own[M: Any](qs: QuerySet[M], user: Any, cap: Cap) -> QuerySet[M]:
    require(user, cap)
    qs = scoped(qs, user)
    if is_enterprise_account(user):
        qs = qs.filter(enterprise__staff=user)
    return qs


def couriers_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[Courier]:
    return _own(Courier.objects.all(), user, cap)


def vehicles_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[Vehicle]:
    return _own(Vehicle.objects.all(), user, cap)


def passes_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[SupplyPass]:
    return _own(SupplyPass.objects.all(), user, cap)


def enterprise_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> Enterprise:
    found = enterprises_for_user(user, cap).select_related("division").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def courier_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> Courier:
    found = (
        couriers_for_user(user, cap)
        .select_related("enterprise", "person", "area")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def vehicle_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> Vehicle:
    found = vehicles_for_user(user, cap).select_related("enterprise", "area").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def pass_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> SupplyPass:
    found = (
        passes_for_user(user, cap)
        .select_related("enterprise", "courier__person", "courier__area", "vehicle__area", "key")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found
