"""Shapes of the price monitoring API (component names prefixed "Price…"/"Necessity…" so
they clash with no other schema)."""

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from fangkong.core.apikit import Id
from fangkong.core.dates import Day
from fangkong.places.schemas import PlaceBrief
from fangkong.supplies.prices.models import AlertStatus, Unit


class NecessityOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    group: str = Field(description="Which thresholds of the policy profile apply")
    unit: Unit
    per_capita_daily: Decimal = Field(description="Units one person uses a day")
    max_price: Decimal = Field(description="A higher price is refused as impossible")
    active: bool


class PriceStoreOut(Schema):
    id: int
    name: str
    enterprise_id: int
    enterprise: str
    place: PlaceBrief


class PriceStoreIn(Schema):
    enterprise_id: Id
    name: str = Field(max_length=100)
    place: str = Field(max_length=24, description="Division code of the store's place")


class PriceReportIn(Schema):
    store_id: Id
    item: str = Field(max_length=60, description="Catalogue code, Chinese or English name")
    day: Day
    unit: str = Field("", max_length=20, description="Optional; must be the item's unit")
    price: Decimal = Field(max_digits=9, decimal_places=2, description="Yuan per unit")
    stock: Decimal = Field(max_digits=12, decimal_places=2)
    arrivals: Decimal = Field(Decimal(0), max_digits=12, decimal_places=2)


class PriceReportsIn(Schema):
    reports: list[PriceReportIn] = Field(min_length=1, max_length=500)


class PriceReportOut(Schema):
    id: int
    store_id: int
    item: str
    day: dt.date
    price: Decimal
    stock: Decimal
    arrivals: Decimal
    source: str
    reported_at: dt.datetime


class PriceReportsOut(Schema):
    created: int
    changed: int


class PriceImportErrorOut(Schema):
    row: int
    column: str
    value: str
    reason: str


class PriceImportOut(Schema):
    filename: str
    rows_read: int
    created: int
    changed: int
    written: bool
    error_count: int
    errors: list[PriceImportErrorOut]


class PriceChangeOut(Schema):
    pct: float = Field(description="Change in per cent")
    stores: int = Field(description="Stores with a report at both ends")
    since: dt.date = Field(description="The day compared with")
    earliest: dt.date = Field(description="The oldest report taken as the base")


class PriceLightOut(Schema):
    area: PlaceBrief | None
    item: str
    item_name: str
    level: str = Field(description="red, yellow, green, or none (no report now)")
    reason: str
    reason_zh: str
    reason_en: str
    price: float | None
    change: PriceChangeOut | None
    day_change: PriceChangeOut | None
    stock_days: float | None
    stores: int


class PriceBoardOut(Schema):
    day: dt.date
    change_days: int | None
    counts: dict[str, int]
    lights: list[PriceLightOut]


class PriceAlertOut(Schema):
    id: int
    item: str
    item_name: str
    area: PlaceBrief
    day: dt.date
    last_day: dt.date
    reason: str
    status: AlertStatus
    note: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class PriceAlertStatusIn(Schema):
    status: AlertStatus
    note: str = Field("", max_length=300)
