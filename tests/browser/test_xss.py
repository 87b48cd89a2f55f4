"""Stored XSS through real Chromium: markup in every name field a page shows, and nothing runs.

The demo city (as of today, so its risk zone is public) gets extra rows for the pages the demo
leaves empty, then every free-text column of every Fangkong model is rewritten to carry a markup
payload (place, resident, venue, site, room, zone, lab, round, case-destination, user names…).
A command-centre user (city-wide: every page) and an anonymous visitor then open every page they
reach by following links, one per view; on each, every chart point's tooltip is shown, a pointer
crosses every chart and every map shape is hovered. After each page and after the hovering the
test asserts that no payload ran (`window.__xss`, no dialog) and that no element the payloads
would create exists in the DOM.
"""

import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import models
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import Browser, Page
from playwright.sync_api import Error as PlaywrightError
from tests import factories as f
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_testing_flow import page_for

from fangkong.core.roles import Role
from fangkong.demo.services import demo_generate
from fangkong.lab.models import Lab, SamplingSite
from fangkong.lab.models import TestingRound as Round
from fangkong.places.models import Division, Level
from fangkong.policy.services import profiles_install_shipped
from fangkong.quarantine.models import Measure, Room, RoomStatus, Stay, StayStatus

pytestmark = pytest.mark.browser

# Each sets window.__xss or opens a dialog if it ever runs; each breaks out of a different context
# (element content, a double- or single-quoted attribute, a <script> block). Fields shorter than
# the long ones get SHORT, the shortest markup that still runs.
PAYLOADS = [
    "工农社区<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=1</script>",
    '"><svg onload=window.__xss=1>',
    "'><img src=x onerror=alert(1)>",
]
SHORT = "<svg/onload=__xss=1>"

# Free-text columns that are not text a person typed: codes, keys, secrets, identifiers the code
# parses. Every other CharField/TextField of a Fangkong model (without choices, not unique) gets
# a payload, so a name column added later is covered without touching this test.
NOT_TEXT = {
    "accounts.User": {"password", "email", "phone"},
    "accounts.ApiToken": {"lookup"},
    "people.Resident": {"name_initials", "name_pinyin", "phone"},
    "audit.Event": {"action", "object_type", "object_id", "field"},
    "policy.PolicyProfile": {"code"},
    "healthcode.CodeStatus": {"rule", "profile_code"},
    "healthcode.Appeal": {"rule_appealed", "contact_phone"},
    "lab.TestingRound": {"profile_code"},
    "lab.ResultUpload": {"sha256", "format"},
    "lab.Lab": {"area_key"},
    "quarantine.Measure": {"profile_code", "source", "certificate_number"},
    "quarantine.Site": {"phone"},
    "travel.Trip": {"id_number", "phone", "category"},
    "travel.ArrivalTest": {"barcode"},
    "zones.Zone": {"level", "profile_code"},
    "zones.ZoneChange": {"from_level", "to_level"},
    "zones.ZoneEvaluation": {"level", "proposed_level", "profile_code"},
    "tally.Tally": {"parent", "area", "subject", "figure"},
    "supplies.Enterprise": {"phone"},
    "supplies.Vehicle": {"area_key"},
    "supplies.Courier": {"area_key"},
    "supplies.SigningKey": {"kid"},
    "supplies.SupplyPass": {"code"},  # the signed pass itself: a forged one fails its check
    "supplies.Necessity": {"group"},  # the key of the profile's price thresholds
    "supplies.ReceivingPoint": {"phone"},
    "supplies.Order": {
        "key_categories",
        "contact_phone",
        "confirmation_code",
        "profile_code",
        "proof",
    },
    "supplies.DeliveryPhoto": {"content_type", "sha256"},
    "assistance.Document": {"content_type", "sha256"},
    "assistance.Payment": {"period"},  # the month paid for, YYYY-MM
    "care.Facility": {"phone"},
    "care.CareRequest": {"contact_phone", "facility_match", "state_basis"},
    "care.StandingNeed": {"weekdays"},  # days of the week as digits, Monday 0
    "care.DirectLine": {"phone"},  # dialled: a tel: link
}
ALWAYS_CODES = {"division_key", "profile_code"}

# The DOM a payload would leave behind had it been parsed as markup.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    const handlers = [...el.attributes].filter((a) => a.name.startsWith("on"));
    if (handlers.length) found.push(el.outerHTML.slice(0, 120));
    if (el.tagName === "IMG" && el.getAttribute("src") === "x") found.push(el.outerHTML);
    const data = el.type === "application/json";  // json_script: data, never run
    if (el.tagName === "SCRIPT" && !data && el.textContent.includes("__xss")) found.push(el.text);
  }
  return found;
}"""

# Waits until every image on the page has loaded or failed and the handlers of those events
# (a payload's onerror among them: it was there first) have run; at most 2 s.
IMAGES_SETTLED = """async () => {
  const settled = (img) => new Promise((done) => {
    img.addEventListener("load", done, { once: true });
    img.addEventListener("error", done, { once: true });
  });
  const pending = [...document.images].filter((img) => !img.complete).map(settled);
  const cap = new Promise((done) => setTimeout(done, 2000));
  await Promise.race([Promise.all(pending), cap]);
  await new Promise((done) => setTimeout(done, 0));  // events queued by completed images
}"""

# Every ECharts chart on the page: show the tooltip of each data point (up to 40 per series),
# the way a hover would; returns how many tooltips were shown.
ECHARTS_TOOLTIPS = """() => {
  if (typeof echarts === "undefined") return 0;
  let shown = 0;
  for (const el of document.querySelectorAll("[_echarts_instance_]")) {
    const chart = echarts.getInstanceByDom(el);
    if (!chart) continue;
    const series = chart.getOption().series || [];
    series.forEach((s, seriesIndex) => {
      const n = Math.min(40, (s.data || []).length);
      for (let dataIndex = 0; dataIndex < n; dataIndex++) {
        chart.dispatchAction({ type: "showTip", seriesIndex, dataIndex });
        shown++;
      }
    });
  }
  return shown;
}"""

SKIP_PREFIXES = ("/admin/", "/api/", "/i18n/", "/static/", "/login/", "/logout/")
DOWNLOADS = (".pdf", ".xlsx", ".csv")
MAX_PAGES = 150
# Pages the crawl must reach: the charts, the maps (public and staff), the boards.
MUST_VISIT = {
    "command:dashboard",
    "epi:chain",
    "risk_zones",
    "zones:zone",
    "zones:draw",
    "quarantine:site",
    "quarantine:room",
    "lab:lab",
    "people:resident",
    "places:node",
    "travel:trip",
}


def _payload(index: int, max_length: int | None) -> str:
    payload = PAYLOADS[index % len(PAYLOADS)]
    if max_length is not None and len(payload) > max_length:
        payload = SHORT
    return payload


def _is_text(fld: models.Field) -> bool:
    return isinstance(fld, models.CharField | models.TextField) and not fld.choices


def _text_fields(model: type[models.Model]) -> list[models.Field]:
    skip = NOT_TEXT.get(model._meta.label, set()) | ALWAYS_CODES
    together = [*model._meta.unique_together]
    together += [c.fields for c in model._meta.constraints if getattr(c, "fields", None)]
    for names in together:  # one text column per unique set carries the payload, the rest
        texts = [n for n in names if _is_text(model._meta.get_field(n))]  # keep rows apart
        skip |= set(texts[1:])
    return [
        fld
        for fld in model._meta.concrete_fields
        if _is_text(fld) and not fld.unique and fld.name not in skip
    ]


def inject_markup() -> dict[str, int]:
    """Rewrite every free-text column of every Fangkong row to carry a payload; return the
    number of values written per model.field."""
    written: dict[str, int] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("fangkong."):
            continue
        fields = _text_fields(model)
        if not fields:
            continue
        rows = list(model.objects.all())
        for i, row in enumerate(rows):
            for fld in fields:
                payload = _payload(i, fld.max_length)
                assert len(payload) <= (fld.max_length or len(payload)), (model, fld.name)
                setattr(row, fld.attname, payload)
        if rows:
            model.objects.bulk_update(rows, [fld.name for fld in fields], batch_size=500)
            for fld in fields:
                written[f"{model._meta.label}.{fld.name}"] = len(rows)
    return written


def _extras(chief) -> None:
    """Rows the demo city leaves out, for the pages that show them: a person in a room of a
    quarantine site (the occupancy board), a lab, a sampling site and an open testing round.
    (The maps draw the demo's own outlines, names and all.)"""
    street = Division.objects.filter(level=Level.STREET).order_by("key").first()
    measure = Measure.objects.filter(status="active").order_by("id").first()
    room = Room.objects.filter(status=RoomStatus.AVAILABLE).order_by("id").first()
    assert street and measure and room
    Stay.objects.create(
        person_id=measure.person_id,
        measure=measure,
        room=room,
        site=room.site,
        status=StayStatus.IN,
        checked_in_at=timezone.now(),
        division_key=room.site.division_key,
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    Lab.objects.create(code="LAB-X", name="检测", division=street, division_key=street.key)
    SamplingSite.objects.create(
        code="SITE-X", name="采样点", division=street, division_key=street.key
    )
    now = timezone.now()
    Round.objects.create(
        name="第一轮",
        area=street,
        division_key=street.key,
        pool_size=10,
        reason="筛查",
        starts_at=now - dt.timedelta(hours=2),
        deadline=now + dt.timedelta(hours=20),
        status="open",
        created_by=chief,
    )


@dataclass
class Visits:
    pages: list[str] = field(default_factory=list)
    tooltips: int = 0
    shapes: int = 0
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def views(self) -> set[str | None]:
        return {_view(u) for u in self.pages}


def _view(url: str) -> str | None:
    """The view behind a page link, or None for what is not a page (files, API, admin)."""
    path = urlsplit(url).path
    if path.startswith(SKIP_PREFIXES) or path.endswith(DOWNLOADS) or "/export" in path:
        return None
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


def _check(page: Page, visits: Visits, where: str) -> None:
    page.evaluate(IMAGES_SETTLED)  # an <img onerror> fires once the image has failed to load
    if page.evaluate("() => window.__xss") is not None:
        visits.problems.append(f"{where}: a payload ran")
        page.evaluate("() => { delete window.__xss; }")
    if visits.dialogs:
        visits.problems.append(f"{where}: {len(visits.dialogs)} dialog(s) opened")
        visits.dialogs.clear()
    injected = page.evaluate(INJECTED)
    if injected:
        visits.problems.append(f"{where}: data became elements: {injected[:2]}")


def _hover_everything(page: Page, visits: Visits, where: str) -> None:
    """Every chart point's tooltip, a pointer across each chart, every map shape in view
    hovered (Leaflet leaves a shape outside the view unpainted, as the path "M0 0")."""
    visits.tooltips += page.evaluate(ECHARTS_TOOLTIPS)
    for chart in page.locator("[_echarts_instance_]").all():
        box = chart.bounding_box()
        for x in range(8, int(box["width"]) if box else 0, 120):
            page.mouse.move(box["x"] + x, box["y"] + box["height"] / 2)  # type: ignore[index]
    if page.locator("[data-draw-map]").count():  # its places load after the map settles
        page.locator("[data-draw-map] .leaflet-interactive").first.wait_for()
    shapes = [
        s for s in page.locator(".leaflet-interactive").all() if s.get_attribute("d") != "M0 0"
    ]
    for shape in shapes[:40]:
        shape.hover(force=True)
        visits.shapes += 1
    _check(page, visits, f"{where} (tooltips)")


def crawl(page: Page, start: list[str], visits: Visits) -> None:
    """Open every page reachable by links from `start`, one per view, check it, hover what
    can be hovered and check again."""
    origin = urlsplit(start[0]).netloc
    page.on("dialog", lambda d: (visits.dialogs.append(d.message), d.dismiss()))
    seen_views: set[str] = set()
    queue = deque(start)
    while queue and len(visits.pages) < MAX_PAGES:
        url = queue.popleft().split("#")[0]
        view = _view(url)
        if view is None or view in seen_views:
            continue
        seen_views.add(view)
        try:
            response = page.goto(url)
        except PlaywrightError as exc:  # a file to download, not a page
            if "Download is starting" in str(exc):
                continue
            raise
        if response is None or response.status >= 400:
            continue
        if page.locator("[hx-trigger]").count():  # fragments loaded after the page
            page.wait_for_load_state("networkidle")
        visits.pages.append(url)
        where = urlsplit(url).path
        _check(page, visits, where)
        _hover_everything(page, visits, where)
        for href in page.eval_on_selector_all("a[href]", "els => els.map((e) => e.href)"):
            if urlsplit(href).netloc == origin:
                queue.append(href)


@pytest.fixture
def hostile_city(transactional_db) -> dict[str, int]:
    profiles_install_shipped()
    demo_generate(residents=300, seed=5)
    chief = f.user("xss_chief", Role.COMMAND, Division.objects.get(level=Level.CITY))
    _extras(chief)
    return inject_markup()


def test_every_not_text_column_exists():
    for label, names in NOT_TEXT.items():
        model = apps.get_model(label)
        for name in names:
            assert _is_text(model._meta.get_field(name)), (label, name)


def test_markup_in_every_name_field_never_runs(browser: Browser, live_server, hostile_city):
    written = hostile_city
    for column in ("places.Division.name", "people.Resident.name", "zones.Zone.name"):
        assert written.get(column), column

    visits = Visits()
    chief = page_for(browser, live_server, "xss_chief")
    crawl(chief, [f"{live_server.url}/", f"{live_server.url}/command/"], visits)
    public = browser.new_context(base_url=live_server.url, locale="zh-CN").new_page()
    public.context.set_default_timeout(TIMEOUT_MS)
    crawl(public, [f"{live_server.url}/risk-zones/", f"{live_server.url}/travel/report/"], visits)

    print(
        f"{len(visits.pages)} pages, {visits.tooltips} chart tooltips, {visits.shapes} map "
        f"shapes, {sum(written.values())} values in {len(written)} columns"
    )
    assert visits.views >= MUST_VISIT, MUST_VISIT - visits.views
    assert visits.tooltips and visits.shapes
    assert not visits.problems, "\n".join(visits.problems)
