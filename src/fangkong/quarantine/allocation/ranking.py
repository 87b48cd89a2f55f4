"""Ranking sites for each home community: nearest first by straight-line distance when both
ends have coordinates (`rank_sites`, NumPy, pure), otherwise by jurisdiction. `site_rankings`
loads the coordinates of the divisions involved and calls it.
"""

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from fangkong.places.models import Division
from fangkong.quarantine.allocation.engine import Person, chunks

LEVEL_LENGTHS = (12, 9, 6, 4)  # community, street, district, city: key proximity tiers
EARTH_KM = 6371.0

# Distances ------------------------------------------------------------------------------


def division_coordinates(keys: Iterable[str]) -> dict[str, tuple[float, float]]:
    """For each key, the coordinates of its own node or of the nearest node above with some."""
    keys = set(keys)
    prefixes = sorted({k[:n] for k in keys for n in range(1, len(k) + 1)})
    known: dict[str, tuple[float, float]] = {}
    for chunk in chunks(prefixes):
        rows = Division.objects.filter(
            key__in=chunk, lat__isnull=False, lon__isnull=False
        ).values_list("key", "lat", "lon")
        known.update(
            (key, (lat, lon)) for key, lat, lon in rows if lat is not None and lon is not None
        )
    out = {}
    for key in keys:
        for n in range(len(key), 0, -1):
            if key[:n] in known:
                out[key] = known[key[:n]]
                break
    return out


def rank_sites(
    homes: Iterable[str],
    site_keys: Sequence[str],
    site_coords: Sequence[tuple[float, float] | None],
    home_coords: dict[str, tuple[float, float]],
) -> dict[str, list[int]]:
    """For each home community, site indexes nearest first (see the module's docstring)."""
    n = len(site_keys)
    lat = np.radians([c[0] if c else np.nan for c in site_coords])
    lon = np.radians([c[1] if c else np.nan for c in site_coords])
    prefixes = {length: np.array([k[:length] for k in site_keys]) for length in LEVEL_LENGTHS}
    order = np.arange(n)
    out: dict[str, list[int]] = {}
    for home in set(homes):
        tier = np.full(n, len(LEVEL_LENGTHS), dtype=float)
        for level, length in enumerate(LEVEL_LENGTHS):
            if n and len(home) >= length:
                same = prefixes[length] == home[:length]
                tier = np.where(same & (tier > level), level, tier)
        if home in home_coords:
            hlat, hlon = np.radians(home_coords[home])
            a = (
                np.sin((lat - hlat) / 2) ** 2
                + np.cos(hlat) * np.cos(lat) * np.sin((lon - hlon) / 2) ** 2
            )
            distance = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
        else:
            distance = np.full(n, np.nan)
        unknown = np.isnan(distance)
        score = np.where(unknown, tier, distance)
        out[home] = np.lexsort((order, score, unknown)).tolist()
    return out


def site_rankings(
    people: Sequence[Person], sites: Sequence[tuple[Any, ...]]
) -> dict[str, list[int]]:
    homes = {p.key[:12] for p in people}
    missing = [s[1] for s in sites if s[2] is None or s[3] is None]
    coords = division_coordinates(homes | set(missing))
    site_coords = [
        (s[2], s[3]) if s[2] is not None and s[3] is not None else coords.get(s[1]) for s in sites
    ]
    return rank_sites(homes, [s[1] for s in sites], site_coords, coords)
