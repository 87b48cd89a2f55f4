"""Which enterprise takes which batch: a pure function over plain tuples (no queries).

A group is the placed orders of one compound and receiving point. An enterprise serves a
compound when one of its areas (its place, or a granted courier's or vehicle's delivery area)
is the compound or a node above it. The most specific area wins (a courier of the compound's
street before a district-wide market); among equals, the enterprise given the fewest orders so
far in this run, then the lowest id. Groups with key persons are assigned first, so they get
the nearest enterprise while its load is lightest.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from fangkong.places.models import KEY_LENGTH

PREFIX_LENGTHS = sorted(set(KEY_LENGTH.values()), reverse=True)


class Group(NamedTuple):
    point_id: int
    compound_id: int
    compound_key: str
    orders: int
    key_orders: int


def assign(groups: Sequence[Group], areas: Sequence[tuple[str, int]]) -> list[int | None]:
    """The enterprise id for each group (None: no granted enterprise serves its compound)."""
    serving: dict[str, list[int]] = defaultdict(list)
    for key, enterprise_id in areas:
        if enterprise_id not in serving[key]:
            serving[key].append(enterprise_id)
    load: dict[int, int] = defaultdict(int)
    chosen: list[int | None] = [None] * len(groups)
    order = sorted(range(len(groups)), key=lambda i: (-groups[i].key_orders, i))
    for i in order:
        group = groups[i]
        for length in PREFIX_LENGTHS:
            if length > len(group.compound_key):
                continue
            candidates = serving.get(group.compound_key[:length])
            if candidates:
                best = min(candidates, key=lambda e: (load[e], e))
                chosen[i] = best
                load[best] += group.orders
                break
    return chosen
