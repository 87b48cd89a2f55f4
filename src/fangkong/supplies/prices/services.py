"""Writes of price monitoring: the catalogue (kept by the supply task force), the reporting
stores, the daily reports (by form, file or API: one check for all three), and the alerts a
red light opens for the task force (acknowledged, then resolved). Every write is an audit
event (labels: supplies/audit_labels.py)."""

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from fangkong.audit.services import SYSTEM, event_record
from fangkong.core.access import NO_SCOPE, Cap, can, in_scope, key_filter, require, scope_key
from fangkong.core.dates import date_problem
from fangkong.core.errors import field_error
from fangkong.people.models import Resident
from fangkong.places.models import Division, Level
from fangkong.supplies.enterprises.services import require_enterprise
from fangkong.supplies.models import Enterprise
from fangkong.supplies.prices import lights as engine
from fangkong.supplies.prices import selectors
from fangkong.supplies.prices.models import (
    AlertStatus,
    Necessity,
    PriceAlert,
    PriceReport,
    ReportSource,
    Store,
    Unit,
)

MAX_STOCK = Decimal("1e9")  # the column's range: 12 digits, 2 after the point

E_UNKNOWN_ITEM = gettext_noop("No item of the catalogue is called %(value)s")
E_UNIT = gettext_noop("%(item)s is reported in %(unit)s, not %(value)s")
E_NUMBER = gettext_noop("Write a number, such as 12.5")
E_NEGATIVE = gettext_noop("This cannot be negative")
E_PRICE_ZERO = gettext_noop("A price is above zero")
E_PRICE_HIGH = gettext_noop("%(value)s yuan is not a plausible price of %(item)s (at most %(max)s)")
E_TOO_LARGE = gettext_noop("This number is too large")
E_STORE = gettext_noop("No reporting store of yours is called %(value)s")
E_STORE_TWICE = gettext_noop("Several of your stores are called %(value)s: give its number")
E_DAY = gettext_noop("Give the day as 2022-05-10")

ALERT_MOVES = {
    AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED},
    AlertStatus.ACKNOWLEDGED: {AlertStatus.RESOLVED},
    AlertStatus.RESOLVED: set(),
}
ALERT_NOT_ALLOWED = gettext_lazy("This alert cannot move to that status")


@dataclass(frozen=True)
class Problem:
    """A problem with one value of a report: the field, the message (untranslated) and its
    parameters, so a page, a file's row and the API can all name it."""

    field: str
    message: str
    params: dict[str, Any]

    def words(self) -> str:
        return gettext(self.message) % self.params if self.params else gettext(self.message)


@dataclass(frozen=True)
class ReportIn:
    store: Store
    necessity: Necessity
    day: dt.date
    price: Decimal
    stock: Decimal
    arrivals: Decimal


UNIT_NAMES: dict[str, set[str]] = {
    Unit.KG: {"kg", "公斤", "千克", "kilogram", "kilograms"},
    Unit.LITRE: {"l", "升", "litre", "liter", "litres", "liters"},
    Unit.CAN: {"can", "罐", "cans", "tin"},
    Unit.PACK: {"pack", "包", "袋", "packs"},
    Unit.BOTTLE: {"bottle", "瓶", "bottles"},
    Unit.BOX: {"box", "盒", "boxes"},
}


def unit_matches(necessity: Necessity, text: str) -> bool:
    """An empty unit is the item's; otherwise its code or one of its names."""
    text = (text or "").strip().lower()
    return not text or text in UNIT_NAMES.get(necessity.unit, {necessity.unit})


def necessity_named(text: str, catalogue: dict[str, Necessity]) -> Necessity | None:
    """An item by its code, Chinese or English name (`catalogue`: `catalogue_index()`)."""
    return catalogue.get((text or "").strip().lower())


def catalogue_index() -> dict[str, Necessity]:
    index: dict[str, Necessity] = {}
    for item in selectors.necessities():
        for name in (item.code, item.name, item.name_en):
            index[name.strip().lower()] = item
    return index


def number_problem(
    field: str, text: Any, ceiling: Decimal
) -> tuple[Decimal | None, Problem | None]:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None, Problem(field, E_NUMBER, {})
    if not value.is_finite():
        return None, Problem(field, E_NUMBER, {})
    if value < 0:
        return None, Problem(field, E_NEGATIVE, {})
    if value >= ceiling:
        return None, Problem(field, E_TOO_LARGE, {})
    return value.quantize(Decimal("0.01")), None


def report_problems(
    necessity: Necessity, *, price: Any, stock: Any, arrivals: Any, unit: str = "", day: Any
) -> tuple[dict[str, Decimal], list[Problem]]:
    """The values of one report checked: unit, price (above zero, not above the item's
    plausible highest), stock and arrivals (not negative), day (not in the future)."""
    problems: list[Problem] = []
    values: dict[str, Decimal] = {}
    if not unit_matches(necessity, unit):
        params = {"item": necessity.name_en, "unit": necessity.get_unit_display(), "value": unit}
        problems.append(Problem("unit", E_UNIT, params))
    for name, text, ceiling in (
        ("price", price, Decimal("1e7")),
        ("stock", stock, MAX_STOCK),
        ("arrivals", arrivals if str(arrivals).strip() else "0", MAX_STOCK),
    ):
        value, problem = number_problem(name, text, ceiling)
        if problem:
            problems.append(problem)
        elif value is not None:
            values[name] = value
    price_value = values.get("price")
    if price_value is not None:
        if price_value <= 0:
            problems.append(Problem("price", E_PRICE_ZERO, {}))
            values.pop("price")
        elif price_value > necessity.max_price:
            high: dict[str, Any] = {
                "value": price_value,
                "item": necessity.name,
                "max": necessity.max_price,
            }
            problems.append(Problem("price", E_PRICE_HIGH, high))
            values.pop("price")
    if isinstance(day, dt.date):
        message = date_problem(day)
        if message:
            problems.append(Problem("day", "%(value)s", {"value": message}))
    return values, problems


CATALOGUE = Path(__file__).parent / "catalogue.json"


def catalogue_install() -> int:
    """The shipped catalogue's items that are missing (by code); the migration does the same
    at install. Returns how many were added."""
    added = 0
    for item in json.loads(CATALOGUE.read_text("utf-8")):
        added += Necessity.objects.get_or_create(code=item["code"], defaults=item)[1]
    return added


def raise_problems(problems: Sequence[Problem]) -> None:
    if problems:
        first = problems[0]
        raise field_error(first.field, first.words())


def _may_report(actor: Any, store: Store) -> None:
    cap = Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE
    if not selectors.stores_for_user(actor, cap).filter(pk=store.pk).exists():
        raise field_error("store", gettext_lazy("This store is not one you report for"))


@transaction.atomic
def price_reports_record(
    *, actor: Any, reports: Sequence[ReportIn], source: str, filename: str = ""
) -> tuple[int, int]:
    """Write checked reports: one per store, item and day, a second report of the same replaces
    the first (so a file imported twice changes nothing). Returns (created, changed). One
    audit event per report from a form or the API, one per file. Lights of the days touched
    are computed again (alerts for new reds)."""
    stores = {r.store.pk: r.store for r in reports}
    for store in stores.values():
        _may_report(actor, store)
    keys = {(r.store.pk, r.necessity.pk, r.day) for r in reports}
    existing = {
        (p.store_id, p.necessity_id, p.day): p
        for p in PriceReport.objects.select_for_update().filter(
            store_id__in=stores, day__in={k[2] for k in keys}
        )
        if (p.store_id, p.necessity_id, p.day) in keys
    }
    now = timezone.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    new: list[PriceReport] = []
    changed: list[PriceReport] = []
    for r in reports:
        row = existing.get((r.store.pk, r.necessity.pk, r.day))
        if row is None:
            row = PriceReport(
                store=r.store,
                necessity=r.necessity,
                day=r.day,
                division_key=r.store.division_key,
                source=source,
                reported_at=now,
                reported_by=user,
            )
            new.append(row)
        elif (row.price, row.stock, row.arrivals) == (r.price, r.stock, r.arrivals):
            continue
        else:
            changed.append(row)
        row.price, row.stock, row.arrivals = r.price, r.stock, r.arrivals
        row.source, row.reported_at, row.reported_by = source, now, user
        existing[(r.store.pk, r.necessity.pk, r.day)] = row
    PriceReport.objects.bulk_create(new)
    fields = ["price", "stock", "arrivals", "source", "reported_at", "reported_by"]
    PriceReport.objects.bulk_update(changed, fields)
    if source == ReportSource.FILE:
        event_record(
            actor=actor,
            action="prices.imported",
            object_type="supplies.pricereport",
            data={"file": filename, "rows": len(reports), "new": len(new), "changed": len(changed)},
        )
    else:
        for row in [*new, *changed]:
            event_record(
                actor=actor,
                action="price.reported",
                obj=row,
                division_key=row.division_key,
                data={
                    "store": row.store.name,
                    "item": row.necessity.code,
                    "day": row.day.isoformat(),
                    "price": str(row.price),
                    "stock": str(row.stock),
                    "arrivals": str(row.arrivals),
                    "source": source,
                },
            )
    touched = [*new, *changed]
    width = engine.area_width("")
    alerts_sync(days={r.day for r in touched}, districts={r.division_key[:width] for r in touched})
    return len(new), len(changed)


@transaction.atomic
def alerts_sync(
    *, days: Iterable[dt.date], districts: Iterable[str] | None = None, actor: Any = SYSTEM
) -> int:
    """Open an alert for each item × district red on one of `days` that has none open (one
    live alert per item and district: red again updates its reason and last red day), in
    `districts` (keys; None: every one). The population is counted once for all the days.
    Returns how many alerts were opened."""
    rules = selectors.price_rules()
    if rules is None:
        return 0
    width = engine.area_width("")
    where = Q()
    for key in set(districts) if districts is not None else {""}:
        where |= key_filter(key)
    reports = PriceReport.objects.filter(where)
    items = engine.load_items(selectors.necessities())
    population: dict[str, int] | None = None
    opened = 0
    for day in sorted(set(days)):
        rows = engine.load_rows(reports, day=day, rules=rules, width=width)
        if not rows:
            continue
        if population is None:
            population = engine.load_population(Resident.objects.filter(where), width)
        lights = engine.classify(rows, day=day, items=items, population=population, rules=rules)
        reds = {(lt.item.pk, lt.area): lt for lt in lights if lt.level == engine.RED}
        opened += _alerts_open(reds, day=day, actor=actor)
    return opened


def _alerts_open(reds: dict[tuple[int, str], engine.Light], *, day: dt.date, actor: Any) -> int:
    if not reds:
        return 0
    live = {
        (a.necessity_id, a.division_key): a
        for a in PriceAlert.objects.select_for_update()
        .exclude(status=AlertStatus.RESOLVED)
        .filter(necessity_id__in={k[0] for k in reds})
    }
    areas = engine.area_names(k[1] for k in reds)
    opened = 0
    for (item, key), light in reds.items():
        alert = live.get((item, key))
        reason = light.reasons()
        if alert is not None:
            if day >= alert.last_day:
                alert.last_day, alert.reason = day, reason
                alert.save(update_fields=["last_day", "reason"])
            continue
        if key not in areas:
            continue
        alert = PriceAlert.objects.create(
            necessity_id=item,
            area=areas[key],
            division_key=key,
            day=day,
            last_day=day,
            reason=reason,
        )
        event_record(
            actor=actor,
            action="price_alert.opened",
            obj=alert,
            division_key=key,
            reason=reason["zh-hans"],
            data={"item": light.item.name, "day": day.isoformat(), "reason_en": reason["en"]},
        )
        opened += 1
    return opened


@transaction.atomic
def alert_set_status(*, actor: Any, alert: PriceAlert, status: str, note: str = "") -> PriceAlert:
    """Acknowledge or resolve an alert (the supply task force), with a note."""
    require(actor, Cap.SUPPLIES_MANAGE)
    row = PriceAlert.objects.select_for_update().get(pk=alert.pk)
    if not in_scope(actor, row.division_key):
        raise field_error("alert", gettext_lazy("This alert is outside your jurisdiction"))
    if status not in AlertStatus.values or status not in ALERT_MOVES[AlertStatus(row.status)]:
        raise field_error("status", ALERT_NOT_ALLOWED)
    old = row.status
    row.status = status
    row.note = (note or "").strip()[:300]
    if status == AlertStatus.RESOLVED:
        row.closed_at = timezone.now()
    row.save(update_fields=["status", "note", "closed_at"])
    event_record(
        actor=actor,
        action=f"price_alert.{status}",
        obj=row,
        division_key=row.division_key,
        field="status",
        from_value=old,
        to_value=status,
        reason=row.note,
    )
    return row


@transaction.atomic
def store_register(*, actor: Any, enterprise: Enterprise, name: str, division: Division) -> Store:
    """A reporting store of an enterprise at a place (a district or finer) of the actor's
    jurisdiction: the task force registers any, an enterprise account its own."""
    cap = Cap.SUPPLIES_MANAGE if can(actor, Cap.SUPPLIES_MANAGE) else Cap.SUPPLY_ENTERPRISE
    require_enterprise(actor, enterprise, cap)
    name = (name or "").strip()
    if not name:
        raise field_error("name", gettext_lazy("Name the store"))
    if division.level < Level.DISTRICT:
        raise field_error("place", gettext_lazy("A store is in a district or a finer place"))
    if not in_scope(actor, division.key):
        raise field_error("place", gettext_lazy("This place is outside your jurisdiction"))
    if Store.objects.filter(enterprise=enterprise, name=name[:100]).exists():
        raise field_error("name", gettext_lazy("The enterprise has a store of this name"))
    store = Store.objects.create(
        enterprise=enterprise, name=name[:100], division=division, division_key=division.key
    )
    event_record(
        actor=actor,
        action="store.registered",
        obj=store,
        division_key=division.key,
        data={"enterprise": enterprise.credit_code, "place": division.code},
    )
    return store


@transaction.atomic
def necessity_save(
    *,
    actor: Any,
    necessity: Necessity,
    per_capita_daily: Decimal,
    max_price: Decimal,
    active: bool,
) -> Necessity:
    """Change what an item of the catalogue counts with (the supply task force)."""
    require(actor, Cap.SUPPLIES_MANAGE)
    if scope_key(actor) == NO_SCOPE:  # the catalogue is the city's: not for one without a place
        raise PermissionDenied(Cap.SUPPLIES_MANAGE)
    if per_capita_daily < 0:
        raise field_error("per_capita_daily", gettext_lazy("This cannot be negative"))
    if max_price <= 0:
        raise field_error("max_price", gettext_lazy("A price is above zero"))
    before = {
        "per_capita_daily": str(necessity.per_capita_daily),
        "max_price": str(necessity.max_price),
        "active": necessity.active,
    }
    necessity.per_capita_daily, necessity.max_price, necessity.active = (
        per_capita_daily,
        max_price,
        active,
    )
    necessity.save(update_fields=["per_capita_daily", "max_price", "active"])
    after = {
        "per_capita_daily": str(necessity.per_capita_daily),
        "max_price": str(necessity.max_price),
        "active": necessity.active,
    }
    if after != before:
        event_record(
            actor=actor,
            action="necessity.changed",
            obj=necessity,
            data={"before": before, "after": after},
        )
    return necessity
