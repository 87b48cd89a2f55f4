"""A testing round through real Chromium: the command centre starts a round, a grid worker
samples a pooled tube on a phone, the lab (registered on the registry page, its account on the
staff) uploads a positive result, and the retest list and the round's coverage show it."""

import datetime as dt
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.core.roles import Role
from fangkong.lab.models import Lab, Retest, SamplingSite, TemporaryControl
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def page_for(browser: Browser, live_server, username: str, viewport=None) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=viewport or {"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, username)
    return page


def test_round_pooled_sampling_positive_result_retests_and_coverage(
    browser: Browser, live_server, transactional_db, tmp_path, screenshot_path
):
    city = f.make_city()
    street, unit = city.w[Level.STREET], city.w[Level.UNIT]
    zhang = f.resident(unit, "张伟")
    li = f.resident(unit, "李秀英", sex="F")
    f.resident(unit, "王芳", sex="F")
    f.user("chief", Role.COMMAND, city.city)
    f.user("sampler", Role.GRID, city.w[Level.GRID])
    f.user("labtech", Role.LAB, city.weidu)
    site = SamplingSite.objects.create(
        code="SITE-W", name="西大街采样点", division=street, division_key=street.key
    )

    chief = page_for(browser, live_server, "chief")
    chief.goto("/lab/labs/")
    chief.fill("#register [name=code]", "LAB-W")
    chief.fill("#register [name=name]", "魏都检测")
    chief.fill("#register [name=place]", city.weidu.code)
    chief.fill("#register [name=capacity_per_day]", "8000")
    chief.select_option("#register [name=turnaround]", "fever_clinic")
    chief.click("#register button[type=submit]")
    expect(chief).to_have_url(re.compile(r"/lab/labs/\d+/$"))
    chief.fill("#staff [name=usernames]", "labtech")
    chief.click("#staff button[type=submit]")
    expect(chief.locator("#staff-list")).to_have_text("labtech")
    assert list(Lab.objects.get(code="LAB-W").staff.values_list("username", flat=True)) == [
        "labtech"
    ]
    chief.goto("/lab/rounds/new/")
    chief.fill("#id_name", "西大街第一轮")
    chief.fill("#id_area", street.code)
    chief.fill("#id_reason", "传播链不清，开展区域核查")
    chief.select_option("#id_sites", str(site.pk))
    chief.click("main form button[type=submit]")
    expect(chief).to_have_url(re.compile(r"/lab/rounds/\d+/$"))
    round_url = chief.url
    expect(chief.locator("[data-figure=total-missing]")).to_have_text("3")

    phone = page_for(browser, live_server, "sampler", viewport=PHONE)
    phone.goto("/lab/sampling/")
    testing_round = Round.objects.get(name="西大街第一轮")
    phone.select_option("#setup select[name=round]", str(testing_round.pk))
    phone.select_option("#setup select[name=site]", str(site.pk))
    phone.click("#setup button[type=submit]")
    phone.locator("input[name=barcode]").fill("P-0001")
    phone.locator("input[name=mode][value=pooled]").check()
    phone.click("#open button[type=submit]")
    for who in (zhang, li):
        phone.locator("input[name=person]").fill(who.id_number)
        phone.locator("input[name=person]").press("Enter")
    expect(phone.locator("[data-figure=count]")).to_have_text("2/10")

    results = tmp_path / "results.csv"
    # The lab's time has whole seconds: round up, so it is never before the sampling instant,
    # and let that second pass, so it is not in the future when the upload is checked.
    tested = (timezone.localtime() + dt.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    time.sleep(1.1)
    results.write_text(f"试管编码,检测结果,Ct值,检测时间\nP-0001,阳性,28.5,{tested}\n", "utf-8")
    lab = page_for(browser, live_server, "labtech")
    lab.goto("/lab/results/")
    expect(lab.locator("#id_lab option:checked")).to_have_text("魏都检测")  # its own lab
    lab.set_input_files("input[type=file]", str(results))
    lab.click("form.import-form button[type=submit]")
    expect(lab.locator("main")).to_contain_text("已入库")
    assert TemporaryControl.objects.filter(status="active").count() == 2

    chief.goto("/lab/retests/")
    expect(chief.locator("tr[data-person]")).to_have_count(2)
    assert Retest.objects.filter(status="pending").count() == 2
    chief.goto(round_url)
    expect(chief.locator("[data-figure=total-missing]")).to_have_text("1")
    expect(chief.locator("[data-figure=total-resulted]")).to_have_text("2")
    chief.screenshot(path=str(screenshot_path / "testing-flow.png"), full_page=True)
