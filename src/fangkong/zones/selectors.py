"""Reads of risk zones, scoped to the caller's jurisdiction, and the public and figure views.

A zone is visible to a user when one of its nodes lies in the user's subtree or above the
user's node (a zone over a whole community is the grid worker's zone too). The public list and
`zone_for_person` need no user: they show only level, address, dates and obligations.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fangkong.audit.models import Event
from fangkong.audit.selectors import events_for_user
from fangkong.core.access import NO_SCOPE, Cap, key_filter, require, scope_key
from fangkong.core.errors import field_error
from fangkong.epi.models import Case
from fangkong.lab.selectors import ancestor_keys
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level, named_any, names_division
from fangkong.policy import accessor
from fangkong.policy.compare import LEVEL_LABELS
from fangkong.policy.schema import Rules
from fangkong.zones.evidence import day_start, under_any
from fangkong.zones.models import ChangeKind, Verdict, Zone, ZoneArea, ZoneChange, ZoneEvaluation
from fangkong.zones.models import ZoneStatus as Status

# Addresses on the public page start below the city: 魏都区 西大街街道 … 1号楼.
ADDRESS_FROM = Level.DISTRICT


def level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


# Rules of a zone -----------------------------------------------------------------------------


class RulesCache:
    """The policy a zone is held to: the active profile when it knows the zone's level (a
    profile switch applies to zones in force), else the profile the zone was drawn under."""

    def __init__(self) -> None:
        self._by_profile: dict[tuple[str, int], accessor.Policy | None] = {}
        self._active: accessor.Policy | None = None

    def active(self) -> accessor.Policy:
        if self._active is None:
            self._active = accessor.current()
        return self._active

    def policy_for(self, zone: Zone) -> accessor.Policy:
        active = self.active()
        if zone.level in active.rules.zones.levels:
            return active
        key = (zone.profile_code, zone.profile_version)
        if key not in self._by_profile:
            self._by_profile[key] = accessor.at(*key)
        return self._by_profile[key] or active

    def for_zone(self, zone: Zone) -> Rules:
        return self.policy_for(zone).rules


def obligations_text(rules: Rules, level: str) -> str:
    obligation = rules.zones.obligations.get(level)
    if obligation is None:
        return ""
    return obligation.en if (get_language() or "").startswith("en") else obligation.zh


def is_lifted_level(rules: Rules, level: str) -> bool:
    """The scheme's least restrictive level: a zone that reaches it is lifted."""
    return bool(rules.zones.levels) and level == rules.zones.levels[-1]


def severity(rules: Rules, level: str) -> int:
    """0 for the most restrictive level; unknown levels sort last."""
    levels = rules.zones.levels
    return levels.index(level) if level in levels else len(levels)


# Scoped reads --------------------------------------------------------------------------------


def _areas_overlapping(prefix: str) -> Q:
    above = ancestor_keys(prefix)
    q = key_filter(prefix)
    return q | Q(division_key__in=above) if above else q


def zones_for_user(user: Any) -> QuerySet[Zone]:
    require(user, Cap.ZONES_VIEW)
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        return Zone.objects.none()
    if prefix == "":
        return Zone.objects.all()
    areas = ZoneArea.objects.filter(zone=OuterRef("pk"), division__isnull=False)
    return Zone.objects.filter(Exists(areas.filter(_areas_overlapping(prefix))))


def zone_for_user(user: Any, pk: int) -> Zone:
    try:
        return zones_for_user(user).get(pk=pk)
    except Zone.DoesNotExist:
        raise Http404 from None


def evaluations_for_user(user: Any) -> QuerySet[ZoneEvaluation]:
    zones = zones_for_user(user)
    return ZoneEvaluation.objects.filter(zone__in=zones.values("pk")).select_related("zone")


def evaluation_for_user(user: Any, pk: int) -> ZoneEvaluation:
    try:
        return evaluations_for_user(user).get(pk=pk)
    except ZoneEvaluation.DoesNotExist:
        raise Http404 from None


def pending_proposals(user: Any) -> QuerySet[ZoneEvaluation]:
    return evaluations_for_user(user).filter(verdict=Verdict.PROPOSED).order_by("day", "id")


# A zone's area and people -------------------------------------------------------------------


def node_areas(zone: Zone) -> list[ZoneArea]:
    return list(zone.areas.filter(division__isnull=False).select_related("division"))


def zone_keys(zone: Zone) -> list[str]:
    return list(
        zone.areas.filter(division__isnull=False)
        .order_by("division_key")
        .values_list("division_key", flat=True)
    )


def zone_polygons(zone: Zone) -> list[dict[str, Any]]:
    rows = zone.areas.filter(geometry__isnull=False).order_by("id")
    return [a.geometry for a in rows if a.geometry]


def people_by_node(keys: list[str]) -> dict[str, int]:
    """Residents under each node, from the registry (one query, however many nodes)."""
    if not keys:
        return {}
    counts = Resident.objects.filter(under_any(keys)).aggregate(
        **{f"n{i}": Count("id", filter=key_filter(k)) for i, k in enumerate(keys)}
    )
    return {k: counts[f"n{i}"] or 0 for i, k in enumerate(keys)}


def people_in(keys: list[str]) -> int:
    """Residents under any of the nodes (nodes of a zone never nest)."""
    return Resident.objects.filter(under_any(keys)).count() if keys else 0


def place_paths(keys: list[str], start: Level = ADDRESS_FROM) -> dict[str, str]:
    """'魏都区 西大街街道 西大社区 幸福小区 1号楼' per node key (one query for all)."""
    widths = sorted(w for lv, w in KEY_LENGTH.items() if lv >= start)
    wanted = {k[:w] for k in keys for w in widths if w <= len(k)}
    names = dict(Division.objects.filter(key__in=wanted).values_list("key", "name"))
    return {
        k: " ".join(names[k[:w]] for w in widths if w <= len(k) and k[:w] in names) for k in keys
    }


def zone_events(user: Any, zone: Zone) -> QuerySet[Event]:
    """The zone's latest audited events the user may see: when each happened and, when entered
    late, when and by whom it was recorded."""
    return events_for_user(user).filter(object_type="zones.zone", object_id=str(zone.pk))[:100]


def zone_history(zone: Zone) -> list[ZoneChange]:
    return list(zone.changes.select_related("actor").order_by("at", "id"))


# A person's zone ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonZone:
    zone: Zone
    level: str
    label: str
    obligations: str
    since: dt.datetime


def zone_for_person(person: Resident) -> PersonZone | None:
    """The most restrictive zone in force over the person's home, with its obligations."""
    key = person.division_key
    keys = [key[:n] for n in sorted(set(KEY_LENGTH.values())) if n <= len(key)]
    zones = {
        a.zone_id: a.zone
        for a in ZoneArea.objects.filter(
            division_key__in=keys, zone__status=Status.ACTIVE
        ).select_related("zone")
    }
    if not zones:
        return None
    cache = RulesCache()
    ranked = sorted(
        zones.values(), key=lambda z: (severity(cache.for_zone(z), z.level), z.started_at)
    )
    zone = ranked[0]
    rules = cache.for_zone(zone)
    return PersonZone(
        zone=zone,
        level=zone.level,
        label=level_label(zone.level),
        obligations=obligations_text(rules, zone.level),
        since=zone.level_since,
    )


# Publication ----------------------------------------------------------------------------------


@dataclass
class PublicPlace:
    address: str
    lat: float | None
    lon: float | None


@dataclass
class PublicZone:
    pk: int
    level: str
    label: str
    since: dt.datetime
    started_at: dt.datetime
    obligations: str
    rank: int = 0
    places: list[PublicPlace] = field(default_factory=list)
    polygons: list[dict[str, Any]] = field(default_factory=list)


def public_zones() -> list[PublicZone]:
    """Zones in force, most restrictive first: level, address, since when (no personal data)."""
    zones = list(
        Zone.objects.filter(status=Status.ACTIVE).prefetch_related(
            Prefetch(
                "areas",
                queryset=ZoneArea.objects.select_related("division").order_by("division_key"),
            )
        )
    )
    keys = [a.division_key for z in zones for a in z.areas.all() if a.division_id]
    paths = place_paths(keys)
    cache = RulesCache()
    out = []
    for z in zones:
        rules = cache.for_zone(z)
        item = PublicZone(
            pk=z.pk,
            level=z.level,
            label=level_label(z.level),
            since=z.level_since,
            started_at=z.started_at,
            obligations=obligations_text(rules, z.level),
            rank=severity(rules, z.level),
        )
        for a in z.areas.all():
            if a.division is not None:
                d = a.division
                item.places.append(PublicPlace(paths.get(d.key, d.name), d.lat, d.lon))
            elif a.geometry:
                item.polygons.append(a.geometry)
        out.append((severity(rules, z.level), -z.level_since.timestamp(), item))
    return [item for *_order, item in sorted(out, key=lambda t: (t[0], t[1], t[2].pk))]


def public_geojson(zones: list[PublicZone]) -> dict[str, Any]:
    """Our own geometry for the map: node points with coordinates and drawn outlines."""
    features = []
    for z in zones:
        props = {"zone": z.pk, "level": z.level, "label": z.label, "rank": z.rank}
        for p in z.places:
            if p.lat is not None and p.lon is not None:
                point = {"type": "Point", "coordinates": [p.lon, p.lat]}
                features.append(
                    {
                        "type": "Feature",
                        "geometry": point,
                        "properties": {**props, "name": p.address},
                    }
                )
        for polygon in z.polygons:
            features.append({"type": "Feature", "geometry": polygon, "properties": props})
    return {"type": "FeatureCollection", "features": features}


# Figures --------------------------------------------------------------------------------------


@dataclass
class LevelFigure:
    level: str
    label: str
    zones: int = 0
    people: int = 0


@dataclass
class ZoneFigures:
    day: dt.date
    levels: list[LevelFigure]

    @property
    def zones(self) -> int:
        return sum(f.zones for f in self.levels)

    @property
    def people(self) -> int:
        return sum(f.people for f in self.levels)

    def of(self, level: str) -> LevelFigure:
        return next((f for f in self.levels if f.level == level), LevelFigure(level, level))


def zone_figures(*, day: dt.date, prefix: str = "", at: dt.datetime | None = None) -> ZoneFigures:
    """Zones in force at the end of `day` (or at the moment `at`, on that day) and the people
    in them, by level, from history.

    Each zone counts at the level of its last change up to then, by when the change happened
    (`ZoneChange.at`, valid time: a zone drawn or lifted after the fact counts from when it
    was), with the registry count recorded on that change; a lifted zone no longer counts.
    `prefix`: zones whose common node lies in that subtree (the caller's jurisdiction key).
    One query.
    """
    until = Q(at__lte=at) if at is not None else Q(at__lt=day_start(day + dt.timedelta(days=1)))
    rows = (
        ZoneChange.objects.filter(key_filter(prefix), until)
        .order_by("zone_id", "at", "id")
        .values_list("zone_id", "kind", "to_level", "people")
    )
    latest: dict[int, tuple[str, str, int]] = {}
    for zone_id, kind, level, people in rows:
        latest[zone_id] = (kind, level, people)
    levels = list(accessor.current().rules.zones.levels[:-1])
    figures = {lv: LevelFigure(lv, level_label(lv)) for lv in levels}
    for kind, level, people in latest.values():
        if kind == ChangeKind.LIFTED:
            continue
        figure = figures.setdefault(level, LevelFigure(level, level_label(level)))
        figure.zones += 1
        figure.people += people
    return ZoneFigures(day=day, levels=list(figures.values()))


def zone_figures_for_user(user: Any, day: dt.date) -> ZoneFigures:
    require(user, Cap.ZONES_VIEW)
    return zone_figures(day=day, prefix=scope_key(user))


# Lookups for forms and the API ------------------------------------------------------------------


def _unknown(items: list[str]) -> str:
    return _("Not found, or outside your jurisdiction: %(items)s") % {"items": ", ".join(items)}


def divisions_by_codes(user: Any, codes: list[str], field: str = "places") -> list[Division]:
    """Nodes by division code or key within the user's jurisdiction; unknown ones are an error."""
    codes = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not codes:
        return []
    found = list(
        Division.objects.filter(key_filter(scope_key(user), "key")).filter(named_any(codes))
    )
    missing = [c for c in codes if not any(names_division(c, d) for d in found)]
    if missing:
        raise field_error(field, _unknown(missing))
    return found


def cases_by_numbers(user: Any, numbers: list[str]) -> list[Case]:
    """Cases by number within the user's jurisdiction; unknown ones are an error."""
    numbers = list(dict.fromkeys(n.strip() for n in numbers if n.strip()))
    if not numbers:
        return []
    found = list(Case.objects.filter(key_filter(scope_key(user)), number__in=numbers))
    missing = [n for n in numbers if n not in {c.number for c in found}]
    if missing:
        raise field_error("cases", _unknown(missing))
    return found


def places_search(user: Any, *, q: str = "", parent: str = "", limit: int = 50) -> list[Division]:
    """Nodes for the picker: children of `parent`, or names / codes starting with `q`."""
    nodes = Division.objects.filter(key_filter(scope_key(user), "key"))
    if parent:
        nodes = nodes.filter(parent__key=parent)
    elif q:
        nodes = nodes.filter(Q(name__startswith=q) | Q(code__startswith=q) | Q(key__startswith=q))
    else:
        root = scope_key(user)
        nodes = nodes.filter(key=root) if root else nodes.filter(parent__isnull=True)
    return list(nodes.order_by("key")[:limit])
