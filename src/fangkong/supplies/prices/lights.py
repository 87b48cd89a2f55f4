"""The traffic lights of price and stock monitoring (红绿灯分级预警): a pure engine over plain
rows (`classify`, no query) in a thin shell that loads them (`lights_for`: one query for the
reports, one for the population, one for the catalogue).

For each item × area on day D (area: the district, or the caller's finer jurisdiction):

- **price now**: each store's last report on or before D, at most `report_max_age_days` old;
- **price N days ago** (N = `change_days` of the profile): each store's last report on or
  before D − N, at most as old; likewise for the day before (day-on-day);
- **change**: the stores that have both, their prices summed now over their prices summed
  then, minus one (a store reporting only one of the days does not move the figure);
- **days of stock**: the stock of the stores reporting now over the area's registered
  population × the item's consumption per person per day;
- **light**: red when the change is above the group's red threshold or the stock lasts fewer
  days than the red threshold; yellow likewise; green otherwise. No report now: no light.
  No report to compare with: the change is unknown, said so in the reason, and the light is
  the stock's.

The reason names every figure and threshold in words, in the reader's language
(`Light.reason()`); a base older than D − N says which day it came from.
"""

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import Avg, Count, F, QuerySet
from django.db.models.functions import Substr
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy.schema import PriceRules

GREEN, YELLOW, RED, NONE = "green", "yellow", "red", "none"
LEVELS = (RED, YELLOW, GREEN, NONE)  # worst first
LANGUAGES = ("zh-hans", "en")


class Row(NamedTuple):
    """One report as the engine reads it."""

    store: int
    item: int
    area: str
    day: dt.date
    price: float
    stock: float


class Item(NamedTuple):
    pk: int
    name: str
    name_en: str
    group: str
    per_capita: float

    def label(self) -> str:
        """The item's name in the active language."""
        return self.name if translation.get_language() == "zh-hans" else self.name_en


@dataclass(frozen=True)
class Change:
    pct: float
    stores: int
    since: dt.date  # the day compared with (D − N)
    earliest: dt.date  # the oldest report taken for it


@dataclass
class Light:
    area: str
    item: Item
    day: dt.date
    level: str = NONE
    change: Change | None = None  # over N days
    day_change: Change | None = None
    stock_days: float | None = None
    stores: int = 0
    price: float | None = None  # the mean of the stores' prices now
    last_report: dt.date | None = None
    rules: PriceRules | None = None
    causes: list[str] = field(default_factory=list)  # "change", "stock"

    def reason(self, language: str | None = None) -> str:
        """Why the light is what it is, in words (the active language, or `language`)."""
        if language is not None:
            with translation.override(language):
                return self.reason()
        return reason_words(self)

    def reasons(self) -> dict[str, str]:
        return {lang: self.reason(lang) for lang in LANGUAGES}


def _latest(days: Sequence[dt.date], on_or_before: dt.date, max_age: int) -> int | None:
    """Index of the last day on or before `on_or_before`, at most `max_age` days older."""
    i = bisect_right(days, on_or_before) - 1
    if i < 0 or (on_or_before - days[i]).days > max_age:
        return None
    return i


def _change(
    series: Iterable[tuple[list[dt.date], list[float], int]], since: dt.date, max_age: int
) -> Change | None:
    now_sum = then_sum = 0.0
    stores = 0
    earliest = since
    for days, prices, now_i in series:
        then_i = _latest(days, since, max_age)
        if then_i is None:
            continue
        now_sum += prices[now_i]
        then_sum += prices[then_i]
        earliest = min(earliest, days[then_i])
        stores += 1
    if not stores or then_sum <= 0:
        return None
    return Change(round(100 * (now_sum / then_sum - 1), 1), stores, since, earliest)


def classify(
    rows: Iterable[Row],
    *,
    day: dt.date,
    items: dict[int, Item],
    population: dict[str, int],
    rules: PriceRules,
) -> list[Light]:
    """A light per item × area that has reports (rows: any order, several days)."""
    by_store: dict[tuple[str, int, int], list[Row]] = defaultdict(list)
    for row in rows:
        if row.day <= day and row.item in items:
            by_store[(row.area, row.item, row.store)].append(row)
    grouped: dict[tuple[str, int], list[tuple[list[dt.date], list[float], list[float]]]]
    grouped = defaultdict(list)
    for (area, item_pk, _store), reports in by_store.items():
        reports.sort(key=lambda r: r.day)
        grouped[(area, item_pk)].append(
            ([r.day for r in reports], [r.price for r in reports], [r.stock for r in reports])
        )
    age = rules.report_max_age_days
    lights = []
    for (area, pk), stores in sorted(grouped.items()):
        item = items[pk]
        light = Light(area=area, item=item, day=day, rules=rules)
        light.last_report = max(days[-1] for days, _p, _s in stores)
        now = [(d, p, s, i) for d, p, s in stores if (i := _latest(d, day, age)) is not None]
        if now:
            series = [(d, p, i) for d, p, _s, i in now]
            light.stores = len(now)
            light.price = round(sum(p[i] for _d, p, _s, i in now) / len(now), 2)
            light.change = _change(series, day - dt.timedelta(days=rules.change_days), age)
            light.day_change = _change(series, day - dt.timedelta(days=1), age)
            stock = sum(s[i] for _d, _p, s, i in now)
            use = population.get(area, 0) * item.per_capita
            light.stock_days = round(stock / use, 1) if use > 0 else None
            _grade(light, rules)
        lights.append(light)
    return lights


def _grade(light: Light, rules: PriceRules) -> None:
    band = rules.band(light.item.group)
    level = GREEN
    if light.change is not None:
        if light.change.pct > band.red_above_pct:
            level, light.causes = RED, ["change"]
        elif light.change.pct > band.yellow_above_pct:
            level, light.causes = YELLOW, ["change"]
    if light.stock_days is not None:
        if light.stock_days < rules.stock_red_below_days:
            light.causes = [*(light.causes if level == RED else []), "stock"]
            level = RED
        elif light.stock_days < rules.stock_yellow_below_days and level != RED:
            light.causes = [*light.causes, "stock"]
            level = YELLOW
    light.level = level


def _num(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def _day(value: dt.date) -> str:
    if translation.get_language() == "zh-hans":
        return f"{value.month}月{value.day}日"
    return value.strftime("%d %b").lstrip("0")


def reason_words(light: Light) -> str:
    """The sentence of a light: the item, its N-day change against the threshold it crossed
    (or the yellow one), its days of stock likewise, and a base older than D − N."""
    zh = translation.get_language() == "zh-hans"
    name = light.item.label()
    rules = light.rules
    if light.level == NONE or rules is None:
        since = _day(light.last_report) if light.last_report else "—"
        return _("%(item)s: no report since %(day)s") % {"item": name, "day": since}
    band = rules.band(light.item.group)
    parts = []
    change = light.change
    if change is None:
        parts.append(
            _("%(item)s: no report on or before %(day)s to compare with")
            % {"item": name, "day": _day(light.day - dt.timedelta(days=rules.change_days))}
        )
    else:
        limit = (
            band.red_above_pct
            if light.level == RED and "change" in light.causes
            else (band.yellow_above_pct)
        )
        sign = ">" if change.pct > limit else "≤"
        words = {"item": name, "n": rules.change_days, "pct": _num(abs(change.pct))}
        words |= {"sign": sign, "limit": _num(limit)}
        if change.pct >= 0:
            parts.append(_("%(item)s %(n)s-day rise %(pct)s%% %(sign)s %(limit)s%%") % words)
        else:
            parts.append(
                _("%(item)s %(n)s-day fall %(pct)s%% (threshold: rise %(limit)s%%)") % words
            )
        if change.earliest < change.since:
            parts.append(
                _("compared with the last report on or before %(since)s, the earliest of %(day)s")
                % {"since": _day(change.since), "day": _day(change.earliest)}
            )
    if light.stock_days is not None:
        red = "stock" in light.causes and light.level == RED
        limit = rules.stock_red_below_days if red else rules.stock_yellow_below_days
        sign = "<" if light.stock_days < limit else "≥"
        parts.append(
            _("stock lasts %(days)s days %(sign)s %(limit)s")
            % {"days": _num(light.stock_days), "sign": sign, "limit": _num(limit)}
        )
    return ("；" if zh else "; ").join(parts)


# The shell: load the rows -------------------------------------------------------------------


def area_width(scope: str) -> int:
    """Lights are by district, or by the caller's own place when it is finer."""
    return max(KEY_LENGTH[Level.DISTRICT], len(scope))


def load_rows(reports: QuerySet[Any], *, day: dt.date, rules: PriceRules, width: int) -> list[Row]:
    """The reports the lights of `day` read, in one query (columns only)."""
    first = day - dt.timedelta(days=rules.change_days + rules.report_max_age_days)
    values = (
        reports.filter(day__gte=first, day__lte=day)
        .annotate(area=Substr("division_key", 1, width))
        .values_list("store_id", "necessity_id", "area", "day", "price", "stock")
    )
    return [Row(s, i, a, d, float(p), float(st)) for s, i, a, d, p, st in values]


def load_items(necessities: QuerySet[Any]) -> dict[int, Item]:
    values = necessities.values_list("pk", "name", "name_en", "group", "per_capita_daily")
    return {pk: Item(pk, n, e, g, float(c)) for pk, n, e, g, c in values}


def load_population(residents: QuerySet[Any], width: int) -> dict[str, int]:
    """Registered residents by area (one grouped query)."""
    grouped = (
        residents.annotate(area=Substr("division_key", 1, width))
        .values("area")
        .annotate(n=Count("pk"))
        .values_list("area", "n")
    )
    return dict(grouped)


def area_names(keys: Iterable[str]) -> dict[str, Division]:
    return {d.key: d for d in Division.objects.filter(key__in=set(keys))}


def trend(
    reports: QuerySet[Any], *, first: dt.date, last: dt.date, width: int
) -> dict[tuple[str, int], list[tuple[dt.date, float]]]:
    """The mean price of the reporting stores by area, item and day (one grouped query)."""
    rows = (
        reports.filter(day__gte=first, day__lte=last)
        .annotate(area=Substr("division_key", 1, width))
        .values("area", "necessity_id", "day")
        .annotate(mean=Avg(F("price")))
        .order_by("area", "necessity_id", "day")
        .values_list("area", "necessity_id", "day", "mean")
    )
    series: dict[tuple[str, int], list[tuple[dt.date, float]]] = defaultdict(list)
    for area, item, day, mean in rows:
        series[(area, item)].append((day, round(float(mean), 2)))
    return series
