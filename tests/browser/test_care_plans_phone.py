"""Health plans and direct lines on a phone-sized screen (390×844) in a real Chromium: a grid
worker records a dialysis patient's plan (Monday, Wednesday, Friday at the centre) and sees the
sessions falling due; the resident sees the community's direct lines on /my-care/."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.care.conftest import make_facilities

from fangkong.care.lines.services import line_save
from fangkong.care.models import HealthPlan
from fangkong.care.plans.selectors import lookahead_days
from fangkong.core.roles import Role
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_grid_worker_records_a_dialysis_plan_and_the_resident_sees_the_lines(
    browser: Browser, live_server, transactional_db
):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    f.user("grid1", Role.GRID, city.w[Level.GRID])
    street = f.user("street1", Role.STREET, city.weidu)
    facilities = make_facilities(boss, city)
    patient = f.resident(city.w[Level.UNIT], "透析病人")
    line_save(
        actor=street,
        community=city.w[Level.COMMUNITY],
        kind="vehicle",
        name="小区专车",
        phone="13900000001",
        note="豫K·00001",
    )
    today = timezone.localdate()
    sessions = [
        d
        for d in (today + dt.timedelta(days=i) for i in range(lookahead_days() + 1))
        if d.weekday() in (0, 2, 4)
    ]

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "grid1")
        page.goto("/care/plans/")
        page.fill("#new-plan input[name=id_number]", patient.id_number)
        page.select_option("#new-plan select[name=category]", "dialysis")
        page.select_option("#new-plan select[name=contact_hospital]", str(facilities["general"].pk))
        page.fill("#new-plan textarea[name=emergency]", "拨打120，送魏都医院")
        page.click("#new-plan button[type=submit]")
        expect(page.locator("#facts")).to_contain_text("拨打120")
        _fits(page)
        page.select_option("#new-need select[name=type]", "dialysis")
        page.select_option("#new-need select[name=facility]", str(facilities["dialysis"].pk))
        page.select_option("#new-need select[name=repeat]", "weekly")
        for day in ("0", "2", "4"):
            page.check(f"#new-need input[name=weekdays][value='{day}']")
        page.fill("#new-need input[name=starts_on]", today.isoformat())
        page.fill("#new-need input[name=description]", "上午透析")
        page.click("#new-need button[type=submit]")
        expect(page.locator("#needs tbody tr")).to_have_count(1)
        expect(page.locator("#needs")).to_contain_text("周一")
        _fits(page)
        page.goto("/care/plans/due/")
        expect(page.locator("#due tbody tr[data-need]")).to_have_count(len(sessions))
        expect(page.locator("#due")).to_contain_text(facilities["dialysis"].name)
        _fits(page)

        page.context.clear_cookies()
        page.goto("/my-care/")
        resident = f.resident(city.w[Level.UNIT], "居民")
        page.fill("input[name=id_number]", resident.id_number)
        page.fill("input[name=phone]", resident.phone)
        page.click("#identify button[type=submit]")
        expect(page.locator("#direct-lines")).to_contain_text("小区专车")
        expect(page.locator("#direct-lines a[href='tel:13900000001']")).to_be_visible()
        _fits(page)
    finally:
        context.close()
    assert HealthPlan.objects.get().needs.get().weekdays == "024"
