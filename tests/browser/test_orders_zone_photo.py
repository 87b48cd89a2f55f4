"""An order into a sealed building's compound in a real Chromium: its page says the deadline
came from the zone's level; the grid worker records it delivered with a photo taken on the
phone (390×844), and the photo opens from the order's page; a desktop (1280) view of the same
page. Another order is cancelled with the time it was called off."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.supplies.conftest import make_firm

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.policy.accessor import current
from fangkong.supplies.orders import services
from fangkong.supplies.orders.models import Order, OrderStatus, Product, ReceivingPoint
from fangkong.zones.services import zone_draw

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PNG = (  # a 1×1 PNG
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_sealed_compounds_order_shows_its_deadline_and_is_delivered_with_a_photo(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    grid = f.user("grid1", Role.GRID, city.w[Level.GRID])
    chief = f.user("chief1", Role.COMMAND, city.city)
    tf = f.user("tf1", Role.TASK_FORCE, city.weidu)
    make_firm(city.weidu, "许昌惠民超市", "91411002MA44C8XK3A")
    grandma = f.resident(city.w[Level.UNIT], "刘桂兰", sex="F")
    f.key_person(grandma, "elderly_alone")
    neighbour = f.resident(city.w[Level.UNIT], "陈志强")
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
    level = current().rules.zones.levels[0]
    zone_draw(
        actor=chief,
        level=level,
        divisions=[city.w[Level.BUILDING]],
        reason="确诊病例居住楼栋",
        started_at=timezone.now() - dt.timedelta(hours=2),
    )
    order = services.order_place(actor=grid, person=grandma, lines=[(veg, 1)])
    assert order.zone_level == level
    services.orders_batch(actor=tf)
    order.refresh_from_db()
    for status in ("accepted", "dispatched", "at_point"):
        services.batch_advance(actor=tf, batch=order.batch, status=status)
    other = services.order_place(
        actor=grid,
        person=neighbour,
        lines=[(veg, 2)],
        placed_at=timezone.now() - dt.timedelta(hours=1),
    )

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "grid1")
        page.goto(f"/supplies/orders/{order.pk}/")
        expect(page.locator("#deadline-basis")).to_contain_text("高风险区")
        page.fill("#deliver input[name=volunteer]", "志愿者小李")
        page.set_input_files(
            "#deliver input[name=photo]",
            files=[{"name": "door.png", "mimeType": "image/png", "buffer": PNG}],
        )
        page.click("#deliver button[type=submit]")
        expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "delivered")
        link = page.locator("#facts a[href$='/photo/']")
        expect(link).to_be_visible()
        page.screenshot(path=str(screenshot_path / "order-photo-phone.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shown = page.request.get(link.get_attribute("href") or "")
        assert shown.status == 200 and shown.headers["content-type"] == "image/png"

        page.goto(f"/supplies/orders/{other.pk}/")
        page.click("details:has(#cancel) summary")
        called_off = timezone.localtime() - dt.timedelta(minutes=30)
        page.fill("#cancel input[name=reason]", "家属已代购")
        page.fill("#cancel input[name=at]", called_off.strftime("%Y-%m-%dT%H:%M"))
        page.click("#cancel button[type=submit]")
        expect(page.locator("h1 [data-status]")).to_have_attribute("data-status", "cancelled")
        expect(page.locator("#cancelled-at")).to_be_visible()
        page.set_viewport_size(DESKTOP)
        page.goto(f"/supplies/orders/{order.pk}/")
        page.screenshot(path=str(screenshot_path / "order-photo-desktop.png"), full_page=True)
    finally:
        context.close()
    order.refresh_from_db()
    other.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED and order.proof == "photo"
    assert other.status == OrderStatus.CANCELLED
    assert other.cancelled_at == called_off.replace(second=0, microsecond=0)
    assert Order.objects.filter(status=OrderStatus.CANCELLED).count() == 1
