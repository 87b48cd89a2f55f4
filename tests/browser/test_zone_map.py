"""The zone drawing map in real Chromium: it opens on the user's jurisdiction drawn from the
project's own outlines (no tiles), and one drills down to a building and adds it by a click."""

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for

from fangkong.places.models import Level

pytestmark = pytest.mark.browser

WEIDU_BOX = (113.77, 33.98, 113.87, 34.08)  # f.map_city: 魏都区's outline


def view_of(page: Page) -> list[float]:
    return [float(v) for v in page.locator("[data-draw-map]").get_attribute("data-view").split(",")]


def test_the_draw_map_opens_on_the_district_drawn_from_its_outlines_and_a_click_adds_a_building(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.map_city(f.make_city())
    f.personas(city)  # p_task_force: 魏都区
    building = city.w[Level.BUILDING]

    page = page_for(browser, live_server, "p_task_force", {"width": 1366, "height": 900})
    page.goto("/zones/draw/")
    the_map = page.locator("[data-draw-map]")
    expect(the_map).to_have_attribute("data-base-features", re.compile(r"^[1-9]"))
    expect(page.locator(".leaflet-fk-base-pane path.fk-level-2")).to_have_count(1)
    expect(page.locator(".leaflet-fk-base-pane path.fk-level-3")).to_have_count(1)
    expect(page.locator(".place-label")).to_contain_text(["西大街街道"])
    expect(page.locator(".zone-map")).not_to_contain_text("建安区")
    expect(page.locator(".zone-map")).not_to_contain_text("新元")

    west, south, east, north = view_of(page)
    assert west <= WEIDU_BOX[0] and south <= WEIDU_BOX[1]
    assert east >= WEIDU_BOX[2] and north >= WEIDU_BOX[3]
    assert north - south < 3 * (WEIDU_BOX[3] - WEIDU_BOX[1])  # the district, not the world
    the_map.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path / "zone-map-1366.png"))

    # The compound is a dot at this zoom: a click zooms to it, and its buildings are drawn.
    page.locator(".leaflet-fk-base-pane path.fk-level-6").click()
    expect(page.locator(".leaflet-fk-base-pane path.fk-level-7")).to_have_count(1)
    page.locator(".leaflet-fk-base-pane path.fk-level-7").click()
    expect(page.locator("#id_places")).to_have_value(building.code)
    page.screenshot(path=str(screenshot_path / "zone-map-building-1366.png"))

    # Drawn: the zone's page shows the zone over the same base layer.
    page.select_option("#id_level", "high")
    page.fill("#id_reason", "确诊病例居住楼栋")
    page.click("#draw-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/zones/\d+/$"))
    expect(page.locator("[data-zone-map]")).to_have_attribute(
        "data-base-features", re.compile(r"^[1-9]")
    )
    expect(page.locator(".leaflet-fk-base-pane path.fk-level-7")).to_have_count(1)
    expect(page.locator(".leaflet-overlay-pane path")).to_have_count(1)  # the zone's building

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/zones/draw/")
    expect(the_map).to_have_attribute("data-base-features", re.compile(r"^[1-9]"))
    west, south, east, north = view_of(page)
    assert west <= WEIDU_BOX[0] and east >= WEIDU_BOX[2]
    the_map.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_path / "zone-map-390.png"))
