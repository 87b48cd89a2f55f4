"""Seeing an identifier in full through a real Chromium: the page asks for a reason first, and
the reason is in the person's history; across districts, a contact goes as a request that the
person's own district confirms."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from tests import factories as f
from tests.browser.conftest import log_in

from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.epi.models import Case, CaseKind, Contact, FoundBy, FoundWhere
from fangkong.places.models import Level

pytestmark = pytest.mark.browser


def test_a_reveal_needs_a_reason_and_lands_in_the_history(browser_page: Page, screenshot_path):
    city = f.make_city()
    zhang = f.resident(city.w[Level.UNIT], "张伟", phone="13900000001")
    officer = f.user("grid_weidu", Role.GRID, city.w[Level.GRID])
    page = browser_page
    log_in(page, officer.username)
    page.goto(f"/people/residents/{zhang.pk}/")
    expect(page.locator("#pii-phone")).to_have_text("139****0001")

    form = page.locator('form[data-reveal="phone"]')
    form.locator("button").click()  # no reason: the browser does not send it
    expect(page.locator("#pii-phone")).to_have_text("139****0001")
    assert not Event.objects.filter(action="pii.revealed").exists()

    form.locator('input[name="reason"]').fill("上门送药前电话联系")
    form.locator("button").click()
    expect(page.locator('[data-revealed="phone"]')).to_have_text("13900000001")
    expect(form).to_have_count(0)  # the form goes once the number is shown
    page.screenshot(path=screenshot_path / "reveal-with-reason.png")
    event = Event.objects.get(action="pii.revealed")
    assert event.reason == "上门送药前电话联系"
    page.reload()
    expect(page.locator("table.events")).to_contain_text("上门送药前电话联系")


def test_a_contact_in_another_district_is_confirmed_there(browser_page: Page, screenshot_path):
    city = f.make_city()
    zhang = f.resident(city.w[Level.UNIT], "张伟")
    zhao = f.resident(city.j[Level.UNIT], "赵强")
    today = timezone.localdate()
    case = Case.objects.create(
        number="4110-2022-0001",
        person=zhang,
        kind=CaseKind.CONFIRMED,
        found_by=FoundBy.FEVER_CLINIC,
        found_where=FoundWhere.COMMUNITY,
        sampled_on=today,
        reported_on=today,
        division_key=zhang.division_key,
    )
    f.user("grid_weidu", Role.GRID, city.w[Level.GRID])
    f.user("street_jianan", Role.STREET, city.jianan)
    page = browser_page

    log_in(page, "grid_weidu")
    page.goto(f"/epi/cases/{case.pk}/")
    page.fill('textarea[name="lines"]', f"{zhao.id_number}\t赵某\t\t共餐\t\t{today} 00:00\t密接")
    page.locator('form[action$="/contacts/grid/"] button[type="submit"]').click()
    expect(page.locator(".messages")).to_contain_text("协查确认")
    assert "赵强" not in page.content()
    assert not Contact.objects.exists()

    page.context.clear_cookies()
    log_in(page, "street_jianan")
    page.goto("/epi/contact-requests/")
    row = page.locator("#requests-to-decide tbody tr").first
    expect(row).to_contain_text("赵强")
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/epi/contact-requests/\d+/$"))
    page.screenshot(path=screenshot_path / "contact-request-detail.png")
    page.fill('input[name="reason"]', "核实同桌就餐")
    page.click('button[value="confirm"]')
    expect(page.locator(".messages")).to_be_visible()
    page.screenshot(path=screenshot_path / "contact-request-confirmed.png")
    contact = Contact.objects.get()
    assert contact.person == zhao and contact.case == case
