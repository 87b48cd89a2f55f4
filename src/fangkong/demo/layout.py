"""Where the demo city's places lie: outlines that tile the city, compounds and buildings.

Pure geometry in metres east and north of the city centre. Every level from the city down to
the grid is a convex "plan" cell, split among its children by a power diagram (a Voronoi
diagram whose cells can be told to be larger or smaller): the city outline among the districts
(at their real centres), then each cell among seeds spread evenly inside it, so children tile
their parent with neither gaps nor overlaps. Compounds are rectangles of a size that follows
their population, set inside their grid at the grid's street angle; buildings are slabs in rows
inside their compound; units stand along their building.

What is drawn is the plan passed through one smooth warp of the plane (a few long sine waves),
which bends the straight boundaries into the irregular lines of real divisions while keeping
the tiling: the same warp moves a boundary and every point near it alike. The warp is
injective (its derivative stays below one), so nothing folds over.
"""

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from fangkong.places.geometry import MIN_CORNERS

Point = tuple[float, float]  # metres east and north of the city centre
Ring = list[Point]  # a convex polygon, counter-clockwise, not closed

M_PER_DEG_LAT = 110_574.0
SEED_TRIES = 12  # candidates per seed when spreading seeds (best-candidate sampling)
FIT_STEPS, FIT_RATE = 300, 0.15  # fitting cell areas to shares (weights in m² per m² short)
RELAX_STEPS = 2  # moves of each seed to its cell's centroid (Lloyd), for even cells
OUTLINE_STEP_M = 250.0  # vertex spacing of drawn division outlines
# Land per resident of a compound (m²) and the sides a compound keeps within (m).
LAND_PER_RESIDENT = 28.0
PLOT_SIDE_M = (70.0, 420.0)
PLOT_GAP_M = 18.0  # road between compounds
PLOT_TRIES, SHRINK_EVERY, SHRINK = 120, 30, 0.85  # places tried; every 30 misses, 85 % the size
SLAB_DEPTH_M = 14.0
SLAB_COLUMN_M = 100.0  # a row holds one building per this much of the compound's length
# The warp: (wavelength m, amplitude m) per wave; sum of amplitude·2π/wavelength < 1.
WAVES = ((16_000.0, 900.0), (5_500.0, 220.0), (1_900.0, 45.0))


@dataclass(frozen=True, slots=True)
class Frame:
    """Metres around a centre and back to degrees, through the warp."""

    lat0: float
    lon0: float
    phases: tuple[tuple[float, float, float, float], ...]  # per wave: dir x, dir y, phase x, y

    @classmethod
    def around(cls, lat: float, lon: float, rng: random.Random) -> "Frame":
        phases = []
        for _ in WAVES:
            angle = rng.uniform(0, math.pi)
            phases.append(
                (
                    math.cos(angle),
                    math.sin(angle),
                    rng.uniform(0, math.tau),
                    rng.uniform(0, math.tau),
                )
            )
        return cls(lat, lon, tuple(phases))

    @property
    def m_per_deg_lon(self) -> float:
        return M_PER_DEG_LAT * math.cos(math.radians(self.lat0))

    def metres(self, lat: float, lon: float) -> Point:
        return ((lon - self.lon0) * self.m_per_deg_lon, (lat - self.lat0) * M_PER_DEG_LAT)

    def warp(self, p: Point) -> Point:
        x, y = p
        dx = dy = 0.0
        for (length, amp), (cx, cy, px, py) in zip(WAVES, self.phases, strict=True):
            k = 2 * math.pi / length
            along, across = (x * cx + y * cy) * k, (-x * cy + y * cx) * k
            dx += amp * math.sin(across + px)
            dy += amp * math.sin(along + py)
        return x + dx, y + dy

    def lonlat(self, p: Point) -> tuple[float, float]:
        x, y = self.warp(p)
        return (
            round(self.lon0 + x / self.m_per_deg_lon, 6),
            round(self.lat0 + y / M_PER_DEG_LAT, 6),
        )

    def ring(self, ring: Ring, step: float | None = OUTLINE_STEP_M) -> list[list[float]]:
        """A closed GeoJSON ring (lon, lat) of a plan ring, densified so the warp shows."""
        points = densify(ring, step) if step else ring
        out = [list(self.lonlat(p)) for p in points]
        return [*out, out[0]]


def area(ring: Sequence[Point]) -> float:
    return 0.5 * sum(
        x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def centroid(ring: Sequence[Point]) -> Point:
    a = area(ring)
    if abs(a) < 1e-9:
        return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    return cx / (6 * a), cy / (6 * a)


def inside(ring: Sequence[Point], p: Point) -> bool:
    """`p` lies in the convex counter-clockwise `ring` (borders included)."""
    return all(
        (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1) >= -1e-9
        for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def clip(ring: Ring, a: float, b: float, c: float) -> Ring:
    """The part of a convex ring where a·x + b·y <= c (Sutherland–Hodgman, one half-plane)."""
    out: Ring = []
    for p, q in zip(ring, [*ring[1:], ring[0]], strict=True):
        fp, fq = a * p[0] + b * p[1] - c, a * q[0] + b * q[1] - c
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            t = fp / (fp - fq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def power_cells(region: Ring, seeds: Sequence[Point], weights: Sequence[float]) -> list[Ring]:
    """The power diagram of `seeds` inside `region`: cell i holds the points where
    |x − seed_i|² − weight_i is least (equal weights: the Voronoi diagram)."""
    cells = []
    for i, (pi, wi) in enumerate(zip(seeds, weights, strict=True)):
        cell = list(region)
        for j, (pj, wj) in enumerate(zip(seeds, weights, strict=True)):
            if i == j or not cell:
                continue
            # |x−pi|² − wi <= |x−pj|² − wj  ⇔  2(pj−pi)·x <= |pj|² − |pi|² − wj + wi
            a, b = 2 * (pj[0] - pi[0]), 2 * (pj[1] - pi[1])
            c = pj[0] ** 2 + pj[1] ** 2 - pi[0] ** 2 - pi[1] ** 2 - wj + wi
            cell = clip(cell, a, b, c)
        cells.append(cell)
    return cells


def fitted_cells(region: Ring, seeds: Sequence[Point], shares: Sequence[float]) -> list[Ring]:
    """Power cells of `seeds` in `region` whose areas follow `shares`: each weight moves by
    the cell's shortfall until the areas settle (a fixed number of steps, so it is repeatable)."""
    total = area(region) / sum(shares)
    targets = [s * total for s in shares]
    weights = [0.0] * len(seeds)
    for _ in range(FIT_STEPS):
        cells = power_cells(region, seeds, weights)
        weights = [
            w + FIT_RATE * (t - (area(c) if len(c) >= MIN_CORNERS else 0.0))
            for w, t, c in zip(weights, targets, cells, strict=True)
        ]
    return power_cells(region, seeds, weights)


def _box(ring: Sequence[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _random_point(region: Ring, rng: random.Random) -> Point:
    x0, y0, x1, y1 = _box(region)
    for _ in range(200):
        p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        if inside(region, p):
            return p
    return centroid(region)


def partition(region: Ring, n: int, rng: random.Random) -> list[Ring]:
    """`region` in `n` convex cells of similar size that tile it, in no particular order."""
    if n == 1:
        return [list(region)]
    seeds: list[Point] = []
    for _ in range(n):
        candidates = [_random_point(region, rng) for _ in range(SEED_TRIES)]
        seeds.append(
            max(candidates, key=lambda c: min((math.dist(c, s) for s in seeds), default=0.0))
        )
    weights = [0.0] * n
    cells = power_cells(region, seeds, weights)
    for _ in range(RELAX_STEPS):
        seeds = [
            centroid(c) if len(c) >= MIN_CORNERS else s for c, s in zip(cells, seeds, strict=True)
        ]
        cells = power_cells(region, seeds, weights)
    return cells


def _rectangle(centre: Point, width: float, height: float, angle: float) -> Ring:
    c, s = math.cos(angle), math.sin(angle)
    corners = [(-width / 2, -height / 2), (width / 2, -height / 2), (width / 2, height / 2)]
    corners.append((-width / 2, height / 2))
    return [(centre[0] + x * c - y * s, centre[1] + x * s + y * c) for x, y in corners]


def plot_side(residents: int) -> float:
    side = math.sqrt(max(residents, 1) * LAND_PER_RESIDENT)
    return min(max(side, PLOT_SIDE_M[0]), PLOT_SIDE_M[1])


def plots(region: Ring, residents: Sequence[int], angle: float, rng: random.Random) -> list[Ring]:
    """Compounds as rectangles inside `region`, apart by a road, turned by `angle`. A compound
    that finds no free room is shrunk every SHRINK_EVERY tries; if none of PLOT_TRIES fits (a
    grid too full), the last try stands and may touch a neighbour."""
    placed: list[tuple[Point, float]] = []  # centre and circumradius, for the spacing test
    out: list[Ring] = []
    for pop in residents:
        side = plot_side(pop)
        aspect = rng.uniform(0.7, 1.4)
        for attempt in range(PLOT_TRIES):
            scale = SHRINK ** (attempt // SHRINK_EVERY)
            w, h = side * aspect * scale, side / aspect * scale
            centre = _random_point(region, rng)
            rect = _rectangle(centre, w, h, angle)
            radius = math.hypot(w, h) / 2
            if all(inside(region, p) for p in rect) and all(
                math.dist(centre, c) >= radius + r + PLOT_GAP_M for c, r in placed
            ):
                break
        placed.append((centre, radius))
        out.append(rect)
    return out


def slabs(plot: Ring, n: int) -> list[Ring]:
    """`n` buildings in rows inside a rectangular compound (corners as `_rectangle` makes
    them): slabs along the compound's length, rows spaced for sunlight, as blocks are built."""
    (x0, y0), (x1, y1), _top, (x3, y3) = plot
    width, height = math.dist((x0, y0), (x1, y1)), math.dist((x0, y0), (x3, y3))
    ux, uy = (x1 - x0) / width, (y1 - y0) / width
    vx, vy = (x3 - x0) / height, (y3 - y0) / height
    cols = min(n, max(1, math.ceil(width / SLAB_COLUMN_M)))
    rows = math.ceil(n / cols)
    cell_w, cell_h = width / cols, height / rows
    depth = min(SLAB_DEPTH_M, cell_h * 0.45)
    angle = math.atan2(uy, ux)
    out = []
    for i in range(n):
        r, c = divmod(i, cols)
        in_row = min(cols, n - r * cols)  # the last row may be short: centre it
        a, b = (c + 0.5 + (cols - in_row) / 2) * cell_w, (r + 0.5) * cell_h
        centre = (x0 + ux * a + vx * b, y0 + uy * a + vy * b)
        out.append(_rectangle(centre, cell_w * 0.72, depth, angle))
    return out


def along(slab: Ring, n: int) -> list[Point]:
    """Points for `n` units spread along a building's length."""
    (x0, y0), (x1, y1) = slab[0], slab[1]
    cx, cy = centroid(slab)
    return [
        (cx + (x1 - x0) * ((j + 0.5) / n - 0.5), cy + (y1 - y0) * ((j + 0.5) / n - 0.5))
        for j in range(n)
    ]


def densify(ring: Ring, step: float) -> Ring:
    out: Ring = []
    for p, q in zip(ring, [*ring[1:], ring[0]], strict=True):
        parts = max(1, math.ceil(math.dist(p, q) / step))
        out.extend(
            (p[0] + (q[0] - p[0]) * k / parts, p[1] + (q[1] - p[1]) * k / parts)
            for k in range(parts)
        )
    return out
