"""A new city adopts the platform mid-outbreak through real Chromium: it imports its line list
(people, cases, contacts, people under measures, quarantine sites, rooms, stays, zones and
testing rounds as CSV files), reads the preview with the defaults it states, confirms, then
opens yesterday's daily report and today's: they differ by exactly yesterday's new case
(issue 15)."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for
from tests.command.test_situation_import import _csv, line_list
from tests.command.test_situation_quarantine import KINDS, quarantine_list

from fangkong.core.roles import Role
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.models import Stay
from fangkong.zones.models import Zone

pytestmark = pytest.mark.browser


def _figures(page) -> list[int]:
    """The report's headline figures (confirmed, asymptomatic, transferred, …) in order."""
    cells = page.locator("table.figures tbody tr td:nth-child(2)").all_inner_texts()
    return [int(c.replace(",", "")) for c in cells]


def test_a_new_city_imports_its_line_list_and_reads_its_past_reports(
    browser: Browser, live_server, transactional_db, tmp_path, screenshot_path
):
    city = f.make_city()
    chief = f.user("chief", Role.COMMAND, city.city)
    profile = PolicyProfile.objects.get(code="9th-edition")
    profile_activate(profile=profile, actor=chief, reason="test")
    lines = quarantine_list(city, line_list(city))
    files = {}
    for kind in KINDS:
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(_csv(lines[kind]).getvalue())
        files[kind] = path

    page = page_for(browser, live_server, "chief")
    page.click('a[data-section="situation_import"]')
    for kind, path in files.items():
        page.set_input_files(f"#id_{kind}", str(path))
    page.click("form.import-form button[type=submit]")
    expect(page.locator('[data-outcome="preview"]')).to_be_visible()
    expect(page.locator("table.situation-defaults")).to_contain_text("末次接触日期")
    expect(page.locator("table.situation-flagged")).to_contain_text("独童")
    # the rooms without beds take the site's beds per room, and the preview says so
    expect(page.locator("table.situation-defaults")).to_contain_text("每间床位数")
    for kind, new in (("stays", "5"), ("zones", "2"), ("sites", "2"), ("rooms", "4")):
        row = page.locator(f'table.situation-found tr[data-kind="{kind}"]')
        expect(row.locator('[data-count="new"]')).to_have_text(new)
    page.screenshot(path=str(screenshot_path / "situation-preview.png"), full_page=True)
    page.click('[data-action="confirm"]')
    expect(page.locator('[data-outcome="written"]')).to_be_visible()
    assert Stay.objects.count() == 5 and Zone.objects.count() == 2

    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    page.goto(f"/command/report/?day={yesterday.isoformat()}&hour=8")
    before = _figures(page)
    page.goto(f"/command/report/?day={today.isoformat()}&hour=8")
    after = _figures(page)
    page.screenshot(path=str(screenshot_path / "situation-report-today.png"), full_page=True)
    confirmed, asymptomatic = 0, 1
    assert after[confirmed] - before[confirmed] == 1  # XC-3, registered yesterday at 20:00
    assert after[asymptomatic] == before[asymptomatic] == 1
