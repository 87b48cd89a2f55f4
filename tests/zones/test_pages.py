"""Zone pages: who may open what, drawing and deciding through forms, pinned query counts."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level
from fangkong.policy.accessor import current
from fangkong.zones.models import Verdict, Zone, ZoneStatus
from tests import factories as f
from tests.zones.conftest import evaluate, infection

VIEWERS = {"command", "task_force", "street", "outsider"}
MANAGERS = {"command", "task_force"}
ALL = {"command", "task_force", "street", "grid", "lab", "quarantine", "hospital", "hotline"}
ALL |= {"supply", "outsider"}


@pytest.fixture
def zone(draw):
    today = timezone.localdate()
    return draw(on=today - dt.timedelta(days=6), now=timezone.now())


def _status(client, url):
    return client.get(url).status_code


@pytest.mark.parametrize(
    ("page", "roles"),
    [("zones:list", VIEWERS), ("zones:evaluations", VIEWERS), ("zones:draw", MANAGERS)],
)
def test_each_role_opens_exactly_its_zone_pages(page, roles, login, personas, zone):
    for role in sorted(ALL):
        expected = 200 if role in roles else 403
        assert _status(login(personas[role]), reverse(page)) == expected, (page, role)


def test_an_outsider_sees_no_zone_of_another_district(login, personas, zone):
    client = login(personas["outsider"])
    assert list(client.get(reverse("zones:list")).context["rows"]) == []
    assert client.get(reverse("zones:zone", args=[zone.pk])).status_code == 404
    assert client.get(reverse("zones:evaluations") + "?verdict=").context["rows"] == []
    figures = client.get(reverse("zones:list")).context["figures"]
    assert (figures.zones, figures.people) == (0, 0)


def test_an_outsider_changes_nothing(login, personas, zone):
    evaluation = evaluate(timezone.localdate())[zone.pk]
    client = login(personas["outsider"])
    before = Event.objects.count()
    posts = [
        reverse("zones:activate", args=[zone.pk]),
        reverse("zones:withdraw", args=[zone.pk]),
        reverse("zones:level", args=[zone.pk]),
        reverse("zones:extend", args=[zone.pk]),
        reverse("zones:round", args=[zone.pk]),
        reverse("zones:evaluation_decide", args=[evaluation.pk]),
    ]
    for url in posts:
        assert (
            client.post(url, {"reason": "x", "level": "low", "decision": "approve"}).status_code
            == 404
        ), url
    assert client.post(reverse("zones:evaluations_run"), {"day": "2022-11-20"}).status_code == 403
    assert client.get(reverse("zones:places"), {"q": "4110"}).status_code == 403
    assert Event.objects.count() == before


def test_a_grid_worker_of_the_zone_street_sees_it_but_cannot_manage_it(login, personas, zone):
    page = login(personas["street"]).get(reverse("zones:zone", args=[zone.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stay at home; services come to the door" in html and 'data-action="approve"' not in html
    assert not page.context["can_manage"] and not page.context["can_round"]


def test_drawing_a_zone_through_the_form(login, personas, building, people):
    case = infection(people["zhang"], sampled=timezone.localdate())
    client = login(personas["command"])
    form = client.get(reverse("zones:draw"))
    assert [v for v, _label in form.context["form"].fields["level"].choices] == ["high"]

    response = client.post(
        reverse("zones:draw"),
        {
            "level": "high",
            "places": f"{building.code}\n",
            "cases": case.number,
            "reason": "确诊病例居住楼栋",
            "in_force": "on",
        },
    )

    zone = Zone.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "zones:zone", args=[zone.pk]
    )
    assert zone.status == ZoneStatus.ACTIVE and zone.people == 3
    page = client.get(reverse("zones:zone", args=[zone.pk]))
    assert page.context["people"] == 3 and case.number in page.content.decode()


def test_the_draw_form_names_unknown_places_and_out_of_scope_ones(login, personas, city):
    client = login(personas["task_force"])
    response = client.post(
        reverse("zones:draw"),
        {"level": "high", "places": f"999999, {city.j[Level.BUILDING].code}", "reason": "x"},
    )
    assert response.status_code == 200 and not Zone.objects.exists()
    errors = response.context["form"].errors["places"][0]
    assert "999999" in errors and city.j[Level.BUILDING].code in errors


def test_the_place_picker_searches_and_browses(login, personas, city, building):
    client = login(personas["task_force"])
    top = client.get(reverse("zones:places")).json()["items"]
    assert [i["key"] for i in top] == [city.weidu.key]
    children = client.get(reverse("zones:places"), {"parent": city.weidu.key}).json()["items"]
    assert [i["name"] for i in children] == ["西大街街道"]
    found = client.get(reverse("zones:places"), {"q": "1号"}).json()["items"]
    assert [(i["code"], i["kind"]) for i in found] == [(building.code, "building")]
    assert client.get(reverse("zones:places"), {"q": "阳光"}).json()["items"] == []  # 建安区


def test_evaluate_approve_and_see_the_public_list_update_through_pages(
    login, personas, zone, building, people, round_on
):
    today = timezone.localdate()
    round_on(
        today - dt.timedelta(days=1), building, [people["zhang"], people["li"], people["wang"]]
    )
    client = login(personas["command"])
    assert [z.pk for z in Client().get(reverse("risk_zones")).context["zones"]] == [zone.pk]

    client.post(reverse("zones:evaluations_run"), {"day": today.isoformat()})
    listing = client.get(reverse("zones:evaluations"))
    [proposal] = listing.context["rows"]
    assert (
        proposal.verdict == Verdict.PROPOSED and 'data-action="approve"' in listing.content.decode()
    )
    client.post(
        reverse("zones:evaluation_decide", args=[proposal.pk]),
        {"decision": "approve", "reason": "五天无新增，第5天全阴"},
    )

    zone.refresh_from_db()
    assert zone.status == ZoneStatus.LIFTED
    assert Client().get(reverse("risk_zones")).context["zones"] == []
    assert Event.objects.get(action="zone.level_changed").reason == "五天无新增，第5天全阴"


def test_a_future_day_cannot_be_evaluated(login, personas, zone):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    login(personas["command"]).post(reverse("zones:evaluations_run"), {"day": tomorrow})
    assert not zone.evaluations.exists()


def test_one_click_round_from_the_zone_page(login, personas, zone):
    client = login(personas["command"])
    page = client.get(reverse("zones:zone", args=[zone.pk]))
    assert page.context["can_round"]
    response = client.post(reverse("zones:round", args=[zone.pk]), {"reason": "风险区核酸"})
    testing_round = Round.objects.get()
    assert response["Location"] == reverse("lab:round", args=[testing_round.pk])
    assert testing_round.area == zone.areas.get().division


def test_the_zone_page_shows_the_rounds_the_rule_read(
    login, personas, zone, building, people, round_on
):
    today = timezone.localdate()
    r = round_on(
        today - dt.timedelta(days=1), building, [people["zhang"]], positive=[people["zhang"]]
    )
    evaluate(today)
    page = login(personas["street"]).get(reverse("zones:zone", args=[zone.pk]))
    assert [(x["round_id"], x["positive"]) for x in page.context["rounds"]] == [(r.pk, 1)]
    assert "A positive result among the zone&#x27;s people" in page.content.decode()


def test_extending_through_the_form(login, personas, zone, city):
    second = f.division(
        city.w[Level.COMPOUND].key + "002", "2号楼", Level.BUILDING, city.w[Level.COMPOUND]
    )
    client = login(personas["command"])
    client.post(reverse("zones:extend", args=[zone.pk]), {"places": second.code, "reason": "扩大"})
    assert sorted(a.division_key for a in zone.areas.all()) == sorted(
        [zone.division_key, second.key]
    )


# ── query counts ────────────────────────────────────────────────────────────────────────────


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def _more_zones(draw, city, n):
    compound = city.w[Level.COMPOUND]
    for i in range(n):
        b = f.division(f"{compound.key}{i + 10:03d}", f"{i + 10}号楼", Level.BUILDING, compound)
        b.lat, b.lon = 34.03 + i / 1000, 113.85
        b.save()
        f.resident(b, f"住户{i}")
        now = timezone.now()
        zone = draw(nodes=[b], now=now, started_at=now)
        evaluate(timezone.localdate())
        assert zone.evaluations.exists()


PINNED = {
    # session, user, jurisdiction; then the page's own queries
    "zones:list": 3 + 4,  # rows, figures (history + active profile), active profile for ranks
    "zones:evaluations": 3 + 1,  # rows with their zones and deciders
    "risk_zones": 4,  # zones, their areas, place names, active profile (anonymous: no session)
}


def test_list_pages_have_pinned_query_counts_that_stay_flat(login, personas, draw, city, zone):
    evaluate(timezone.localdate())
    client = login(personas["street"])
    anonymous = Client()
    pages = [("zones:list", client), ("zones:evaluations", client), ("risk_zones", anonymous)]
    small = {name: _count(c, reverse(name), {"verdict": ""}) for name, c in pages}
    _more_zones(draw, city, 6)
    large = {name: _count(c, reverse(name), {"verdict": ""}) for name, c in pages}
    assert small == large
    assert large == PINNED


def test_the_zone_page_query_count_does_not_grow_with_places(login, personas, draw, city, zone):
    client = login(personas["command"])
    small = _count(client, reverse("zones:zone", args=[zone.pk]))
    compound = city.w[Level.COMPOUND]
    places = [
        f.division(f"{compound.key}{i + 20:03d}", f"{i + 20}号楼", Level.BUILDING, compound)
        for i in range(5)
    ]
    big = draw(nodes=places)  # entered as late as the first (its history reads the policy once)
    assert _count(client, reverse("zones:zone", args=[big.pk])) == small


def test_the_public_page_needs_no_login_and_carries_the_map_data(zone):
    page = Client().get(reverse("risk_zones"))
    assert page.status_code == 200
    assert page.context["geojson"]["features"][0]["geometry"]["coordinates"] == [113.85, 34.03]
    assert 'id="public-geojson"' in page.content.decode()


def test_the_draw_map_opens_on_the_users_jurisdiction_over_their_own_places(login, personas, city):
    f.map_city(city)
    page = login(personas["task_force"]).get(reverse("zones:draw"))  # 魏都区
    settings = page.context["map"]
    assert settings["base"] == reverse("places:map") and settings["tiles"] == ""
    assert settings["bounds"] == pytest.approx((113.77, 33.98, 113.87, 34.08))
    assert "data-map-empty" not in page.content.decode()
    whole = login(personas["command"]).get(reverse("zones:draw")).context["map"]["bounds"]
    assert whole == pytest.approx((113.70, 33.97, 113.94, 34.21))  # the city's outline


def test_without_outlines_the_map_opens_on_the_points_and_without_either_says_so(
    login, personas, city, building
):
    # `building` has coordinates, nothing has an outline
    settings = login(personas["task_force"]).get(reverse("zones:draw")).context["map"]
    assert settings["bounds"] == (113.85, 34.03, 113.85, 34.03)
    building.lat = building.lon = None
    building.save()
    page = login(personas["task_force"]).get(reverse("zones:draw"))
    assert page.context["map"]["bounds"] is None
    assert "data-map-empty" in page.content.decode()


def test_the_draw_page_lists_what_zones_are_drawn_by_as_its_language_does(login, personas):
    """单元、楼栋 in Chinese (it said 单元, 楼栋), "Unit, Building" in English."""
    keys = current().rules.zones.drawn_by
    assert len(keys) > 1
    for language, separator in (("zh-hans", "、"), ("en", ", ")):
        client = login(personas["command"])
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("zones:draw")).content.decode()
        with translation.override(language):
            drawn = [str(Level[k.upper()].label) for k in keys]
        assert separator.join(drawn) in page, language
