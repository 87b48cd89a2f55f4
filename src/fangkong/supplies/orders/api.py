"""REST endpoints of the orders into sealed compounds: /api/receiving-points,
/api/supply-products, /api/supply-orders (+ /totals,
/{id}/deliver|deliver-photo|photo|problems|cancel) and /api/order-batches (+ /run,
/{id}/status).

Scoped like the pages (`supplies.orders.selectors`): the compound in the caller's
jurisdiction; an enterprise account only the orders and batches assigned to it (names masked).
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from fangkong.core.access import Cap, can, require
from fangkong.core.apikit import (
    ERRORS,
    Id,
    Limit,
    Offset,
    Page,
    found,
    not_found_message,
    paginate,
)
from fangkong.core.dates import Happened
from fangkong.core.errors import field_error
from fangkong.core.uploads import photo_read
from fangkong.people.selectors import resident_for_user
from fangkong.places.selectors import place_in_scope
from fangkong.supplies.orders import selectors, services
from fangkong.supplies.orders.models import (
    DeliveryPhoto,
    Order,
    OrderBatch,
    OrderStatus,
    Product,
    ReceivingPoint,
)
from fangkong.supplies.orders.schemas import (
    CompoundOrderTotalsOut,
    OrderBatchOut,
    OrderBatchRunIn,
    OrderBatchRunOut,
    OrderBatchStatusIn,
    ReceivingPointChangeIn,
    ReceivingPointIn,
    ReceivingPointOut,
    SupplyOrderCancelIn,
    SupplyOrderDeliverIn,
    SupplyOrderIn,
    SupplyOrderOut,
    SupplyOrderProblemIn,
    SupplyProductIn,
    SupplyProductOut,
)
from fangkong.zones.selectors import level_label

router = Router(tags=["supply orders"])


def masked_name(name: str) -> str:
    """张三丰 → 张**: what an enterprise sees of the person it delivers to."""
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def _place(d: Any) -> dict[str, str]:
    return {"code": d.code, "key": d.key, "name": d.name}


def _point_out(p: ReceivingPoint) -> dict[str, Any]:
    return {
        "id": p.pk,
        "compound": _place(p.compound),
        "name": p.name,
        "location": p.location,
        "hours": p.hours,
        "contact_name": p.contact_name,
        "phone": p.phone,
        "active": p.active,
    }


def _product_out(p: Product) -> dict[str, Any]:
    return {
        "id": p.pk,
        "kind": p.kind,
        "name": p.name,
        "contents": p.contents,
        "unit": p.unit,
        "price": p.price,
        "for_infants": p.for_infants,
        "active": p.active,
    }


def _order_out(o: Order, user: Any, *, detail: bool = False) -> dict[str, Any]:
    names = can(user, Cap.RESIDENTS_VIEW)
    out = {
        "id": o.pk,
        "person_id": o.person_id,
        "person_name": o.person.name if names else masked_name(o.person.name),
        "compound": _place(o.compound),
        "receiving_point_id": o.point_id,
        "channel": o.channel,
        "status": o.status,
        "key_person": o.key_person,
        "key_categories": [c for c in o.key_categories.split(",") if c],
        "total": o.total,
        "placed_at": o.placed_at,
        "recorded_at": o.recorded_at,
        "due_at": o.due_at,
        "late": selectors.is_late(o),
        "policy": f"{o.profile_code} v{o.profile_version}",
        "zone_level": o.zone_level,
        "zone_level_name": level_label(o.zone_level) if o.zone_level else "",
        "batch_id": o.batch_id,
        "enterprise_id": o.enterprise_id,
        "accepted_at": o.accepted_at,
        "dispatched_at": o.dispatched_at,
        "at_point_at": o.at_point_at,
        "delivered_at": o.delivered_at,
        "delivered_by": o.delivered_by,
        "proof": o.proof,
        "has_photo": o.proof == "photo",
        "cancelled_at": o.cancelled_at,
        "cancel_recorded_at": o.cancel_recorded_at,
    }
    if detail:
        out["lines"] = [
            {"product_id": ln.product_id, "name": ln.product.name, "quantity": ln.quantity,
             "price": ln.price}
            for ln in o.lines.select_related("product")
        ]  # fmt: skip
        out["problems"] = [{"kind": p.kind, "note": p.note, "at": p.at} for p in o.problems.all()]
    return out


def _batch_out(b: OrderBatch) -> dict[str, Any]:
    return {
        "id": b.pk,
        "compound": _place(b.compound),
        "receiving_point_id": b.point_id,
        "enterprise_id": b.enterprise_id,
        "enterprise_name": b.enterprise.name,
        "orders_count": b.orders_count,
        "key_orders": b.key_orders,
        "status": b.status,
        "created_at": b.created_at,
    }


# Receiving points ------------------------------------------------------------------------------


@router.get(
    "/receiving-points",
    response={200: Page[ReceivingPointOut], **ERRORS},
    summary="Receiving points of compounds",
)
def supply_point_list(
    request: HttpRequest, limit: int = Limit, offset: int = Offset
) -> dict[str, Any]:
    """Fixed receiving points (固定接收点) of the compounds in your jurisdiction."""
    qs = selectors.points_for_user(request.user).order_by("division_key", "pk")
    return paginate(qs, limit=limit, offset=offset, convert=_point_out)


@router.post(
    "/receiving-points",
    response={201: ReceivingPointOut, **ERRORS},
    summary="Register a receiving point",
)
def supply_point_new(request: HttpRequest, payload: ReceivingPointIn) -> Status[dict[str, Any]]:
    """The community or the supply task force, at a compound of its jurisdiction (audited)."""
    point = services.point_register(
        actor=request.user,
        compound=place_in_scope(request.user, payload.compound, "compound"),
        name=payload.name,
        location=payload.location,
        hours=payload.hours,
        contact_name=payload.contact_name,
        phone=payload.phone,
    )
    return Status(201, _point_out(point))


@router.put(
    "/receiving-points/{int:receiving_point_id}",
    response={200: ReceivingPointOut, **ERRORS},
    summary="Change a receiving point",
)
def supply_point_change(
    request: HttpRequest, receiving_point_id: Id, payload: ReceivingPointChangeIn
) -> dict[str, Any]:
    point = selectors.point_for_user(request.user, receiving_point_id)
    point = services.point_update(actor=request.user, point=point, **payload.dict())
    return _point_out(point)


# The catalogue ---------------------------------------------------------------------------------


@router.get(
    "/supply-products",
    response={200: list[SupplyProductOut], **ERRORS},
    summary="Standard packages and items",
)
def supply_product_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_product_out(p) for p in selectors.products_for_user(request.user)]


@router.post(
    "/supply-products",
    response={201: SupplyProductOut, **ERRORS},
    summary="Add a package or item",
)
def supply_product_new(request: HttpRequest, payload: SupplyProductIn) -> Status[dict[str, Any]]:
    product = services.product_save(actor=request.user, **payload.dict())
    return Status(201, _product_out(product))


@router.put(
    "/supply-products/{int:supply_product_id}",
    response={200: SupplyProductOut, **ERRORS},
    summary="Change a package or item (its price)",
)
def supply_product_change(
    request: HttpRequest, supply_product_id: Id, payload: SupplyProductIn
) -> dict[str, Any]:
    require(request.user, Cap.SUPPLIES_MANAGE)
    product = selectors.product_for_user(request.user, supply_product_id)
    return _product_out(
        services.product_save(actor=request.user, product=product, **payload.dict())
    )


# Orders ----------------------------------------------------------------------------------------


@router.get(
    "/supply-orders", response={200: Page[SupplyOrderOut], **ERRORS}, summary="Supply orders"
)
def supply_order_list(
    request: HttpRequest,
    status: OrderStatus | None = None,
    late: bool = False,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Orders of your compounds (an enterprise: those assigned to it), key persons first."""
    qs = selectors.orders_for_user(request.user).select_related("person", "compound")
    if status is not None:
        qs = qs.filter(status=status)
    if late:
        qs = qs.filter(selectors.late_q())
    return paginate(qs, limit=limit, offset=offset, convert=lambda o: _order_out(o, request.user))


@router.post(
    "/supply-orders", response={201: SupplyOrderOut, **ERRORS}, summary="Order for a resident"
)
def supply_order_new(request: HttpRequest, payload: SupplyOrderIn) -> Status[dict[str, Any]]:
    """A grid worker, the 12345 operator or staff orders for a person of the jurisdiction.
    A compound with no receiving point: 422 on `compound`, naming it."""
    require(request.user, Cap.ORDERS_PLACE)
    person = found("person_id", lambda: resident_for_user(request.user, payload.person_id))
    products = Product.objects.in_bulk([ln.product_id for ln in payload.lines])
    lines = []
    for line in payload.lines:
        if line.product_id not in products:
            raise field_error("lines", not_found_message())
        lines.append((products[line.product_id], line.quantity))
    order = services.order_place(
        actor=request.user,
        person=person,
        lines=lines,
        contact_phone=payload.contact_phone,
        note=payload.note,
        placed_at=payload.placed_at,
    )
    return Status(201, _order_out(_reread(request.user, order.pk), request.user, detail=True))


def _reread(user: Any, pk: int) -> Order:
    return selectors.order_for_user(user, pk)


@router.get(
    "/supply-orders/totals",
    response={200: list[CompoundOrderTotalsOut], **ERRORS},
    summary="Orders by compound: open, late, key persons",
)
def supply_order_totals(request: HttpRequest) -> list[dict[str, Any]]:
    """Per compound of your jurisdiction with orders; the late ones first."""
    return [
        {
            "compound": {"code": t.code, "key": t.key, "name": t.name},
            "open": t.open,
            "late": t.late,
            "key_open": t.key_open,
            "delivered": t.delivered,
            "receiving_points": t.points,
        }
        for t in selectors.totals_by_compound(request.user)
    ]


@router.get(
    "/supply-orders/{int:supply_order_id}",
    response={200: SupplyOrderOut, **ERRORS},
    summary="An order",
)
def supply_order_get(request: HttpRequest, supply_order_id: Id) -> dict[str, Any]:
    return _order_out(_reread(request.user, supply_order_id), request.user, detail=True)


@router.post(
    "/supply-orders/{int:supply_order_id}/deliver",
    response={200: SupplyOrderOut, **ERRORS},
    summary="Delivered to the door",
)
def supply_order_deliver(
    request: HttpRequest, supply_order_id: Id, payload: SupplyOrderDeliverIn
) -> dict[str, Any]:
    """By a volunteer, proved by the resident's confirmation code (a photo: `/deliver-photo`)."""
    order = _reread(request.user, supply_order_id)
    services.order_deliver(
        actor=request.user,
        order=order,
        volunteer=payload.volunteer,
        code=payload.code,
        at=payload.at,
    )
    return _order_out(_reread(request.user, supply_order_id), request.user, detail=True)


@router.post(
    "/supply-orders/{int:supply_order_id}/deliver-photo",
    response={200: SupplyOrderOut, **ERRORS},
    summary="Delivered to the door, proved by a photo",
)
def supply_order_deliver_photo(
    request: HttpRequest,
    supply_order_id: Id,
    volunteer: Form[str],
    photo: UploadedFile = File(...),  # noqa: B008
    at: Form[Happened | None] = None,
) -> dict[str, Any]:
    """Multipart: `volunteer`, `photo` (JPEG, PNG or WebP, told by its bytes; at most the
    server's photo size limit, 5 MB unless set otherwise) and `at` (when it was delivered; now
    if left out). 422 on `photo` for a file too large or not an image; nothing is recorded."""
    require(request.user, Cap.ORDERS_DELIVER)
    order = _reread(request.user, supply_order_id)
    data, _type = photo_read(photo, "photo")
    services.order_deliver(actor=request.user, order=order, volunteer=volunteer, photo=data, at=at)
    return _order_out(_reread(request.user, supply_order_id), request.user, detail=True)


@router.get(
    "/supply-orders/{int:supply_order_id}/photo",
    response={200: None, **ERRORS},
    summary="The photo proving delivery",
    openapi_extra={
        "responses": {
            200: {
                "description": "The photo taken at the door",
                "content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}},
            }
        }
    },
)
def supply_order_photo(request: HttpRequest, supply_order_id: Id) -> HttpResponse:
    """To those who see the order; 404 when its delivery was proved by code."""
    order = _reread(request.user, supply_order_id)
    photo = DeliveryPhoto.objects.filter(order=order).first()
    if photo is None:
        raise Http404
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = f'"{photo.sha256}"'
    return response


@router.post(
    "/supply-orders/{int:supply_order_id}/problems",
    response={201: SupplyOrderOut, **ERRORS},
    summary="Record a problem with an order",
)
def supply_order_problem(
    request: HttpRequest, supply_order_id: Id, payload: SupplyOrderProblemIn
) -> Status[dict[str, Any]]:
    order = _reread(request.user, supply_order_id)
    services.order_problem_record(
        actor=request.user, order=order, kind=payload.kind.value, note=payload.note, at=payload.at
    )
    return Status(
        201, _order_out(_reread(request.user, supply_order_id), request.user, detail=True)
    )


@router.post(
    "/supply-orders/{int:supply_order_id}/cancel",
    response={200: SupplyOrderOut, **ERRORS},
    summary="Cancel an order not yet accepted",
)
def supply_order_cancel(
    request: HttpRequest, supply_order_id: Id, payload: SupplyOrderCancelIn
) -> dict[str, Any]:
    order = _reread(request.user, supply_order_id)
    services.order_cancel(actor=request.user, order=order, reason=payload.reason, at=payload.at)
    return _order_out(_reread(request.user, supply_order_id), request.user, detail=True)


# Batches ---------------------------------------------------------------------------------------


@router.get(
    "/order-batches", response={200: Page[OrderBatchOut], **ERRORS}, summary="Order batches"
)
def supply_batch_list(
    request: HttpRequest,
    status: OrderStatus | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> dict[str, Any]:
    """Batches of your compounds (an enterprise: its assignments), key persons first."""
    qs = selectors.batches_for_user(request.user).select_related("compound", "enterprise")
    if status is not None:
        qs = qs.filter(status=status)
    return paginate(qs, limit=limit, offset=offset, convert=_batch_out)


@router.post(
    "/order-batches/run",
    response={200: OrderBatchRunOut, **ERRORS},
    summary="Batch and assign the waiting orders",
)
def supply_batch_run(request: HttpRequest, payload: OrderBatchRunIn) -> dict[str, Any]:
    """Every placed, unbatched order of your jurisdiction, per compound and receiving point,
    to a granted enterprise serving it. The supply task force."""
    result = services.orders_batch(actor=request.user, at=payload.at)
    return {"batches": result.batches, "orders": result.orders, "unserved": result.unserved}


@router.get(
    "/order-batches/{int:order_batch_id}",
    response={200: OrderBatchOut, **ERRORS},
    summary="A batch",
)
def supply_batch_get(request: HttpRequest, order_batch_id: Id) -> dict[str, Any]:
    return _batch_out(selectors.batch_for_user(request.user, order_batch_id))


@router.post(
    "/order-batches/{int:order_batch_id}/status",
    response={200: OrderBatchOut, **ERRORS},
    summary="Accept, dispatch or bring a batch to its receiving point",
)
def supply_batch_status(
    request: HttpRequest, order_batch_id: Id, payload: OrderBatchStatusIn
) -> dict[str, Any]:
    """The enterprise it is assigned to (or the task force); each order moves with an audit
    event. One step at a time (422 on `status`)."""
    batch = selectors.batch_for_user(request.user, order_batch_id)
    services.batch_advance(
        actor=request.user, batch=batch, status=payload.status.value, at=payload.at
    )
    return _batch_out(selectors.batch_for_user(request.user, order_batch_id))
