"""Who among the risk-post workers (重点岗位人员) is overdue for a test.

How often each group is tested comes from the active profile (rules.risk_posts[group]
.tests_per_week); the interval between tests is a week divided by that number.
The overdue list is two queries whatever the number of workers: the workers (with their
person) and the last sampling time per person, grouped in the database.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone

from fangkong.core.access import Cap, require, scoped
from fangkong.lab.models import RiskPostWorker, TubeMember
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy.accessor import current

WEEK = dt.timedelta(weeks=1)
DAY = dt.timedelta(days=1)


def intervals() -> dict[str, dt.timedelta]:
    """The longest allowed gap between tests, per group, from the active profile."""
    return {
        group: WEEK / rule.tests_per_week
        for group, rule in current().rules.risk_posts.items()
        if rule.tests_per_week > 0
    }


@dataclass
class OverdueRow:
    worker: RiskPostWorker
    last_sampled: dt.datetime | None
    interval: dt.timedelta
    days_since: int | None  # whole days since the last test; None when never tested
    community_key: str

    @property
    def person(self) -> Resident:
        return self.worker.person

    @property
    def interval_days(self) -> float:
        return round(self.interval / DAY, 1)


@dataclass
class Tally:
    name: str
    workers: int = 0
    overdue: int = 0


def _reference(today: dt.date | dt.datetime | None) -> dt.datetime:
    """The moment the list is for: now, or the end of the local day `today`."""
    if today is None:
        return timezone.now()
    if isinstance(today, dt.datetime):
        return today
    start = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    return start + DAY


def workers_for_user(user: Any, *, employer: str = "") -> Any:
    require(user, Cap.COVERAGE_VIEW)
    qs = scoped(RiskPostWorker.objects.filter(active=True), user)
    if employer:
        qs = qs.filter(employer=employer)
    return qs


def overdue_workers(
    user: Any, *, today: dt.date | dt.datetime | None = None, employer: str = ""
) -> tuple[list[OverdueRow], int]:
    """Active workers in scope who are overdue (never tested, or last test too long ago).

    Returns the overdue rows (longest-waiting first) and the number of active workers seen.
    """
    now = _reference(today)
    gaps = intervals()
    workers = list(
        workers_for_user(user, employer=employer).select_related("person").order_by("employer")
    )
    person_ids = {w.person_id for w in workers}
    last = dict(
        TubeMember.objects.filter(person_id__in=person_ids, sampled_at__lte=now)
        .values("person_id")
        .annotate(last=Max("sampled_at"))
        .values_list("person_id", "last")
    )
    width = KEY_LENGTH[Level.COMMUNITY]
    rows = []
    for w in workers:
        gap = gaps.get(w.group)
        if gap is None:
            continue
        when = last.get(w.person_id)
        if when is not None and now - when <= gap:
            continue
        rows.append(
            OverdueRow(
                worker=w,
                last_sampled=when,
                interval=gap,
                days_since=None if when is None else (now - when) // DAY,
                community_key=w.division_key[:width],
            )
        )
    rows.sort(key=lambda r: (r.last_sampled is not None, r.last_sampled or now, r.worker.pk))
    return rows, len(workers)


def tally_by_employer(user: Any, overdue: list[OverdueRow]) -> list[Tally]:
    """Workers and overdue workers per employer (one grouped query plus the rows in hand)."""
    counts = workers_for_user(user).values("employer").annotate(n=Count("id")).order_by("employer")
    late: dict[str, int] = defaultdict(int)
    for r in overdue:
        late[r.worker.employer] += 1
    return [Tally(c["employer"], c["n"], late.get(c["employer"], 0)) for c in counts]


def tally_by_community(overdue: list[OverdueRow]) -> list[Tally]:
    """Overdue workers per community (grouped over the rows in hand; one query for names)."""
    late: dict[str, int] = defaultdict(int)
    for r in overdue:
        late[r.community_key] += 1
    names = dict(Division.objects.filter(key__in=list(late)).values_list("key", "name"))
    return [
        Tally(names.get(key, key), overdue=n)
        for key, n in sorted(late.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
