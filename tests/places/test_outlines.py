"""Outlines for places that have none (derived from the points below) or from a boundary file."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from fangkong.places import geometry
from fangkong.places.models import Level, Outline
from fangkong.places.services import DERIVED_MARGIN_M, outlines_derive, outlines_load
from fangkong.zones.geometry import contains
from tests import factories as f


def place(node, lon, lat):
    node.lon, node.lat = lon, lat
    node.save(update_fields=["lon", "lat"])


def test_the_hull_is_convex_and_keeps_only_the_corners():
    points = [(0, 0), (2, 0), (1, 1), (2, 2), (0, 2), (1, 0), (0, 0)]
    assert geometry.convex_hull(points) == [(0, 0), (2, 0), (2, 2), (0, 2)]
    assert geometry.convex_hull([(1, 1), (1, 1)]) == [(1, 1)]


def test_derived_outlines_wrap_the_buildings_below_each_node_with_a_margin(city):
    compound = city.w[Level.COMPOUND]
    first = city.w[Level.BUILDING]
    second = f.division(compound.key + "002", "2号楼", Level.BUILDING, compound)
    place(first, 113.820, 34.030)
    place(second, 113.824, 34.032)

    written = outlines_derive()

    outlines = {o.key: o for o in Outline.objects.all()}
    # city, 魏都区 and its street, community, grid and compound; 建安区 has no coordinates
    assert written == 6 and set(outlines) == {
        city.city.key,
        city.weidu.key,
        *(city.w[lv].key for lv in (Level.STREET, Level.COMMUNITY, Level.GRID, Level.COMPOUND)),
    }
    hull = outlines[compound.key]
    assert hull.derived and hull.level == Level.COMPOUND
    for building in (first, second):
        assert contains(hull.polygon, building.lon, building.lat)
    margin = DERIVED_MARGIN_M / geometry.M_PER_DEG_LAT
    assert hull.north == pytest.approx(34.032 + margin, abs=1e-6)
    assert hull.south == pytest.approx(34.030 - margin, abs=1e-6)
    assert not contains(hull.polygon, 113.822, 34.030 - 2 * margin)
    assert outlines[city.weidu.key].polygon == hull.polygon  # one compound: the same shape


def test_a_given_outline_stays_and_stands_for_its_subtree_in_its_parents_hull(city):
    f.outline(city.w[Level.COMPOUND], 113.82, 34.03, 0.01)  # surveyed, larger than its points
    place(city.w[Level.BUILDING], 113.82, 34.03)

    outlines_derive()
    outlines_derive()  # again: the derived ones are replaced, not added

    assert Outline.objects.filter(derived=False).count() == 1
    grid = Outline.objects.get(key=city.w[Level.GRID].key)
    assert grid.derived and (grid.west, grid.east) == pytest.approx((113.81, 113.83))
    assert Outline.objects.filter(derived=True).count() == 5  # city … grid


def test_outlines_load_from_geojson_by_division_code(city):
    square = f.outline(city.weidu, 113.82, 34.03, 0.05).polygon
    Outline.objects.all().delete()
    street = city.w[Level.STREET]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": city.weidu.code}, "geometry": square},
            {"type": "Feature", "properties": {"code": street.code}, "geometry": square},
        ],
    }
    assert outlines_load(collection=collection) == 2
    loaded = Outline.objects.get(key=street.key)
    assert not loaded.derived and loaded.level == Level.STREET
    assert (loaded.west, loaded.north) == pytest.approx((113.77, 34.08))


def test_a_bad_boundary_file_names_each_bad_feature_and_loads_nothing(city):
    ring = [[113.8, 34.0], [113.9, 34.0], [113.9, 34.1], [113.8, 34.0]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "properties": {"code": city.weidu.code},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
            {
                "properties": {"code": "419999000000"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
            {
                "properties": {"code": city.jianan.code},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            {
                "properties": {"code": city.city.code},
                "geometry": {"type": "Polygon", "coordinates": [ring[:2]]},
            },
        ],
    }
    with pytest.raises(ValidationError) as caught:
        outlines_load(collection=collection)
    messages = caught.value.messages
    assert len(messages) == 3
    assert "2" in messages[0] and "419999000000" in messages[0]
    assert "3" in messages[1] and "4" in messages[2]
    assert not Outline.objects.exists()
    with pytest.raises(ValidationError):
        outlines_load(collection=[ring])


def test_the_outlines_command_loads_a_file_then_derives(city, tmp_path, capsys):
    place(city.j[Level.BUILDING], 113.82, 34.15)
    ring = [[113.7, 34.0], [113.9, 34.0], [113.9, 34.1], [113.7, 34.1], [113.7, 34.0]]
    path = tmp_path / "bounds.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": city.weidu.code},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    call_command("outlines", "--load", str(path), "--derive", "--under", city.jianan.key)
    assert capsys.readouterr().out.splitlines() == ["loaded 1 outline(s)", "derived 5 outline(s)"]
    assert Outline.objects.get(key=city.weidu.key).derived is False
    assert not Outline.objects.filter(key=city.city.key).exists()  # outside --under
    with pytest.raises(CommandError):
        call_command("outlines")
