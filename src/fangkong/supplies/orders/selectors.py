"""Reads of the orders: who sees which (scoped by the compound's key; an enterprise account
only the orders and batches assigned to its enterprises), key persons first, lateness by the
deadline the policy set when each order was placed, and the totals by compound."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.core.access import Cap, can, require, scoped
from fangkong.core.db import prefix_q
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy.accessor import current
from fangkong.supplies.orders.models import (
    Order,
    OrderBatch,
    OrderStatus,
    Product,
    ReceivingPoint,
)
from fangkong.supplies.selectors import is_enterprise_account
from fangkong.zones.models import ChangeKind, ZoneArea, ZoneChange, ZoneStatus

OPEN = (OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.DISPATCHED, OrderStatus.AT_POINT)


def zone_level_at(key: str, at: dt.datetime) -> str:
    """The level of the most restrictive risk zone in force at `at` over the place `key` (a
    home: its compound and every node above or on the way down to it); blank: none. From the
    zones' history by when each change happened, so an order entered late takes the level it
    was placed under. Two queries."""
    keys = [key[:n] for n in sorted(set(KEY_LENGTH.values())) if n <= len(key)]
    zone_ids = (
        ZoneArea.objects.filter(division_key__in=keys)
        .exclude(zone__status__in=[ZoneStatus.PROPOSED, ZoneStatus.WITHDRAWN])
        .values("zone_id")
    )
    latest: dict[int, tuple[str, str]] = {}
    for zone_id, kind, level in (
        ZoneChange.objects.filter(zone_id__in=zone_ids, at__lte=at)
        .order_by("zone_id", "at", "pk")
        .values_list("zone_id", "kind", "to_level")
    ):
        latest[zone_id] = (kind, level)
    levels = list(current().rules.zones.levels)
    in_force = [level for kind, level in latest.values() if kind != ChangeKind.LIFTED]
    if not in_force:
        return ""
    return min(in_force, key=lambda lv: levels.index(lv) if lv in levels else len(levels))


def late_q(now: dt.datetime | None = None) -> Q:
    """Open orders past their deadline (late from the minute after it)."""
    return Q(status__in=OPEN, due_at__lt=now or timezone.now())


def is_late(order: Order, now: dt.datetime | None = None) -> bool:
    """Past its deadline: still open after it, or delivered after it."""
    if order.status == OrderStatus.DELIVERED:
        return order.delivered_at is not None and order.delivered_at > order.due_at
    return order.status in OPEN and (now or timezone.now()) > order.due_at


def orders_for_user(user: Any) -> QuerySet[Order]:
    """Orders of compounds in the caller's jurisdiction (an enterprise account: those
    assigned to its enterprises), key persons first, then the oldest."""
    require(user, Cap.ORDERS_VIEW)
    qs = scoped(Order.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.filter(enterprise__staff=user)
    return qs.order_by("-key_person", "placed_at", "pk")


def order_for_user(user: Any, pk: int) -> Order:
    found = (
        orders_for_user(user)
        .select_related("person", "compound", "point", "enterprise", "batch")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def batches_for_user(user: Any) -> QuerySet[OrderBatch]:
    """Batches of the caller's jurisdiction (an enterprise account: its own), those with key
    persons first."""
    require(user, Cap.ORDERS_VIEW)
    qs = scoped(OrderBatch.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.filter(enterprise__staff=user)
    return qs.order_by("-key_orders", "created_at", "pk")


def batch_for_user(user: Any, pk: int) -> OrderBatch:
    found = (
        batches_for_user(user)
        .select_related("compound", "point", "enterprise")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def points_for_user(user: Any) -> QuerySet[ReceivingPoint]:
    """Receiving points of the caller's jurisdiction (those who order, deliver or keep them)."""
    require(user, Cap.ORDERS_VIEW)
    if is_enterprise_account(user):
        # An enterprise sees the points of the compounds it has batches for.
        served = OrderBatch.objects.filter(enterprise__staff=user).values("point_id")
        return ReceivingPoint.objects.filter(pk__in=served).select_related("compound")
    return scoped(ReceivingPoint.objects.all(), user).select_related("compound")


def point_for_user(user: Any, pk: int) -> ReceivingPoint:
    found = points_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def catalogue() -> QuerySet[Product]:
    """What residents may order now (public to anyone who orders)."""
    return Product.objects.filter(active=True).order_by("kind", "name")


def products_for_user(user: Any) -> QuerySet[Product]:
    require(user, Cap.ORDERS_VIEW)
    return Product.objects.order_by("kind", "name")


def product_for_user(user: Any, pk: int) -> Product:
    found = products_for_user(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def compounds_for_user(user: Any) -> QuerySet[Division]:
    """Compounds of the caller's jurisdiction (to register receiving points at)."""
    return scoped(Division.objects.filter(level=Level.COMPOUND), user, "key").order_by("key")


def orderable_people(user: Any, text: str) -> QuerySet[Resident]:
    """People of the caller's jurisdiction found by name or ID number, to order for."""
    require(user, Cap.ORDERS_PLACE)
    text = (text or "").strip()
    if not text:
        return Resident.objects.none()
    qs = scoped(Resident.objects.all(), user)
    return qs.filter(Q(name=text) | Q(id_number=text.upper()) | Q(phone=text)).order_by("pk")[:20]


@dataclass
class CompoundTotals:
    compound_id: int
    key: str
    code: str
    name: str
    open: int
    late: int
    key_open: int
    delivered: int
    points: int


def totals_by_compound(user: Any, now: dt.datetime | None = None) -> list[CompoundTotals]:
    """Per compound of the caller's jurisdiction with orders: open, late, open for key
    persons, delivered, and how many receiving points it has. Two queries."""
    now = now or timezone.now()
    rows = (
        orders_for_user(user)
        .order_by()
        .values("compound_id", "compound__key", "compound__code", "compound__name")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN)),
            late=Count("pk", filter=late_q(now)),
            key_open=Count("pk", filter=Q(status__in=OPEN, key_person=True)),
            delivered=Count("pk", filter=Q(status=OrderStatus.DELIVERED)),
        )
        .order_by("-late", "-open", "compound__key")
    )
    found = list(rows)
    points = dict(
        ReceivingPoint.objects.filter(
            compound_id__in=[r["compound_id"] for r in found], active=True
        )
        .values("compound_id")
        .annotate(n=Count("pk"))
        .values_list("compound_id", "n")
    )
    return [
        CompoundTotals(
            compound_id=r["compound_id"],
            key=r["compound__key"],
            code=r["compound__code"],
            name=r["compound__name"],
            open=r["open"],
            late=r["late"],
            key_open=r["key_open"],
            delivered=r["delivered"],
            points=points.get(r["compound_id"], 0),
        )
        for r in found
    ]


@dataclass
class OrderFigures:
    open: int
    late: int
    key_open: int


def order_figures(prefix: str = "", now: dt.datetime | None = None) -> OrderFigures:
    """Open and late orders under a division-key prefix (the command dashboard). One query."""
    got = (
        Order.objects.filter(prefix_q("division_key", prefix) if prefix else Q())
        .filter(status__in=OPEN)
        .aggregate(
            open=Count("pk"),
            late=Count("pk", filter=late_q(now)),
            key_open=Count("pk", filter=Q(key_person=True)),
        )
    )
    return OrderFigures(open=got["open"], late=got["late"], key_open=got["key_open"])


def order_history(order: Order, limit: int = 50) -> QuerySet[Event]:
    return Event.objects.filter(object_type="supplies.order", object_id=str(order.pk)).order_by(
        "at", "pk"
    )[:limit]


def may_deliver(user: Any) -> bool:
    return can(user, Cap.ORDERS_DELIVER)
