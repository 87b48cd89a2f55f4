"""Quarantine through real Chromium: the command centre allocates today's close contacts to rooms,
the site manager checks them in and records a floor's health checks (a fever raises an alert),
a contact who tests positive is transferred in a closed loop (the room awaits disinfection), and a
person at the end of their schedule with every test negative is released and their certificate
(PDF) opens."""

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect
from pypdf import PdfReader
from tests import factories as f
from tests.browser.test_testing_flow import page_for
from tests.epi.conftest import make_case, make_contact
from tests.quarantine.sites_factory import make_rooms, make_site, use_profile

from fangkong.core.roles import Role
from fangkong.places.models import Level
from fangkong.quarantine.measures.services import measure_start
from fangkong.quarantine.models import (
    DueTestStatus,
    HealthAlert,
    Room,
    RoomStatus,
    Stay,
    StayStatus,
    Transfer,
)

pytestmark = pytest.mark.browser


def test_allocate_check_transfer_release_certificate(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    use_profile("9th-edition")  # close contacts 7 + 3; left a high-risk area: 7 days centralised
    city = f.make_city()
    unit = city.w[Level.UNIT]
    today = timezone.localdate()
    zhang = f.resident(unit, "张伟")
    li = f.resident(unit, "李秀英", sex="F")
    wang = f.resident(unit, "王芳", sex="F")
    case = make_case(f.resident(unit, "赵强"), reported_on=today - dt.timedelta(days=1))
    for person in (zhang, li):
        make_contact(case, person, last_exposure_on=today - dt.timedelta(days=1))
    chief_user = f.user("chief", Role.COMMAND, city.city)
    manager = f.user("sitemgr", Role.QUARANTINE, city.weidu)
    site = make_site(city.w[Level.STREET], "QS-1", staff=[manager], name="魏都隔离酒店")
    make_rooms(site, building="A", floors=(2, 3), per_floor=4)

    # 王芳 left a high-risk area 7 days ago: today is her last day in room A-301, tests negative.
    left = today - dt.timedelta(days=7)
    measure = measure_start(
        actor=chief_user,
        person=wang,
        category="high_risk_area_leaver",
        anchor_on=left,
        today=left + dt.timedelta(days=1),
    )
    measure.tests.update(status=DueTestStatus.NEGATIVE, sampled_at=timezone.now())
    room_301 = Room.objects.get(site=site, number="301")
    Stay.objects.create(
        person=wang,
        measure=measure,
        room=room_301,
        site=site,
        status=StayStatus.IN,
        checked_in_at=timezone.now() - dt.timedelta(days=7),
        division_key=site.division_key,
    )
    Room.objects.filter(pk=room_301.pk).update(status=RoomStatus.OCCUPIED)

    # 1. The command centre allocates the two close contacts waiting for a room.
    chief = page_for(browser, live_server, "chief")
    chief.goto("/quarantine/allocate/")
    chief.select_option("#id_category", "close_contact")
    chief.click("#allocate button[type=submit]")
    expect(chief).to_have_url(re.compile(r"/quarantine/allocations/\d+/$"))
    expect(chief.locator('[data-figure="placed"]')).to_have_text("2")
    chief.click("#confirm button")
    expect(chief.locator(".messages")).to_be_visible()
    assert Stay.objects.filter(status=StayStatus.PLANNED).count() == 2

    # 2. The site manager checks them in and records the floor's health checks.
    mgr = page_for(browser, live_server, "sitemgr")
    mgr.goto(f"/quarantine/sites/{site.pk}/stays/")
    for box in mgr.locator('#stays input[name="stays"]').all():
        box.check()
    mgr.click("#stays button[type=submit]")
    expect(mgr.locator('#stays input[name="stays"]')).to_have_count(0)
    floor = Stay.objects.get(person=zhang).room.floor
    assert Stay.objects.get(person=li).room.floor == floor  # nearest rooms first: one floor
    mgr.goto(f"/quarantine/checks/?site={site.pk}&building=A&floor={floor}")
    rows = mgr.locator("#floor tr[data-row]")
    expect(rows).to_have_count(2)
    for i in range(2):
        row = rows.nth(i)
        fever = "李" in row.inner_text()
        row.locator('input[name^="t-"]').fill("38.4" if fever else "36.5")
    mgr.screenshot(path=str(screenshot_path / "quarantine-floor-checks.png"), full_page=True)
    mgr.click("#floor button[type=submit]")
    expect(mgr.locator("#floor tr.differs")).to_have_count(1)  # the fever, flagged
    assert HealthAlert.objects.filter(person=li).count() == 1
    assert not HealthAlert.objects.filter(person=zhang).exists()

    # 3. 张伟 tests positive: the command centre transfers him in a closed loop.
    make_case(zhang, reported_on=today)
    chief.goto("/quarantine/transfers/")
    chief.click(f'tr[data-measure="{Stay.objects.get(person=zhang).measure_id}"] a.button')
    chief.select_option("#id_destination_kind", "designated_hospital")
    chief.fill("#id_destination", "许昌市中心医院")
    chief.fill("#id_vehicle", "豫K·12345")
    chief.click("form.form-grid button[type=submit]")
    chief.goto("/quarantine/transfers/")
    chief.click("button.depart")
    chief.fill('input[name="received_by"]', "李医生")
    chief.click("button.hand-over")
    transfer = Transfer.objects.get(person=zhang)
    assert transfer.status == "handed_over"
    stay = Stay.objects.get(person=zhang)
    assert stay.status == StayStatus.TRANSFERRED
    assert Room.objects.get(pk=stay.room_id).status == RoomStatus.CLEANING

    # 4. 王芳's schedule ends today, every test negative: released, certificate opens.
    mgr.goto(f"/quarantine/measures/{measure.pk}/")
    mgr.click("#release")
    link = mgr.locator("#certificate")
    expect(link).to_be_visible()
    pdf = mgr.request.get(link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert "王芳" in text and "解除" in text
    assert Room.objects.get(pk=room_301.pk).status == RoomStatus.CLEANING
