"""The places' own map (places:map): the caller's outlines as GeoJSON, by zoom and view."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.places import maps
from fangkong.places.models import Level
from tests import factories as f

WEIDU_BOX = "113.7,33.95,113.95,34.1"


@pytest.fixture
def mapped(city):
    return f.map_city(city)


def features(client, **params):
    response = client.get(reverse("places:map"), params)
    assert response.status_code == 200
    return response.json()


def names(data):
    return sorted(feat["properties"]["name"] for feat in data["features"])


def test_a_district_user_sees_their_district_and_streets_whole_then_buildings_close_up(
    login, personas, mapped
):
    client = login(personas["task_force"])  # 魏都区

    far = features(client, zoom=9)
    assert names(far) == ["西大街街道", "魏都区"]
    [district] = [x for x in far["features"] if x["properties"]["level"] == Level.DISTRICT]
    assert district["geometry"]["type"] == "Polygon"
    assert district["properties"]["code"] == "411002000000"
    assert district["geometry"]["coordinates"][0][0] == pytest.approx([113.77, 33.98])
    assert far["truncated"] is False

    near = features(client, zoom=16, bbox=WEIDU_BOX)
    assert names(near) == sorted(
        ["魏都区", "西大街街道", "西大社区", "第一网格", "幸福小区", "1号楼"]
    )
    building = near["features"][-1]
    assert building["properties"] == {
        "key": mapped.w[Level.BUILDING].key,
        "code": mapped.w[Level.BUILDING].code,
        "name": "1号楼",
        "level": Level.BUILDING,
        "level_label": "楼栋",  # the user's language, Chinese first
    }


def test_the_levels_grow_with_the_zoom():
    assert maps.levels_at(9) == {Level.CITY, Level.DISTRICT, Level.STREET}
    assert maps.levels_at(12) == {
        Level.CITY,
        Level.DISTRICT,
        Level.STREET,
        Level.COMMUNITY,
        Level.COMPOUND,
    }
    assert Level.GRID in maps.levels_at(13) and Level.BUILDING not in maps.levels_at(14)
    assert Level.BUILDING in maps.levels_at(15)


def test_only_what_meets_the_view_is_sent(login, personas, mapped):
    client = login(personas["command"])  # the whole city
    assert "建安区" in names(features(client, zoom=9))
    south = features(client, zoom=9, bbox="113.75,33.9,113.9,34.05")
    assert names(south) == sorted(["许昌市", "魏都区", "西大街街道"])
    assert features(client, zoom=9, bbox="100,20,100.1,20.1")["features"] == []
    # A box that is not four numbers is no box: the whole jurisdiction.
    assert names(features(client, zoom=9, bbox="north")) == names(features(client, zoom=9))


def test_an_outsider_gets_only_their_own_places_and_no_jurisdiction_gets_nothing(
    login, personas, mapped
):
    outsider = features(login(personas["outsider"]), zoom=18)  # 建安区
    assert "魏都区" not in names(outsider) and "1号楼" not in names(outsider)
    assert {x["properties"]["key"][:6] for x in outsider["features"]} == {"411003"}
    assert names(outsider) == sorted(
        ["建安区", "新元街道", "新元社区", "第一网格", "阳光小区", "2号楼"]
    )

    nobody = f.user("nobody", "street", None)
    assert features(login(nobody), zoom=18)["features"] == []


def test_the_map_needs_a_login_and_the_places_capability(client, login, personas, mapped):
    assert client.get(reverse("places:map")).status_code == 302
    assert login(personas["lab"]).get(reverse("places:map")).status_code == 403


def test_buildings_without_an_outline_come_as_points(login, personas, mapped):
    compound = mapped.w[Level.COMPOUND]
    second = f.division(compound.key + "002", "2号楼", Level.BUILDING, compound)
    second.lon, second.lat = 113.821, 34.031
    second.save()
    f.division(compound.key + "003", "3号楼", Level.BUILDING, compound)  # no coordinates

    data = features(login(personas["task_force"]), zoom=16, bbox=WEIDU_BOX)
    points = [x for x in data["features"] if x["geometry"]["type"] == "Point"]
    assert [(p["properties"]["name"], p["geometry"]["coordinates"]) for p in points] == [
        ("2号楼", [113.821, 34.031])
    ]


def test_too_many_outlines_are_cut_coarsest_first_and_say_so(login, personas, mapped, monkeypatch):
    monkeypatch.setattr(maps, "FEATURES_LIMIT", 2)
    data = features(login(personas["task_force"]), zoom=16)
    assert names(data) == ["西大街街道", "魏都区"] and data["truncated"] is True


def _count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("places:map"), params).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_pinned_and_flat(login, personas, mapped):
    client = login(personas["task_force"])
    views = [{"zoom": 9}, {"zoom": 16, "bbox": WEIDU_BOX}]
    small = [_count(client, v) for v in views]
    compound = mapped.w[Level.COMPOUND]
    for i in range(2, 30):
        building = f.division(f"{compound.key}{i:03d}", f"{i}号楼", Level.BUILDING, compound)
        if i % 2:
            f.outline(building, 113.82 + i / 10000, 34.03, 0.0001)
        else:
            building.lon, building.lat = 113.82, 34.03 + i / 10000
            building.save()
    assert [_count(client, v) for v in views] == small
    # session, user, jurisdiction; outlines; and from building zoom on, the buildings as points
    assert small == [3 + 1, 3 + 2]
