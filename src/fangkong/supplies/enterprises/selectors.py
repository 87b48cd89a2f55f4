"""Reads of the whitelist pages and API: the enterprises list with its counts, an
enterprise's couriers and vehicles, and the audit history of a row. Who sees what is decided
in `fangkong.supplies.selectors`."""

from typing import Any

from django.db.models import Count, Model, QuerySet

from fangkong.audit.models import Event
from fangkong.core.access import Cap
from fangkong.supplies.models import Courier, Enterprise, Vehicle
from fangkong.supplies.selectors import couriers_for_user, enterprises_for_user, vehicles_for_user


def registry_for(user: Any) -> QuerySet[Enterprise]:
    return (
        enterprises_for_user(user)
        .select_related("division")
        .annotate(
            courier_count=Count("couriers", distinct=True),
            vehicle_count=Count("vehicles", distinct=True),
        )
        .order_by("name", "pk")
    )


def couriers_of(
    user: Any, enterprise: Enterprise, cap: Cap = Cap.SUPPLIES_VIEW
) -> QuerySet[Courier]:
    return (
        couriers_for_user(user, cap)
        .filter(enterprise=enterprise)
        .select_related("person", "area")
        .order_by("pk")
    )


def vehicles_of(
    user: Any, enterprise: Enterprise, cap: Cap = Cap.SUPPLIES_VIEW
) -> QuerySet[Vehicle]:
    return vehicles_for_user(user, cap).filter(enterprise=enterprise).select_related("area")


def history(obj: Model, limit: int = 50) -> QuerySet[Event]:
    """The row's audit events, newest first."""
    return Event.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))[:limit]
