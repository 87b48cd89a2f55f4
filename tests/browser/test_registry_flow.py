"""A street officer's day in the registry, through a real Chromium: log in, switch to English,
find a resident by pinyin initials, open the record, see them on the key-person ledger."""

import re

import pytest
from playwright.sync_api import Page, expect
from tests import factories as f
from tests.browser.conftest import log_in

from fangkong.core.roles import Role
from fangkong.people.idnumber import mask_id_number
from fangkong.places.models import Level

pytestmark = pytest.mark.browser


def registry_data():
    city = f.make_city()
    unit = city.w[Level.UNIT]
    zhang = f.resident(unit, "张伟", phone="13900000001")
    f.resident(unit, "王芳", sex="F")
    f.resident(unit, "李秀英", sex="F")
    f.key_person(zhang, "elderly_alone")
    f.resident(city.j[Level.UNIT], "赵伟")  # initials zw too, but outside the officer's district
    officer = f.user("street_weidu", Role.STREET, city.weidu)
    return officer, zhang


def test_street_officer_finds_resident_by_initials_and_sees_key_person_ledger(
    browser_page: Page, screenshot_path
):
    officer, zhang = registry_data()
    page = browser_page

    log_in(page, officer.username)
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator("header .who")).to_contain_text(officer.username)

    page.click('button[data-lang="en"]')
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator('button[data-lang="zh-hans"]')).to_be_visible()

    page.click('a[data-section="residents"]')
    expect(page).to_have_url(re.compile(r"/people/residents/$"))
    page.fill('input[name="q"]', "zw")
    page.press('input[name="q"]', "Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=zw"))
    results = page.locator("main table a[href^='/people/residents/']")
    expect(results).to_have_count(1)  # 赵伟 is in another district; 王芳, 李秀英 do not match
    expect(results).to_have_text("张伟")

    results.click()
    expect(page).to_have_url(re.compile(rf"/people/residents/{zhang.pk}/$"))
    expect(page.locator("h1")).to_contain_text("张伟")
    expect(page.locator("#pii-id_number")).to_have_text(mask_id_number(zhang.id_number))
    assert zhang.id_number not in page.content()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the choice sticks

    page.click('a[data-section="key_persons"]')
    expect(page).to_have_url(re.compile(r"/people/key-persons/"))
    ledger = page.locator("main table tbody")
    expect(ledger.get_by_role("link", name="张伟")).to_have_attribute(
        "href", f"/people/residents/{zhang.pk}/"
    )
    expect(ledger.locator("tr")).to_have_count(1)

    page.screenshot(path=screenshot_path / "registry-flow.png", full_page=True)
