"""A 12345 call end to end in a real Chromium (issue 18): the operator takes the call with the
keyboard only (phone, what is said, the suggested category confirmed with Enter); it is
dispatched to the department, whose staff accept and complete it on a phone; the caller, who
wrote in on the public form, confirms on their own phone page."""

import pytest
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.core.roles import Role
from fangkong.hotline.dispatch.services import department_register
from fangkong.hotline.models import HotlineRequest
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_call_taken_dispatched_closed_and_confirmed(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    f.user("op1", Role.HOTLINE, city.city)
    staff = f.user("water1", Role.STREET, city.weidu)
    caller = f.resident(city.w[Level.UNIT], "张伟", phone="13900000001")
    department = department_register(
        actor=boss,
        code="W-UTIL",
        name="西大街道水电维修站",
        kind="utilities",
        division=city.w[Level.STREET],
        staff=[staff],
    )
    desk = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
    )
    desk.set_default_timeout(TIMEOUT_MS)
    page = desk.new_page()
    try:
        log_in(page, "op1")
        page.goto("/hotline/intake/")
        # Keyboard only: the phone field has the focus.
        page.keyboard.type(caller.phone)
        page.keyboard.press("Tab")  # → ID number; the caller is looked up
        expect(page.locator("#caller-found")).to_contain_text("张伟")
        page.keyboard.press("Tab")  # → caller's name (filled)
        page.keyboard.press("Tab")  # → what the caller says
        page.keyboard.type("幸福小区1号楼停水两天了，物业电话打不通")
        expect(page.locator("#suggestion")).to_contain_text("维修服务")
        page.screenshot(path=str(screenshot_path / "hotline-intake-1280.png"), full_page=True)
        page.keyboard.press("Tab")  # → category, the suggestion selected
        page.keyboard.press("Enter")  # confirms it and saves
        expect(page.locator(".messages")).to_contain_text("西大街道水电维修站")
        item = HotlineRequest.objects.get()
        assert (item.category, item.person_id, item.department_id) == (
            "repair",
            caller.pk,
            department.pk,
        )
    finally:
        desk.close()

    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    phone.set_default_timeout(TIMEOUT_MS)
    page = phone.new_page()
    try:
        page.goto("/12345/")
        page.fill("#public textarea[name=text]", "阳光小区2号楼暖气不热，家里有老人")
        page.fill("#public input[name=phone]", "13900000777")
        page.click("#public button[type=submit]")
        expect(page.locator("#status")).to_contain_text("已派单")
        mine = page.url
        _fits(page)

        log_in(page, "water1")
        item = HotlineRequest.objects.get(channel="phone")
        page.goto(f"/hotline/{item.pk}/")
        page.click("#accept button")
        expect(page.locator("#status")).to_contain_text("部门已签收")
        page.fill("#complete textarea[name=reply]", "已更换水泵，恢复供水")
        page.click("#complete button")
        expect(page.locator("#status")).to_contain_text("已办结")
        _fits(page)
        page.screenshot(path=str(screenshot_path / "hotline-department-390.png"), full_page=True)

        web = HotlineRequest.objects.get(channel="web")
        from fangkong.hotline.requests.services import request_complete

        request_complete(actor=boss, request=web, reply="供热公司已上门检修")
        page.context.clear_cookies()
        page.goto(mine)
        page.check("#confirm input[value=yes]")
        page.select_option("#confirm select[name=satisfaction]", "5")
        page.screenshot(path=str(screenshot_path / "hotline-caller-390.png"), full_page=True)
        page.click("#confirm button[type=submit]")
        expect(page.locator("#status")).to_contain_text("已回访结案")
        _fits(page)
    finally:
        phone.close()
