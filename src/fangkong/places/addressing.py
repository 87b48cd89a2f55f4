"""Where a written address lies in the tree: the smallest place it names below a known one.

A traveller chooses their community and writes the rest ("幸福小区 3号楼 2单元 502"). Nobody
writes their grid, but the grid is where a grid worker looks: the compound, building and unit
names in the text lead down to the unit, and the unit's key holds its grid. Names are matched
below the place already known, one level at a time; a name that several places share (two
compounds called 幸福小区 in one community) resolves to the smallest place holding all of them.
"""

import re
import unicodedata
from collections.abc import Iterable

from fangkong.core.db import prefix_q
from fangkong.places.models import Division, Level

NAMED_LEVELS = (Level.COMPOUND, Level.BUILDING, Level.UNIT)  # what addresses spell out
_NUMBERED = {
    # "3号楼" is also written 3栋, 3幢, 3座, 3号; "2单元" is always 2单元
    Level.BUILDING: (re.compile(r"^(\d+)(?:号楼|栋|幢|座)$"), "(?:号楼|号栋|栋|幢|座|号)"),
    Level.UNIT: (re.compile(r"^(\d+)单元$"), "单元"),
}


def normalise(text: str) -> str:
    """Full-width digits and letters as ASCII, no spaces: how names are compared."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _pattern(name: str, level: int) -> re.Pattern[str]:
    """The name as it may be written: a number is not part of a longer number (1号楼 ≠ 11号楼)."""
    numbered = _NUMBERED.get(Level(level))
    found = numbered[0].match(name) if numbered else None
    if numbered and found:
        return re.compile(rf"(?<!\d)0*{found.group(1)}{numbered[1]}")
    head = r"(?<!\d)" if name[:1].isdigit() else ""
    tail = r"(?!\d)" if name[-1:].isdigit() else ""
    return re.compile(head + re.escape(name) + tail)


def _named(places: Iterable[Division], text: str) -> list[Division]:
    """The places whose name the text contains; a name inside a longer one found (幸福小区 in
    幸福小区2期) does not count."""
    hits = [(p, normalise(p.name)) for p in places if p.name.strip()]
    hits = [(p, name) for p, name in hits if name and _pattern(name, p.level).search(text)]
    names = {name for _p, name in hits}
    return [p for p, name in hits if not any(name != n and name in n for n in names)]


def _smallest_holding(places: list[Division], nodes: dict[str, Division]) -> Division:
    """The deepest node whose subtree holds every place in `places`."""
    first, last = min(p.key for p in places), max(p.key for p in places)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    shared = first[:n]
    return max((d for k, d in nodes.items() if shared.startswith(k)), key=lambda d: len(d.key))


def place_of_address(place: Division, address: str) -> Division:
    """The smallest place below (or at) `place` that `address` names; `place` when it names
    none. One query: the nodes below `place` (a community holds a few hundred)."""
    return places_of_addresses(place, [address])[address]


def places_of_addresses(place: Division, addresses: Iterable[str]) -> dict[str, Division]:
    """`place_of_address` for many addresses under one place (an import's people of one
    community): address → smallest place it names, reading the nodes below `place` once."""
    wanted = {a: normalise(a) for a in addresses}
    if place.level >= Level.UNIT or not any(wanted.values()):
        return dict.fromkeys(wanted, place)
    below = Division.objects.filter(prefix_q("key", place.key)).exclude(pk=place.pk)
    nodes = {d.key: d for d in below}
    nodes[place.key] = place
    return {a: _resolve(place, text, nodes) if text else place for a, text in wanted.items()}


def _resolve(place: Division, text: str, nodes: dict[str, Division]) -> Division:
    current = [place]
    for level in NAMED_LEVELS:
        if level <= place.level:
            continue
        under = [
            d
            for d in nodes.values()
            if d.level == level and any(d.key.startswith(c.key) for c in current)
        ]
        found = _named(under, text)
        if found:
            current = found
    return _smallest_holding(current, nodes)
