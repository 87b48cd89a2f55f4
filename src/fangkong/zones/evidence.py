"""What the downgrade rules read from other apps: infections and testing rounds inside a zone.

A zone is a set of node keys; "inside" means a `division_key` under one of them. Every read
here is one query whatever the number of keys (an OR of indexed prefix ranges).

Infections are epi cases by their **sampling date**: it is the day the virus was found in the
zone, so a positive taken in the day-5 round counts on day 5 even when reported on day 6, and
the zone's days line up with its testing rounds (also counted by the day they start). A case
counts once it is reported (`reported_on <= today`): an evaluation of a past day sees what was
known that day. `Case.division_key` is where the person lived or stayed when reported.

Lab outcomes are read by `round_outcomes` alone, so a change in how lab stores results touches
one function.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fangkong.core.db import prefix_q
from fangkong.epi.models import Case
from fangkong.lab.models import Outcome, TestingRound, TubeMember
from fangkong.lab.selectors import ancestor_keys


def under_any(keys: Iterable[str], field: str = "division_key") -> Q:
    """`field` lies under one of the nodes `keys` (nothing when there are none)."""
    parts = [prefix_q(field, k) for k in keys]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def overlapping_any(keys: Iterable[str], field: str = "division_key") -> Q:
    """`field` is a node under, at or above one of `keys` (a round over the street counts)."""
    keys = list(keys)
    above = sorted({a for k in keys for a in ancestor_keys(k)})
    q = under_any(keys, field)
    return q | Q(**{f"{field}__in": above}) if above else q


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def cases_inside(keys: Iterable[str], today: dt.date) -> QuerySet[Case]:
    return Case.objects.filter(under_any(keys), reported_on__lte=today, sampled_on__lte=today)


@dataclass(frozen=True)
class RoundResult:
    """A round's results among the zone's people (distinct persons)."""

    round_id: int
    name: str
    day: dt.date
    sampled: int
    resulted: int
    positive: int
    required: bool = False  # inside the window the rule asks a negative round in

    @property
    def complete(self) -> bool:
        return self.sampled > 0 and self.resulted == self.sampled

    @property
    def all_negative(self) -> bool:
        return self.complete and self.positive == 0

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data


def rounds_inside(keys: list[str], first: dt.date, last: dt.date) -> list[TestingRound]:
    """Rounds over (part of, or an area containing) the zone that started on these days."""
    if first > last:
        return []
    return list(
        TestingRound.objects.filter(
            overlapping_any(keys),
            starts_at__gte=day_start(first),
            starts_at__lt=day_start(last + dt.timedelta(days=1)),
        ).order_by("starts_at", "id")
    )


def round_outcomes(round_ids: list[int], keys: list[str]) -> dict[int, tuple[int, int, int]]:
    """Per round: (sampled, resulted, positive) persons living in the zone. The one lab read."""
    if not round_ids:
        return {}
    rows = (
        TubeMember.objects.filter(under_any(keys), round_id__in=round_ids)
        .values("round_id")
        .annotate(
            sampled=Count("person", distinct=True),
            resulted=Count("person", distinct=True, filter=Q(tube__result__isnull=False)),
            positive=Count(
                "person", distinct=True, filter=Q(tube__result__outcome=Outcome.POSITIVE)
            ),
        )
        .values_list("round_id", "sampled", "resulted", "positive")
        .order_by()
    )
    return {rid: (s, r, p) for rid, s, r, p in rows}


def round_results(
    keys: list[str], first: dt.date, last: dt.date, required_from: dt.date | None = None
) -> list[RoundResult]:
    """The zone's rounds from `first` to `last` with their results (two queries)."""
    rounds = rounds_inside(keys, first, last)
    outcomes = round_outcomes([r.pk for r in rounds], keys)
    out = []
    for r in rounds:
        day = timezone.localdate(r.starts_at)
        sampled, resulted, positive = outcomes.get(r.pk, (0, 0, 0))
        required = required_from is not None and day >= required_from
        out.append(RoundResult(r.pk, r.name, day, sampled, resulted, positive, required))
    return out
