"""The demo city's map: outlines that tile the city, compounds and buildings inside them."""

import math
import random

import pytest

from fangkong.demo import data, layout
from fangkong.demo.tree import TreeBuilder
from fangkong.places.models import Level
from fangkong.zones.geometry import contains


def polygon(node):
    return {"type": "Polygon", "coordinates": node.outline}


def city(residents=200_000, seed=3):
    return list(TreeBuilder(residents, seed).walk())


def test_every_node_lies_inside_its_parents_outline_and_no_other_of_that_level():
    nodes = city()
    by_id = {n.id: n for n in nodes}
    shapes = {lv: [n for n in nodes if n.level == lv] for lv in Level}
    for node in nodes:
        if node.parent_id is None:
            continue
        parent = by_id[node.parent_id]
        assert contains(polygon(parent), node.lon, node.lat), (node.key, node.name)
        if parent.level <= Level.GRID:  # the levels that tile their parent
            holders = [
                p.key for p in shapes[parent.level] if contains(polygon(p), node.lon, node.lat)
            ]
            assert holders == [parent.key], node.key


def test_the_districts_tile_the_city_in_proportion_to_their_real_areas():
    frame = layout.Frame.around(*data.CITY_LATLON, random.Random(1))
    outline = [frame.metres(lat, lon) for lat, lon in data.CITY_OUTLINE]
    outline = outline if layout.area(outline) > 0 else outline[::-1]
    plans = [data.DISTRICT_PLAN[d[0]] for d in data.DISTRICTS]
    cells = layout.fitted_cells(
        outline, [frame.metres(lat, lon) for lat, lon, _a in plans], [p[2] for p in plans]
    )
    areas = [layout.area(c) for c in cells]
    assert sum(areas) == pytest.approx(layout.area(outline))
    total = sum(p[2] for p in plans)
    for cell_area, (_lat, _lon, km2) in zip(areas, plans, strict=True):
        assert math.isclose(cell_area / sum(areas), km2 / total, rel_tol=0.02)


def test_compounds_do_not_overlap_and_buildings_stand_in_rows_inside_them():
    nodes = city(60_000)
    compounds = [n for n in nodes if n.level == Level.COMPOUND]
    for a in compounds:
        for b in compounds:
            if a is not b:
                assert not any(contains(polygon(b), *p) for p in a.outline[0]), (a.key, b.key)
    buildings = [n for n in nodes if n.level == Level.BUILDING]
    assert all(len(b.outline[0]) == 5 for b in buildings)  # four corners, closed
    sides = [
        math.dist(*b.plan[:2]) for b in buildings if b.plan is not None
    ]  # the slab's length, metres
    assert min(sides) > 20 and max(sides) < 120


def test_the_same_seed_draws_the_same_map_and_another_seed_another():
    def outlines(seed):
        return [n.outline for n in TreeBuilder(5000, seed).walk() if n.level <= Level.STREET]

    assert outlines(1) == outlines(1)
    assert outlines(1) != outlines(2)
