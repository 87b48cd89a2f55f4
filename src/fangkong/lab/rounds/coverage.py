"""Round coverage (应检尽检、不漏一人) and lab turnaround.

Coverage of a round at a node is three grouped queries, whatever the number of rows:
children of the node, residents per child (target, the live registry), and the round's
running figures per child (`RoundTally`, one row per place where sampled people live) — each
grouped on `Substr(division_key, 1, child key length)`.

- target: residents whose division_key is under the node (the node lies in the round's area);
- sampled: persons with a TubeMember in the round (one tube per person and round);
- resulted: of those, persons whose tube has a result.

Turnaround is one grouped query too; PostgreSQL computes the median and 90th percentile
itself, SQLite hands the hours to Python.
"""

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from fangkong.core.access import NO_SCOPE, Cap, key_filter, require, scope_key
from fangkong.lab.models import (
    Lab,
    Purpose,
    Result,
    ResultUpload,
    RoundTally,
    TestingRound,
    Tube,
    TubeMember,
)
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level, named

# Turnaround targets the profile names; other purposes are held to the routine target.
TARGET_OF_PURPOSE = {
    Purpose.FEVER_CLINIC: "fever_clinic",
    Purpose.OUTPATIENT: "outpatient",
}
ROUTINE_TARGET = "voluntary"
TARGET_LABELS = {
    "fever_clinic": _("Fever clinic"),
    "outpatient": _("Outpatient"),
    "voluntary": _("Routine (voluntary, rounds, retests, arrivals, risk posts)"),
}
DRILL_DEEPEST = Level.BUILDING
MISSING_FROM = Level.GRID


@dataclass
class Row:
    key: str
    name: str
    level: int
    target: int = 0
    sampled: int = 0
    resulted: int = 0
    division: Division | None = None

    @property
    def missing(self) -> int:
        return max(self.target - self.sampled, 0)

    @property
    def percent(self) -> float:
        return round(100 * self.sampled / self.target, 1) if self.target else 0.0

    @property
    def resulted_percent(self) -> float:
        return round(100 * self.resulted / self.target, 1) if self.target else 0.0

    @property
    def drillable(self) -> bool:
        return self.level <= DRILL_DEEPEST


@dataclass
class Coverage:
    round: TestingRound
    node: Division
    rows: list[Row]
    total: Row
    trail: list[Division] = field(default_factory=list)

    @property
    def shows_missing(self) -> bool:
        return self.node.level >= MISSING_FROM


def coverage_root(user: Any, testing_round: TestingRound) -> Division:
    """The deeper of the round's area and the caller's own node."""
    prefix = scope_key(user)
    if prefix == NO_SCOPE:
        raise Http404
    if prefix.startswith(testing_round.division_key) and prefix != testing_round.division_key:
        node = Division.objects.filter(key=prefix).first()
        if node is None:
            raise Http404
        return node
    return testing_round.area


def coverage_node(user: Any, testing_round: TestingRound, place: str = "") -> Division:
    """The node named by `place` (key or division code), under both the round and the caller."""
    root = coverage_root(user, testing_round)
    if not place:
        return root
    node = Division.objects.filter(named(place)).filter(key_filter(root.key, "key")).first()
    if node is None:
        raise Http404
    return node


def round_coverage(user: Any, testing_round: TestingRound, place: str = "") -> Coverage:
    """Tested / target per child of the node (3 queries; plus 1 for the trail)."""
    require(user, Cap.COVERAGE_VIEW)
    node = coverage_node(user, testing_round, place)
    children = list(Division.objects.filter(parent=node).order_by("key"))
    width = len(children[0].key) if children else KEY_LENGTH.get(Level(node.level), 0)
    targets = _targets(node, children)
    tallies = RoundTally.objects.filter(key_filter(node.key), round=testing_round)
    sampled_by = _tallied(tallies, width)
    rows = []
    for child in children:
        sampled, resulted = sampled_by.get(child.key, (0, 0))
        rows.append(
            Row(
                key=child.key,
                name=child.name,
                level=child.level,
                target=targets.get(child.key, 0),
                sampled=sampled,
                resulted=resulted,
                division=child,
            )
        )
    total = Row(
        key=node.key,
        name=node.name,
        level=node.level,
        target=sum(targets.values()),
        sampled=sum(s for s, _r in sampled_by.values()),
        resulted=sum(r for _s, r in sampled_by.values()),
        division=node,
    )
    known = {c.key for c in children}
    stray_target = sum(n for k, n in targets.items() if k not in known)
    stray_sampled = [v for k, v in sampled_by.items() if k not in known]
    if children and (stray_target or stray_sampled):
        rows.append(
            Row(
                key=node.key,
                name=str(_("Registered at %(place)s itself") % {"place": node.name}),
                level=node.level + 1,
                target=stray_target,
                sampled=sum(s for s, _r in stray_sampled),
                resulted=sum(r for _s, r in stray_sampled),
            )
        )
    trail = _trail(user, node, testing_round.division_key)
    return Coverage(round=testing_round, node=node, rows=rows, total=total, trail=trail)


def _under_sql(prefix: str) -> tuple[str, list[str]]:
    """division_key starts with `prefix`, as each database answers from an index (db.prefix_q;
    keys are digits, so LIKE needs no escaping)."""
    if connection.vendor == "sqlite":
        return "division_key >= %s AND division_key < %s", [prefix, prefix + "\U0010ffff"]
    return "division_key LIKE %s", [prefix + "%"]


def _targets(node: Division, children: list[Division]) -> dict[str, int]:
    """Residents under each child, and at the node itself (under the node key).

    One UNION ALL of counts over index ranges, one per child: the database counts index
    entries instead of grouping every resident row of a district."""
    table = connection.ops.quote_name(Resident._meta.db_table)
    parts, params = [], []
    for child in children:
        where, where_params = _under_sql(child.key)
        parts.append(f"SELECT %s, count(*) FROM {table} WHERE {where}")
        params += [child.key, *where_params]
    if children:
        parts.append(f"SELECT %s, count(*) FROM {table} WHERE division_key = %s")
        params += [node.key, node.key]
    else:
        where, where_params = _under_sql(node.key)
        parts.append(f"SELECT %s, count(*) FROM {table} WHERE {where}")
        params += [node.key, *where_params]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {key: int(n) for key, n in cursor.fetchall() if n}


def _tallied(tallies: QuerySet[RoundTally], width: int) -> dict[str, tuple[int, int]]:
    rows = (
        tallies.annotate(prefix=Substr("division_key", 1, width))
        .values("prefix")
        .annotate(sampled=Sum("sampled"), resulted=Sum("resulted"))
        .values_list("prefix", "sampled", "resulted")
        .order_by()
    )
    return {prefix: (sampled, resulted) for prefix, sampled, resulted in rows}


def _trail(user: Any, node: Division, area_key: str) -> list[Division]:
    """Ancestors of the node within the round's area that the caller may see (one query)."""
    prefix = scope_key(user)
    keys = [node.key[:n] for n in KEY_LENGTH.values() if len(area_key) <= n < len(node.key)]
    if not keys:
        return []
    return [
        d for d in Division.objects.filter(key__in=keys).order_by("key") if d.key.startswith(prefix)
    ]


def missing_people(user: Any, testing_round: TestingRound, place: str = "") -> QuerySet[Resident]:
    """Residents under the node not yet sampled in the round, by place then name (whom to call)."""
    require(user, Cap.COVERAGE_VIEW)
    node = coverage_node(user, testing_round, place)
    sampled = TubeMember.objects.filter(round=testing_round, person=OuterRef("pk"))
    return (
        Resident.objects.filter(key_filter(node.key))
        .filter(~Exists(sampled))
        .select_related("division__parent__parent")
        .order_by("division_key", "name", "id")
    )


# Turnaround -----------------------------------------------------------------------------


@dataclass
class Turnaround:
    lab: Lab
    target_name: str
    target_hours: int | None
    tubes: int
    median_hours: float
    p90_hours: float
    over_target: int

    @property
    def label(self) -> str:
        return str(TARGET_LABELS.get(self.target_name, self.target_name))

    @property
    def on_time(self) -> bool:
        return self.target_hours is None or self.p90_hours <= self.target_hours


def target_of(purpose: str) -> str:
    """Fever clinic and outpatient have their own target; the rest is routine ("voluntary")."""
    return TARGET_OF_PURPOSE.get(Purpose(purpose), ROUTINE_TARGET)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted `values` (q in 0..1)."""
    if not values:
        return 0.0
    rank = max(math.ceil(q * len(values)), 1)
    return values[rank - 1]


# (lab id, target name) → (tubes, median hours, p90 hours, tubes over the target)
_Figures = dict[tuple[int, str], tuple[int, float, float, int]]


def turnaround(tubes: QuerySet[Tube], targets: dict[str, int]) -> list[Turnaround]:
    """Median and p90 (nearest rank) hours from collection to result, per lab (the one that
    reported) and target; one query."""
    if connection.vendor == "postgresql":
        figures = _figures_sql(tubes, targets)
    else:
        figures = _figures_python(tubes.filter(result__isnull=False), targets)
    labs = Lab.objects.in_bulk([lab_id for lab_id, _t in figures]) if figures else {}
    out = []
    for (lab_id, name), (count, median, p90, over) in sorted(
        figures.items(), key=lambda g: (labs[g[0][0]].code, g[0][1])
    ):
        out.append(
            Turnaround(
                lab=labs[lab_id],
                target_name=name,
                target_hours=targets.get(name),
                tubes=count,
                median_hours=round(median, 1),
                p90_hours=round(p90, 1),
                over_target=over,
            )
        )
    return out


def _figures_python(tubes: QuerySet[Tube], targets: dict[str, int]) -> _Figures:
    rows = tubes.values_list(
        "result__upload__lab_id", "purpose", "collected_at", "result__tested_at"
    ).order_by()
    groups: dict[tuple[int, str], list[float]] = {}
    for lab_id, purpose, collected, tested in rows.iterator(chunk_size=10000):
        hours = (tested - collected) / dt.timedelta(hours=1)
        groups.setdefault((lab_id, target_of(purpose)), []).append(hours)
    out: _Figures = {}
    for (lab_id, name), spans in groups.items():
        spans.sort()
        target = targets.get(name)
        over = sum(1 for h in spans if target is not None and h > target)
        out[lab_id, name] = (len(spans), statistics.median(spans), percentile(spans, 0.9), over)
    return out


def _figures_sql(tubes: QuerySet[Tube], targets: dict[str, int]) -> _Figures:
    """The same figures computed by PostgreSQL (percentile_cont(0.5) is the median,
    percentile_disc(0.9) the nearest rank)."""
    chosen = tubes.order_by().values("barcode", "purpose", "collected_at")
    tubes_sql, params = chosen.query.sql_with_params()
    special = list(TARGET_OF_PURPOSE.items())
    target_case = "CASE t.purpose " + " ".join("WHEN %s THEN %s" for _p in special)
    target_case += " ELSE %s END"
    case_params: list[Any] = [str(v) for pair in special for v in pair] + [ROUTINE_TARGET]
    names = [*{str(v) for v in TARGET_OF_PURPOSE.values()}, ROUTINE_TARGET]
    limit_case = "CASE target " + " ".join("WHEN %s THEN %s" for _n in names) + " END"
    limit_params: list[Any] = [v for n in names for v in (n, targets.get(n))]
    sql = (
        "SELECT lab_id, target, count(*),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY hours),"
        " percentile_disc(0.9) WITHIN GROUP (ORDER BY hours),"
        f" count(*) FILTER (WHERE hours > {limit_case})"
        f" FROM (SELECT u.lab_id, {target_case} AS target,"
        " extract(epoch FROM r.tested_at - t.collected_at)::float8 / 3600 AS hours"
        f" FROM ({tubes_sql}) t JOIN {Result._meta.db_table} r ON r.barcode = t.barcode"
        f" JOIN {ResultUpload._meta.db_table} u ON u.id = r.upload_id) spans"
        " GROUP BY lab_id, target"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # sort a round's hours in memory
        cursor.execute(sql, [*limit_params, *case_params, *params])
        rows = cursor.fetchall()
    return {(lab, name): (n, float(med), float(p90), over) for lab, name, n, med, p90, over in rows}
