"""A date picker pre-filled by the server is submitted as it is, on a zh-Hans page (it once held
2026/12/07, which Chromium shows as an empty field and refuses to submit), and the evaluations
list filtered as 全部 shows every decision."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.zones import services
from fangkong.zones.models import ZoneEvaluation

pytestmark = pytest.mark.browser


def test_evaluate_now_with_the_prefilled_day_then_list_all_decisions(
    browser: Browser, live_server, transactional_db
):
    city = f.make_city()
    chief = f.user("chief", Role.COMMAND, city.city)
    services.zone_draw(
        actor=chief,
        level="high",
        divisions=[city.w[Level.BUILDING]],
        reason="确诊病例居住楼栋",
        started_at=timezone.now(),
    )
    page = page_for(browser, live_server, "chief")
    page.goto("/zones/evaluations/")
    day = page.locator("#id_day")
    expect(day).to_have_value(timezone.localdate().isoformat())
    page.click('[data-action="evaluate"]')
    expect(page.locator(".messages")).to_contain_text(timezone.localdate().isoformat())
    evaluation = ZoneEvaluation.objects.get()
    assert evaluation.day == timezone.localdate()

    page.select_option("select[name=verdict]", "")
    page.locator("form.toolbar button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"verdict=$"))
    expect(page.locator(f'tr[data-evaluation="{evaluation.pk}"]')).to_be_visible()
    page.context.close()
