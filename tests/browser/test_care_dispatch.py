"""120 linkage and the hospital side in a real Chromium (issue 17): an emergency raised for a
red-code person reaches the 120 queue and the designated hospital; the dispatcher assigns an
ambulance; the hospital records a refusal for want of a test result, which appears as a
flagged incident on the command dashboard."""

import pytest
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.care.conftest import in_state, make_facilities

from fangkong.care.admission.models import Incident
from fangkong.care.dispatch.services import vehicle_register
from fangkong.care.facilities.services import facility_staff_set
from fangkong.care.models import CareRequest
from fangkong.core.roles import Role
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_an_emergency_reaches_120_and_a_refusal_reaches_the_command_dashboard(
    browser: Browser, live_server, transactional_db
):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    f.user("grid1", Role.GRID, city.w[Level.GRID])
    f.user("disp1", Role.DISPATCH_120, city.weidu)
    f.user("hosp1", Role.HOSPITAL, city.weidu)
    facilities = make_facilities(boss, city)
    facility_staff_set(actor=boss, facility=facilities["dispatch_120"], usernames=["disp1"])
    facility_staff_set(actor=boss, facility=facilities["designated"], usernames=["hosp1"])
    ambulance = vehicle_register(actor=boss, centre=facilities["dispatch_120"], plate="豫K12001")
    red = in_state(city, "red_code", "急症病人")

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "grid1")
        page.goto("/care/requests/new/")
        page.fill("#raise input[name=id_number]", red.id_number)
        page.select_option("#raise select[name=type]", "emergency")
        page.click("#raise button[type=submit]")
        expect(page.locator("#facts")).to_contain_text(facilities["designated"].name)
        item = CareRequest.objects.get(person=red)

        context.clear_cookies()
        log_in(page, "disp1")
        page.goto("/care/dispatch/")
        row = page.locator(f'#queue tr[data-request="{item.pk}"]')
        expect(row).to_contain_text(facilities["designated"].name)
        row.locator("a").click()
        page.select_option("#step select[name=step]", "assign")
        page.select_option("#step select[name=vehicle]", str(ambulance.pk))
        page.click("#step button[type=submit]")
        expect(page.locator("#facts")).to_contain_text(ambulance.plate)

        context.clear_cookies()
        log_in(page, "hosp1")
        page.goto("/care/board/")
        page.locator(f'#board tr[data-request="{item.pk}"] a').click()
        options = page.locator("#refuse select[name=reason] option").all_text_contents()
        assert not any("核酸" in o for o in options), options
        page.select_option("#refuse select[name=reason]", "other")
        page.fill("#refuse textarea[name=reason_text]", "无核酸结果，不予接收")
        page.click("#refuse button[type=submit]")
        expect(page.locator("#flag")).to_be_visible()

        context.clear_cookies()
        log_in(page, "boss")
        page.goto("/command/")
        expect(page.locator('#care [data-figure="care_incidents"]')).to_have_text("1")
        expect(page.locator("#care")).to_contain_text("无核酸结果")
        page.locator('#care [data-figure="care_incidents"]').click()
        expect(page.locator("#incidents tbody tr")).to_have_count(1)
    finally:
        context.close()
    assert Incident.objects.get().flagged
