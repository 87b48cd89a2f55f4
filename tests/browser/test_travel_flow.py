"""A trip into the city through real Chromium: a traveller reports a trip from a high-risk area on
the public form (no login, on a phone), checkpoint staff find it by its code and record the
arrival with a tube (the trip is handed over at once), the destination community sees the
hand-over with the 20 measures' obligations and acknowledges it, and once a scheduled test day
has passed without a sample (the quarantine daily job, run as of that later day) the traveller
is on the community's not-complied list."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.quarantine.sites_factory import use_profile

from fangkong.core.roles import Role
from fangkong.lab.models import Purpose, SamplingSite, Tube
from fangkong.people.idnumber import make_id_number
from fangkong.places.models import Level
from fangkong.quarantine.measures.daily import quarantine_daily
from fangkong.quarantine.models import DueTestStatus, ScheduledTest
from fangkong.travel.models import ArrivalTest, Handover, Trip, TripStatus

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DAY = dt.timedelta(days=1)


def signed_in(browser: Browser, live_server, username: str, path: str, viewport=None) -> Page:
    """A fresh browser of `username`, logged in on the login page and sent on to `path`."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=viewport or {"width": 1280, "height": 800},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, username, next_path=path)
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
    return page


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_report_arrive_hand_over_acknowledge_not_complied(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    use_profile("20-measures")  # left a high-risk area: 7 days at home, tests on days 1, 3, 5, 7
    cache.clear()  # the public form's per-address throttle lives in the cache
    city = f.make_city()
    street, community = city.w[Level.STREET], city.w[Level.COMMUNITY]
    f.user("checker", Role.TASK_FORCE, city.weidu)
    keeper = f.user("shequ", Role.STREET, community)  # the destination community's staff
    site = SamplingSite.objects.create(
        code="SITE-EAST", name="许昌东站采样点", division=street, division_key=street.key
    )
    id_number = make_id_number("410102", dt.date(1990, 3, 8), 377, "F")  # new to the registry
    now = timezone.localtime()
    today = now.date()
    left = today - DAY  # quarantine and tests count from the day after leaving: today
    test_days = [today + DAY * n for n in (0, 2, 4, 6)]
    obligation_lines = [
        f"离开高风险区人员，自 {left.isoformat()} 起算。",
        f"{today.isoformat()} 至 {(today + 6 * DAY).isoformat()} 居家隔离。",
        f"于 {'、'.join(d.isoformat() for d in test_days)} 进行核酸检测。",
    ]

    # 1. The traveller reports the trip on a phone, without logging in.
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE
    )
    context.set_default_timeout(TIMEOUT_MS)
    public = context.new_page()
    public.goto("/travel/report/")
    expect(public.locator("h1")).to_have_text("来（返）本市报备")
    public.select_option("#street", street.key)
    public.click("#choose-destination button[type=submit]")
    expect(public.locator(f'#id_destination option[value="{community.key}"]')).to_have_count(1)
    public.fill("#id_name", "陈静")
    public.fill("#id_id_number", id_number)
    public.fill("#id_phone", "13800000001")
    public.select_option("#id_origin_kind", "high_risk_area")
    public.fill("#id_origin", "郑州市金水区")
    public.fill("#id_departed_on", left.isoformat())
    public.fill("#id_arriving_at", now.strftime("%Y-%m-%dT%H:%M"))
    public.select_option("#id_transport", "train")
    public.fill("#id_transport_number", "g1234")
    public.select_option("#id_destination", community.key)
    public.fill("#id_address", "幸福小区 1号楼 1单元 101")
    fits_the_phone(public)
    public.click("#trip-form button[type=submit]")
    expect(public).to_have_url(re.compile(r"/travel/report/done/$"))
    expect(public.locator("h1")).to_have_text("已报备")
    code = public.locator("#trip-code").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{8}", code), code
    done = public.locator(".report")
    expect(done).to_contain_text("陈*")
    expect(done).not_to_contain_text("陈静")  # the page shows only the initial
    # the destination down to the unit its address names (in a grid: the grid worker's)
    expect(done).to_contain_text(f"{street.name} {community.name}")
    expect(done).to_contain_text("幸福小区 1号楼 1单元")
    for line in obligation_lines:
        expect(public.locator("#obligations")).to_contain_text(line)
    fits_the_phone(public)
    public.screenshot(path=str(screenshot_path / "travel-report-done.png"), full_page=True)
    context.close()
    trip = Trip.objects.get(code=code)
    assert trip.status == TripStatus.REPORTED and trip.person is None
    assert trip.reported_by == "self" and trip.transport_number == "G1234"

    # 2. Checkpoint staff find the trip by its code (typed in lower case) and record the arrival
    # and the arrival tube at their sampling site.
    gate = signed_in(browser, live_server, "checker", "/travel/checkpoint/", viewport=PHONE)
    gate.fill("#id_q", code.lower())
    gate.click("#find button[type=submit]")
    card = gate.locator(f'#trip[data-trip="{code}"]')
    expect(card).to_be_visible()
    expect(card).to_contain_text("陈静")
    expect(card).to_contain_text("国内高风险区")
    expect(card).to_contain_text("已报告")
    expect(card).to_contain_text("居家隔离")  # what the traveller must do, before recording
    gate.fill("#id_checkpoint", "许昌东站")
    gate.select_option("#id_site", str(site.pk))
    gate.fill("#id_barcode", "ARR-0001")
    fits_the_phone(gate)
    gate.click("#trip button[type=submit]")
    expect(gate).to_have_url(re.compile(r"/travel/checkpoint/$"))
    expect(gate.locator(".messages")).to_contain_text("已登记陈静抵达。")
    last = gate.locator("#last")
    expect(last).to_contain_text(code)
    expect(last).to_contain_text("已交接")
    expect(last).to_contain_text(obligation_lines[1])
    trip.refresh_from_db()
    assert trip.status == TripStatus.HANDED_OVER and trip.person is not None
    assert trip.person.id_number == id_number  # registered at the destination on arrival
    tube = Tube.objects.get(barcode="ARR-0001")
    assert tube.purpose == Purpose.ARRIVAL and tube.site_id == site.pk
    assert list(tube.members.values_list("person_id", flat=True)) == [trip.person_id]
    assert ArrivalTest.objects.get(trip=trip).tube_id == tube.pk

    # The trip's page: the arrival test with its tube; today's scheduled test is the arrival one.
    gate.click("#last a")
    expect(gate).to_have_url(re.compile(rf"/travel/{trip.pk}/$"))
    expect(gate.locator("#arrival-test")).to_contain_text("许昌东站")
    expect(gate.locator("#arrival-test")).to_contain_text("许昌东站采样点")
    expect(gate.locator("#arrival-test")).to_contain_text("ARR-0001")
    scheduled = gate.locator("#scheduled tbody tr")
    expect(scheduled).to_have_count(4)
    expect(scheduled.first).to_contain_text(today.isoformat())
    expect(scheduled.first).to_contain_text("已采样")
    gate.context.close()

    # 3. The destination community sees the hand-over with its obligations and acknowledges it.
    handover = Handover.objects.get(trip=trip)
    desk = signed_in(browser, live_server, "shequ", "/travel/handovers/")
    row = desk.locator(f'#handovers tr[data-handover="{handover.pk}"]')
    expect(row).to_contain_text("陈静")
    expect(row).to_contain_text("郑州市金水区")
    expect(row).to_contain_text("幸福小区 1号楼 1单元 101")
    for line in obligation_lines:
        expect(row).to_contain_text(line)
    expect(row.locator(".badge.ok")).to_have_count(0)
    expect(desk.locator("#not-complied tbody tr[data-person]")).to_have_count(0)
    expect(desk.locator("#not-complied")).to_contain_text(
        "交接给您的人员均已完成截至目前的应检项目。"
    )
    row.get_by_role("button", name="确认接收").click()
    expect(desk.locator(".messages")).to_contain_text("已确认接收陈静。")
    row = desk.locator(f'#handovers tr[data-handover="{handover.pk}"]')
    expect(row.locator(".badge.ok")).to_have_text(re.compile(rf"^{today.isoformat()} \d\d:\d\d$"))
    expect(row.get_by_role("button")).to_have_count(0)
    handover.refresh_from_db()
    assert handover.acknowledged_by_id == keeper.pk and handover.acknowledged_at is not None

    # 4. Day 3's test (two days from now) passes without a sample: the daily job, run as of the
    # day after it, marks it missed, and the traveller is on the not-complied list.
    missed_on = test_days[1]
    quarantine_daily(missed_on + DAY)
    missed = ScheduledTest.objects.get(person=trip.person, due_on=missed_on)
    assert missed.status == DueTestStatus.MISSED
    desk.reload()
    late = desk.locator(f'#not-complied tr[data-person="{trip.person_id}"]')
    expect(late).to_have_count(1)
    expect(late).to_contain_text("陈静")
    expect(late).to_contain_text(code)
    expect(late).to_contain_text(community.name)
    expect(late).to_contain_text(missed_on.isoformat())
    expect(late.locator(".badge")).to_have_text("漏检")
    desk.screenshot(path=str(screenshot_path / "travel-handovers.png"), full_page=True)
    late.get_by_role("link", name=code).click()
    expect(desk).to_have_url(re.compile(rf"/travel/{trip.pk}/$"))
    acknowledged = timezone.localtime(handover.acknowledged_at).strftime("%Y-%m-%d %H:%M")
    expect(desk.locator("#handover")).to_contain_text(acknowledged)
    expect(desk.get_by_role("button", name="确认接收")).to_have_count(0)
    desk.context.close()
