"""Social assistance in a real Chromium (issue 18, item 5; seed 004): under 许昌's emergency
procedure a street worker, on a phone (390×844), files a 临时救助 application for a worker
without income for three months — the household taken from the registry, one document
uploaded — and decides it the same day; the payment is recorded. Screenshots at 390 and
1280 px."""

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.assistance.conftest import PDF, use_profile
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.assistance.models import Application
from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_a_street_worker_files_temporary_assistance_decided_the_same_day(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    use_profile("xuchang-2022-05")  # the emergency procedure on
    city = f.make_city()
    f.user("street1", Role.STREET, city.w[Level.STREET])
    unit = city.w[Level.UNIT]
    home = f.household(unit, "HH-临时救助")
    worker = f.resident(unit, "王建军", phone="13900002222", household=home)
    f.resident(unit, "李小红", sex="F", household=home)

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "street1")
        page.goto("/assistance/new/")
        page.fill("#find input[name=id_number]", worker.id_number)
        page.select_option("#find select[name=programme]", "temporary")
        page.click("#find button[type=submit]")
        expect(page.locator("#household")).to_contain_text("李小红")  # from the registry
        expect(page.locator("#emergency")).to_contain_text("简化程序")
        # the emergency procedure asks one document, not three
        expect(page.locator("#claim input[type=file]")).to_have_count(1)
        page.fill("#claim input[name=monthly_income]", "0")
        page.fill("#claim input[name=assets]", "3000")
        page.fill("#claim input[name=months_without_income]", "3")
        page.fill("#claim textarea[name=circumstances]", "受疫情影响无法返岗，连续3个月无收入")
        page.set_input_files(
            "#doc_no_income_statement",
            {"name": "无收入说明.pdf", "mimeType": "application/pdf", "buffer": PDF},
        )
        _fits(page)
        page.screenshot(path=str(screenshot_path / "assistance-file-390.png"), full_page=True)
        page.click("#claim button[type=submit]")
        expect(page.locator("#status")).to_have_text("已受理")
        expect(page.locator("#facts")).to_contain_text("疫情期间简化程序")
        expect(page.locator("#amount")).to_contain_text("1000.00")
        expect(page.locator("#documents")).to_contain_text("无收入情况说明")
        page.check("#decide input[value=approve]")
        page.fill(
            "#decide input[name=reason]", "连续3个月无收入，失业保险无法覆盖，发放一次性临时救助金"
        )
        page.fill("#decide input[name=basis]", "许昌市第二十三场新闻发布会（2022-05-07）")
        page.click("#decide button[type=submit]")
        expect(page.locator("#status")).to_have_text("已批准")
        page.fill("#pay input[name=amount]", "1000")
        page.fill("#pay input[name=paid_on]", timezone.localdate().isoformat())
        page.fill("#pay input[name=reference]", "XC-20220507-001")
        page.click("#pay button[type=submit]")
        expect(page.locator("#payments")).to_contain_text("XC-20220507-001")
        expect(page.locator("#history")).to_contain_text("社会救助申请批准")
        _fits(page)
        page.screenshot(path=str(screenshot_path / "assistance-decided-390.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(screenshot_path / "assistance-decided-1280.png"), full_page=True)
        page.goto("/assistance/?status=all")
        expect(page.locator("#applications tbody tr")).to_have_count(1)
        page.screenshot(path=str(screenshot_path / "assistance-list-1280.png"), full_page=True)
    finally:
        context.close()
    application = Application.objects.get()
    assert application.status == "approved" and application.procedure == "emergency"
    assert timezone.localdate(application.decided_at) == timezone.localdate(application.applied_at)
    assert application.decided_at <= application.due_at
    assert Event.objects.filter(action="assistance.approved", reason__contains="3个月").exists()


def test_a_resident_applies_for_the_minimum_allowance_on_a_phone(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    unit = city.w[Level.UNIT]
    home = f.household(unit, "HH-低保")
    head = f.resident(unit, "张建国", phone="13900001111", household=home)
    f.resident(unit, "刘桂兰", sex="F", household=home)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto("/my-assistance/")
        page.fill("input[name=id_number]", head.id_number)
        page.fill("input[name=phone]", head.phone)
        page.click("#identify button[type=submit]")
        expect(page.locator("#household")).to_contain_text("刘桂兰")
        page.select_option("#apply select[name=programme]", "dibao")
        page.fill("#apply input[name=monthly_income]", "800")
        page.fill("#apply input[name=assets]", "5000")
        page.set_input_files(
            "#doc_authorisation",
            {"name": "授权书.pdf", "mimeType": "application/pdf", "buffer": PDF},
        )
        page.click("#apply button[type=submit]")
        expect(page.locator("#mine")).to_contain_text("最低生活保障")
        expect(page.locator("#mine")).to_contain_text("已受理")
        expect(page.locator("#mine")).to_contain_text("尚缺")  # income proof, property
        _fits(page)
        page.screenshot(path=str(screenshot_path / "assistance-resident-390.png"), full_page=True)
    finally:
        context.close()
    application = Application.objects.get()
    assert application.channel == "resident" and application.coverage == "household"
    assert application.covered == 2 and application.documents.count() == 1
