"""The generated policy form through real Chromium: the city's command centre copies the version
in force, changes one value (close contacts' centralised days) and the rows of a list (a phase
added to one category, a health-code rule removed), sees a wrong value marked at its field,
fixes it and saves; on a 390 px phone the same form fits the screen."""

import re

import pytest
from playwright.sync_api import Browser, expect
from tests import factories as f
from tests.browser.test_testing_flow import page_for

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.policy.services import profiles_install_shipped

pytestmark = pytest.mark.browser

CLOSE = "#f-rules-categories-close_contact-phases-0-days"
POST_PHASES = "#f-rules-categories-risk_post_leaver-phases"


def test_edit_a_value_and_rows_of_a_draft_in_the_generated_form(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    profiles_install_shipped()
    city = f.make_city()
    f.user("chief", Role.COMMAND, city.city)
    assert city.city.level == Level.CITY
    twenty = PolicyProfile.objects.get(code="20-measures")

    chief = page_for(browser, live_server, "chief")
    chief.goto(f"/policy/{twenty.pk}/")
    expect(chief.locator(CLOSE)).to_be_disabled()  # fixed: activated versions are read only
    chief.click('[data-action="copy"]')
    expect(chief).to_have_url(re.compile(r"/policy/\d+/$"))
    draft = PolicyProfile.objects.get(code="20-measures", version=2)

    # One value, one added row (a phase after the first), one removed row.
    chief.fill(CLOSE, "七")
    phases = chief.locator(POST_PHASES)
    phases.locator("[data-row-add]").click()
    new_row = phases.locator("[data-row]").nth(1)
    expect(new_row.locator("select")).to_be_focused()
    new_row.locator("select").select_option("home_monitoring")
    new_row.locator('input[name$=".days"]').fill("2")
    new_row.locator('input[name$=".test_days"]').fill("1, 2")
    rules = chief.locator("#f-rules-health_code")
    expect(rules.locator("[data-row]")).to_have_count(8)
    rules.locator("[data-row]").nth(7).locator("[data-row-remove]").click()
    expect(rules.locator("[data-row]")).to_have_count(7)

    chief.click('[data-action="save"]')
    expect(chief.locator("#problems")).to_be_visible()
    expect(chief.locator(f"{CLOSE} ~ .errorlist")).to_contain_text("请输入整数")
    expect(chief.locator(CLOSE)).to_have_value("七")  # as typed, to fix
    expect(chief.locator(POST_PHASES).locator("[data-row]")).to_have_count(2)  # kept
    draft.refresh_from_db()
    assert draft.rules == twenty.rules  # nothing saved
    chief.screenshot(path=str(screenshot_path / "policy-form-problem.png"), full_page=True)

    chief.fill(CLOSE, "7")
    chief.click('[data-action="save"]')
    expect(chief.locator(".messages")).to_contain_text("草稿已保存")
    draft.refresh_from_db()
    saved = Rules.model_validate(draft.rules)
    assert saved.measure("close_contact").phases[0].days == 7
    assert [(p.kind, p.days, p.test_days) for p in saved.measure("risk_post_leaver").phases] == [
        ("home_monitoring", 5, (1, 3, 5)),
        ("home_monitoring", 2, (1, 2)),
    ]
    assert len(saved.health_code) == 7

    chief.click('[data-action="compare"]')
    expect(
        chief.locator('#fields tr[data-path="categories.close_contact.phases.0.days"]')
    ).to_contain_text("密切接触者")
    chief.screenshot(path=str(screenshot_path / "policy-compare.png"), full_page=True)
    chief.goto("/policy/")
    expect(chief.locator('#versions tr[data-version="2"][data-status="draft"]')).to_be_visible()
    chief.screenshot(path=str(screenshot_path / "policy-list.png"), full_page=True)
    chief.context.close()

    phone = page_for(browser, live_server, "chief", viewport={"width": 390, "height": 844})
    phone.goto(f"/policy/{draft.pk}/")
    expect(phone.locator(CLOSE)).to_have_value("7")
    widths = phone.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('#policy-form').getBoundingClientRect().right]"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[1], widths
    box = phone.locator(CLOSE).bounding_box()
    assert box is not None and box["width"] > 200  # one field a line, full width
    phone.screenshot(path=str(screenshot_path / "policy-form-phone.png"), full_page=False)
