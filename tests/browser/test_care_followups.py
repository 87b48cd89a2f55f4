"""Issue 17, what was left, in a real Chromium: the command centre resolves a refusal incident
on its page (desktop); a patient declines a medicine substitute on their phone (/my-care/)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.care.conftest import in_state, make_facilities

from fangkong.care.admission.models import Incident
from fangkong.care.admission.services import admission_refuse
from fangkong.care.facilities.services import facility_staff_set
from fangkong.care.medicine import services as medicine
from fangkong.care.models import MedicineOrder, OrderStatus
from fangkong.care.requests.services import request_raise
from fangkong.core.roles import Role
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def test_the_command_centre_resolves_a_refusal_incident(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    grid = f.user("grid1", Role.GRID, city.w[Level.GRID])
    hospital = f.user("hosp1", Role.HOSPITAL, city.weidu)
    facilities = make_facilities(boss, city)
    facility_staff_set(actor=boss, facility=facilities["designated"], usernames=["hosp1"])
    item = request_raise(
        actor=grid, person=in_state(city, "red_code", "急症病人"), type="emergency", channel="grid"
    )
    incident = admission_refuse(actor=hospital, request=item, reason="no_bed")

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESKTOP
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "boss")
        page.goto("/care/incidents/")
        page.locator(f'#incidents tr[data-incident="{incident.pk}"] a').click()
        page.fill("#resolve textarea[name=resolution]", "指挥部协调魏都定点院区腾出床位收治")
        page.fill("#resolve input[name=basis]", "许昌市首诊负责制通知")
        page.click("#resolve button[type=submit]")
        expect(page.locator("#resolution")).to_contain_text("腾出床位")
        expect(page.locator("#history")).to_contain_text("首诊负责制事件已办结")
        page.screenshot(path=str(screenshot_path / "care-incident-resolved.png"), full_page=True)
    finally:
        context.close()
    incident.refresh_from_db()
    assert incident.resolved_by == boss and incident.resolution_basis == "许昌市首诊负责制通知"
    assert incident.resolved_at is not None
    assert timezone.now() - incident.resolved_at < dt.timedelta(minutes=5)
    assert Incident.objects.filter(resolved_at__isnull=True).count() == 0


def test_a_patient_declines_a_substitute_on_their_phone(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    boss = f.user("boss", Role.COMMAND, city.city)
    grid = f.user("grid1", Role.GRID, city.w[Level.GRID])
    facilities = make_facilities(boss, city)
    patient = f.resident(city.w[Level.UNIT], "胰岛素患者", phone="13911112222")
    order = medicine.order_raise(
        actor=grid,
        person=patient,
        medicine="门冬胰岛素",
        quantity=Decimal("30"),
        pharmacy=facilities["pharmacy"],
    )
    medicine.orders_batch(actor=boss)
    medicine.order_source(actor=boss, order=order, substitute="甘精胰岛素")

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/my-care/")
        page.fill("input[name=id_number]", patient.id_number)
        page.fill("input[name=phone]", "13911112222")
        page.click("#identify button[type=submit]")
        page.click("#my-medicine-link a")
        card = page.locator(f'[data-order="{order.pk}"]')
        expect(card).to_contain_text("甘精胰岛素")
        page.screenshot(path=str(screenshot_path / "care-my-medicine-phone.png"), full_page=True)
        card.locator("input[value=decline]").check()
        card.locator("input[name=reason]").fill("对甘精胰岛素过敏")
        card.locator("button[type=submit]").click()
        expect(page.locator(".messages")).to_contain_text("答复已发送")
        expect(page.locator(f'[data-order="{order.pk}"]')).not_to_contain_text("提交答复")
    finally:
        context.close()
    order = MedicineOrder.objects.get(pk=order.pk)
    assert order.status == OrderStatus.BATCHED and order.substitute == ""
