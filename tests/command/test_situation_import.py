"""The situation line-list import (issue 15, items 2 and 4): a city adopting the platform
mid-outbreak loads its people, cases and contacts with the times each fact happened. All or
nothing, with errors naming the sheet, row and column; idempotent on natural keys; a preview
stating the defaults it applies; scoped to the importer's jurisdiction; and the daily reports
of the past days, computed afterwards, count what had happened by each morning."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.command.report import cut_off, report_for
from fangkong.command.situation.services import (
    read_json,
    situation_check,
    situation_import,
)
from fangkong.epi.models import Case, Contact, ContactStatus
from fangkong.healthcode.models import CodeStatus
from fangkong.people.idnumber import make_id_number
from fangkong.people.models import Resident
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from tests import factories as f
from tests.api.conftest import bearer_client

JSON = "application/json"


def day(ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=ago)


def at(ago: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour)))


def text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def number(seq: int, born: dt.date = dt.date(1985, 3, 1), region: str = "411002") -> str:
    return make_id_number(region, born, seq, "M")


CHILD_BORN = dt.date.today() - dt.timedelta(days=365 * 6)
ADDRESS = "幸福小区 1号楼 1单元 302"


@pytest.fixture
def lines(city, personas):
    """The line list below, under the 9th edition (which identifies secondary contacts)."""
    profile = PolicyProfile.objects.get(code="9th-edition")
    profile_activate(profile=profile, actor=personas["command"], reason="test")
    return line_list(city)


def line_list(city):
    """A line list as a city keeps it: 3 cases over the last 4 days, 5 contacts with their
    statuses, and the 9 people they name (one child living with a contact, one child alone)."""
    community = city.w[Level.COMMUNITY].code
    ids = {n: number(100 + i) for i, n in enumerate(["A", "B", "C", "K1", "K2", "K3", "S1"])}
    ids["kid"] = number(200, CHILD_BORN)
    ids["lone_kid"] = number(201, CHILD_BORN)
    people = [
        {"身份证号": ids[n], "姓名": f"人{n}", "所在地编码": community, "住址": f"{n}街 {i}号"}
        for i, n in enumerate(["A", "B", "C", "K2", "K3", "S1"])
    ]
    people += [
        {"身份证号": ids["K1"], "姓名": "人K1", "所在地编码": community, "住址": ADDRESS},
        {"身份证号": ids["kid"], "姓名": "小孩", "所在地编码": community, "住址": ADDRESS},
        {"身份证号": ids["lone_kid"], "姓名": "独童", "所在地编码": community, "住址": "无名"},
    ]
    cases = [
        {
            "number": "XC-1",
            "id_number": ids["A"],
            "kind": "确诊",
            "sampled_on": day(5).isoformat(),
            "registered_at": text(at(4, 10)),
        },
        {
            "number": "XC-2",
            "id_number": ids["B"],
            "kind": "无症状",
            "sampled_on": day(3).isoformat(),
            "registered_at": text(at(2, 9)),
            "status": "已转运",
            "destination": "定点医院",
            "destination_name": "许昌市中心医院",
            "transferred_at": text(at(1, 10)),
        },
        {  # yesterday's new case, after yesterday's report
            "number": "XC-3",
            "id_number": ids["C"],
            "kind": "确诊",
            "sampled_on": day(1).isoformat(),
            "reported_on": day(1).isoformat(),
            "registered_at": text(at(1, 20)),
        },
    ]
    contacts = [
        {
            "case_number": "XC-1",
            "id_number": ids["K1"],
            "degree": "密接",
            "relation": "同住",
            "last_exposure_on": day(4).isoformat(),
            "identified_at": text(at(4, 15)),
            "status": "已管控",
            "status_at": text(at(3, 11)),
        },
        {  # no exposure date, no status: the stated defaults
            "case_number": "XC-1",
            "id_number": ids["K2"],
            "degree": "密接",
            "identified_at": text(at(4, 16)),
        },
        {
            "case_number": "XC-1",
            "id_number": ids["S1"],
            "degree": "次密接",
            "via_id_number": ids["K1"],
            "identified_at": text(at(3, 9)),
            "status": "已解除",
            "status_at": text(at(1, 9)),
        },
        {
            "case_number": "XC-2",
            "id_number": ids["K3"],
            "degree": "密接",
            "identified_at": text(at(2, 12)),
            "status": "已找到",
            "status_at": text(at(2, 14)),
        },
        {  # a contact of a case also in the list
            "case_number": "XC-3",
            "id_number": ids["K2"],
            "degree": "密接",
            "identified_at": text(at(1, 21)),
        },
    ]
    facts = {  # what happened, written down plainly: the reference the reports are held to
        "cases": [(at(4, 10), None), (at(2, 9), at(1, 10)), (at(1, 20), None)],
        "close": [
            [(at(4, 15), "identified"), (at(3, 11), "under_control")],
            [(at(4, 16), "identified")],
            [(at(2, 12), "identified"), (at(2, 14), "located")],
            [(at(1, 21), "identified")],
        ],
        "secondary": [[(at(3, 9), "identified"), (at(1, 9), "released")]],
    }
    return {"people": people, "cases": cases, "contacts": contacts, "ids": ids, "facts": facts}


def body(lines):
    return {k: lines[k] for k in ("people", "cases", "contacts")}


def run(actor, data, *, write=True):
    result = read_json(data)
    if write:
        return situation_import(actor=actor, result=result)
    return situation_check(actor=actor, result=result)


def first_principles(facts, moment: dt.datetime) -> dict[str, int]:
    def then(history):
        return [value for start, value in history if start <= moment][-1]

    out = {
        "cases": sum(1 for registered, _t in facts["cases"] if registered <= moment),
        "transferred": sum(1 for _r, moved in facts["cases"] if moved and moved <= moment),
    }
    for degree in ("close", "secondary"):
        statuses = [then(h) for h in facts[degree] if h[0][0] <= moment]
        out[degree] = len(statuses)
        out.update({f"{degree}_{s}": statuses.count(s) for s in ContactStatus.values})
    return out


def figures(total) -> dict[str, int]:
    names = ["cases", "transferred", "close", "secondary"]
    names += [f"{d}_{s}" for d in ("close", "secondary") for s in ContactStatus.values]
    return {n: total[n] for n in names}


def test_the_daily_reports_of_past_days_count_what_had_happened_by_each_morning(lines, personas):
    command = personas["command"]
    result = run(command, body(lines))
    assert result.written, result.errors
    node = node_for(command)
    for ago in (5, 4, 3, 2, 1, 0):
        expected = first_principles(lines["facts"], cut_off(day(ago)))
        assert figures(report_for(command, node, day(ago)).situation.total) == expected, ago
        rows = situation(command, node, cut_off(day(ago)), source="rows").total
        assert figures(rows) == expected, ago
    # the days differ, so the reports cannot be right by accident
    assert first_principles(lines["facts"], cut_off(day(3)))["close_under_control"] == 0
    assert first_principles(lines["facts"], cut_off(day(2)))["close_under_control"] == 1
    assert first_principles(lines["facts"], cut_off(day(2)))["secondary_identified"] == 1
    # yesterday's and today's reports differ by exactly yesterday's new case (XC-3)
    today = report_for(command, node, day(0)).situation.total
    yesterday = report_for(command, node, day(1)).situation.total
    assert today["cases"] - yesterday["cases"] == 1 == today["cases_new"]
    # one event per fact and status change, one for the import
    actions = Counter(Event.objects.values_list("action", flat=True))
    assert actions["resident.created"] == 9 and actions["case.registered"] == 3
    assert actions["contact.added"] == 5 and actions["contact.status_changed"] == 3
    assert actions["case.transferred"] == 2 and actions["situation.imported"] == 1
    # derived state: the health codes of everyone the cases and contacts name
    k1 = Resident.objects.get(id_number=lines["ids"]["K1"])
    assert CodeStatus.objects.get(person=k1).colour == "red"
    # each fact was recorded now and happened then: the audit keeps both times
    registered = Event.objects.get(action="case.registered", object_label__startswith="XC-1")
    assert registered.at == at(4, 10) and registered.recorded_at > at(0, 0)


def test_the_preview_writes_nothing_and_states_what_it_found_and_the_defaults(lines, personas):
    command = personas["command"]
    with translation.override("zh-hans"):
        result = run(command, body(lines), write=False)
        assert result.ok and not result.written
        kinds = {k["kind"]: k for k in result.kinds()}
        defaults = {(d["kind"], d["column"]): d for d in result.defaults()}
        flagged = result.flagged()
    assert not Case.objects.exists() and not Resident.objects.exists()
    assert kinds["cases"]["new"] == 3 and kinds["contacts"]["new"] == 5
    assert kinds["people"]["new"] == 9
    assert kinds["cases"]["by_district"] == {"魏都区": 3}
    assert kinds["contacts"]["by_status"]["密切接触者 · 已管控"] == 1
    exposure = defaults[("contacts", "末次接触日期/last_exposure_on")]
    assert exposure["rows"] == 4
    assert defaults[("contacts", "当前状态/status")]["rows"] == 2
    assert defaults[("cases", "发现途径/found_by")]["rows"] == 3
    # the child living with K1 is placed with them (the policy's age, stated) …
    household = defaults[("people", "户编号/household_code")]
    assert household["rows"] >= 1
    with_adult = [d for d in result.defaults() if "14" in d["default"]]
    assert with_adult and with_adult[0]["rows"] == 1
    # … the child alone at an address is flagged, not placed anywhere
    assert [(x["row"], x["name"]) for x in flagged] == [(9, "独童")]


def test_the_import_places_people_and_households_as_the_preview_said(lines, personas, city):
    run(personas["command"], body(lines))
    ids = lines["ids"]
    k1 = Resident.objects.get(id_number=ids["K1"])
    kid = Resident.objects.get(id_number=ids["kid"])
    assert kid.household_id == k1.household_id is not None
    assert (k1.relation, kid.relation) == ("head", "child")
    assert k1.division == city.w[Level.UNIT]  # the address names compound, building and unit
    lone = Resident.objects.get(id_number=ids["lone_kid"])
    assert lone.household_id is None and lone.division == city.w[Level.COMMUNITY]
    alone = Resident.objects.get(id_number=ids["A"])
    assert alone.household.code == "SIT-" + ids["A"]


def test_running_the_same_import_again_writes_nothing_and_a_changed_status_is_dated(
    lines, personas
):
    command = personas["command"]
    run(command, body(lines))
    counts = (Resident.objects.count(), Case.objects.count(), Contact.objects.count())
    events = Event.objects.count()
    again = run(command, body(lines))
    assert again.written and again.found.new.total() == 0 and again.found.changed.total() == 0
    assert (Resident.objects.count(), Case.objects.count(), Contact.objects.count()) == counts
    assert Event.objects.count() == events + 1  # only the import's own event
    # K2's status moved on, and case XC-1 was transferred: each dated by its row's time
    lines["contacts"][1] |= {"status": "已管控", "status_at": text(at(1, 9))}
    lines["cases"][0] |= {
        "destination": "方舱医院",
        "destination_name": "方舱一号",
        "transferred_at": text(at(1, 23)),
        "status": "已转运",
    }
    third = run(command, body(lines))
    assert third.written
    assert third.found.changed["contacts"] == 1 and third.found.changed["cases"] == 1
    k2 = Contact.objects.get(person__id_number=lines["ids"]["K2"], case__number="XC-1")
    assert k2.status == ContactStatus.UNDER_CONTROL
    moved = Event.objects.get(object_id=str(k2.pk), action="contact.status_changed")
    assert moved.at == at(1, 9) and (moved.from_value, moved.to_value) == (
        "identified",
        "under_control",
    )
    node = node_for(command)
    assert report_for(command, node, day(1)).situation.total["close_under_control"] == 1
    assert report_for(command, node, day(0)).situation.total["close_under_control"] == 2
    assert Case.objects.get(number="XC-1").transferred_at == at(1, 23)
    # a status dated before the last recorded change is refused, naming the column
    lines["contacts"][1] |= {"status": "已解除", "status_at": text(at(2, 7))}
    refused = run(command, body(lines))
    assert not refused.written
    assert [(e.sheet, e.row, e.column) for e in refused.errors] == [
        ("contacts", 2, "状态时间/status_at")
    ]
    # a transfer time other than the one recorded is refused, naming it
    lines["contacts"][1] |= {"status": "已管控", "status_at": text(at(1, 9))}
    lines["cases"][0]["transferred_at"] = text(at(1, 22))
    refused = run(command, body(lines))
    assert not refused.written
    [error] = refused.errors
    assert (error.sheet, error.row, error.field) == ("cases", 1, "transferred_at")
    assert error.params == {"at": text(at(1, 23))}


def test_one_wrong_row_writes_nothing_and_every_error_names_sheet_row_and_column(lines, personas):
    lines["contacts"][2]["via_id_number"] = lines["ids"]["K3"]  # a close contact of XC-2
    lines["contacts"].append(
        {"case_number": "XC-9", "id_number": lines["ids"]["K3"], "degree": "密接"}
    )
    lines["cases"][1]["transferred_at"] = text(at(3, 8))  # before the case was registered
    lines["people"][8]["身份证号"] = "41100219850301001"  # 17 characters
    lines["people"][2]["身份证号"] = lines["ids"]["C"][:17] + "X"  # wrong check digit
    lines["contacts"][0]["identified_at"] = "昨天"
    with translation.override("zh-hans"):
        result = run(personas["command"], body(lines))
        where = {(e.sheet, e.row, e.column): e.reason for e in result.errors}
    assert not result.written
    assert not Case.objects.exists() and not Contact.objects.exists()
    assert not Resident.objects.exists()
    assert "18" in where[("people", 9, "身份证号/id_number")]
    assert ("people", 3, "身份证号/id_number") in where
    assert ("cases", 2, "转运时间/transferred_at") in where
    assert ("contacts", 1, "判定时间/identified_at") in where
    assert ("contacts", 3, "经由密接身份证号/via_id_number") in where
    assert ("contacts", 6, "病例编号/case_number") in where
    # XC-3 names a person the people sheet does not give rightly: the case row says so, and
    # its contact's row says its case is wrong, rather than that it does not exist
    assert ("cases", 3, "身份证号/id_number") in where
    assert ("contacts", 5, "病例编号/case_number") in where
    assert (
        where[("contacts", 5, "病例编号/case_number")]
        != where[("contacts", 6, "病例编号/case_number")]
    )
    with translation.override("en"):
        english = run(personas["command"], body(lines), write=False)
        reasons = {(e.sheet, e.row, e.column): e.reason for e in english.errors}
    assert reasons[("contacts", 6, "病例编号/case_number")].startswith("No case with this number")


def test_a_district_account_cannot_import_into_another_district(lines, personas, city):
    outsider = f.user("jianan_command", "command", city.jianan)
    result = run(outsider, body(lines))
    assert not result.written and not Resident.objects.exists()
    columns = {(e.sheet, e.column) for e in result.errors}
    assert ("people", "所在地编码/place_code") in columns
    # people registered in 魏都区 named by 建安区's line list are refused per row too
    run(personas["command"], {"people": lines["people"]})
    again = run(outsider, {"cases": lines["cases"]})
    assert not again.written and not Case.objects.exists()
    assert {e.column for e in again.errors} == {"身份证号/id_number"}
    assert {e.row for e in again.errors} == {1, 2, 3}


def test_a_role_without_the_capability_is_refused(lines, personas):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(personas["street"], body(lines))


# Pages and API ------------------------------------------------------------------------------


def _csv(rows: list[dict[str, str]]) -> io.BytesIO:
    header = list(dict.fromkeys(k for r in rows for k in r))
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for r in rows:
        out.write(",".join(r.get(k, "") for k in header) + "\n")
    return io.BytesIO(out.getvalue().encode("utf-8"))


def _upload(name: str, rows):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, _csv(rows).getvalue(), content_type="text/csv")


def test_the_page_previews_then_writes_on_confirmation(lines, personas, login):
    client = login(personas["command"])
    url = reverse("command:situation_import")
    page = client.get(url)
    assert page.status_code == 200 and "病例编号" in page.content.decode()
    menu = client.get(reverse("command:dashboard")).content.decode()
    assert f'href="{url}"' in menu  # in the command centre's navigation
    sample = client.get(url + "?sample=contacts")
    assert sample.content.decode("utf-8").startswith("病例编号,身份证号,类别")
    files = {
        "people": _upload("人员.csv", lines["people"]),
        "cases": _upload("病例.csv", lines["cases"]),
        "contacts": _upload("密接.csv", lines["contacts"]),
    }
    preview = client.post(url, files, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = preview.content.decode()
    assert 'data-outcome="preview"' in html and "独童" in html and "末次接触日期" in html
    assert not Case.objects.exists()
    token = html.split('name="token" value="')[1].split('"')[0]
    # someone else cannot confirm this preview
    other = f.user("other_command", "command", personas["command"].jurisdiction)
    assert (
        login(other).post(reverse("command:situation_confirm"), {"token": token}).status_code == 404
    )
    client = login(personas["command"])
    done = client.post(reverse("command:situation_confirm"), {"token": token})
    assert 'data-outcome="written"' in done.content.decode()
    assert Case.objects.count() == 3 and Contact.objects.count() == 5
    assert Event.objects.filter(action="situation.imported").count() == 1


def test_the_page_shows_errors_by_file_row_and_column(lines, personas, login):
    client = login(personas["command"])
    lines["cases"][0]["sampled_on"] = "五月"
    files = {
        "cases": _upload("病例.csv", lines["cases"]),
        "people": _upload("人员.csv", lines["people"]),
    }
    html = client.post(reverse("command:situation_import"), files).content.decode()
    assert 'data-outcome="rejected"' in html and "病例.csv" in html and "采样日期" in html
    assert 'name="token"' not in html
    assert not Resident.objects.exists()


def test_a_role_without_the_capability_gets_no_page(personas, login):
    assert login(personas["street"]).get(reverse("command:situation_import")).status_code == 403


def test_the_api_previews_and_imports_json_arrays(lines, personas):
    client = bearer_client(personas["command"])
    preview = client.post("/api/situation/preview", body(lines), content_type=JSON)
    assert preview.status_code == 200, preview.content
    assert preview.json()["written"] is False and not Case.objects.exists()
    assert any(d["column"].endswith("last_exposure_on") for d in preview.json()["defaults"])
    done = client.post("/api/situation/import", body(lines), content_type=JSON)
    assert done.status_code == 200 and done.json()["written"] is True
    assert {k["kind"]: k["new"] for k in done.json()["kinds"]} == {
        "people": 9,
        "cases": 3,
        "contacts": 5,
    }
    lines["contacts"][0]["status"] = "???"
    bad = client.post("/api/situation/import", body(lines), content_type=JSON)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "contacts", 0, "status"]


def test_the_api_refuses_an_outsider_per_row(lines, personas, city):
    client = bearer_client(f.user("jianan_api", "command", city.jianan))
    bad = client.post("/api/situation/import", body(lines), content_type=JSON)
    assert bad.status_code == 422 and not Resident.objects.exists()


def test_the_openapi_document_has_the_real_bodies(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/situation/import"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"people", "cases", "contacts"} <= set(body_schema["properties"])
    assert "case_number" in body_schema["properties"]["contacts"]["description"]


def test_people_already_registered_are_matched_and_adults_sharing_an_address_are_flagged(
    lines, personas, city
):
    known = f.resident(city.w[Level.UNIT], "老住户")
    community = city.w[Level.COMMUNITY].code
    people = [
        {"身份证号": known.id_number, "姓名": "老住户", "所在地编码": community},
        {"身份证号": number(300), "姓名": "甲", "所在地编码": community, "住址": "合租屋"},
        {"身份证号": number(301), "姓名": "乙", "所在地编码": community, "住址": "合租屋"},
    ]
    with translation.override("en"):
        result = run(personas["command"], {"people": people})
        defaults = [d["default"] for d in result.defaults()]
        flagged = result.flagged()
    assert result.written and result.found.unchanged["people"] == 1
    assert any(d.startswith("Already registered") for d in defaults)
    assert [x["name"] for x in flagged] == ["甲", "乙"]
    assert "2 adults" in flagged[0]["why"]
    assert Resident.objects.filter(household=None, name__in=["甲", "乙"]).count() == 2
    known.refresh_from_db()
    assert (
        known.name == "老住户" and Resident.objects.filter(id_number=known.id_number).count() == 1
    )


def test_an_xlsx_file_is_read_like_a_csv(lines, personas, login):
    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    book = openpyxl.Workbook()
    sheet = book.active
    header = list(dict.fromkeys(k for r in lines["people"] for k in r))
    sheet.append(header)
    for r in lines["people"]:
        sheet.append([r.get(k, "") for k in header])
    out = io.BytesIO()
    book.save(out)
    upload = SimpleUploadedFile("人员.xlsx", out.getvalue())
    client = login(personas["command"])
    html = client.post(reverse("command:situation_import"), {"people": upload}).content.decode()
    assert 'data-outcome="preview"' in html and 'name="token"' in html
