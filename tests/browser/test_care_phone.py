"""Medical requests on a phone-sized screen (390×844) in a real Chromium: a resident in a sealed
zone asks for dialysis on /my-care/ and is told where and why; a grid worker raises an
emergency for a red-code person and sees it routed by 120 to the designated campus."""

import pytest
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.care.conftest import in_state, make_facilities

from fangkong.care.models import CareRequest
from fangkong.core.roles import Role
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_care_requests_on_a_phone(browser: Browser, live_server, transactional_db):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    f.user("grid1", Role.GRID, city.w[Level.GRID])
    facilities = make_facilities(boss, city)
    sealed = in_state(city, "sealed_zone", "透析病人")
    red = in_state(city, "red_code", "急症病人")

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/my-care/")
        page.fill("input[name=id_number]", sealed.id_number)
        page.fill("input[name=phone]", sealed.phone)
        page.click("#identify button[type=submit]")
        page.select_option("#ask select[name=type]", "dialysis")
        page.click("#ask button[type=submit]")
        expect(page.locator("#routed")).to_contain_text(facilities["dialysis"].name)
        expect(page.locator("#routed")).to_contain_text("闭环")
        _fits(page)

        log_in(page, "grid1")
        page.goto("/care/requests/new/")
        page.fill("#raise input[name=id_number]", red.id_number)
        page.select_option("#raise select[name=type]", "emergency")
        page.click("#raise button[type=submit]")
        expect(page.locator("#why")).to_contain_text("120")
        expect(page.locator("#facts")).to_contain_text(facilities["designated"].name)
        _fits(page)
        page.goto("/care/requests/")
        expect(page.locator("#requests tbody tr")).to_have_count(2)
        _fits(page)
    finally:
        context.close()
    assert CareRequest.objects.get(person=sealed).closed_loop
    assert CareRequest.objects.get(person=red).via_120
