"""The dashboard, the lists behind its figures, their exports and the daily report."""

import csv
import io
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from fangkong.audit.models import Event
from fangkong.care.models import Facility
from fangkong.core import pdf
from fangkong.epi.models import Case, CaseKind, Destination
from fangkong.policy.accessor import current
from fangkong.policy.models import PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.tally.services import rebuild
from tests import factories as f
from tests.command.conftest import DAY, at, build, case, contact

AS_OF = {"as_of": "2022-05-07T08:00:00"}
REPORT = {"day": DAY.isoformat(), "hour": "8"}


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def test_dashboard_shows_the_figures_as_of_the_moment(login, outbreak, personas, english):
    response = login(personas["command"]).get(reverse("command:dashboard"), AS_OF)
    assert response.status_code == 200
    html = response.content.decode()
    assert figure(html, "confirmed") == "4"
    assert figure(html, "confirmed_new") == "+1"
    assert figure(html, "asymptomatic") == "2"
    assert figure(html, "close_under_control") == "5"
    assert figure(html, "people") == "2"
    assert figure(html, "rounds_open") == "1"
    assert figure(html, "zones_high") == "2"
    assert 'id="curve"' in html and 'id="map"' in html


def test_a_figure_opens_the_list_behind_it(login, outbreak, personas, english):
    client = login(personas["command"])
    html = client.get(reverse("command:dashboard"), AS_OF).content.decode()
    link = re.search(r'href="([^"]+)" data-figure="close_under_control"', html).group(1)
    listing = client.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    rows = listing.content.decode().split('id="figure-rows"')[1]
    assert rows.count("<tr>") - 1 == 5  # header row aside
    assert "甲七" in rows and "甲八" not in rows


def test_drill_down_by_place_and_outsider_cannot(login, outbreak, personas, english):
    client = login(personas["command"])
    html = client.get(reverse("command:dashboard"), {**AS_OF, "place": "411002"}).content.decode()
    assert "西大街街道" in html and "东大街街道" in html
    assert figure(html, "confirmed") == "3"
    outsider = login(personas["outsider"])
    assert outsider.get(reverse("command:dashboard"), {"place": "411002"}).status_code == 404
    assert outsider.get(reverse("command:report"), {"place": "411002"}).status_code == 404
    url = reverse("command:list", args=["cases"])
    assert outsider.get(url, {"place": "411002"}).status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("command", True),
        ("task_force", True),
        ("street", True),
        ("grid", True),
        ("hospital", True),
        ("lab", False),
        ("quarantine", False),
        ("hotline", False),
        ("supply", False),
    ],
)
def test_who_may_open_the_dashboard_and_report(login, outbreak, personas, role, allowed):
    client = login(personas[role])
    for name in ("command:dashboard", "command:report"):
        assert (client.get(reverse(name)).status_code == 200) == allowed, (name, role)


def test_hospital_sees_cases_but_not_contacts(login, outbreak, personas, english):
    client = login(personas["hospital"])
    html = client.get(reverse("command:dashboard"), AS_OF).content.decode()
    assert 'data-figure="confirmed"' in html
    assert 'data-figure="close"' not in html
    assert client.get(reverse("command:list", args=["contacts"])).status_code == 403


def _report_text(client) -> str:
    return re.sub(r"\s+", " ", client.get(reverse("command:report"), REPORT).content.decode())


def test_report_text_has_every_headline_number(login, outbreak, personas, english):
    """In English, each count agrees with its noun and verb ("1 new confirmed case", "1 people
    were released" before)."""
    text = _report_text(login(personas["command"]))
    for sentence in (
        "As of 8:00 on May 7, 2022, 许昌市 had reported 4 confirmed cases and 2 asymptomatic "
        "infections in this outbreak.",
        "4 of them have been transferred in a closed loop to 许昌市中心医院; 2 are awaiting "
        "transfer.",
        "1 new confirmed case (0 found in the community, 1 in quarantine or controlled areas) "
        "and 1 new asymptomatic infection (1 in the community, 0 in quarantine",
        "1 asymptomatic infection was reclassified as a confirmed case.",
        "6 close contacts and 1 secondary contact had been traced (2 and 1 of them",
        "5 are under control measures, 0 have completed them and been released, and 2 are "
        "still being located or placed.",
        "1 centralised quarantine site with 2 rooms was in use, with 2 people in centralised "
        "quarantine (1 more than 24 hours earlier); 1 person was released",
        "1 person was under control measures (centralised or at home).",
        "1 round of mass testing had been completed and 1 was in progress.",
        ": 2 (150 people inside).",  # zones in force, by level
    ):
        assert sentence in text, sentence
    assert "1 new confirmed cases" not in text and "1 people" not in text


def test_report_text_in_chinese_reads_as_the_city_wrote_it(login, outbreak, personas):
    """The sentences are built of counted phrases; in Chinese they read as the 许昌 release,
    typeset as Chinese: no space between a number and the characters around it."""
    html = login(personas["command"]).get(reverse("command:report"), REPORT).content.decode()
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>(.*?)</p>", html, re.S)]
    text = "".join(p.strip() for p in paragraphs)
    for sentence in (
        "截至2022年5月7日8时，许昌市本轮疫情累计报告确诊病例4例、无症状感染者2例。",
        "其中4例已闭环转运至许昌市中心医院，2例待转运。",
        "前24小时内新增确诊病例1例（社会面发现0例，隔离管控中发现1例），"
        "新增无症状感染者1例（社会面发现1例，隔离管控中发现0例）。",
        "无症状感染者转为确诊病例1例。",
        "累计追踪密切接触者6人、密接的密接1人（其中前24小时内分别新增2人、1人）。",
        "其中5人正在管控，0人已期满解除，2人仍在查找或落实管控中。",
        "启用集中隔离点1个、房间2间，集中隔离2人（较24小时前增加1人）；前24小时内解除隔离1人。",
        "正在管控（集中或居家）1人。",
        "已完成全员核酸检测1轮，正在进行1轮。",
    ):
        assert sentence in text, (sentence, text)
    assert not re.search(r"[\u4e00-\u9fff] +\d|\d +[\u4e00-\u9fff]", text)


def _chinese_paragraphs(client, params) -> str:
    html = client.get(reverse("command:report"), params).content.decode()
    paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p[^>]*>(.*?)</p>", html, re.S)]
    return "".join(p.strip() for p in paragraphs)


def test_the_report_names_every_hospital_the_cases_went_to(login, outbreak, personas):
    """Each hospital the transfers recorded, the most cases first, with their cases when there
    are several: a list in Chinese joined by 、, in English by commas and "and"; the counted
    figures stay as they were."""
    c = outbreak.cases
    Case.objects.filter(pk=c["c6"].pk).update(
        destination=Destination.SHELTER_HOSPITAL, destination_name="许昌方舱医院"
    )
    Case.objects.filter(pk=c["c7"].pk).update(destination_name="许昌市第二人民医院")
    client = login(personas["command"])
    text = _chinese_paragraphs(client, REPORT)
    assert (
        "其中4例已闭环转运至许昌市中心医院（2例）、许昌市第二人民医院（1例）、许昌方舱医院（1例），"
        "2例待转运。"
    ) in text, text
    assert not re.search(r"[\u4e00-\u9fff] +\d|\d +[\u4e00-\u9fff]|，\s|、\s", text)
    html = client.get(reverse("command:dashboard"), AS_OF).content.decode()
    assert figure(html, "transferred") == "4"  # the figure, not the words, is counted
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = _report_text(client)
    assert (
        "4 of them have been transferred in a closed loop to 许昌市中心医院 (2 cases), "
        "许昌市第二人民医院 (1 case) and 许昌方舱医院 (1 case); 2 are awaiting transfer."
    ) in english


def test_all_transferred_names_the_hospital_and_the_policy_names_it_when_the_data_does_not(
    login, outbreak, personas, city
):
    """建安区's one case went to hospital: "all of them" and where to. A transfer that names no
    hospital reads the designated hospital the policy of the day routes to (its medical-care
    routing naming a facility of the registry), else the kind of hospital."""
    client = login(personas["command"])
    jianan = {**REPORT, "place": city.jianan.code}
    assert "目前已全部闭环转运至许昌市中心医院救治。" in _chinese_paragraphs(client, jianan)
    Case.objects.filter(pk=outbreak.cases["c7"].pk).update(destination_name="")
    assert "目前已全部闭环转运至定点医院救治。" in _chinese_paragraphs(client, jianan)
    Facility.objects.create(
        code="XC-CAMPUS",
        name="许昌市中心医院东院区",
        kind="designated",
        division=city.city,
        division_key=city.city.key,
    )
    profile = current().profile
    rules = Rules.model_validate(profile.rules).model_dump(mode="json", by_alias=True)
    for route in rules["care"]["routes"]:
        if route["destination"] == "designated":
            route["facility"] = "XC-CAMPUS"
    PolicyProfile.objects.filter(pk=profile.pk).update(rules=rules)
    assert "目前已全部闭环转运至许昌市中心医院东院区救治。" in _chinese_paragraphs(client, jianan)


def test_the_report_writes_every_number_one_way(login, outbreak, personas):
    """Numbers in the text and the tables of the report are written alike, without grouping
    (密切接触者5431人, +1200), and a figure's change sits in Chinese brackets: 3（+1）."""
    from fangkong.command.templatetags.command_tags import change, with_change

    assert (change(1200), change(-5431), change(0)) == ("+1200", "−5431", "±0")
    assert with_change(5431, 0) == "5431"
    html = login(personas["command"]).get(reverse("command:report"), REPORT).content.decode()
    places = html.split('class="grid places"')[1].split("</table>")[0]
    assert "3（+1）" in places and " (" not in places


def test_round_coverage_panel(login, outbreak, personas, english):
    client = login(personas["command"])
    html = client.get(reverse("command:dashboard"), AS_OF).content.decode()
    assert 'hx-get="/command/rounds/?as_of=' in html
    panel = client.get(reverse("command:rounds"), AS_OF).content.decode()
    row = panel.split(f'data-round="{outbreak.rounds["r2"].pk}"')[1].split("</tr>")[0]
    assert 'data-figure="sampled">3<' in row and 'data-figure="target">14<' in row
    assert "第三轮" not in panel  # starts after the moment
    assert login(personas["hospital"]).get(reverse("command:rounds")).status_code == 403


def test_report_pdf_renders_chinese_text(login, outbreak, personas):
    from pypdf import PdfReader

    response = login(personas["command"]).get(reverse("command:report_pdf"), REPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", "", text)
    for chinese in ("许昌市", "魏都区", "建安区", "闭环转运至许昌市中心医院"):
        assert chinese in text, chinese
    assert "2022年5月7日" in text  # the date in Chinese form


@pytest.fixture
def pdfs_made(monkeypatch):
    """The HTML of each PDF WeasyPrint is asked to make (with an empty cache)."""
    made: list[str] = []
    real = pdf.html_to_pdf
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: made.append(html) or real(html))
    cache.clear()
    yield made
    cache.clear()


def test_the_report_pdf_is_made_once_for_what_it_says(login, outbreak, personas, pdfs_made):
    client = login(personas["command"])
    first = client.get(reverse("command:report_pdf"), REPORT)
    again = client.get(reverse("command:report_pdf"), REPORT)
    assert first.content == again.content and len(pdfs_made) == 1
    assert pdfs_made[0].startswith('<!doctype html>\n<html lang="zh-Hans">')
    other_hour = client.get(reverse("command:report_pdf"), {**REPORT, "hour": "9"})
    assert other_hour.content != first.content and len(pdfs_made) == 2
    case(outbreak.people["甲八"], at(6, 15))  # a case registered late, as of before 8:00
    rebuild()
    changed = client.get(reverse("command:report_pdf"), REPORT)
    assert changed.content != first.content and len(pdfs_made) == 3
    assert "累计报告确诊病例5例" in pdfs_made[-1] and "累计报告确诊病例4例" in pdfs_made[0]


def test_report_xlsx_holds_text_figures_and_places(login, outbreak, personas, english):
    response = login(personas["command"]).get(reverse("command:report_xlsx"), REPORT)
    wb = load_workbook(io.BytesIO(response.content))
    report, figures, places = wb.worksheets
    assert "4 confirmed cases" in " ".join(str(c.value) for c in report["A"])
    assert "transferred in a closed loop to 许昌市中心医院" in " ".join(
        str(c.value) for c in report["A"]
    )
    values = {row[0]: (row[1], row[2]) for row in figures.iter_rows(min_row=2, values_only=True)}
    assert values["Confirmed cases"] == (4, 1)
    assert values["People in centralised quarantine"] == (2, 1)
    rows = {row[0]: row for row in places.iter_rows(min_row=2, values_only=True)}
    assert rows["建安区"][1] == 1 and rows["魏都区"][1] == 3


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_is_streamed_masked_and_audited(login, outbreak, personas, english):
    client = login(personas["hospital"])  # may see cases, may not reveal identifiers
    url = reverse("command:export", args=["cases", "csv"])
    response = client.get(url, {**AS_OF, "kind": "confirmed"})
    assert response.streaming
    rows = _csv(response)
    assert rows[0][:2] == ["Case number", "Classification"]
    assert len(rows) == 1 + 3  # c1, c3, c4: the hospital persona works in 魏都区
    person = outbreak.cases["c1"].person
    assert not any(person.id_number in r for r in rows)
    assert any(person.id_number_masked in r for r in rows)
    exported = Event.objects.get(action="command.exported")
    assert exported.data["rows"] == 3 and exported.data["unmasked"] is False


def _xlsx_values(response) -> list:
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [c for row in wb.active.iter_rows(values_only=True) for c in row]


def _export_url(name: str, fmt: str, **params: str) -> str:
    from urllib.parse import urlencode

    url = reverse("command:export", args=[name, fmt])
    return f"{url}?{urlencode({**AS_OF, **params})}"


def test_xlsx_export_reveals_for_roles_that_may(login, outbreak, personas, english):
    client = login(personas["command"])
    url = _export_url("contacts", "xlsx", degree="close")
    response = client.post(url, {"reveal": "1", "reason": "转运名单核对"})
    assert response["X-Row-Count"] == "6"
    values = _xlsx_values(response)
    assert outbreak.people["甲七"].id_number in values
    exported = Event.objects.get(action="command.exported")
    assert exported.data["unmasked"] is True and exported.reason == "转运名单核对"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_masked_for_every_role_by_default(login, outbreak, personas, english, fmt):
    for role in ("command", "street", "grid"):
        response = login(personas[role]).get(_export_url("contacts", fmt, degree="close"))
        assert response.status_code == 200, role
        body = b"".join(response.streaming_content)
        person = outbreak.people["甲七"]
        if fmt == "csv":
            assert person.id_number.encode() not in body and person.phone.encode() not in body
        else:
            values = [
                c
                for row in load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True)
                for c in row
            ]
            assert person.id_number not in values and person.phone not in values
    assert not Event.objects.filter(action="command.exported", data__unmasked=True).exists()
    assert not Event.objects.filter(action="pii.exported").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_grid_workers_export_names_the_street_and_community_above_the_grid(
    login, outbreak, personas, english, city, fmt
):
    response = login(personas["grid"]).get(_export_url("contacts", fmt))
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        rows = [
            ["" if c is None else str(c) for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    street, community = rows[0].index("Street"), rows[0].index("Community")
    assert len(rows) > 1
    for row in rows[1:]:
        assert (row[street], row[community]) == ("西大街街道", "西大社区"), row


def test_an_unmasked_export_needs_a_reason_and_the_capability(login, outbreak, personas, english):
    url = _export_url("contacts", "csv", degree="close")
    response = login(personas["command"]).post(url, {"reveal": "1", "reason": " "})
    assert response.status_code == 400
    response = login(personas["hospital"]).post(url, {"reveal": "1", "reason": "x"})
    assert response.status_code == 403
    assert not Event.objects.filter(action__in=["command.exported", "pii.exported"]).exists()


def test_an_unmasked_export_lands_in_each_persons_history(login, outbreak, personas, english):
    client = login(personas["street"])
    url = _export_url("contacts", "csv", degree="close")
    rows = _csv(client.post(url, {"reveal": "1", "reason": "入户排查"}))
    exported = Event.objects.get(action="command.exported")
    assert exported.reason == "入户排查" and exported.data["unmasked"] is True
    person_events = Event.objects.filter(action="pii.exported")
    people = {e.person_id for e in person_events}
    assert len(people) == person_events.count() == exported.data["rows"] == len(rows) - 1
    assert {e.reason for e in person_events} == {"入户排查"}
    assert {e.data["export_id"] for e in person_events} == {exported.data["export_id"]}
    person = outbreak.people["甲七"]  # a close contact in 魏都区
    assert person.pk in people
    page = client.get(reverse("people:resident", args=[person.pk])).content.decode()
    assert "入户排查" in page


def test_the_list_page_offers_the_reason_only_to_roles_that_may_reveal(
    login, outbreak, personas, english
):
    url = reverse("command:list", args=["contacts"])
    assert 'name="reason"' in login(personas["command"]).get(url, AS_OF).content.decode()
    assert (
        'name="reason"'
        not in login(personas["hospital"])
        .get(reverse("command:list", args=["cases"]), AS_OF)
        .content.decode()
    )


def _queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


# session, user, jurisdiction; then children, map places, the tally (1: the node's children, its
# case map and curve up to the moment's last whole hour), sites, rooms, rounds, zones (2: their
# history, the active profile's levels), the price alerts open at the moment (1); a moment within
# an hour adds what changed since the hour (4: cases with their events, contacts with theirs,
# stays, measures); medical care (2: requests, incidents) and, on the dashboard, the sweep of
# missed SLAs (1); supplies (3: orders open and late, by compound, passes); social assistance
# (1: filed, undecided, past the deadline)
CARE_FIGURES = 2
SUPPLY_FIGURES = 3
ASSISTANCE_FIGURES = 1
ON_THE_HOUR = 3 + 9 + CARE_FIGURES + 1 + SUPPLY_FIGURES + ASSISTANCE_FIGURES
WITHIN_THE_HOUR = ON_THE_HOUR + 4
# the report adds the report time of its day (2: the policy activation in force, the profile),
# the day's issues (1) and the hospitals the cases went to (1), without the sweep
REPORT_PAGE = 3 + 9 + CARE_FIGURES + SUPPLY_FIGURES + ASSISTANCE_FIGURES + 4
PINNED = {
    ("command:dashboard", "2022-05-07T08:00:00"): ON_THE_HOUR,
    ("command:dashboard", "2022-05-07T08:37:12"): WITHIN_THE_HOUR,
    ("command:report", ""): REPORT_PAGE,
}


@pytest.mark.parametrize(("page", "moment"), sorted(PINNED))
def test_query_count_is_pinned_and_flat(login, outbreak, personas, page, moment, city):
    client = login(personas["command"])
    params = {"as_of": moment} if page == "command:dashboard" else REPORT
    small = _queries(client, reverse(page), params)
    more = build_more(outbreak, personas)
    assert more > 10
    large = _queries(client, reverse(page), params)
    assert small == large == PINNED[(page, moment)]


LIST_PINNED = 3 + 2  # the page of rows, the names of streets and communities


def test_list_page_query_count_is_pinned_and_flat(login, outbreak, personas):
    client = login(personas["command"])
    url = reverse("command:list", args=["contacts"])
    small = _queries(client, url, AS_OF)
    build_more(outbreak, personas)
    assert small == _queries(client, url, AS_OF) == LIST_PINNED


def test_exports_stop_at_the_configured_size(login, outbreak, personas, settings):
    settings.EXPORT_MAX_ROWS = 2
    client = login(personas["command"])
    response = client.get(reverse("command:export", args=["cases", "csv"]), AS_OF)
    assert len(_csv(response)) == 1 + 2
    response = client.get(reverse("command:export", args=["cases", "xlsx"]), AS_OF)
    assert response["X-Row-Count"] == "2"


def test_unknown_list_or_format_is_not_found(login, outbreak, personas):
    client = login(personas["command"])
    assert client.get(reverse("command:list", args=["residents"])).status_code == 404
    url = reverse("command:export", args=["cases", "pdf"])
    assert client.get(url).status_code == 404


def build_more(outbreak, personas) -> int:
    """Another street's worth of cases and contacts (some within the hour before 08:37)."""
    from tests.command.conftest import at, case

    unit = outbreak.city.w[f.Level.UNIT]
    made = 0
    for i in range(12):
        person = f.resident(unit, f"增{i}")
        c = case(person, at(6 + i % 2, 8, 5 * i), kind=CaseKind.ASYMPTOMATIC)
        contact(c, f.resident(unit, f"接{i}"), at(6 + i % 2, 8, 5 * i + 1))
        made += 1
    rebuild()
    return made


def test_dashboard_for_a_place_with_no_data(login, personas, city):
    response = login(personas["command"]).get(reverse("command:dashboard"))
    assert response.status_code == 200
    assert build is not None


def test_the_lists_show_when_each_fact_happened_on_the_page_and_in_exports(
    login, outbreak, personas, english
):
    """The case's registered time and the contact's identified time (valid times, not when
    the rows were written, which is now), beside the contact's case's registered time."""
    client = login(personas["command"])
    c1, k1 = outbreak.cases["c1"], outbreak.contacts["k1"]
    registered, identified = "2022-05-05 12:00", "2022-05-05 18:00"  # at(5, 12), at(5, 18)
    assert (_local(c1.registered_at), _local(k1.identified_at)) == (registered, identified)
    page = client.get(reverse("command:list", args=["cases"]), AS_OF).content.decode()
    rows = page.split('id="figure-rows"')[1]
    assert "<th>Registered at</th>" in rows and registered in rows
    header, *lines = _csv(client.get(_export_url("cases", "csv")))
    line = next(r for r in lines if r[0] == c1.number)
    assert line[header.index("Registered at")] == registered
    page = client.get(reverse("command:list", args=["contacts"]), AS_OF).content.decode()
    rows = page.split('id="figure-rows"')[1]
    assert "<th>Identified at</th>" in rows and "<th>Case registered at</th>" in rows
    header, *lines = _csv(client.get(_export_url("contacts", "csv")))
    line = next(r for r in lines if r[header.index("Name")] == k1.person.name)
    assert line[header.index("Identified at")] == identified
    assert line[header.index("Case registered at")] == registered
    cells = _xlsx_values(client.get(_export_url("contacts", "xlsx")))
    assert "Case registered at" in cells and identified in cells


def _local(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
