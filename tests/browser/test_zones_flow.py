"""A risk zone through real Chromium: the command centre draws a high-risk zone over a building
(six days ago: the clock is injected through the zone's start time), the building's day-5 round is
all negative, the daily evaluation proposes the downgrade, the command centre approves it, and the
public list, which showed the zone, no longer does."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for
from tests.lab.conftest import give_result, make_tube

from fangkong.core.roles import Role
from fangkong.lab.models import Lab, Outcome, RoundStatus
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Level
from fangkong.zones.models import Zone

pytestmark = pytest.mark.browser


def test_draw_zone_five_clean_days_approve_downgrade_public_list(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    building, unit = city.w[Level.BUILDING], city.w[Level.UNIT]
    people = [f.resident(unit, "张伟"), f.resident(unit, "李秀英", sex="F")]
    chief_user = f.user("chief", Role.COMMAND, city.city)
    today = timezone.localdate()
    drawn_on = today - dt.timedelta(days=6)

    chief = page_for(browser, live_server, "chief")
    chief.goto("/zones/draw/")
    chief.select_option("#id_level", "high")
    chief.fill("#id_places", building.code)
    chief.fill("#id_reason", "确诊病例居住楼栋")
    chief.fill("#id_started_at", f"{drawn_on.isoformat()}T09:00")
    chief.click("#draw-form button[type=submit]")
    expect(chief).to_have_url(re.compile(r"/zones/\d+/$"))
    zone = Zone.objects.get()
    assert zone.level == "high" and zone.status == "active"

    public = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    public.goto("/risk-zones/")
    expect(public.locator(f'#risk-zones tr[data-zone="{zone.pk}"]')).to_be_visible()
    expect(public.locator("#risk-zones")).to_contain_text(building.name)
    expect(public.locator("#risk-zones")).not_to_contain_text("张伟")

    # Day 5 of the zone: the building's round, every tube negative.
    day5 = timezone.make_aware(dt.datetime.combine(drawn_on + dt.timedelta(days=5), dt.time(7)))
    lab = Lab.objects.create(
        code="LAB-Z", name="魏都检测", division=city.weidu, division_key="411002"
    )
    rnd = Round.objects.create(
        name="楼栋第5天核酸",
        area=building,
        division_key=building.key,
        pool_size=1,
        reason="风险区解封核酸",
        starts_at=day5,
        deadline=day5 + dt.timedelta(hours=24),
        status=RoundStatus.OPEN,
        created_by=chief_user,
    )
    for i, person in enumerate(people):
        tube = make_tube(f"ZB{i:04d}", [person], round=rnd, collected_at=day5)
        give_result(tube, Outcome.NEGATIVE, lab=lab, tested_at=day5 + dt.timedelta(hours=10))

    chief.goto("/zones/evaluations/")
    chief.fill("#id_day", today.isoformat())
    chief.click('[data-action="evaluate"]')
    approve = chief.locator('[data-action="approve"]')
    expect(approve).to_be_visible()
    chief.screenshot(path=str(screenshot_path / "zones-evaluation.png"), full_page=True)
    approve.click()
    expect(chief.locator(".messages")).to_be_visible()
    zone.refresh_from_db()
    assert zone.status == "lifted"  # high → low under the 20 measures lifts the zone

    public.goto("/risk-zones/")
    expect(public.locator(f'#risk-zones tr[data-zone="{zone.pk}"]')).to_have_count(0)
    public.context.close()
