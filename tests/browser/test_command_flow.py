"""The command centre's morning through real Chromium: open the dashboard, click a figure down to
the list of rows it counted, open the daily report and download it as a PDF in Chinese."""

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

from fangkong.core.roles import Role
from fangkong.epi.models import CaseKind, ContactStatus
from fangkong.places.models import Level

pytestmark = pytest.mark.browser


def test_dashboard_figure_to_list_and_daily_report_pdf(
    browser: Browser, live_server, transactional_db, screenshot_path
):
    city = f.make_city()
    unit = city.w[Level.UNIT]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    first = make_case(f.resident(unit, "张伟"), reported_on=yesterday, sampled_on=yesterday)
    make_case(
        f.resident(unit, "李秀英", sex="F"),
        kind=CaseKind.ASYMPTOMATIC,
        reported_on=yesterday,
        sampled_on=yesterday,
    )
    for name in ("王芳", "赵强", "刘洋"):
        make_contact(
            first,
            f.resident(unit, name),
            last_exposure_on=yesterday,
            status=ContactStatus.UNDER_CONTROL,
        )
    f.user("chief", Role.COMMAND, city.city)

    chief = page_for(browser, live_server, "chief")
    chief.click('a[data-section="command"]')
    expect(chief.locator("#cases")).to_be_visible()
    chief.screenshot(path=str(screenshot_path / "command-dashboard.png"), full_page=True)
    figure = chief.locator("#contacts a.n").first
    shown = int(figure.inner_text().replace(",", ""))
    assert shown == 3
    figure.click()
    expect(chief.locator("#figure-rows tbody tr")).to_have_count(3)
    expect(chief.locator("#figure-rows")).to_contain_text("王")

    chief.goto("/command/")
    chief.click("#daily-report")
    expect(chief.locator("#report-text")).to_contain_text("许昌市")
    with chief.expect_download() as download:
        chief.click("#report-pdf")
    path = download.value.path()
    assert path is not None and download.value.suggested_filename.endswith(".pdf")
    with open(path, "rb") as pdf:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read())).pages)
    assert "许昌市" in text and re.search(r"\d+", text)
