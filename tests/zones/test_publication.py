"""The public list of zones in force (no login, no personal data) and its map data."""

import pytest
from django.test import Client
from django.urls import reverse

from fangkong.places.models import Level
from fangkong.zones import selectors, services
from tests import factories as f
from tests.zones.conftest import D0, at, day, evaluate, infection

ADDRESS = "魏都区 西大街街道 西大社区 第一网格 幸福小区 1号楼"


@pytest.fixture
def zone(draw, people):
    case = infection(people["zhang"], sampled=D0)
    return draw(cases=[case], reason=f"{case.number} 张伟 13900000001 居住楼栋", name="张伟所在楼")


def test_the_public_page_lists_zones_in_force_with_address_since_and_obligations(zone):
    page = Client().get(reverse("risk_zones"))

    assert page.status_code == 200
    html = page.content.decode()
    assert ADDRESS in html and "2022-11-14" in html
    assert "Stay at home; services come to the door" in html
    [row] = page.context["zones"]
    assert (row.pk, row.level, row.since) == (zone.pk, "high", at(D0))


def test_the_public_page_and_json_carry_no_personal_data(zone, people, client):
    case = zone.cases.get()
    private = [
        case.number,
        "张伟",
        "李秀英",
        "王芳",
        people["zhang"].id_number,
        people["zhang"].phone,
        "居住楼栋",  # the internal reason text
        "所在楼",  # the zone's internal name
    ]
    html = Client().get(reverse("risk_zones")).content.decode()
    body = Client().get("/api/public/risk-zones").content.decode()
    for text in private:
        assert text not in html, text
        assert text not in body, text
    [item] = Client().get("/api/public/risk-zones").json()
    assert set(item) == {
        "id",
        "level",
        "level_label",
        "since",
        "started_at",
        "obligations",
        "places",
        "polygons",
    }
    assert item["places"] == [{"address": ADDRESS, "lat": 34.03, "lon": 113.85}]


def test_places_without_coordinates_are_listed_but_not_drawn(draw, city):
    unit_b = f.division(
        city.w[Level.BUILDING].key + "02", "2单元", Level.UNIT, city.w[Level.BUILDING]
    )
    draw(nodes=[unit_b])
    zones = selectors.public_zones()
    assert [p.address for p in zones[0].places] == [ADDRESS + " 2单元"]
    assert selectors.public_geojson(zones)["features"] == []


def test_the_map_draws_points_and_outlines_from_our_own_geometry(draw, building):
    ring = [[113.849, 34.029], [113.851, 34.029], [113.851, 34.031], [113.849, 34.029]]
    draw(nodes=[], polygon={"type": "Polygon", "coordinates": [ring]})
    geo = selectors.public_geojson(selectors.public_zones())
    kinds = sorted(feature["geometry"]["type"] for feature in geo["features"])
    assert kinds == ["Point", "Polygon"]
    assert {feature["properties"]["rank"] for feature in geo["features"]} == {0}


def test_an_approved_downgrade_takes_the_zone_off_the_public_list(
    zone, building, people, round_on, personas
):
    round_on(day(5), building, [people["zhang"], people["li"], people["wang"]])
    proposal = evaluate(day(5))[zone.pk]
    assert [z.pk for z in selectors.public_zones()] == [zone.pk]

    services.evaluation_approve(actor=personas["command"], evaluation=proposal, now=at(day(5), 21))

    assert selectors.public_zones() == []
    assert "No risk zones are in force." in Client().get(reverse("risk_zones")).content.decode()


def test_more_restrictive_zones_come_first(draw, city):
    from tests.zones.conftest import use_profile

    use_profile("9th-edition")
    medium = draw(nodes=[city.w[Level.COMPOUND]], level="medium")
    high = draw(level="high", on=day(-1))
    assert [z.pk for z in selectors.public_zones()] == [high.pk, medium.pk]
