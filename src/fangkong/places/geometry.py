"""Plain geometry of outlines in degrees (lon, lat): hulls, margins, bounding boxes."""

import math
from collections.abc import Iterable, Sequence

LonLat = tuple[float, float]
Box = tuple[float, float, float, float]  # west, south, east, north
M_PER_DEG_LAT = 110_574.0
MARGIN_CORNERS = 8
MIN_CORNERS = 3  # a polygon's least


def convex_hull(points: Iterable[LonLat]) -> list[LonLat]:
    """The convex hull, counter-clockwise, not closed (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) < MIN_CORNERS:
        return pts

    def cross(o: LonLat, a: LonLat, b: LonLat) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[LonLat] = []
    upper: list[LonLat] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def around(lon: float, lat: float, metres: float) -> list[LonLat]:
    """Corners of an octagon of radius `metres` around a point: the hull of these around
    every point is the hull of the points widened by that margin."""
    dlat = metres / M_PER_DEG_LAT
    dlon = metres / (M_PER_DEG_LAT * max(math.cos(math.radians(lat)), 0.01))
    return [
        (
            round(lon + dlon * math.cos(2 * math.pi * i / MARGIN_CORNERS), 6),
            round(lat + dlat * math.sin(2 * math.pi * i / MARGIN_CORNERS), 6),
        )
        for i in range(MARGIN_CORNERS)
    ]


def closed(ring: Sequence[LonLat]) -> list[list[float]]:
    """A GeoJSON linear ring: [lon, lat] pairs, the first repeated at the end."""
    out = [[p[0], p[1]] for p in ring]
    return [*out, out[0]] if out and out[0] != out[-1] else out


def bounds(rings: Iterable[Sequence[Sequence[float]]]) -> Box:
    xs: list[float] = []
    ys: list[float] = []
    for ring in rings:
        xs.extend(p[0] for p in ring)
        ys.extend(p[1] for p in ring)
    return min(xs), min(ys), max(xs), max(ys)


NodePoint = tuple[str, int, float | None, float | None]  # key, level, lon, lat


def subtree_hulls(
    rows: Iterable[NodePoint],
    *,
    deepest: int,
    margin_m: float,
    given: dict[str, list[LonLat]],
) -> Iterable[tuple[str, int, list[LonLat]]]:
    """(key, level, hull) of every node down to level `deepest`, from rows in key order.

    A node's hull is the hull of its own point and of everything below it, each point widened
    by `margin_m`; a node in `given` (its outline's corners) lends those corners to its
    parent instead and gets no hull. One pass, holding only the current path: a node's hull
    is closed when the rows leave its subtree, and only its corners go up to its parent.
    """
    path: list[tuple[str, int, list[LonLat]]] = []

    def close() -> Iterable[tuple[str, int, list[LonLat]]]:
        key, level, points = path.pop()
        corners = given.get(key) or convex_hull(points)
        if path:
            path[-1][2].extend(corners)
        if key not in given and len(corners) >= MIN_CORNERS:
            yield key, level, corners

    for key, level, lon, lat in rows:
        while path and not key.startswith(path[-1][0]):
            yield from close()
        points = around(lon, lat, margin_m) if lon is not None and lat is not None else []
        if level <= deepest:
            path.append((key, level, points))
        elif path:
            path[-1][2].extend(points)
    while path:
        yield from close()
