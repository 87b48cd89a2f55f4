"""Routing by rule, pure: request types, control states and home keys in, one decision per
request out (columnar, no database). The thin shells that load and store are in
`care/requests/services.py` (one request, or a batch).

The rule is the first of the table (`policy.schema.CareRouting`) naming the request's type and
the person's state. A rule naming a facility sends the request there while it is in service;
otherwise to the nearest facility of the rule's kind in service: the one whose place shares the
deepest node with the person's home (same community before same street before same district),
the lowest code among equals. Decisions are cached by (type, state, home key): a batch of
10,000 requests makes a few hundred decisions.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from fangkong.places.models import KEY_LENGTH, Level
from fangkong.policy.schema import CareClock, CareRouting

# Deepest first: the levels at which a facility can be "near".
_DEPTHS = sorted(((n, level) for level, n in KEY_LENGTH.items()), reverse=True)

NAMED = "named"  # the rule names the facility
NO_FACILITY = "none"  # no facility of the kind in service: the task force must assign one
PLANNED = "plan"  # the person's health plan names the facility (care/plans), of the rule's kind


@dataclass(frozen=True)
class Site:
    id: int
    code: str
    kind: str
    key: str


@dataclass(frozen=True)
class Routed:
    rule_number: int  # from 1, as the page shows it
    destination: str
    facility_id: int | None
    match: str  # NAMED, NO_FACILITY, or the level name ("community", "street"…) shared
    via_120: bool
    closed_loop: bool
    sla_minutes: int


def shared_level(a: str, b: str) -> str:
    """The deepest level at which two keys are in one node ("city" … "unit"), or "" if none."""
    for n, level in _DEPTHS:
        if len(a) >= n and len(b) >= n and a[:n] == b[:n]:
            return Level(level).name.lower()
    return ""


_DEPTH_OF = {Level(lv).name.lower(): n for lv, n in KEY_LENGTH.items()}


def _depth(level: str) -> int:
    return _DEPTH_OF.get(level, 0)


def nearest(sites: Sequence[Site], key: str) -> tuple[Site | None, str]:
    best: Site | None = None
    best_level, best_depth = "", -1
    for site in sites:
        level = shared_level(site.key, key)
        depth = _depth(level)
        if depth > best_depth or (depth == best_depth and best and site.code < best.code):
            best, best_level, best_depth = site, level or "city", depth
    return best, (best_level if best else NO_FACILITY)


def route_all(
    table: CareRouting,
    types: Sequence[str],
    states: Sequence[str],
    keys: Sequence[str],
    sites: Sequence[Site],
) -> list[Routed]:
    """One decision per (type, state, home key) row, given the facilities in service."""
    by_kind: dict[str, list[Site]] = {}
    by_code: dict[str, Site] = {}
    for one in sites:
        by_kind.setdefault(one.kind, []).append(one)
        by_code[one.code] = one
    cache: dict[tuple[str, str, str], Routed] = {}
    near: dict[tuple[str, str], tuple[Site | None, str]] = {}  # (kind, home key): many rules share
    out: list[Routed] = []
    for row in zip(types, states, keys, strict=True):
        found = cache.get(row)
        if found is None:
            request_type, state, key = row
            index, rule = table.route_for(request_type, state)
            named = by_code.get(rule.facility) if rule.facility else None
            site: Site | None
            if named is not None and named.kind == rule.destination:
                site, match = named, NAMED
            else:
                found_near = near.get((rule.destination, key))
                if found_near is None:
                    found_near = near[(rule.destination, key)] = nearest(
                        by_kind.get(rule.destination, ()), key
                    )
                site, match = found_near
            found = cache[row] = Routed(
                rule_number=index + 1,
                destination=rule.destination,
                facility_id=site.id if site else None,
                match=match,
                via_120=rule.via_120,
                closed_loop=rule.closed_loop,
                sla_minutes=rule.sla_minutes,
            )
        out.append(found)
    return out


def due_by(raised_at: dt.datetime, clock: CareClock) -> dt.datetime:
    """When a request raised at `raised_at` must have been served: `minutes` later, or the end
    of its (local) day for a same-day clock."""
    if clock.same_day:
        day = timezone.localtime(raised_at).date() + dt.timedelta(days=1)
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))
    return raised_at + dt.timedelta(minutes=clock.minutes)
