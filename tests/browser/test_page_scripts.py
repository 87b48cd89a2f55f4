"""Behaviours that were inline scripts before the Content-Security-Policy, now in static files
(fangkong/app.js, command/report.js): they still work, and the page raises no CSP violation
(the harness in conftest.py fails the test if one does)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for
from tests.browser.test_tracing_flow import IMMEDIATE, log_in, tracing_data
from tests.epi.conftest import make_case

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.quarantine.models import Site, SiteKind

pytestmark = pytest.mark.browser


def test_select_all_ticks_every_candidate(browser_page: Page, settings):
    settings.TASKS = IMMEDIATE
    today = timezone.localdate()
    tracer, zhang, _wang = tracing_data(today)
    make_case(zhang, sampled_on=today, reported_on=today)
    page = browser_page
    log_in(page, tracer.username)
    page.goto("/epi/finding/")
    page.select_option('select[name="cases"]', index=0)
    with page.expect_navigation(timeout=30_000):  # a first search compiles the finder
        page.click("#finding-form button[type=submit]", no_wait_after=True)
    expect(page).to_have_url(re.compile(r"/epi/finding/\d+/$"))
    boxes = page.locator("#candidates tbody input[type=checkbox]")
    expect(boxes).to_have_count(1)
    page.check("#candidates thead input[data-select-all]")
    expect(boxes.first).to_be_checked()
    page.uncheck("#candidates thead input[data-select-all]")
    expect(boxes.first).not_to_be_checked()


def test_choosing_a_site_shows_its_floors(browser: Browser, live_server, transactional_db):
    city = f.make_city()
    street = city.w[Level.STREET]
    for code, name in [("QS-1", "魏都隔离酒店"), ("QS-2", "许昌隔离酒店")]:
        Site.objects.create(
            code=code, name=name, kind=SiteKind.HOTEL, division=street, division_key=street.key
        )
    f.user("chief", Role.COMMAND, city.city)
    page = page_for(browser, live_server, "chief")
    page.goto("/quarantine/checks/")
    second = Site.objects.get(code="QS-2")
    page.select_option('#pick select[name="site"]', str(second.pk))
    expect(page).to_have_url(re.compile(rf"[?&]site={second.pk}\b"))


def test_copy_text_puts_the_daily_report_on_the_clipboard(
    browser: Browser, live_server, transactional_db
):
    city = f.make_city()
    f.user("chief", Role.COMMAND, city.city)
    page = page_for(browser, live_server, "chief")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/command/report/")
    page.click("#copy-text")
    expect(page.locator("#copy-text")).to_have_text("已复制")
    assert "许昌市" in page.evaluate("() => navigator.clipboard.readText()")
