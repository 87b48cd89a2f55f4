"""A tracer's flow through a real Chromium: register a case, find contacts from the check-in
log, confirm them, see the chain, and see the contact's red code with its reason."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from tests import factories as f
from tests.browser.conftest import log_in

from fangkong.core.roles import Role
from fangkong.epi.models import CheckIn, Contact
from fangkong.places.models import Level

pytestmark = pytest.mark.browser

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def tracing_data(today: dt.date):
    city = f.make_city()
    unit = city.w[Level.UNIT]
    zhang = f.resident(unit, "张伟", phone="13900000001")
    wang = f.resident(unit, "王芳", sex="F")
    li = f.resident(unit, "李秀英", sex="F")
    shop = f.venue(city.w[Level.COMMUNITY], "V-0001", "胖东来超市")
    day = today - dt.timedelta(days=1)
    CheckIn.objects.bulk_create(
        [
            CheckIn(person=zhang, venue=shop, time_in=at(day, 10), time_out=at(day, 11)),
            CheckIn(person=wang, venue=shop, time_in=at(day, 10, 30), time_out=at(day, 12)),
            CheckIn(person=li, venue=shop, time_in=at(day, 14), time_out=at(day, 15)),
        ]
    )
    tracer = f.user("tracer", Role.TASK_FORCE, city.weidu)
    return tracer, zhang, wang


def test_tracer_registers_a_case_finds_and_confirms_contacts_and_sees_red_code(
    browser_page: Page, settings, screenshot_path
):
    settings.TASKS = IMMEDIATE
    today = timezone.localdate()
    tracer, zhang, wang = tracing_data(today)
    page = browser_page
    log_in(page, tracer.username)

    page.click('a[data-section="cases"]')
    page.click('a[href="/epi/cases/new/"]')
    page.fill("#id_id_number", zhang.id_number)
    page.select_option("#id_kind", "confirmed")
    page.select_option("#id_found_by", "community_screening")
    page.select_option("#id_found_where", "community")
    page.fill("#id_sampled_on", today.isoformat())
    page.fill("#id_reported_on", today.isoformat())
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/epi/cases/\d+/$"))
    expect(page.locator("main h1")).to_contain_text("张伟")

    page.click('a[data-section="finding"]')
    page.select_option('select[name="cases"]', index=0)
    page.click("#finding-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/epi/finding/\d+/$"))
    candidates = page.locator("#candidates tbody tr")
    expect(candidates).to_have_count(1)  # 王芳 overlapped 30 minutes; 李秀英 came later
    expect(candidates.first).to_contain_text("胖东来超市")
    page.click('button[name="action"][value="confirm_all_close"]')
    expect(page.locator(".messages")).to_be_visible()
    assert Contact.objects.filter(person=wang, degree="close").exists()

    page.click('a[data-section="chains"]')
    page.locator("main table a").first.click()
    expect(page).to_have_url(re.compile(r"/epi/chains/\d+/$"))
    expect(page.locator("main canvas").first).to_be_visible()

    page.goto(f"/epi/status/{wang.pk}/")
    expect(page.locator("[data-colour]").first).to_have_attribute("data-colour", "red")
    expect(page.locator("main")).to_contain_text("胖东来超市")
    page.screenshot(path=str(screenshot_path / "tracing-flow.png"), full_page=True)
