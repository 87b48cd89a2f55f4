"""The supplies figures of the command dashboard and the API (issue 16, item 5): orders open
and late as of a moment (in all and by compound, late ones first) and passes issued, revoked
and valid. Read back by the rows' own times, so a past moment counts as it stood (a cancelled
order counts as open until the moment it was cancelled). A fixed number of queries."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from fangkong.core.access import key_filter
from fangkong.supplies.models import SupplyPass
from fangkong.supplies.orders.models import Order, OrderStatus

TOP_COMPOUNDS = 10  # how many compounds the dashboard lists (a page size, not a policy)


@dataclass
class CompoundFigure:
    key: str
    code: str
    name: str
    open: int
    late: int


@dataclass
class SupplyFigures:
    orders_open: int = 0
    orders_late: int = 0
    orders_key_open: int = 0
    passes_issued: int = 0
    passes_revoked: int = 0
    passes_valid: int = 0
    compounds: list[CompoundFigure] = field(default_factory=list)


def open_at(at: dt.datetime) -> Q:
    """Placed by `at`, not yet delivered then, and not cancelled then (an order cancelled
    after `at` was still open at `at`; one cancelled with no time known never counts)."""
    return (
        Q(placed_at__lte=at)
        & (~Q(status=OrderStatus.CANCELLED) | Q(cancelled_at__gt=at))
        & (Q(delivered_at__isnull=True) | Q(delivered_at__gt=at))
    )


def supply_figures(*, prefix: str, at: dt.datetime, top: int = TOP_COMPOUNDS) -> SupplyFigures:
    """Within the division-key `prefix`, as of `at`. Three queries."""
    orders = Order.objects.filter(key_filter(prefix), open_at(at))
    late = Q(due_at__lt=at)
    totals = orders.aggregate(
        open=Count("pk"), late=Count("pk", filter=late), key=Count("pk", filter=Q(key_person=True))
    )
    by_compound = (
        orders.values("compound__key", "compound__code", "compound__name")
        .annotate(open=Count("pk"), late=Count("pk", filter=late))
        .order_by("-late", "-open", "compound__key")[:top]
    )
    passes = SupplyPass.objects.filter(key_filter(prefix), issued_at__lte=at).aggregate(
        issued=Count("pk"),
        revoked=Count("pk", filter=Q(revoked_at__lte=at)),
        valid=Count(
            "pk",
            filter=Q(expires_at__gt=at) & (Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)),
        ),
    )
    return SupplyFigures(
        orders_open=totals["open"],
        orders_late=totals["late"],
        orders_key_open=totals["key"],
        passes_issued=passes["issued"],
        passes_revoked=passes["revoked"],
        passes_valid=passes["valid"],
        compounds=[
            CompoundFigure(
                key=r["compound__key"],
                code=r["compound__code"],
                name=r["compound__name"],
                open=r["open"],
                late=r["late"],
            )
            for r in by_compound
        ],
    )
