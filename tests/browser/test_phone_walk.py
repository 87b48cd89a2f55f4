"""Every demo role on a phone (390×844) in Chinese, and the command centre on a desktop.

On the phone each demo role logs in (with its second factor), opens the folded menu and taps
every item in turn; the field roles (the grid worker, the `lab` account that samples and hands
tubes over, the quarantine-site manager, street staff) also open the pages they work in outside:
tubes and custody, a quarantine floor's daily checks. A resident opens their health code, the
risk-zone list and the trip report. Every page must fit the screen (nothing scrolls sideways),
log no console error, and, being zh-Hans, show no English (`ENGLISH_WORD`, names aside) nor a
raw stored code (`RAW_CODES`). On a desktop every menu item keeps the side menu and real tables.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page, expect
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS, log_in

from fangkong.accounts.models import User
from fangkong.core.roles import Role
from fangkong.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from fangkong.demo.services import demo_generate
from fangkong.healthcode.selectors import status_ensure
from fangkong.lab.models import Lab, SamplingSite, Tube, TubeMember, TubeStatus
from fangkong.lab.models import TestingRound as Round
from fangkong.people.models import Resident
from fangkong.policy.services import profiles_install_shipped
from fangkong.quarantine.measures.selectors import sites_for_measures
from fangkong.quarantine.models import Measure, Room, RoomStatus, Stay, StayStatus

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
# One account per role: `outsider` is street staff elsewhere, `admin` sees what `command` sees.
ROLE_ACCOUNTS = [a.username for a in DEMO_ACCOUNTS if a.role and a.username != "outsider"]

# Stored codes that must reach a page only as their label. Each pattern is one kind of code;
# add one when a new kind shows up.
RAW_CODES = [
    re.compile(r"(?<![A-Za-z])[a-z]+(?:_[a-z]+)+"),  # snake_case values: handed_over
    re.compile(r"(?<![A-Za-z])[a-z]+(?:\.[a-z_]+)+"),  # event actions: case.confirm, pii.reveal
]
# An English word (3 letters or more, not a code in capitals, not in an address) on a zh-Hans
# page is interface left untranslated, unless it is a name: of a product or file format, of what
# the FHIR standard calls its resources, or a result word a lab's file may hold (the upload page
# lists them). Pinyin initials (zw) are shorter.
ENGLISH_WORD = re.compile(r"(?<![A-Za-z])(?:[A-Z][a-z]{2,}|[a-z]{3,})(?![A-Za-z])")  # 汉字 are \w
ADDRESS = re.compile(r"https?://\S+")
NAMES = {"Excel", "Parquet", "Bundle", "Observation", "Specimen", "negative", "positive"}

# What a check needs of a page, in one round trip: whether fragments load after it, how wide it
# is, the display of its first list rows, and the text a person reads or hears (text nodes and
# the attributes shown or spoken, leaving out what is meant literally, like file headers in
# <code>, or marked as another language: the language switch says "English" in English).
PAGE_STATE = """() => {
  const skip = "code, kbd, samp, pre, script, style, template, [lang]:not([lang|=zh])";
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest(skip)) out.push(n.data);
  }
  const attrs = ["placeholder", "title", "aria-label", "alt"];
  for (const el of document.body.querySelectorAll(attrs.map((a) => `[${a}]`).join(","))) {
    if (!el.closest(skip)) attrs.forEach((a) => el.hasAttribute(a) && out.push(el.getAttribute(a)));
  }
  const rows = document.querySelectorAll("table.grid:not(.matrix) > tbody > tr");
  return {
    fragments: document.querySelector("[hx-trigger]") !== null,
    width: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
    rows: [...rows].slice(0, 3).map((tr) => getComputedStyle(tr).display),
    text: out.join("\\n"),
  };
}"""


@dataclass
class Walk:
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pages: int = 0

    def watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def check(self, page: Page, who: str) -> dict[str, Any]:
        """Check the page and return its state (PAGE_STATE)."""
        self.pages += 1
        url = urlsplit(page.url)
        where = f"{who} {url.path}{'?' if url.query else ''}{url.query}"
        state = page.evaluate(PAGE_STATE)
        if state["fragments"]:
            page.wait_for_load_state("networkidle")
            state = page.evaluate(PAGE_STATE)
        if self.errors:
            self.problems.append(f"{where}: console errors {self.errors}")
            self.errors.clear()
        if state["width"] > state["viewport"] + 1:
            self.problems.append(
                f"{where}: {state['width']} px wide in a {state['viewport']} px window"
            )
        state["text"] = ADDRESS.sub(" ", state["text"])
        english = sorted(set(ENGLISH_WORD.findall(state["text"])) - NAMES)
        if english:
            self.problems.append(f"{where}: English on a zh-Hans page: {english}")
        codes = sorted({m for pattern in RAW_CODES for m in pattern.findall(state["text"])})
        if codes:
            self.problems.append(f"{where}: raw codes {codes}")
        return state


def field_day() -> dict[str, str]:
    """What the demo city leaves out and the field pages show: tubes in every state of custody
    at a sampling site of the grid worker's street, and people in the rooms of one floor of a
    site the quarantine-site manager runs (those under a measure and one who is not).
    Returns the field pages' addresses."""
    grid = User.objects.get(username="grid")
    street = grid.jurisdiction.parent.parent  # grid → community → street
    lab = Lab.objects.get(staff__username="lab")  # the demo's lab account works there
    site = SamplingSite.objects.create(
        code="SITE-D", name="西大街核酸采样点", division=street, division_key=street.key
    )
    now = timezone.now()
    round_ = Round.objects.create(
        name="魏都区第一轮全员核酸",
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="社区传播风险",
        starts_at=now - dt.timedelta(hours=3),
        deadline=now + dt.timedelta(hours=21),
        status="open",
        created_by=User.objects.get(username="command"),
    )
    people = list(Resident.objects.filter(division_key__startswith=grid.jurisdiction.key)[:12])
    states = [TubeStatus.COLLECTED] * 3 + [TubeStatus.SENT, TubeStatus.RECEIVED]
    for i, state in enumerate(states):
        tube = Tube.objects.create(
            barcode=f"XC2026{i:06d}",
            capacity=10,
            purpose="round",
            round=round_,
            site=site,
            lab=lab if state != TubeStatus.COLLECTED else None,
            status=state,
            collected_at=now - dt.timedelta(hours=2, minutes=i),
            sent_at=now - dt.timedelta(hours=1) if state != TubeStatus.COLLECTED else None,
            received_at=now if state == TubeStatus.RECEIVED else None,
            collected_by=grid,
            division_key=street.key,
        )
        TubeMember.objects.bulk_create(
            TubeMember(
                tube=tube,
                person=p,
                round=round_,
                sampled_at=tube.collected_at,
                division_key=p.division_key,
            )
            for p in people[i * 2 : i * 2 + 2]
        )
    manager = User.objects.get(username="quarantine")
    qsite = sites_for_measures(manager).order_by("pk").first()
    assert qsite is not None
    rooms = Room.objects.filter(site=qsite, status=RoomStatus.AVAILABLE).order_by("floor", "pk")
    first = rooms.first()
    assert first is not None
    floor = list(rooms.filter(building=first.building, floor=first.floor)[:4])
    measured = [
        m
        for m in Measure.objects.filter(status="active").order_by("pk")
        if not Stay.objects.filter(person_id=m.person_id, status__in=["planned", "in"]).exists()
    ][: len(floor) - 1]
    guests = [(m.person_id, m) for m in measured] + [(people[-1].pk, None)]
    for room, (person_id, measure) in zip(floor, guests, strict=False):
        Stay.objects.create(
            person_id=person_id,
            measure=measure,
            room=room,
            site=qsite,
            status=StayStatus.IN,
            checked_in_at=now - dt.timedelta(days=1),
            division_key=qsite.division_key,
        )
        Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    floor_page = (
        f"/quarantine/checks/?site={qsite.pk}&building={first.building}&floor={first.floor}"
    )
    return {"custody": "/lab/custody/?status=", "floor": floor_page}


@pytest.fixture
def demo_city(transactional_db) -> dict[str, str]:
    profiles_install_shipped()
    demo_generate(residents=300, seed=5)
    return field_day()


def _context_page(browser: Browser, live_server, viewport: dict[str, int]) -> Page:
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", viewport=viewport
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _walk_menu_on_a_phone(page: Page, who: str, walk: Walk, *, tap: bool) -> int:
    """Open every item of the folded menu: tapping the menu open and the item (`tap`), or
    going to each item's address (quicker, for the roles that seldom work on a phone)."""
    toggle = page.locator("[data-menu-toggle]")
    menu = page.locator("nav.menu")
    hrefs = menu.locator("a").evaluate_all("els => els.map((a) => a.getAttribute('href'))")
    expect(menu).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu).to_be_visible()
    for i, href in enumerate(hrefs):
        if not tap:
            page.goto(href)
        else:
            if i:
                toggle.click()
            with page.expect_navigation():
                menu.locator(f'a[href="{href}"]').click()  # waits for the menu to show it
        walk.check(page, who)
    return len(hrefs)


def _rows_are_cards(page: Page, state: dict[str, Any], first_label: str) -> None:
    """One card per row, at most half a screen tall, its first value named by its column."""
    # (the lab account sees the two tubes sent to its lab; the others see at least three rows)
    assert len(state["rows"]) >= 2 and set(state["rows"]) == {"block"}, (page.url, state["rows"])
    row = page.locator("table.grid > tbody > tr").first
    expect(row.locator("td").first).to_have_attribute("data-label", first_label)
    box = row.bounding_box()
    assert box and box["width"] <= PHONE["width"] and box["height"] < PHONE["height"] / 2, box


def test_every_role_on_a_phone_fits_the_screen_in_chinese(browser: Browser, live_server, demo_city):
    """Issue 14's photos were the residents list (501 px wide), the key persons (1,300 px a
    row), the ten columns of custody and the quarantine floor form: now one card per row."""
    field_pages = {
        "grid": [
            ("/people/residents/", "姓名"),
            ("/people/key-persons/", "姓名"),
            (demo_city["custody"], ""),  # the tick box's column has no heading
        ],
        "lab": [(demo_city["custody"], "")],
        "quarantine": [(demo_city["floor"], "房间")],
    }
    walk = Walk()
    for username in ROLE_ACCOUNTS:
        page = _context_page(browser, live_server, PHONE)
        walk.watch(page)
        try:
            log_in(page, username, password=DEMO_PASSWORD)
            assert page.evaluate("document.documentElement.lang") == "zh-Hans"
            tap = username in field_pages
            assert _walk_menu_on_a_phone(page, username, walk, tap=tap) >= 3, username
            for path, first_label in field_pages.get(username, []):
                page.goto(path)
                _rows_are_cards(page, walk.check(page, username), first_label)
        finally:
            page.context.close()
    assert walk.pages > 150
    assert not walk.problems, "\n".join(walk.problems)


def test_a_resident_on_a_phone(browser: Browser, live_server, demo_city):
    person = Resident.objects.exclude(phone="").order_by("pk").first()
    assert person is not None
    code = status_ensure(person)
    walk = Walk()
    page = _context_page(browser, live_server, PHONE)
    walk.watch(page)
    try:
        page.goto("/my-code/")
        walk.check(page, "resident")
        page.fill("input[name=id_number]", person.id_number)
        page.fill("input[name=phone]", person.phone)
        page.click("main form button[type=submit]")
        expect(page.locator("[data-colour]").first).to_be_visible()
        walk.check(page, "resident")
        for path in (f"/v/{code.verify_token}/", "/risk-zones/", "/travel/report/"):
            page.goto(path)
            walk.check(page, "resident")
    finally:
        page.context.close()
    assert walk.pages == 5
    assert not walk.problems, "\n".join(walk.problems)


def test_the_desktop_keeps_its_side_menu_and_tables(browser: Browser, live_server, demo_city):
    walk = Walk()
    page = _context_page(browser, live_server, DESKTOP)
    walk.watch(page)
    try:
        log_in(page, "command", password=DEMO_PASSWORD)
        hrefs = page.locator("nav.menu a").evaluate_all(
            "els => els.map((a) => a.getAttribute('href'))"
        )
        for href in [*hrefs, demo_city["custody"], demo_city["floor"]]:
            page.goto(href)
            rows = walk.check(page, "command")["rows"]
            assert set(rows) <= {"table-row"}, (href, rows)
        expect(page.locator("nav.menu")).to_be_visible()
        expect(page.locator("[data-menu-toggle]")).to_be_hidden()
    finally:
        page.context.close()
    assert walk.pages == len(hrefs) + 2 > 30
    assert not walk.problems, "\n".join(walk.problems)


def test_the_folded_menu_opens_without_javascript(browser: Browser, live_server, transactional_db):
    """The toggle is a link to #menu, which :target shows, so a browser without scripts (or
    before app.js has run) still reaches every page."""
    city = f.make_city()
    f.user("tester", Role.LAB, city.city)
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        log_in(page, "tester")
        menu = page.locator("nav.menu")
        expect(menu).to_be_hidden()
        page.click("[data-menu-toggle]")
        expect(page).to_have_url(re.compile(r"#menu$"))
        expect(menu).to_be_visible()
        with page.expect_navigation():
            menu.get_by_role("link", name="检测结果").click()
        expect(page).to_have_url(re.compile(r"/lab/results/$"))
        expect(menu).to_be_hidden()
    finally:
        context.close()
