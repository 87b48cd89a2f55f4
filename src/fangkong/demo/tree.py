"""The demo jurisdiction tree, generated depth-first and sized to the population.

Each node gets its share of the residents; the number of children follows a target
population per child (a unit holds ~30 households, a building 2–6 units, …), so a
small city is a thin but complete tree and a 10M city a realistic one. Nothing but
the current path is held in memory. Where each node lies, and its outline down to the
buildings, comes from `demo.layout` (children tile their parent), from a stream of its own.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from fangkong.demo import data, layout
from fangkong.places.geometry import bounds
from fangkong.places.models import Level

# Residents per child node, and the most children the code width allows.
TARGET_POP = {
    Level.STREET: 90_000,
    Level.COMMUNITY: 9_000,
    Level.GRID: 3_200,
    Level.COMPOUND: 1_600,
    Level.BUILDING: 320,
    Level.UNIT: 80,
}
MAX_CHILDREN = {
    Level.STREET: 999,
    Level.COMMUNITY: 798,
    Level.GRID: 99,
    Level.COMPOUND: 99,
    Level.BUILDING: 999,
    Level.UNIT: 9,
}
# Drawn division outlines get a vertex every layout.OUTLINE_STEP_M so the warp shows;
# compounds and buildings keep their four corners.
DENSIFIED = {Level.CITY, Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID}
COMPOUND_TURN = 0.35  # radians either way from north: the street angle of a grid's compounds


@dataclass(slots=True)
class Node:
    id: int
    key: str
    name: str
    level: int
    parent_id: int | None
    lat: float
    lon: float
    pop: int
    district: int  # index into data.DISTRICTS, -1 for the city
    path: tuple[str, ...]  # names from the district down to this node
    plan: layout.Ring | None = None  # its shape in the layout's metres (none for a unit)
    outline: list[list[list[float]]] | None = None  # GeoJSON Polygon coordinates

    def row(self) -> tuple[object, ...]:
        return (
            self.id,
            self.key,
            self.key.ljust(12, "0") if len(self.key) <= 12 else self.key,
            self.name,
            self.level,
            self.parent_id,
            self.lat,
            self.lon,
        )

    def outline_row(self) -> tuple[object, ...] | None:
        if self.outline is None:
            return None
        west, south, east, north = bounds(self.outline)
        polygon = {"type": "Polygon", "coordinates": self.outline}
        return (self.id, self.key, self.level, json.dumps(polygon), west, south, east, north, False)


DIVISION_FIELDS = ["id", "key", "code", "name", "level", "parent", "lat", "lon"]
OUTLINE_FIELDS = [
    "division",
    "key",
    "level",
    "polygon",
    "west",
    "south",
    "east",
    "north",
    "derived",
]


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` in `parts` random shares of at least one each (parts <= total)."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(parts)]
    spare = total - parts
    scale = spare / sum(weights)
    out, acc, given = [], 0.0, 0
    for w in weights:
        acc += w * scale
        share = int(acc) - given
        given += share
        out.append(1 + share)
    out[-1] += spare - given
    return out


def child_count(level: Level, pop: int, rng: random.Random) -> int:
    wanted = round(pop / TARGET_POP[level] * rng.uniform(0.8, 1.25))
    return max(1, min(MAX_CHILDREN[level], pop, wanted))


class TreeBuilder:
    def __init__(self, residents: int, seed: int) -> None:
        self.residents = residents
        self.rng = random.Random(f"fangkong-demo-tree-{seed}")
        self.place_rng = random.Random(f"fangkong-demo-layout-{seed}")
        self.frame = layout.Frame.around(*data.CITY_LATLON, self.place_rng)
        self.next_id = 1

    def _node(
        self,
        parent: Node | None,
        suffix: str,
        name: str,
        level: Level,
        pop: int,
        district: int,
        *,
        plan: layout.Ring | None = None,
        point: layout.Point | None = None,
    ) -> Node:
        path: tuple[str, ...] = () if parent is None else (*parent.path, name)
        key = data.CITY_KEY if parent is None else parent.key + suffix
        where = layout.centroid(plan) if plan is not None else point
        assert where is not None
        lon, lat = self.frame.lonlat(where)
        outline = None
        if plan is not None:
            step = layout.OUTLINE_STEP_M if level in DENSIFIED else None
            outline = [self.frame.ring(plan, step)]
        node = Node(
            self.next_id,
            key,
            name,
            level,
            None if parent is None else parent.id,
            lat,
            lon,
            pop,
            district,
            path,
            plan,
            outline,
        )
        self.next_id += 1
        return node

    def walk(self) -> Iterator[Node]:
        """Every node, parents before children (pre-order)."""
        outline = [self.frame.metres(lat, lon) for lat, lon in data.CITY_OUTLINE]
        if layout.area(outline) < 0:
            outline.reverse()
        city = self._node(None, "", data.CITY_NAME, Level.CITY, self.residents, -1, plan=outline)
        yield city
        shares = [d[2] for d in data.DISTRICTS]
        pops = self._by_shares(self.residents, shares)
        plans = [data.DISTRICT_PLAN[d[0]] for d in data.DISTRICTS]
        cells = layout.fitted_cells(
            outline,
            [self.frame.metres(lat, lon) for lat, lon, _km2 in plans],
            [p[2] for p in plans],
        )
        for i, (code, name, *_rest) in enumerate(data.DISTRICTS):
            district = self._node(city, code[4:], name, Level.DISTRICT, pops[i], i, plan=cells[i])
            yield district
            yield from self._streets(district)

    def _cells(self, parent: Node, count: int) -> list[layout.Ring]:
        assert parent.plan is not None
        return layout.partition(parent.plan, count, self.place_rng)

    def _by_shares(self, total: int, shares: list[float]) -> list[int]:
        if total < len(shares):
            raise ValueError("need at least one resident per district")
        scale = (total - len(shares)) / sum(shares)
        out = [1 + int(s * scale) for s in shares]
        out[-1] += total - sum(out)
        return out

    def _streets(self, district: Node) -> Iterator[Node]:
        real = data.DISTRICTS[district.district][5]
        count = child_count(Level.STREET, district.pop, self.rng)
        used: set[str] = set(real)
        cells = self._cells(district, count)
        for i, pop in enumerate(split(district.pop, count, self.rng)):
            name = real[i] if i < len(real) else self._invent(used, "镇")
            street = self._node(
                district, f"{i + 1:03d}", name, Level.STREET, pop, district.district, plan=cells[i]
            )
            yield street
            yield from self._communities(street)

    def _invent(self, used: set[str], tail: str) -> str:
        rng = self.rng
        for _ in range(50):
            name = rng.choice(data.PLACE_HEADS) + rng.choice(data.PLACE_SUFFIXES) + tail
            if name not in used:
                break
        else:
            name = f"{rng.choice(data.PLACE_HEADS)}{len(used)}{tail}"
        used.add(name)
        return name

    def _community_name(self, urban: bool, used: set[str]) -> str:
        rng = self.rng
        for _ in range(50):
            if urban:
                name = rng.choice(data.URBAN_COMMUNITY_WORDS) + "社区"
            else:
                surname = rng.choice(data.SURNAMES[:40])[0]
                name = surname + rng.choice(data.PLACE_SUFFIXES) + "村"
                if rng.random() < 0.3:
                    name = rng.choice(data.PLACE_HEADS) + name
            if name not in used:
                used.add(name)
                return name
        name = f"{rng.choice(data.URBAN_COMMUNITY_WORDS)}{len(used) + 1}{'社区' if urban else '村'}"
        used.add(name)
        return name

    def _communities(self, street: Node) -> Iterator[Node]:
        urban = street.name.endswith("街道")
        count = child_count(Level.COMMUNITY, street.pop, self.rng)
        used: set[str] = set()
        cells = self._cells(street, count)
        for i, pop in enumerate(split(street.pop, count, self.rng)):
            # Statistical codes: 001–199 for urban communities, 200–999 for villages.
            code = i + 1 if urban or i == 0 else 200 + i
            first_town_community = not urban and i == 0
            name = (
                street.name.rstrip("镇乡") + "社区"
                if first_town_community
                else self._community_name(urban, used)
            )
            community = self._node(
                street, f"{code:03d}", name, Level.COMMUNITY, pop, street.district, plan=cells[i]
            )
            yield community
            yield from self._grids(community, urban or first_town_community)

    def _grids(self, community: Node, urban: bool) -> Iterator[Node]:
        count = child_count(Level.GRID, community.pop, self.rng)
        cells = self._cells(community, count)
        for i, pop in enumerate(split(community.pop, count, self.rng)):
            grid = self._node(
                community,
                f"{i + 1:02d}",
                f"第{i + 1}网格",
                Level.GRID,
                pop,
                community.district,
                plan=cells[i],
            )
            yield grid
            yield from self._compounds(grid, urban)

    def _compounds(self, grid: Node, urban: bool) -> Iterator[Node]:
        count = child_count(Level.COMPOUND, grid.pop, self.rng)
        names = data.COMPOUND_NAMES if urban else data.VILLAGE_COMPOUNDS
        start = self.rng.randrange(len(names))
        pops = split(grid.pop, count, self.rng)
        assert grid.plan is not None
        turn = self.place_rng.uniform(-COMPOUND_TURN, COMPOUND_TURN)
        plots = layout.plots(grid.plan, pops, turn, self.place_rng)
        for i, pop in enumerate(pops):
            name = names[(start + i) % len(names)]
            if i >= len(names):
                name = f"{name}{i // len(names) + 1}期"
            compound = self._node(
                grid, f"{i + 1:02d}", name, Level.COMPOUND, pop, grid.district, plan=plots[i]
            )
            yield compound
            yield from self._buildings(compound)

    def _buildings(self, compound: Node) -> Iterator[Node]:
        count = child_count(Level.BUILDING, compound.pop, self.rng)
        assert compound.plan is not None
        slabs = layout.slabs(compound.plan, count)
        for i, pop in enumerate(split(compound.pop, count, self.rng)):
            building = self._node(
                compound,
                f"{i + 1:03d}",
                f"{i + 1}号楼",
                Level.BUILDING,
                pop,
                compound.district,
                plan=slabs[i],
            )
            yield building
            count_units = child_count(Level.UNIT, pop, self.rng)
            doors = layout.along(slabs[i], count_units)
            for j, unit_pop in enumerate(split(pop, count_units, self.rng)):
                yield self._node(
                    building,
                    f"{j + 1:02d}",
                    f"{j + 1}单元",
                    Level.UNIT,
                    unit_pop,
                    compound.district,
                    point=doors[j],
                )
