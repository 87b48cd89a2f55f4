"""Dispatch by rule, pure: categories and place keys in, one decision per request out (no
database). The first rule of the table (`policy.schema.HotlineRules`) naming the category gives
the kind of department; the department of that kind in service nearest to the request's place
takes it (same community before same street before same district; the lowest code among equals:
`care.routing.engine.nearest`)."""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from fangkong.care.routing.engine import Site, nearest
from fangkong.policy.schema import HotlineRules


@dataclass(frozen=True)
class Dispatched:
    rule_number: int  # from 1, as the page shows it
    kind: str
    department_id: int | None
    match: str
    sla_minutes: int


def dispatch_all(
    rules: HotlineRules, categories: Sequence[str], keys: Sequence[str], sites: Sequence[Site]
) -> list[Dispatched]:
    by_kind: dict[str, list[Site]] = {}
    for one in sites:
        by_kind.setdefault(one.kind, []).append(one)
    cache: dict[tuple[str, str], Dispatched] = {}
    out = []
    for row in zip(categories, keys, strict=True):
        found = cache.get(row)
        if found is None:
            category, key = row
            index, rule = rules.route_for(category)
            site, match = nearest(by_kind.get(rule.department, ()), key)
            found = cache[row] = Dispatched(
                rule_number=index + 1,
                kind=rule.department,
                department_id=site.id if site else None,
                match=match,
                sla_minutes=rule.sla_minutes,
            )
        out.append(found)
    return out


def due_by(called_at: dt.datetime, sla_minutes: int) -> dt.datetime:
    return called_at + dt.timedelta(minutes=sla_minutes)


def late_levels(due_at: dt.datetime, now: dt.datetime, again_hours: int) -> int:
    """How many escalations a request due at `due_at` has earned by `now`: one when it is
    late, one more for each further `again_hours` it stays late."""
    if now <= due_at:
        return 0
    return 1 + int((now - due_at) // dt.timedelta(hours=again_hours))
