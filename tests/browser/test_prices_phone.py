"""Price monitoring on a phone (390×844) in a real Chromium: a store's account records today's
pork price with the phone form, the board shows pork red with its reason, and the supply task
force finds the alert it opened and resolves it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.core.roles import Role
from fangkong.policy.services import profiles_install_shipped
from fangkong.supplies.models import Enterprise, Necessity, PriceAlert, PriceReport, Store
from fangkong.supplies.prices.services import catalogue_install

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _phone(browser: Browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_a_red_pork_price_recorded_on_a_phone_lights_the_board_and_opens_a_task(
    browser: Browser, live_server, transactional_db
):
    profiles_install_shipped()
    catalogue_install()
    city = f.make_city()
    shop = f.user("dianzhang", Role.SUPPLY, city.weidu)
    f.user("baogong", Role.TASK_FORCE, city.weidu)
    firm = Enterprise.objects.create(
        kind="supermarket",
        name="许昌惠民超市",
        credit_code="91411002MA44C8XK3A",
        division=city.weidu,
        division_key=city.weidu.key,
        status="granted",
    )
    firm.staff.add(shop)
    store = Store.objects.create(
        enterprise=firm, name="惠民西大街店", division=city.weidu, division_key=city.weidu.key
    )
    pork = Necessity.objects.get(code="pork")
    PriceReport.objects.create(
        store=store,
        necessity=pork,
        day=timezone.localdate() - dt.timedelta(days=10),
        price=Decimal("20.00"),
        stock=Decimal(500),
        division_key=store.division_key,
        source="form",
    )

    context = _phone(browser, live_server)
    page = context.new_page()
    log_in(page, "dianzhang", "/supplies/prices/report/")
    page.select_option("#id_store", str(store.pk))
    page.select_option("#id_item", str(pork.pk))
    page.fill("#id_price", "23")
    page.fill("#id_stock", "500")
    page.click("#report button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("已记录惠民西大街店")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.goto("/supplies/prices/")
    red = page.locator("#warnings li[data-light=red]")
    expect(red).to_contain_text("猪肉 10日涨幅 15% > 10%")
    expect(page.locator("[data-count=red]")).to_contain_text("1")
    expect(page.locator("#trend canvas").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()

    context = _phone(browser, live_server)
    page = context.new_page()
    log_in(page, "baogong", "/supplies/prices/alerts/")
    row = page.locator("#alerts tr[data-alert=pork]")
    expect(row).to_contain_text("猪肉 10日涨幅 15% > 10%")
    row.locator("select[name=status]").select_option("resolved")
    row.locator("input[name=note]").fill("已调运储备猪肉")
    row.locator("button[type=submit]").click()
    expect(page.locator("#alerts tr[data-alert=pork]")).to_have_attribute("data-status", "resolved")
    assert PriceAlert.objects.get().status == "resolved"
    context.close()
