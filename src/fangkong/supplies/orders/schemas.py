"""Shapes of the orders API (component names prefixed so they clash with no other app's)."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from fangkong.core.apikit import Id
from fangkong.core.dates import Happened
from fangkong.places.schemas import PlaceBrief
from fangkong.supplies.orders.models import OrderChannel, OrderStatus, ProblemKind, ProductKind


class ReceivingPointOut(Schema):
    id: int
    compound: PlaceBrief
    name: str
    location: str
    hours: str
    contact_name: str
    phone: str
    active: bool


class ReceivingPointIn(Schema):
    compound: str = Field(max_length=24, description="The compound's code (or key)")
    name: str = Field(max_length=100)
    location: str = Field(max_length=300, description="Where exactly, in words")
    hours: str = Field(max_length=100, description="When goods are received, e.g. 8:00-20:00")
    contact_name: str = Field(max_length=60)
    phone: str = Field("", max_length=20)


class ReceivingPointChangeIn(Schema):
    name: str = Field(max_length=100)
    location: str = Field(max_length=300)
    hours: str = Field(max_length=100)
    contact_name: str = Field(max_length=60)
    phone: str = Field("", max_length=20)
    active: bool = True


class SupplyProductOut(Schema):
    id: int
    kind: ProductKind
    name: str
    contents: str
    unit: str
    price: Decimal = Field(description="Yuan")
    for_infants: bool
    active: bool


class SupplyProductIn(Schema):
    kind: ProductKind
    name: str = Field(max_length=100)
    contents: str = Field("", max_length=300)
    unit: str = Field(max_length=20)
    price: Decimal = Field(gt=0, lt=10_000_000, max_digits=9, decimal_places=2)
    for_infants: bool = False
    active: bool = True


class SupplyOrderLineIn(Schema):
    product_id: Id
    quantity: int = Field(ge=1, le=99)


class SupplyOrderIn(Schema):
    person_id: Id = Field(description="The resident the order is for (your jurisdiction)")
    lines: list[SupplyOrderLineIn] = Field(min_length=1, max_length=50)
    contact_phone: str = Field("", max_length=20)
    note: str = Field("", max_length=300)
    placed_at: Happened | None = Field(None, description="When it was asked for; now if left out")


class SupplyOrderLineOut(Schema):
    product_id: int
    name: str
    quantity: int
    price: Decimal


class SupplyOrderProblemOut(Schema):
    kind: ProblemKind
    note: str
    at: dt.datetime


class SupplyOrderOut(Schema):
    id: int
    person_id: int
    person_name: str = Field(description="Masked except to those who may see names")
    compound: PlaceBrief
    receiving_point_id: int
    channel: OrderChannel
    status: OrderStatus
    key_person: bool
    key_categories: list[str]
    total: Decimal
    placed_at: dt.datetime
    recorded_at: dt.datetime
    due_at: dt.datetime
    late: bool
    policy: str = Field(description="The profile version whose deadline applies")
    zone_level: str = Field(
        description="The level of the risk zone over the compound when it was placed (its"
        " deadline came from the policy's `supplies.orders.by_zone_level`); empty: none"
    )
    zone_level_name: str = Field(description="That level in words")
    batch_id: int | None
    enterprise_id: int | None
    accepted_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    at_point_at: dt.datetime | None
    delivered_at: dt.datetime | None
    delivered_by: str
    proof: str
    has_photo: bool = Field(description="A photo at the door proves delivery (`/photo`)")
    cancelled_at: dt.datetime | None = Field(description="When it was cancelled (as entered)")
    cancel_recorded_at: dt.datetime | None = Field(description="When the cancellation was recorded")
    lines: list[SupplyOrderLineOut] = []
    problems: list[SupplyOrderProblemOut] = []


class SupplyOrderDeliverIn(Schema):
    volunteer: str = Field(max_length=60, description="Who took it to the door")
    code: str = Field(max_length=12, description="The resident's confirmation code")
    at: Happened | None = Field(None, description="When it was delivered; now if left out")


class SupplyOrderProblemIn(Schema):
    kind: ProblemKind
    note: str = Field(max_length=300)
    at: Happened | None = None


class SupplyOrderCancelIn(Schema):
    reason: str = Field(max_length=300)
    at: Happened | None = Field(None, description="When it was cancelled; now if left out")


class OrderBatchOut(Schema):
    id: int
    compound: PlaceBrief
    receiving_point_id: int
    enterprise_id: int
    enterprise_name: str
    orders_count: int
    key_orders: int
    status: OrderStatus
    created_at: dt.datetime


class OrderBatchRunIn(Schema):
    at: Happened | None = Field(None, description="When the batches were made; now if left out")


class OrderBatchRunOut(Schema):
    batches: int
    orders: int
    unserved: list[str] = Field(description="Keys of compounds no granted enterprise serves")


class OrderBatchStatusIn(Schema):
    status: OrderStatus = Field(description="accepted, dispatched or at_point")
    at: Happened | None = Field(None, description="When it happened; now if left out")


class CompoundOrderTotalsOut(Schema):
    compound: PlaceBrief
    open: int
    late: int
    key_open: int
    delivered: int
    receiving_points: int
