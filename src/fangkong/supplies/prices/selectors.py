"""Reads of price monitoring, scoped: stores and reports in the caller's jurisdiction (an
enterprise account: only its own stores and their reports), alerts of its areas, and the
board (lights by area × item, with their trend) computed from the reports the caller sees."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.core.access import Cap, key_filter, require, scope_key, scoped
from fangkong.people.models import Resident
from fangkong.policy.accessor import Policy, current
from fangkong.policy.schema import PriceRules
from fangkong.supplies.prices import lights as engine
from fangkong.supplies.prices.models import Necessity, PriceAlert, PriceReport, Store
from fangkong.supplies.selectors import is_enterprise_account

CHART_DAYS = 30  # how many days the board's trend charts show (a display choice, not policy)


def price_rules(policy: Policy | None = None) -> PriceRules | None:
    """The active profile's light thresholds (None: the profile keeps no lights)."""
    rules = (policy or current()).rules
    return rules.supplies.prices if rules.supplies is not None else None


def necessities(active_only: bool = True) -> QuerySet[Necessity]:
    qs = Necessity.objects.all()
    return qs.filter(active=True) if active_only else qs


def stores_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[Store]:
    require(user, cap)
    qs = scoped(Store.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.filter(enterprise__staff=user)
    return qs


def store_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> Store:
    found = stores_for_user(user, cap).select_related("enterprise", "division").filter(pk=pk)
    store = found.first()
    if store is None:
        raise Http404
    return store


def reports_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[PriceReport]:
    require(user, cap)
    qs = scoped(PriceReport.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.filter(store__enterprise__staff=user)
    return qs


def alerts_for_user(user: Any, cap: Cap = Cap.SUPPLIES_VIEW) -> QuerySet[PriceAlert]:
    """The alerts of areas in the caller's jurisdiction; none for an enterprise account (the
    alerts are the task force's work)."""
    require(user, cap)
    qs = scoped(PriceAlert.objects.all(), user)
    if is_enterprise_account(user):
        qs = qs.none()
    return qs


def alert_for_user(user: Any, pk: int, cap: Cap = Cap.SUPPLIES_VIEW) -> PriceAlert:
    found = alerts_for_user(user, cap).select_related("necessity", "area").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def red_alerts_at(prefix: str, at: dt.datetime) -> int:
    """Alerts under `prefix` open at `at` (opened by then, not resolved by then): the red
    lights the supply task force was handling. The command dashboard's figure; the caller
    scopes `prefix`."""
    return (
        PriceAlert.objects.filter(key_filter(prefix), opened_at__lte=at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at))
        .count()
    )


@dataclass
class Board:
    day: dt.date
    rules: PriceRules | None
    lights: list[engine.Light] = field(default_factory=list)
    areas: dict[str, Any] = field(default_factory=dict)  # key → Division
    items: list[engine.Item] = field(default_factory=list)
    trend: dict[tuple[str, int], list[tuple[dt.date, float]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counted = dict.fromkeys(engine.LEVELS, 0)
        for light in self.lights:
            counted[light.level] += 1
        return counted

    def warnings(self) -> list[tuple[Any, engine.Light]]:
        """Red lights, then yellow ones, with their area."""
        shown = [lt for lt in self.lights if lt.level in (engine.RED, engine.YELLOW)]
        shown.sort(key=lambda lt: (engine.LEVELS.index(lt.level), lt.area, lt.item.pk))
        return [(self.areas.get(lt.area), lt) for lt in shown]

    def grid(self) -> list[tuple[Any, list[engine.Light | None]]]:
        """Rows by area, a cell per item (None where the area has no report of it)."""
        cells = {(lt.area, lt.item.pk): lt for lt in self.lights}
        keys = sorted({lt.area for lt in self.lights})
        return [(self.areas.get(k), [cells.get((k, item.pk)) for item in self.items]) for k in keys]


def lights_compute(
    reports: QuerySet[PriceReport], *, day: dt.date, rules: PriceRules, width: int, prefix: str
) -> list[engine.Light]:
    """Lights of `day` over `reports`: one query each for reports, catalogue and population."""
    items = engine.load_items(necessities())
    rows = engine.load_rows(reports, day=day, rules=rules, width=width)
    residents = Resident.objects.all()
    if prefix:
        residents = residents.filter(division_key__startswith=prefix)
    population = engine.load_population(residents, width) if rows else {}
    return engine.classify(rows, day=day, items=items, population=population, rules=rules)


def board_for(user: Any, day: dt.date | None = None, *, chart: bool = True) -> Board:
    """The caller's board: lights of `day` (today by default) by area × item over the reports
    it sees, and the mean price by area, item and day over the last CHART_DAYS days."""
    day = day or timezone.localdate()
    reports = reports_for_user(user)
    rules = price_rules()
    board = Board(day=day, rules=rules)
    if rules is None:
        return board
    prefix = scope_key(user)
    width = engine.area_width(prefix)
    board.lights = lights_compute(reports, day=day, rules=rules, width=width, prefix=prefix)
    board.items = list(engine.load_items(necessities()).values())
    board.areas = engine.area_names(lt.area for lt in board.lights)
    if chart:
        first = day - dt.timedelta(days=CHART_DAYS - 1)
        board.trend = engine.trend(reports, first=first, last=day, width=width)
    return board
