"""Writes of the orders into sealed compounds (封闭小区配送): receiving points, the catalogue,
placing an order (a resident's own, or on their behalf), batching and assigning orders to
whitelisted enterprises, the batch's way to the receiving point, delivery to the door with
proof, problems. Every status change is an audit event with its valid time (`at`, default now;
the event's recorded time is always now). Batching and a batch's moves are columnar: one
bulk_create of the batches, one UPDATE per batch, the events by COPY.
"""

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import (
    SELF_SERVICE,
    EventRow,
    actor_columns,
    event_record,
    events_record_bulk,
)
from fangkong.core.access import Cap, can, in_scope, require, scoped
from fangkong.core.dates import check_happened, happened_at
from fangkong.core.db import in_ids
from fangkong.core.errors import field_error
from fangkong.core.roles import Role
from fangkong.core.uploads import image_type, photo_problem
from fangkong.people.models import KeyPerson, Resident
from fangkong.people.services import clean_phone
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy.accessor import current
from fangkong.supplies.models import Courier, Enterprise, Vehicle, WhitelistStatus
from fangkong.supplies.orders import engine, selectors
from fangkong.supplies.orders.models import (
    DeliveryPhoto,
    Order,
    OrderBatch,
    OrderChannel,
    OrderLine,
    OrderProblem,
    OrderStatus,
    ProblemKind,
    Product,
    ProductKind,
    ReceivingPoint,
)

# The way of a batch: each status follows the one before it.
BATCH_MOVES = {
    OrderStatus.ACCEPTED: OrderStatus.PLACED,
    OrderStatus.DISPATCHED: OrderStatus.ACCEPTED,
    OrderStatus.AT_POINT: OrderStatus.DISPATCHED,
}
TIME_FIELD = {
    OrderStatus.ACCEPTED: "accepted_at",
    OrderStatus.DISPATCHED: "dispatched_at",
    OrderStatus.AT_POINT: "at_point_at",
    OrderStatus.DELIVERED: "delivered_at",
}
PREVIOUS_TIME = {
    OrderStatus.ACCEPTED: "placed_at",
    OrderStatus.DISPATCHED: "accepted_at",
    OrderStatus.AT_POINT: "dispatched_at",
    OrderStatus.DELIVERED: "at_point_at",
}
COMPOUND_KEY = KEY_LENGTH[Level.COMPOUND]
MAX_QUANTITY = 99  # of one package or item in one household's order: a typing guard


def _tolerance() -> dt.timedelta:
    return current().rules.records.tolerance


def _valid_time(field_name: str, at: dt.datetime | None, after: dt.datetime | None) -> dt.datetime:
    when = happened_at(at)
    check_happened(
        field_name,
        when,
        tolerance=_tolerance(),
        after=((after, _("This time is before the order's previous step")),),
    )
    return when


def _compound_in_scope(actor: Any, compound: Division) -> Division:
    if compound.level != Level.COMPOUND:
        raise field_error("compound", _("Choose a compound (小区)"))
    if not in_scope(actor, compound.key):
        raise field_error("compound", _("This place is outside your jurisdiction"))
    return compound


# Receiving points ------------------------------------------------------------------------------


def _require_points(actor: Any) -> None:
    if not (can(actor, Cap.RECEIVING_POINTS) or can(actor, Cap.SUPPLIES_MANAGE)):
        require(actor, Cap.RECEIVING_POINTS)


@transaction.atomic
def point_register(
    *,
    actor: Any,
    compound: Division,
    name: str,
    location: str,
    hours: str,
    contact_name: str,
    phone: str,
) -> ReceivingPoint:
    """Register a fixed receiving point (固定接收点) of a compound of the actor's jurisdiction."""
    _require_points(actor)
    compound = _compound_in_scope(actor, compound)
    values = _point_values(name=name, location=location, hours=hours, contact_name=contact_name)
    point = ReceivingPoint.objects.create(
        compound=compound, division_key=compound.key, phone=clean_phone(phone), **values
    )
    event_record(
        actor=actor,
        action="receiving_point.registered",
        obj=point,
        data={"compound": compound.code, **values, "phone": point.phone},
    )
    return point


def _point_values(*, name: str, location: str, hours: str, contact_name: str) -> dict[str, str]:
    values = {
        "name": (name or "").strip()[:100],
        "location": (location or "").strip()[:300],
        "hours": (hours or "").strip()[:100],
        "contact_name": (contact_name or "").strip()[:60],
    }
    for key, message in (
        ("name", _("Name the receiving point")),
        ("location", _("Say where exactly the receiving point is")),
        ("hours", _("Give the hours when goods are received")),
        ("contact_name", _("Name the person to call")),
    ):
        if not values[key]:
            raise field_error(key, message)
    return values


@transaction.atomic
def point_update(
    *,
    actor: Any,
    point: ReceivingPoint,
    name: str,
    location: str,
    hours: str,
    contact_name: str,
    phone: str,
    active: bool,
) -> ReceivingPoint:
    """Change a receiving point (or take it out of use); the changed fields are audited."""
    _require_points(actor)
    _compound_in_scope(actor, point.compound)
    values: dict[str, Any] = _point_values(
        name=name, location=location, hours=hours, contact_name=contact_name
    )
    values["phone"] = clean_phone(phone)
    values["active"] = bool(active)
    changed = {k: v for k, v in values.items() if getattr(point, k) != v}
    if not changed:
        return point
    before = {k: getattr(point, k) for k in changed}
    for k, v in changed.items():
        setattr(point, k, v)
    point.save(update_fields=list(changed))
    event_record(
        actor=actor,
        action="receiving_point.changed",
        obj=point,
        data={"before": before, "after": changed},
    )
    return point


# The catalogue ---------------------------------------------------------------------------------


def clean_price(raw: Any) -> Decimal:
    try:
        price = Decimal(str(raw)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise field_error("price", _("Give the price in yuan, such as 39.90")) from None
    if price <= 0 or price >= Decimal("10000000"):
        raise field_error("price", _("Give the price in yuan, such as 39.90"))
    return price


@transaction.atomic
def product_save(
    *,
    actor: Any,
    product: Product | None = None,
    kind: str,
    name: str,
    contents: str,
    unit: str,
    price: Any,
    for_infants: bool = False,
    active: bool = True,
) -> Product:
    """Add a standard package or item to the catalogue, or change one (price included)."""
    require(actor, Cap.SUPPLIES_MANAGE)
    if kind not in ProductKind.values:
        raise field_error("kind", _("Choose a package or a single item"))
    name = (name or "").strip()[:100]
    if not name:
        raise field_error("name", _("Name the package or item"))
    unit = (unit or "").strip()[:20]
    if not unit:
        raise field_error("unit", _("Give the unit, such as 份 or 袋"))
    clash = Product.objects.filter(name=name)
    if product is not None:
        clash = clash.exclude(pk=product.pk)
    if clash.exists():
        raise field_error("name", _("A package or item with this name is in the catalogue"))
    values = {
        "kind": kind,
        "name": name,
        "contents": (contents or "").strip()[:300],
        "unit": unit,
        "price": clean_price(price),
        "for_infants": bool(for_infants),
        "active": bool(active),
    }
    before = {k: str(getattr(product, k)) for k in values} if product else {}
    if product is None:
        product = Product.objects.create(**values)
    else:
        for k, v in values.items():
            setattr(product, k, v)
        product.save()
    after = {k: str(v) for k, v in values.items()}
    event_record(
        actor=actor,
        action="product.saved",
        obj=product,
        field="price",
        from_value=before.get("price", ""),
        to_value=after["price"],
        data={"before": before, "after": after},
    )
    return product


# Placing an order ------------------------------------------------------------------------------


def compound_of(person: Resident) -> Division | None:
    """The compound (小区) the person lives in: the node of their home at that level."""
    if len(person.division_key) < COMPOUND_KEY:
        return None
    return Division.objects.filter(key=person.division_key[:COMPOUND_KEY]).first()


def point_for(compound: Division) -> ReceivingPoint:
    point = ReceivingPoint.objects.filter(compound=compound, active=True).order_by("pk").first()
    if point is None:
        raise field_error(
            "compound",
            _("%(compound)s has no receiving point; register one before ordering")
            % {"compound": compound.name},
        )
    return point


def key_categories(person: Resident) -> list[str]:
    """The key-person ledger's categories of the person and of their household."""
    members = Q(resident=person)
    if person.household_id:
        members |= Q(resident__household_id=person.household_id)
    return sorted(set(KeyPerson.objects.filter(members).values_list("category", flat=True)))


def _channel(actor: Any) -> str:
    if actor == SELF_SERVICE:
        return OrderChannel.RESIDENT
    role = getattr(actor, "role", "")
    if role == Role.GRID:
        return OrderChannel.GRID
    if role == Role.HOTLINE:
        return OrderChannel.HOTLINE
    return OrderChannel.STAFF


def _lines(lines: Sequence[tuple[Product, int]]) -> list[tuple[Product, int]]:
    wanted = [(p, int(q)) for p, q in lines if int(q) > 0]
    if not wanted:
        raise field_error("lines", _("Choose at least one package or item"))
    for product, quantity in wanted:
        if not product.active:
            raise field_error("lines", _("%(name)s is no longer on offer") % {"name": product.name})
        if quantity > MAX_QUANTITY:
            raise field_error("lines", _("Too many of one package or item"))
    return wanted


def due_by(
    placed_at: dt.datetime, *, key_person: bool, zone_level: str = ""
) -> tuple[dt.datetime, str, int]:
    """The deadline of an order placed at `placed_at` into a compound under a zone of
    `zone_level` (blank: none) under the policy in force, and that policy's code and version:
    the profile's deadlines for that zone level when it sets them, else its general ones."""
    policy = current()
    rules = policy.rules.supplies.orders if policy.rules.supplies else None
    if rules is None:
        raise field_error("lines", _("The active policy profile sets no delivery deadline"))
    chosen: Any = rules.by_zone_level.get(zone_level, rules) if zone_level else rules
    minutes = (
        chosen.key_person_deliver_within_minutes if key_person else chosen.deliver_within_minutes
    )
    return (
        placed_at + dt.timedelta(minutes=minutes),
        policy.profile.code,
        policy.profile.version,
    )


@transaction.atomic
def order_place(
    *,
    actor: Any,
    person: Resident,
    lines: Sequence[tuple[Product, int]],
    contact_phone: str = "",
    note: str = "",
    placed_at: dt.datetime | None = None,
) -> Order:
    """Place an order for `person`: by the resident (actor SELF_SERVICE, for their own
    household), or on their behalf by a grid worker, the 12345 operator or staff of their
    jurisdiction. Delivered through the compound's receiving point; a compound without one
    is an error naming it."""
    if actor != SELF_SERVICE:
        require(actor, Cap.ORDERS_PLACE)
        if not in_scope(actor, person.division_key):
            raise field_error("person", _("This person is outside your jurisdiction"))
    compound = compound_of(person)
    if compound is None:
        raise field_error(
            "person", _("%(name)s's home is not in a registered compound") % {"name": person.name}
        )
    point = point_for(compound)
    wanted = _lines(lines)
    when = happened_at(placed_at)
    check_happened("placed_at", when, tolerance=_tolerance())
    categories = key_categories(person)
    zone_level = selectors.zone_level_at(person.division_key, when)
    due_at, profile_code, profile_version = due_by(
        when, key_person=bool(categories), zone_level=zone_level
    )
    order = Order.objects.create(
        person=person,
        compound=compound,
        point=point,
        division_key=compound.key,
        channel=_channel(actor),
        key_person=bool(categories),
        key_categories=",".join(categories),
        total=sum((Decimal(str(p.price)) * q for p, q in wanted), Decimal("0.00")),
        contact_phone=clean_phone(contact_phone) or person.phone,
        note=(note or "").strip()[:300],
        confirmation_code=f"{secrets.randbelow(10**6):06d}",
        placed_at=when,
        recorded_at=timezone.now(),
        due_at=due_at,
        zone_level=zone_level,
        profile_code=profile_code,
        profile_version=profile_version,
        placed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    OrderLine.objects.bulk_create(
        OrderLine(order=order, product=p, quantity=q, price=p.price) for p, q in wanted
    )
    event_record(
        actor=actor,
        action="order.placed",
        obj=order,
        person_id=person.pk,
        field="status",
        to_value=OrderStatus.PLACED,
        at=when,
        data={
            "channel": order.channel,
            "lines": [[p.name, q] for p, q in wanted],
            "total": str(order.total),
            "key_person": categories,
            "due_at": due_at.isoformat(),
            "zone_level": zone_level,
            "policy": f"{profile_code} v{profile_version}",
        },
    )
    return order


@transaction.atomic
def order_cancel(*, actor: Any, order: Order, reason: str, at: dt.datetime | None = None) -> Order:
    """Cancel an order not yet accepted by an enterprise. `at`: when it was cancelled (default
    now; not before the order was placed); when it was recorded is kept beside it, so the
    figures as of a moment before `at` count the order as open then."""
    require(actor, Cap.ORDERS_PLACE)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Give a reason for this change"))
    if order.status != OrderStatus.PLACED:
        raise field_error("status", _("Only an order not yet accepted can be cancelled"))
    when = _valid_time("at", at, order.placed_at)
    recorded = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.CANCELLED, cancelled_at=when, cancel_recorded_at=recorded
    )
    event_record(
        actor=actor,
        action="order.cancelled",
        obj=order,
        person_id=order.person_id,
        field="status",
        from_value=order.status,
        to_value=OrderStatus.CANCELLED,
        reason=reason[:300],
        at=when,
    )
    order.status = OrderStatus.CANCELLED
    order.cancelled_at, order.cancel_recorded_at = when, recorded
    return order


# Batching and assignment -----------------------------------------------------------------------


@dataclass
class BatchResult:
    """What one batching run did: the batches made, the orders they hold, and the compounds
    no granted enterprise serves (their orders wait)."""

    batches: int = 0
    orders: int = 0
    unserved: list[str] = field(default_factory=list)


def serving_areas() -> list[tuple[str, int]]:
    """(area key, enterprise id) of every granted enterprise: its place and the delivery
    areas of its granted couriers and vehicles."""
    granted = Enterprise.objects.filter(status=WhitelistStatus.GRANTED)
    rows = set(granted.values_list("division_key", "pk"))
    for model in (Courier, Vehicle):
        rows |= set(
            model.objects.filter(
                status=WhitelistStatus.GRANTED, enterprise__status=WhitelistStatus.GRANTED
            ).values_list("area_key", "enterprise_id")
        )
    return sorted(rows)


@transaction.atomic
def orders_batch(*, actor: Any, at: dt.datetime | None = None) -> BatchResult:
    """Batch every placed, unbatched order of the actor's jurisdiction per compound and
    receiving point, and assign each batch to a granted enterprise serving the compound (the
    most specific area first, then the one given least so far). Columnar: one grouped read,
    one bulk_create of the batches, one UPDATE of the orders joined to them, one event per batch
    by COPY."""
    require(actor, Cap.SUPPLIES_MANAGE)
    when = happened_at(at)
    waiting = (
        scoped(Order.objects.filter(status=OrderStatus.PLACED, batch__isnull=True), actor)
        .values("point_id", "compound_id", "division_key")
        .annotate(n=Count("pk"), keys=Count("pk", filter=Q(key_person=True)))
        .order_by("division_key", "point_id")
    )
    groups = [
        engine.Group(g["point_id"], g["compound_id"], g["division_key"], g["n"], int(g["keys"]))
        for g in waiting
    ]
    chosen = engine.assign(groups, serving_areas())
    result = BatchResult()
    batches: list[OrderBatch] = []
    for group, enterprise_id in zip(groups, chosen, strict=True):
        if enterprise_id is None:
            result.unserved.append(group.compound_key)
            continue
        batches.append(
            OrderBatch(
                compound_id=group.compound_id,
                point_id=group.point_id,
                enterprise_id=enterprise_id,
                division_key=group.compound_key,
                orders_count=group.orders,
                key_orders=group.key_orders,
                created_at=when,
            )
        )
    OrderBatch.objects.bulk_create(batches, batch_size=2000)
    result.orders = _orders_into(batches)
    result.batches = len(batches)
    actor_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=when,
            actor=actor_id,
            actor_name=actor_name,
            action="batch.assigned",
            object_type="supplies.orderbatch",
            object_id=str(b.pk),
            object_label=f"#{b.pk}",
            division_key=b.division_key,
            field="enterprise",
            to_value=str(b.enterprise_id),
            data=f'{{"orders": {b.orders_count}, "key_orders": {b.key_orders}}}',
        )
        for b in batches
    )
    return result


def _orders_into(batches: list[OrderBatch]) -> int:
    """Put every placed, unbatched order of each batch's receiving point into it: one UPDATE
    joined to the new batches (PostgreSQL and SQLite alike: UPDATE … FROM)."""
    if not batches:
        return 0
    quote = connection.ops.quote_name
    orders, batch_table = quote(Order._meta.db_table), quote(OrderBatch._meta.db_table)
    ids = in_ids(b.pk for b in batches)
    ids_sql, ids_params = ids.sql, ids.params
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {orders} SET batch_id = b.id, enterprise_id = b.enterprise_id"
            f" FROM {batch_table} b WHERE b.id IN ({ids_sql})"
            f" AND {orders}.point_id = b.point_id AND {orders}.status = %s"
            f" AND {orders}.batch_id IS NULL",
            [*ids_params, OrderStatus.PLACED],
        )
        return cursor.rowcount


def _require_batch_keeper(actor: Any, batch: OrderBatch) -> None:
    """The enterprise the batch is assigned to (its staff), or the supply task force."""
    if can(actor, Cap.SUPPLIES_MANAGE) and in_scope(actor, batch.division_key):
        return
    require(actor, Cap.SUPPLY_ENTERPRISE)
    if not batch.enterprise.staff.filter(pk=actor.pk).exists():
        raise field_error("batch", _("This batch is not assigned to your enterprise"))


@transaction.atomic
def batch_advance(
    *, actor: Any, batch: OrderBatch, status: str, at: dt.datetime | None = None
) -> int:
    """Move a batch one step (accepted, dispatched, at the receiving point): every order of
    it still at the step before, in one UPDATE, with one audit event each. Returns how many
    orders moved."""
    _require_batch_keeper(actor, batch)
    if status not in BATCH_MOVES:
        raise field_error("status", _("Choose accepted, dispatched or at the receiving point"))
    previous = BATCH_MOVES[OrderStatus(status)]
    if batch.status != previous:
        raise field_error("status", _("This batch is not at the step before this one"))
    last = batch.created_at
    if previous != OrderStatus.PLACED:
        found = Order.objects.filter(batch=batch).aggregate(
            m=Max(PREVIOUS_TIME[OrderStatus(status)])
        )["m"]
        last = found or last
    when = _valid_time("at", at, last)
    orders = list(
        Order.objects.filter(batch=batch, status=previous).values_list(
            "pk", "person_id", "division_key"
        )
    )
    Order.objects.filter(batch=batch, status=previous).update(
        status=status, **{TIME_FIELD[OrderStatus(status)]: when}
    )
    OrderBatch.objects.filter(pk=batch.pk).update(status=status)
    batch.status = status
    actor_id, actor_name = actor_columns(actor)
    events_record_bulk(
        EventRow(
            at=when,
            actor=actor_id,
            actor_name=actor_name,
            action=f"order.{status}",
            object_type="supplies.order",
            object_id=str(pk),
            object_label=f"#{pk}",
            person_id=person_id,
            division_key=key,
            field="status",
            from_value=previous,
            to_value=status,
            data=f'{{"batch": {batch.pk}}}',
        )
        for pk, person_id, key in orders
    )
    return len(orders)


@transaction.atomic
def order_deliver(
    *,
    actor: Any,
    order: Order,
    volunteer: str,
    code: str = "",
    photo: bytes | None = None,
    at: dt.datetime | None = None,
) -> Order:
    """Record the order delivered to the door by a volunteer, proved by the resident's
    confirmation code or a photo."""
    require(actor, Cap.ORDERS_DELIVER)
    if not in_scope(actor, order.division_key):
        raise field_error("order", _("This order is outside your jurisdiction"))
    if order.status != OrderStatus.AT_POINT:
        raise field_error("status", _("The order is not at the receiving point yet"))
    volunteer = (volunteer or "").strip()[:60]
    if not volunteer:
        raise field_error("volunteer", _("Name the volunteer who took it to the door"))
    code = (code or "").strip()
    if not code and not photo:
        raise field_error("code", _("Give the resident's confirmation code or a photo"))
    if code and not secrets.compare_digest(code, order.confirmation_code):
        raise field_error("code", _("This is not the order's confirmation code"))
    problem = photo_problem(photo) if photo else None
    if problem:
        raise field_error("photo", problem)
    content_type = (image_type(photo) or "") if photo else ""
    when = _valid_time("at", at, order.at_point_at)
    proof = "code" if code else "photo"
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.DELIVERED, delivered_at=when, delivered_by=volunteer, proof=proof
    )
    if photo:
        DeliveryPhoto.objects.create(
            order=order,
            content_type=content_type,
            data=photo,
            sha256=hashlib.sha256(photo).hexdigest(),
        )
    event_record(
        actor=actor,
        action="order.delivered",
        obj=order,
        person_id=order.person_id,
        field="status",
        from_value=order.status,
        to_value=OrderStatus.DELIVERED,
        at=when,
        data={"volunteer": volunteer, "proof": proof, "late": when > order.due_at},
    )
    order.refresh_from_db()
    return order


def _may_report(actor: Any, order: Order) -> bool:
    if can(actor, Cap.ORDERS_PLACE) or can(actor, Cap.ORDERS_DELIVER):
        return in_scope(actor, order.division_key)
    return (
        can(actor, Cap.SUPPLY_ENTERPRISE)
        and order.enterprise is not None
        and order.enterprise.staff.filter(pk=actor.pk).exists()
    )


@transaction.atomic
def order_problem_record(
    *, actor: Any, order: Order, kind: str, note: str, at: dt.datetime | None = None
) -> OrderProblem:
    """Record a problem with an order (missing items, late, wrong, damaged…)."""
    if actor != SELF_SERVICE and not _may_report(actor, order):
        raise field_error("order", _("This order is outside your jurisdiction"))
    if kind not in ProblemKind.values:
        raise field_error("kind", _("Choose what went wrong"))
    note = (note or "").strip()[:300]
    if not note:
        raise field_error("note", _("Say what went wrong"))
    when = _valid_time("at", at, order.placed_at)
    problem = OrderProblem.objects.create(
        order=order,
        division_key=order.division_key,
        kind=kind,
        note=note,
        at=when,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    event_record(
        actor=actor,
        action="order.problem",
        obj=order,
        person_id=order.person_id,
        field="problem",
        to_value=kind,
        reason=note,
        at=when,
    )
    return problem
