"""The command centre's figures for one place as of one moment, and the day before it.

`situation(user, node, at)` counts, within the node's subtree, as things stood at `at`
(rows by the time they happened, statuses read back through the audit events, stays and
measures by their own timestamps, rounds by when they started and closed, people by when they
were sampled, zones by when they were drawn, changed and lifted) and 24 hours earlier, grouped
by the node's children. Every section is a fixed number of grouped queries, whatever the number
of rows; sections the caller's role may not see are left out.
"""

import datetime as dt
import functools
import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Substr
from django.db.models.lookups import Exact, IsNull
from django.utils import timezone

from fangkong.assistance.applications.selectors import assistance_figures
from fangkong.audit.models import Event
from fangkong.care.admission.selectors import care_figures
from fangkong.command import tallied
from fangkong.command.asof import Tracked, grouped_at, spellings, value_at
from fangkong.command.places import Node, children_of, map_places
from fangkong.core.access import Cap, can, key_filter
from fangkong.epi.models import Case, CaseKind, CaseStatus, Contact, ContactStatus
from fangkong.lab.models import TestingRound, TubeMember
from fangkong.lab.selectors import ancestor_keys
from fangkong.people.models import Resident
from fangkong.places.models import Division
from fangkong.quarantine.models import Measure, Room, RoomStatus, Site, Stay, StayStatus
from fangkong.supplies.orders.figures import SupplyFigures, supply_figures
from fangkong.supplies.prices.selectors import red_alerts_at
from fangkong.zones.selectors import ZoneFigures, zone_figures

DAY = dt.timedelta(days=1)
LATEST_ROUNDS = 5
KINDS = (CaseKind.CONFIRMED, CaseKind.ASYMPTOMATIC)
WHERE = ("community", "quarantine")


def flag(q: Q) -> CaseWhen:
    """1 where `q` holds, else 0 (an integer on every database)."""
    return CaseWhen(When(q, then=Value(1)), default=Value(0), output_field=IntegerField())


def area(width: int) -> Substr:
    return Substr("division_key", 1, width)


@dataclass
class Area:
    key: str
    name: str
    division: Division | None
    figures: Counter[str] = field(default_factory=Counter)


@dataclass
class RoundFigure:
    round: TestingRound
    started: bool
    closed: bool
    target: int = 0
    sampled: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.sampled / self.target, 1) if self.target else 0.0


@dataclass
class Situation:
    node: Node
    at: dt.datetime
    since: dt.datetime
    sections: set[str]
    total: Counter[str]
    areas: list[Area]
    places: list[dict[str, Any]]  # the case map: key, name, lat, lon, cases, new
    curve: dict[str, Any]
    rounds: list[RoundFigure]
    zones: ZoneFigures | None
    stray: Area | None = None
    care: dict[str, int] | None = None  # medical requests and incidents (care.admission)
    supplies: SupplyFigures | None = None
    assistance: dict[str, int] | None = None  # social assistance applications (assistance/)

    @property
    def rows(self) -> list[Area]:
        return [*self.areas, *([self.stray] if self.stray else [])]


SECTION_CAPS = {
    "cases": Cap.CASES_VIEW,
    "contacts": Cap.CONTACTS_VIEW,
    "quarantine": Cap.QUARANTINE_VIEW,
    "testing": Cap.COVERAGE_VIEW,
    "zones": Cap.ZONES_VIEW,
    "supplies": Cap.SUPPLIES_VIEW,
    "care": Cap.CARE_VIEW,
    "assistance": Cap.ASSISTANCE_VIEW,
}


def sections_for(user: Any) -> set[str]:
    return {name for name, cap in SECTION_CAPS.items() if can(user, cap)}


def situation(
    user: Any,
    node: Node,
    at: dt.datetime,
    *,
    coverage: bool = False,
    source: str = "auto",
    only: set[str] | None = None,
) -> Situation:
    """Every figure of the dashboard and the report for `node` as of `at`; with `coverage`,
    also people sampled / registered in the latest rounds (costly in a city-wide round, so
    the dashboard loads it as a panel of its own).

    `source`: "tally" counts cases, contacts, stays and measures from the running counts
    (`tallied`), "rows" from the rows themselves (the reference the tally is tested
    against); "auto" takes the tally wherever it holds the node's children. `only`: these
    sections alone (of those the user may see)."""
    since = (at.astimezone(dt.UTC) - DAY).astimezone(at.tzinfo)  # 24 hours, even across DST
    sections = sections_for(user) if only is None else sections_for(user) & only
    if source == "tally" and not tallied.covers(node):
        raise ValueError(f"the tally holds no view for {node.key!r} and its children")
    children = children_of(node)
    width = node.child_width
    tallies: dict[str, Counter[str]] = {}
    curve: dict[str, Any] = {}
    places: list[dict[str, Any]] = []
    rounds: list[RoundFigure] = []
    zones = None
    if source == "tally" or (source == "auto" and tallied.covers(node)):
        summed = tallied.counts(node, at, sections)
        _merge(tallies, summed.areas)
        if "cases" in sections:
            places = _map(node, children, summed.fine)
            curve = curve_of(summed.curve["onset"], summed.curve["reported"])
        if "quarantine" in sections:
            _merge(tallies, premises_tally(node, at, width))
    else:
        if "cases" in sections:
            fine = case_tally(case_rows(node, at, since, node.map_width))
            places = _map(node, children, fine)
            _roll_up(fine, width, tallies)
            curve = epidemic_curve(node, at)
        if "contacts" in sections:
            _merge(tallies, contact_tally(node, at, since, width))
        if "quarantine" in sections:
            _merge(tallies, quarantine_tally(node, at, since, width))
    if "testing" in sections:
        rounds = round_figures(node, at) if coverage else []
        _merge(tallies, {"": round_counts(node, at)})
    if "supplies" in sections:
        _merge(tallies, {"": Counter(price_red=red_alerts_at(node.key, at))})
    if "zones" in sections:
        zones = zone_figures(day=timezone.localtime(at).date(), prefix=node.key, at=at)
    total: Counter[str] = Counter()
    for counts in tallies.values():
        total.update(counts)
    for lv in zones.levels if zones else []:
        total[f"zones_{lv.level}"] += lv.zones
        total[f"zone_people_{lv.level}"] += lv.people
    known = {c.key for c in children}
    areas = [Area(c.key, c.name, c, tallies.get(c.key, Counter())) for c in children]
    stray_counts: Counter[str] = Counter()
    for key, counts in tallies.items():
        if key not in known and key != "":
            stray_counts.update(counts)
    stray = Area(node.key, node.name, node.division, stray_counts) if stray_counts else None
    return Situation(
        node=node,
        at=at,
        since=since,
        sections=sections,
        total=total,
        areas=areas,
        places=places,
        curve=curve,
        rounds=rounds,
        zones=zones,
        stray=stray,
        care=care_figures(node.key, at, since) if "care" in sections else None,
        supplies=supply_figures(prefix=node.key, at=at) if "supplies" in sections else None,
        assistance=(assistance_figures(node.key, at, since) if "assistance" in sections else None),
    )


def _merge(into: dict[str, Counter[str]], more: dict[str, Counter[str]]) -> None:
    for key, counts in more.items():
        into.setdefault(key, Counter()).update(counts)


def _roll_up(fine: dict[str, Counter[str]], width: int, into: dict[str, Counter[str]]) -> None:
    for key, counts in fine.items():
        into.setdefault(key[:width] if width else "", Counter()).update(counts)


# Cases ----------------------------------------------------------------------------------------


def cases_known(node: Node, at: dt.datetime) -> QuerySet[Case]:
    """Cases registered by `at` (valid time: a case entered late counts from when it was
    registered), within the node."""
    return Case.objects.filter(key_filter(node.key), registered_at__lte=at)


def transfer_destinations(node: Node, at: dt.datetime) -> list[tuple[str, str, int]]:
    """Where the cases known at `at` had been transferred by then: (destination kind, the
    hospital's name as the transfer recorded it, cases), most cases first (one query)."""
    rows = (
        cases_known(node, at)
        .filter(transferred_at__lte=at)
        .order_by()
        .values_list("destination", "destination_name")
        .annotate(n=Count("id"))
    )
    return sorted(((d, name.strip(), n) for d, name, n in rows), key=lambda r: (-r[2], r[1]))


def case_rows(node: Node, at: dt.datetime, since: dt.datetime, width: int) -> list[dict[str, Any]]:
    """Cases known at `at` counted by place, where found, classification and status then and
    24 hours before, and transfer (two queries, `grouped_at`)."""
    return grouped_at(
        cases_known(node, at),
        group={
            "area": area(width) if width else Value(""),
            "where": "found_where",
            "known_before": flag(Q(registered_at__lte=since)),
            "moved": flag(Q(transferred_at__lte=at)),
            "moved_before": flag(Q(transferred_at__lte=since)),
        },
        tracked={
            "kind": Tracked("kind", at, CaseKind),
            "kind_before": Tracked("kind", since, CaseKind),
            "status": Tracked("status", at, CaseStatus),
        },
    )


def case_tally(rows: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Cases by place: kind × found where, new in the 24 hours, transferred, status."""
    out: dict[str, Counter[str]] = {}
    for r in rows:
        c = out.setdefault(r["area"], Counter())
        n, kind, where = r["n"], r["kind"], r["where"]
        c["cases"] += n
        c[kind] += n
        c[f"{kind}_{where}"] += n
        if not r["known_before"]:
            c["cases_new"] += n
            c[f"{kind}_new"] += n
            c[f"{kind}_new_{where}"] += n
        elif r["kind_before"] == CaseKind.ASYMPTOMATIC and kind == CaseKind.CONFIRMED:
            c["reclassified_new"] += n
        if r["moved"]:
            c["transferred"] += n
            if not r["moved_before"]:
                c["transferred_new"] += n
        c[f"case_{r['status']}"] += n
    return out


def epidemic_curve(node: Node, at: dt.datetime) -> dict[str, Any]:
    """Cases known at `at` per day of onset and per day of report, by classification then
    (two queries, `grouped_at`)."""
    rows = grouped_at(
        cases_known(node, at),
        group={"onset": "onset_on", "reported": "reported_on"},
        tracked={"kind": Tracked("kind", at, CaseKind)},
    )
    by_onset: dict[str, Counter[str]] = {}
    by_report: dict[str, Counter[str]] = {}
    for r in rows:
        if r["onset"] is not None:
            by_onset.setdefault(str(r["onset"])[:10], Counter())[r["kind"]] += r["n"]
        by_report.setdefault(str(r["reported"])[:10], Counter())[r["kind"]] += r["n"]
    return curve_of(by_onset, by_report)


def curve_of(
    by_onset: dict[str, Counter[str]], by_report: dict[str, Counter[str]]
) -> dict[str, Any]:
    """Cases per day of onset and of report, by classification, every day in between."""
    days = sorted(set(by_onset) | set(by_report))
    if days:
        first, last = dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[-1])
        days = [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]

    def series(table: dict[str, Counter[str]]) -> dict[str, list[int]]:
        return {k.value: [table.get(d, Counter())[k.value] for d in days] for k in KINDS}

    return {"days": days, "onset": series(by_onset), "reported": series(by_report)}


def _map(
    node: Node, children: list[Division], fine: dict[str, Counter[str]]
) -> list[dict[str, Any]]:
    out = []
    for place in map_places(node, children):
        counts = fine.get(place.key, Counter())
        out.append(
            {
                "key": place.key,
                "name": place.name,
                "lat": place.lat,
                "lon": place.lon,
                "cases": counts["cases"],
                "new": counts["cases_new"],
            }
        )
    return out


# Contacts -------------------------------------------------------------------------------------


def contacts_known(node: Node, at: dt.datetime) -> QuerySet[Contact]:
    """Contacts identified by `at` (valid time), within the node."""
    return Contact.objects.filter(key_filter(node.key), identified_at__lte=at)


def contact_tally(
    node: Node, at: dt.datetime, since: dt.datetime, width: int
) -> dict[str, Counter[str]]:
    """Close and secondary contacts by place: identified, new, by status then and before."""
    rows = grouped_at(
        contacts_known(node, at),
        group={
            "area": area(width) if width else Value(""),
            "degree": "degree",
            "known_before": flag(Q(identified_at__lte=since)),
        },
        tracked={
            "status": Tracked("status", at, ContactStatus),
            "status_before": Tracked("status", since, ContactStatus),
        },
    )
    out: dict[str, Counter[str]] = {}
    for r in rows:
        c = out.setdefault(r["area"], Counter())
        n, degree, status = r["n"], r["degree"], r["status"]
        c[degree] += n
        c[f"{degree}_{status}"] += n
        if status not in tallied.CONTROLLED:
            c[f"{degree}_not_controlled"] += n
        if r["known_before"]:
            c[f"{degree}_{r['status_before']}_before"] += n
        else:
            c[f"{degree}_new"] += n
    return out


# Quarantine -----------------------------------------------------------------------------------


def inside_at(at: dt.datetime) -> Q:
    """A stay with the person in the room at `at`."""
    return Q(checked_in_at__lte=at) & (Q(checked_out_at__isnull=True) | Q(checked_out_at__gt=at))


def ended_between(status: str, since: dt.datetime, at: dt.datetime) -> Q:
    return Q(status=status, checked_out_at__gt=since, checked_out_at__lte=at)


def in_use_at(at: dt.datetime) -> Q:
    """A site in use at `at`: opened by then (valid time) and not closed or suspended then,
    its `active` flag read back through its audited changes (dated when they happened)."""
    first = (
        Event.objects.filter(
            object_type="quarantine.site",
            field="active",
            at__gt=at,
            object_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .exclude(from_value="")
        .order_by("at", "id")
        .values("from_value")[:1]
    )
    then = Subquery(first, output_field=CharField())
    return Q(opened_at__lte=at) & (
        Q(Exact(then, "in_use")) | (Q(active=True) & Q(IsNull(then, True)))
    )


def sites_open(node: Node, at: dt.datetime) -> QuerySet[Site]:
    """Sites in use at `at` (opened by then, not closed or suspended then)."""
    return Site.objects.filter(key_filter(node.key)).filter(in_use_at(at))


def rooms_open(node: Node, at: dt.datetime) -> QuerySet[Room]:
    """Rooms of those sites, rooms closed at `at` aside (their status read back through its
    audited changes, dated when they happened)."""
    closed = spellings(RoomStatus, RoomStatus.CLOSED)
    return (
        Room.objects.filter(key_filter(node.key), site__in=sites_open(node, at).values("pk"))
        .annotate(status_then=value_at(Room, "status", at))
        .exclude(status_then__in=closed)
    )


def stays_seen(node: Node, at: dt.datetime) -> QuerySet[Stay]:
    return Stay.objects.filter(key_filter(node.key), checked_in_at__lte=at)


def measures_active(node: Node, at: dt.datetime) -> QuerySet[Measure]:
    """Measures in force at `at`: started by then (valid time), within their schedule's days,
    not closed by then (valid time)."""
    day = timezone.localtime(at).date()
    return Measure.objects.filter(
        key_filter(node.key), started_at__lte=at, starts_on__lte=day, ends_on__gte=day
    ).filter(Q(closed_at__isnull=True) | Q(closed_at__gt=at))


def _grouped(qs: QuerySet[Any], width: int, **aggregates: Any) -> dict[str, Counter[str]]:
    rows = (
        qs.order_by()
        .annotate(g_area=area(width) if width else Value(""))
        .values("g_area")
        .annotate(**aggregates)
    )
    return {r.pop("g_area"): Counter({k: v or 0 for k, v in r.items()}) for r in rows}


def premises_tally(node: Node, at: dt.datetime, width: int) -> dict[str, Counter[str]]:
    """Sites in use and their rooms and beds at `at` (2 queries: small tables; statuses read
    back through their audited changes)."""
    out: dict[str, Counter[str]] = {}
    _merge(out, _grouped(sites_open(node, at), width, sites=Count("id")))
    _merge(out, _grouped(rooms_open(node, at), width, rooms=Count("id"), beds=Sum("beds")))
    return out


def quarantine_tally(
    node: Node, at: dt.datetime, since: dt.datetime, width: int
) -> dict[str, Counter[str]]:
    """Sites, rooms, people in centralised quarantine, releases, home measures (4 queries)."""
    out: dict[str, Counter[str]] = {}
    parts = [
        premises_tally(node, at, width),
        _grouped(
            stays_seen(node, at),
            width,
            people=Count("id", filter=inside_at(at)),
            people_before=Count("id", filter=inside_at(since)),
            rooms_occupied=Count("room", distinct=True, filter=inside_at(at)),
            admitted_new=Count("id", filter=Q(checked_in_at__gt=since) & inside_at(at)),
            released_new=Count("id", filter=ended_between(StayStatus.RELEASED, since, at)),
            released=Count("id", filter=Q(status=StayStatus.RELEASED, checked_out_at__lte=at)),
            transferred_out_new=Count(
                "id", filter=ended_between(StayStatus.TRANSFERRED, since, at)
            ),
        ),
    ]
    measures = (
        measures_active(node, at)
        .order_by()
        .annotate(g_area=area(width) if width else Value(""))
        .values("g_area", "category")
        .annotate(n=Count("id"))
    )
    for r in measures:
        c = out.setdefault(r["g_area"], Counter())
        c[f"measure_{r['category']}"] += r["n"]
        c["measures"] += r["n"]
    for part in parts:
        _merge(out, part)
    return out


# Testing --------------------------------------------------------------------------------------


def rounds_touching(node: Node) -> QuerySet[TestingRound]:
    """Rounds over the node, below it, or over a place above it (which covers it)."""
    q = key_filter(node.key)
    above = ancestor_keys(node.key)
    return TestingRound.objects.filter(q | Q(division_key__in=above) if above else q)


def rounds_started(node: Node, at: dt.datetime) -> QuerySet[TestingRound]:
    """Rounds started by `at`, by when they started (valid time: a round entered after the
    fact counts from its start, not from when it was entered)."""
    return rounds_touching(node).filter(starts_at__lte=at)


def round_counts(node: Node, at: dt.datetime) -> Counter[str]:
    """Rounds started, closed and in progress at `at` (1 query)."""
    counts = rounds_started(node, at).aggregate(
        rounds=Count("id"), rounds_closed=Count("id", filter=Q(closed_at__lte=at))
    )
    c = Counter({k: v or 0 for k, v in counts.items()})
    c["rounds_open"] = c["rounds"] - c["rounds_closed"]
    return c


def latest_rounds(node: Node, at: dt.datetime) -> list[TestingRound]:
    """The latest rounds touching the node started by `at`, newest first. One query."""
    return list(
        rounds_started(node, at)
        .select_related("area")
        .order_by("-starts_at", "-id")[:LATEST_ROUNDS]
    )


def round_figures(node: Node, at: dt.datetime) -> list[RoundFigure]:
    """The latest rounds started by `at`: people sampled by then within the node, and the
    people registered there (the target, from the live registry). Three queries."""
    latest = latest_rounds(node, at)
    if not latest:
        return []
    sampled = dict(
        TubeMember.objects.filter(
            key_filter(node.key), round_id__in=[r.pk for r in latest], sampled_at__lte=at
        )
        .order_by()
        .values("round_id")
        .annotate(n=Count("person", distinct=True))
        .values_list("round_id", "n")
    )
    keys = {r.pk: _common(node.key, r.division_key) for r in latest}
    distinct = sorted(set(keys.values()))
    anywhere = functools.reduce(operator.or_, (key_filter(k) for k in distinct))
    targets = Resident.objects.filter(anywhere).aggregate(
        **{f"k{i}": Count("id", filter=key_filter(k)) for i, k in enumerate(distinct)}
    )
    by_key = {k: targets[f"k{i}"] or 0 for i, k in enumerate(distinct)}
    return [
        RoundFigure(
            round=r,
            started=True,
            closed=r.closed_at is not None and r.closed_at <= at,
            target=by_key[keys[r.pk]],
            sampled=sampled.get(r.pk, 0),
        )
        for r in latest
    ]


def _common(node_key: str, round_key: str) -> str:
    """The deeper of the node and the round's area (they lie on one branch)."""
    return round_key if round_key.startswith(node_key) else node_key
