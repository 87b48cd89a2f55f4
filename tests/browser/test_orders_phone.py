"""An order into a sealed compound on a phone-sized screen (390×844) in a real Chromium: a
grid worker orders a vegetable package for an elderly resident living alone who has no
smartphone, the supply task force batches it, the enterprise accepts, dispatches and brings it
to the receiving point, and the grid worker records it delivered to the door with the
resident's confirmation code; the order's page shows each step."""

import pytest
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.supplies.conftest import make_firm

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.supplies.orders.models import Order, OrderStatus, Product, ReceivingPoint

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_grid_worker_orders_for_an_elderly_resident_and_follows_it_to_the_door(
    browser: Browser, live_server, transactional_db
):
    city = f.make_city()
    f.user("grid1", Role.GRID, city.w[Level.GRID])
    f.user("tf1", Role.TASK_FORCE, city.weidu)
    seller = f.user("shop1", Role.SUPPLY, city.weidu)
    make_firm(city.weidu, "许昌惠民超市", "91411002MA44C8XK3A").staff.add(seller)
    grandma = f.resident(city.w[Level.UNIT], "刘桂兰", sex="F")
    f.key_person(grandma, "elderly_alone")
    compound = city.w[Level.COMPOUND]
    ReceivingPoint.objects.create(
        compound=compound,
        division_key=compound.key,
        name="东门接收点",
        location="东门岗亭旁",
        hours="8:00-20:00",
        contact_name="刘主任",
        phone="13700000001",
    )
    veg = Product.objects.create(kind="package", name="蔬菜包", unit="份", price="39.90")

    def phone(username):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log_in(page, username)
        return context, page

    grid, page = phone("grid1")
    try:
        page.goto("/supplies/orders/new/")
        page.fill("#find input[name=q]", "刘桂兰")
        page.click("#find button[type=submit]")
        page.click(f"#found a[data-person='{grandma.pk}']")
        expect(page.locator("[data-key-person]")).to_be_visible()
        page.fill(f"#order input[data-product='{veg.pk}']", "1")
        page.click("#order button[type=submit]")
        expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "placed")
        code = page.locator("#confirmation-code").inner_text()
        _fits(page)
        order = Order.objects.get(person=grandma)
        assert order.key_person and order.channel == "grid"

        tf, tf_page = phone("tf1")
        tf_page.goto("/supplies/order-batches/")
        tf_page.click("#batch-run button[type=submit]")
        expect(tf_page.locator("#batches tbody tr[data-batch]")).to_have_count(1)
        tf.close()

        shop, shop_page = phone("shop1")
        shop_page.goto("/supplies/order-batches/")
        shop_page.click("#batches tbody tr[data-batch] a")
        for status in ("accepted", "dispatched", "at_point"):
            shop_page.select_option("#batch-status select[name=status]", status)
            shop_page.click("#batch-status button[type=submit]")
            expect(shop_page.locator("h1 [data-status]")).to_have_attribute("data-status", status)
        _fits(shop_page)
        shop.close()

        page.goto(f"/supplies/orders/{order.pk}/")
        page.fill("#deliver input[name=volunteer]", "志愿者小李")
        page.fill("#deliver input[name=code]", code)
        page.click("#deliver button[type=submit]")
        expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "delivered")
        expect(page.locator("#history")).to_contain_text("送达")
        _fits(page)
    finally:
        grid.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.delivered_by == "志愿者小李"
