"""Sampling a pooled tube on a phone-sized screen (390×844) in a real Chromium."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.core.roles import Role
from fangkong.lab.models import Lab, SamplingSite, Tube, TubeFill, TubeMember
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_pooled_tube_on_a_phone(browser: Browser, live_server, transactional_db):
    city = f.make_city()
    unit = city.w[Level.UNIT]
    street = city.w[Level.STREET]
    zhang = f.resident(unit, "张伟")
    li = f.resident(unit, "李秀英", sex="F")
    f.resident(city.j[Level.UNIT], "赵强")
    f.user("sampler", Role.GRID, city.w[Level.GRID])
    boss = f.user("boss", Role.COMMAND, city.city)
    site = SamplingSite.objects.create(
        code="SITE-W", name="西大街采样点", division=street, division_key=street.key
    )
    Lab.objects.create(code="LAB-W", name="魏都检测", division=city.weidu, division_key="411002")
    now = timezone.now()
    r = Round.objects.create(
        name="魏都第一轮",
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="源头不明",
        starts_at=now,
        deadline=now + dt.timedelta(days=1),
        created_by=boss,
    )
    r.sites.add(site)

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "sampler")
        page.goto("/lab/sampling/")
        page.select_option("#setup select[name=round]", str(r.pk))
        page.select_option("#setup select[name=site]", str(site.pk))
        page.click("#setup button[type=submit]")
        barcode = page.locator("input[name=barcode]")
        expect(barcode).to_be_focused()
        barcode.fill("P-0001")
        page.locator("input[name=mode][value=pooled]").check()
        page.click("#open button[type=submit]")
        person = page.locator("input[name=person]")
        expect(person).to_be_focused()
        for who in (zhang, li):
            person = page.locator("input[name=person]")
            person.fill(who.id_number)
            person.press("Enter")
        expect(page.locator("[data-figure=count]")).to_have_text("2/10")
        expect(page.locator("#members li")).to_have_count(2)
        page.locator("input[name=person]").fill(zhang.id_number)
        page.locator("input[name=person]").press("Enter")
        expect(page.locator(".messages li.error")).to_contain_text("P-0001")
        # nothing spills sideways on a phone
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
    finally:
        context.close()
    tube = Tube.objects.get(barcode="P-0001")
    assert tube.capacity == 10 and tube.round_id == r.pk
    assert set(TubeMember.objects.filter(tube=tube).values_list("person__name", flat=True)) == {
        "张伟",
        "李秀英",
    }


def test_an_open_tube_survives_a_lost_session_and_is_completed_on_another_phone(
    browser: Browser, live_server, transactional_db
):
    """A pooled tube half filled on one phone; the session is lost (a new browser, a new
    login): the tube is listed among the sampler's open tubes, continued and filled, and the
    person who fills it seals it."""
    city = f.make_city()
    unit, street = city.w[Level.UNIT], city.w[Level.STREET]
    people = [f.resident(unit, name) for name in ["张伟", "李秀英", "王芳", "刘洋", "陈静"]]
    f.user("sampler", Role.GRID, city.w[Level.GRID])
    boss = f.user("boss", Role.COMMAND, city.city)
    site = SamplingSite.objects.create(
        code="SITE-W", name="西大街采样点", division=street, division_key=street.key
    )
    now = timezone.now()
    r = Round.objects.create(
        name="魏都第二轮",
        area=street,
        division_key=street.key,
        pool_size=5,
        reason="源头不明",
        starts_at=now,
        deadline=now + dt.timedelta(days=1),
        created_by=boss,
    )
    r.sites.add(site)

    def phone():
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
        )
        context.set_default_timeout(TIMEOUT_MS)
        return context, context.new_page()

    def add(page, person):
        page.locator("input[name=person]").fill(person.id_number)
        page.locator("input[name=person]").press("Enter")

    first, page = phone()
    try:
        log_in(page, "sampler")
        page.goto("/lab/sampling/")
        page.select_option("#setup select[name=round]", str(r.pk))
        page.select_option("#setup select[name=site]", str(site.pk))
        page.click("#setup button[type=submit]")
        page.locator("input[name=barcode]").fill("P-0002")
        page.locator("input[name=mode][value=pooled]").check()
        page.click("#open button[type=submit]")
        for person in people[:2]:
            add(page, person)
        expect(page.locator("[data-figure=count]")).to_have_text("2/5")
    finally:
        first.close()  # the phone and its session are gone

    second, page = phone()
    try:
        log_in(page, "sampler")
        page.goto("/lab/sampling/")
        row = page.locator("#open-tubes li[data-barcode='P-0002']")
        expect(row.locator("[data-figure=open-count]")).to_have_text("2/5")
        row.locator("a").click()
        expect(page.locator("#tube")).to_have_attribute("data-barcode", "P-0002")
        expect(page.locator("[data-figure=count]")).to_have_text("2/5")
        expect(page.locator("#members li")).to_have_count(2)
        for person in people[2:4]:
            add(page, person)
        expect(page.locator("[data-figure=count]")).to_have_text("4/5")
        add(page, people[4])
        expect(page.locator(".messages")).to_contain_text("陈静")
        expect(page.locator("#tube")).to_have_count(0)
        expect(page.locator("#open-tubes")).to_have_count(0)
        expect(page.locator("input[name=barcode]")).to_be_focused()  # ready for the next tube
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
    finally:
        second.close()
    tube = Tube.objects.get(barcode="P-0002")
    assert tube.fill == TubeFill.SEALED and tube.members.count() == 5


def test_a_tube_entered_after_the_fact_on_a_phone(browser: Browser, live_server, transactional_db):
    """The sampler types when the tube was taken: a time before the round started is refused
    naming the field; an earlier time of the round dates the tube and is offered for the
    people added to it; nothing spills sideways at 390 px."""
    city = f.make_city()
    unit, street = city.w[Level.UNIT], city.w[Level.STREET]
    zhang = f.resident(unit, "张伟")
    f.user("sampler", Role.GRID, city.w[Level.GRID])
    boss = f.user("boss", Role.COMMAND, city.city)
    site = SamplingSite.objects.create(
        code="SITE-W", name="西大街采样点", division=street, division_key=street.key
    )
    started = timezone.localtime().replace(second=0, microsecond=0) - dt.timedelta(hours=3)
    r = Round.objects.create(
        name="魏都补录轮",
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="源头不明",
        starts_at=started,
        deadline=started + dt.timedelta(days=1),
        created_by=boss,
    )
    r.sites.add(site)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    taken = started + dt.timedelta(hours=1)
    try:
        log_in(page, "sampler")
        page.goto("/lab/sampling/")
        page.select_option("#setup select[name=round]", str(r.pk))
        page.select_option("#setup select[name=site]", str(site.pk))
        page.click("#setup button[type=submit]")
        page.locator("input[name=barcode]").fill("P-0100")
        before = (started - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
        page.locator("input[name=collected_at]").fill(before)
        page.click("#open button[type=submit]")
        expect(page.locator(".messages li.error")).to_contain_text("采样时间：")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        page.locator("input[name=barcode]").fill("P-0100")
        page.locator("input[name=collected_at]").fill(taken.strftime("%Y-%m-%dT%H:%M"))
        page.click("#open button[type=submit]")
        expect(page.locator("#tube")).to_have_attribute("data-barcode", "P-0100")
        offered = page.locator("#add input[name=sampled_at]")
        expect(offered).to_have_value(taken.strftime("%Y-%m-%dT%H:%M"))
        page.locator("input[name=person]").fill(zhang.id_number)
        page.locator("input[name=person]").press("Enter")
        expect(page.locator("[data-figure=count]")).to_have_text("1/10")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
    finally:
        context.close()
    tube = Tube.objects.get(barcode="P-0100")
    assert tube.collected_at == taken
    assert TubeMember.objects.get(tube=tube).sampled_at == taken
