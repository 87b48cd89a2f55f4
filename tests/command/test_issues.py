"""Issues of the daily report (issue 15, item 1): the command centre issues a day's report as
of its report time (from the policy), keeps it as issued, and re-issues it after late entries;
the re-issue lists exactly the figures that changed since the first (and the previous) issue,
old → new, in words, in both languages; page, PDF, XLSX and API; an outsider finds nothing."""

import datetime as dt
import io
import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.audit.models import Event
from fangkong.command import issues
from fangkong.command.models import IssueImmutable, ReportIssue
from fangkong.command.places import node_for
from fangkong.command.report import report_for, report_hour
from fangkong.policy.accessor import current
from fangkong.policy.models import PolicyProfile
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.epi.test_valid_times import add_contact, at, day, register

JSON = "application/json"
LATE = "补录 3 日前 7 时的病例和密接"


@pytest.fixture
def issued(personas, people, city):
    """A case three days before in 魏都区 (the day's baseline) and the report of two days ago
    issued by the command centre (许昌市, its districts as the places)."""
    register(personas["task_force"], people["zhang"], at(4, 10))
    first = issues.report_issue(
        actor=personas["command"], node=node_for(personas["command"]), day=day(2)
    )
    return first


def enter_late(personas, city, people):
    """Entered now, happened before 8:00 two days ago: a confirmed case in 魏都区 and its close
    contact."""
    late = f.resident(city.w[f.Level.UNIT], "孙丽")
    case = register(personas["task_force"], late, at(2, 7))
    add_contact(personas["task_force"], case, people["wang"], at(2, 7))
    return case


def reissue(personas, reason=LATE):
    command = personas["command"]
    return issues.report_issue(actor=command, node=node_for(command), day=day(2), reason=reason)


def changed(items) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    return {(c.place_key, c.figure): (c.old, c.new) for c in items}


def expected_changes(city) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    """What the late case and contact change in the report of two days ago, and nothing else:
    the city's confirmed cases and close contacts and their change over the day, and the same
    in 魏都区 (建安区, transfers, contacts under control, quarantine, zones stay as they were)."""
    c, w = city.city.key, city.weidu.key
    return {
        (c, "confirmed"): (1, 2),
        (c, "confirmed~change"): (0, 1),
        (c, "close"): (0, 1),
        (c, "close~change"): (0, 1),
        (w, "confirmed"): (1, 2),
        (w, "confirmed_new"): (0, 1),
        (w, "close"): (0, 1),
        (w, "close_new"): (0, 1),
    }


def test_a_reissue_lists_exactly_the_figures_the_late_entries_changed(
    issued, personas, city, people
):
    assert issued.number == 1 and issued.hour == report_hour(day(2)) == 8
    assert issued.as_of == at(2, 8)
    assert issued.profile == current().profile.reference
    enter_late(personas, city, people)
    second = reissue(personas)
    assert second.number == 2 and second.reason == LATE
    view = issues.issue_view(personas["command"], second)
    assert changed(view.since_first) == expected_changes(city)
    assert view.since_previous == []  # issue 2: the previous one is the first
    # a third issue with nothing entered since: nothing changed since the previous one
    third = reissue(personas, "复核")
    view = issues.issue_view(personas["command"], third)
    assert changed(view.since_first) == expected_changes(city)
    assert view.since_previous == []
    # the first issue is kept as issued
    issued.refresh_from_db()
    assert issued.figures["total"]["confirmed"] == 1
    assert issues.issue_view(personas["command"], issued).since_first == []


def test_issues_are_immutable_and_a_reissue_needs_a_reason(issued, personas):
    with pytest.raises(IssueImmutable):
        issued.save()
    with pytest.raises(IssueImmutable):
        issued.delete()
    with pytest.raises(ValidationError) as refused:
        reissue(personas, reason=" ")
    assert set(refused.value.message_dict) == {"reason"}
    with pytest.raises(ValidationError) as future:
        issues.report_issue(
            actor=personas["command"],
            node=node_for(personas["command"]),
            day=timezone.localdate() + dt.timedelta(days=1),
        )
    assert set(future.value.message_dict) == {"day"}
    assert ReportIssue.objects.count() == 1


def test_issuing_is_audited(issued, personas, city, people):
    enter_late(personas, city, people)
    second = reissue(personas)
    first_event = Event.objects.get(action="command.report_issued")
    assert first_event.object_type == "command.reportissue"
    assert first_event.object_id == str(issued.pk)
    assert first_event.data["number"] == 1 and first_event.data["day"] == day(2).isoformat()
    again = Event.objects.get(action="command.report_reissued")
    assert again.object_id == str(second.pk) and again.reason == LATE
    assert again.actor == personas["command"]
    assert again.data["changed_since_previous"] == len(expected_changes(city))


def test_only_the_command_centre_issues(personas, people):
    with pytest.raises(PermissionDenied):
        issues.report_issue(
            actor=personas["task_force"], node=node_for(personas["task_force"]), day=day(2)
        )


def test_the_report_time_comes_from_the_policy(personas, people, login):
    profile = current().profile
    PolicyProfile.objects.filter(pk=profile.pk).update(
        rules={**profile.rules, "reporting": {"report_hour": 9}}
    )
    command = personas["command"]
    assert report_hour(day(2)) == 9
    assert report_for(command, node_for(command), day(2)).hour == 9
    issue = issues.report_issue(actor=command, node=node_for(command), day=day(2))
    assert issue.hour == 9 and issue.as_of == at(2, 9)
    client = login(command)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("command:report"), {"day": day(2).isoformat()}).content.decode()
    assert f"截至{day(2).year}年{day(2).month}月{day(2).day}日9时" in page
    issue_page = client.get(reverse("command:issue", args=[issue.pk])).content.decode()
    assert f"截至{day(2).year}年{day(2).month}月{day(2).day}日9时" in issue_page


def _items(page: str, list_id: str) -> dict[str, str]:
    block = re.search(rf'<ul class="changes" id="{list_id}">(.*?)</ul>', page, re.S)
    assert block, list_id
    return {
        f"{p}/{fig}": text
        for p, fig, text in re.findall(
            r'<li data-place="([^"]*)" data-figure="([^"]*)">([^<]*)</li>', block.group(1)
        )
    }


def test_the_reissue_page_says_what_changed_in_both_languages(
    issued, personas, city, people, login
):
    enter_late(personas, city, people)
    second = reissue(personas)
    client = login(personas["command"])
    url = reverse("command:issue", args=[second.pk])
    expected = {f"{p}/{fig}" for p, fig in expected_changes(city)}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(url).content.decode()
    items = _items(page, "since-first")
    assert set(items) == expected
    assert items[f"{city.weidu.key}/confirmed"] == "Confirmed cases (魏都区): was 1, now 2."
    assert items[f"{city.city.key}/confirmed~change"] == (
        "Confirmed cases, change in 24 hours (许昌市): was ±0, now +1."
    )
    assert "since-previous" not in page
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(url).content.decode()
    items = _items(page, "since-first")
    assert set(items) == expected
    assert items[f"{city.weidu.key}/confirmed"] == "魏都区确诊病例由1变为2。"
    assert items[f"{city.city.key}/close"] == "许昌市已追踪密切接触者由0变为1。"
    assert all(" " not in text and text.endswith("。") for text in items.values())
    # the first issue's page shows it as issued: one confirmed case, no changes listed
    first = client.get(reverse("command:issue", args=[issued.pk])).content.decode()
    assert "issue-changes" not in first
    assert "确诊病例1例" in first and "确诊病例2例" in page
    # the day's list and the report page name both issues
    listing = client.get(reverse("command:issues"), {"day": day(2).isoformat()}).content.decode()
    assert re.findall(r'data-issue="(\d+)"', listing) == ["2", "1"]
    report = client.get(reverse("command:report"), {"day": day(2).isoformat()}).content.decode()
    assert reverse("command:issue", args=[second.pk]) in report


def test_issue_and_reissue_through_the_page(issued, personas, city, people, login):
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    form = {"day": day(2).isoformat(), "reason": ""}
    refused = client.post(reverse("command:issues"), form)
    assert refused.status_code == 200
    assert "Say why the report of this day is issued again" in refused.content.decode()
    enter_late(personas, city, people)
    done = client.post(reverse("command:issues"), {**form, "reason": LATE})
    second = ReportIssue.objects.get(number=2)
    assert done.status_code == 302 and done["Location"] == reverse(
        "command:issue", args=[second.pk]
    )
    # a role without the capability sees the list but cannot issue
    street = login(personas["street"])
    assert street.post(reverse("command:issues"), form).status_code == 403


def test_an_outsider_finds_nothing(issued, personas, login):
    outsider = login(personas["outsider"])
    assert outsider.get(reverse("command:issue", args=[issued.pk])).status_code == 404
    assert outsider.get(reverse("command:issue_pdf", args=[issued.pk])).status_code == 404
    assert outsider.get(reverse("command:issue_xlsx", args=[issued.pk])).status_code == 404
    listing = outsider.get(reverse("command:issues")).content.decode()
    assert "data-issue" not in listing
    assert outsider.get(reverse("command:issues"), {"place": "411000"}).status_code == 404
    api = bearer_client(personas["outsider"])
    assert api.get(f"/api/command/report/issues/{issued.pk}").status_code == 404
    assert api.get("/api/command/report/issues").json() == []
    # a street in 魏都区 sees its own district's issues, not the city's
    street = bearer_client(personas["street"])
    assert street.get(f"/api/command/report/issues/{issued.pk}").status_code == 404


def test_the_api_issues_lists_and_shows_what_changed(issued, personas, city, people):
    api = bearer_client(personas["command"])
    enter_late(personas, city, people)
    refused = api.post("/api/command/report/issues", {"day": day(2).isoformat()}, content_type=JSON)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "reason"]
    created = api.post(
        "/api/command/report/issues",
        {"day": day(2).isoformat(), "reason": LATE},
        content_type=JSON,
        headers={"Accept-Language": "en"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 2 and body["hour"] == 8 and body["reason"] == LATE
    got = {(c["place_key"], c["figure"]): (c["old"], c["new"]) for c in body["changes_since_first"]}
    assert got == expected_changes(city)
    assert body["changes_since_previous"] is None
    assert body["figures"]["confirmed"] == 2
    assert set(body["text"]) == {"zh-hans", "en"}
    assert "确诊病例2例" in body["text"]["zh-hans"]["paragraphs"][0]
    listed = api.get("/api/command/report/issues", {"day": day(2).isoformat()}).json()
    assert [i["number"] for i in listed] == [2, 1]
    first = api.get(f"/api/command/report/issues/{issued.pk}").json()
    assert first["figures"]["confirmed"] == 1 and first["changes_since_first"] is None


def test_the_issue_pdf_and_xlsx_are_as_issued(issued, personas, city, people, login):
    from pypdf import PdfReader

    enter_late(personas, city, people)
    second = reissue(personas)
    client = login(personas["command"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(reverse("command:issue_pdf", args=[second.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "issue2" in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "魏都区确诊病例由1变为2。" in flat
    assert "确诊病例2例" in flat
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    book = client.get(reverse("command:issue_xlsx", args=[second.pk]))
    wb = load_workbook(io.BytesIO(book.content))
    assert [ws.title for ws in wb.worksheets] == ["Report", "Changes", "Figures", "By place"]
    rows = list(wb["Changes"].iter_rows(values_only=True))
    assert len(rows) - 1 == len(expected_changes(city))
    assert rows[1 + 4][:5] == ("Issue 1", "魏都区", "Confirmed cases", 1, 2)


def test_the_openapi_document_has_the_real_bodies(db):
    from django.test import Client

    doc = Client().get("/api/openapi.json").json()
    post = doc["paths"]["/api/command/report/issues"]["post"]
    ref = post["requestBody"]["content"][JSON]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(doc["components"]["schemas"][ref]["properties"]) == {"day", "place", "reason"}
    out = post["responses"]["201"]["content"][JSON]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = doc["components"]["schemas"][out]["properties"]
    assert {"number", "hour", "profile", "changes_since_first", "changes_since_previous"} <= set(
        fields
    )


def test_a_reader_sees_only_the_sections_their_role_may_see(personas, city, people):
    """A district's issue read by its hospital: the case figures and text, no contact's."""
    command = personas["command"]
    register(personas["task_force"], people["zhang"], at(4, 10))
    district = node_for(command, city.weidu.key)
    issues.report_issue(actor=command, node=district, day=day(2))
    enter_late(personas, city, people)
    second = issues.report_issue(actor=command, node=district, day=day(2), reason=LATE)
    assert "contacts" in second.sections
    hospital = personas["hospital"]
    view = issues.issue_view(hospital, issues.issue_for(hospital, second.pk))
    assert view.sections == {"cases", "care"}
    assert {c.figure for c in view.since_first} == {"confirmed", "confirmed~change"} | {
        "confirmed_new"
    }
    assert {line.key for line in view.headline} == {"confirmed", "asymptomatic", "transferred"}
    assert len(view.paragraphs) == 2  # the cases, and medical care (the hospital's too)
    body = bearer_client(hospital).get(f"/api/command/report/issues/{second.pk}").json()
    assert all(len(t["paragraphs"]) == 2 for t in body["text"].values())
    assert {c["figure"] for c in body["changes_since_first"]} == {
        "confirmed",
        "confirmed~change",
        "confirmed_new",
    }
