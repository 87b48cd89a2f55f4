"""The situation import's quarantine and area kinds (issue 15, items 2 and 4): people under
measures, quarantine sites with rooms and beds, stays, zones and testing rounds, each with the
times it happened. All or nothing with errors naming the sheet, row and column; idempotent on
natural keys; the defaults and the people to decide about stated in the preview; scoped per
row; and the daily reports of past days, computed afterwards, count the people in quarantine,
the sites in use and the zones in force as they were each morning."""

import datetime as dt
from collections import Counter

import pytest
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.command.places import node_for
from fangkong.command.report import cut_off, report_for
from fangkong.lab import models as lab
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.models import Measure, MeasureStatus, Room, RoomStatus, Site, Stay
from fangkong.zones.models import Zone, ZoneChange
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.command.test_situation_import import JSON, at, day, line_list, run, text


@pytest.fixture
def lines(city, personas):

    profile = PolicyProfile.objects.get(code="9th-edition")
    profile_activate(profile=profile, actor=personas["command"], reason="test")
    return quarantine_list(city, line_list(city))


def quarantine_list(city, base):
    """The line list of `test_situation_import` and what the city kept of its quarantine:
    two sites (one opened two days ago), four rooms (beds and floors left out on some), four
    people under measures (one released yesterday), five stays (a child with the adult of its
    household; a child alone and under no measure), two zones (one lifted yesterday) and a
    testing round."""
    ids = base["ids"]
    sites = [
        {
            "隔离点编码": "GL-01",
            "隔离点名称": "许昌宾馆",
            "隔离点类型": "酒店",
            "所在地编码": "411002",
            "启用时间": text(at(5, 8)),
            "每间床位数": "2",
        },
        {
            "隔离点编码": "GL-02",
            "隔离点名称": "培训中心",
            "所在地编码": city.w[Level.STREET].code,
            "启用时间": text(at(2, 9)),
        },
    ]
    rooms = [
        {"隔离点编码": "GL-01", "楼栋": "A", "房间号": "101", "楼层": "1", "床位数": "2"},
        {"隔离点编码": "GL-01", "楼栋": "A", "房间号": "102", "楼层": "1"},  # beds: the site's
        {"隔离点编码": "GL-01", "楼栋": "A", "房间号": "201"},  # floor 2, beds 2: stated
        {"隔离点编码": "GL-02", "楼栋": "B", "房间号": "101", "床位数": "1"},
    ]
    measures = [
        {
            "身份证号": ids["K1"],
            "管控类别": "密接",
            "开始时间": text(at(4, 18)),
            "起算日期": day(4).isoformat(),
        },
        {"身份证号": ids["kid"], "管控类别": "密接", "开始时间": text(at(4, 18))},
        {
            "身份证号": ids["K2"],
            "管控类别": "密接",
            "开始时间": text(at(3, 10)),
            "解除时间": text(at(1, 12)),
        },
        {"身份证号": ids["S1"], "管控类别": "次密接", "开始时间": text(at(3, 12))},
    ]
    stays = [
        {"身份证号": ids["K1"], "隔离点编码": "GL-01", "楼栋": "A", "房间号": "101",
         "入住时间": text(at(4, 20))},
        {"身份证号": ids["kid"], "隔离点编码": "GL-01", "楼栋": "A", "房间号": "101",
         "入住时间": text(at(4, 20))},
        {"身份证号": ids["K2"], "隔离点编码": "GL-01", "楼栋": "A", "房间号": "102",
         "入住时间": text(at(3, 14)), "离开时间": text(at(1, 12))},
        {"身份证号": ids["S1"], "隔离点编码": "GL-01", "楼栋": "A", "房间号": "201",
         "入住时间": text(at(3, 13))},
        {"身份证号": ids["lone_kid"], "隔离点编码": "GL-02", "楼栋": "B", "房间号": "101",
         "入住时间": text(at(2, 10))},
    ]  # fmt: skip
    zones = [
        {
            "区域编码": city.w[Level.BUILDING].code,
            "风险等级": "高风险区",
            "划定时间": text(at(4, 12)),
            "划定依据": "XC-1 所住楼栋",
        },
        {
            "区域编码": city.w[Level.COMPOUND].code,
            "风险等级": "中风险区",
            "区域名称": "幸福小区",
            "划定时间": text(at(3, 7)),
            "解除时间": text(at(1, 7)),
        },
    ]
    rounds = [
        {
            "轮次名称": "魏都区第1轮",
            "区域编码": "411002",
            "开始时间": text(at(3, 6)),
            "结束时间": text(at(3, 22)),
        }
    ]
    facts = {
        "stays": [
            (at(4, 20), None),
            (at(4, 20), None),
            (at(3, 14), at(1, 12)),
            (at(3, 13), None),
            (at(2, 10), None),
        ],
        "sites": [at(5, 8), at(2, 9)],
        "zones": [("high", at(4, 12), None), ("medium", at(3, 7), at(1, 7))],
        "measures": [
            (at(4, 18), None),
            (at(4, 18), None),
            (at(3, 10), at(1, 12)),
            (at(3, 12), None),
        ],
    }
    return base | {
        "sites": sites,
        "rooms": rooms,
        "measures": measures,
        "stays": stays,
        "zones": zones,
        "rounds": rounds,
        "facts2": facts,
    }


KINDS = ("people", "cases", "contacts", "measures", "sites", "rooms", "stays", "zones", "rounds")


def body(lines, kinds=KINDS):
    return {k: lines[k] for k in kinds}


def first_principles(facts, moment: dt.datetime) -> dict[str, int]:
    def inside(start, end):
        return start <= moment and (end is None or end > moment)

    out = {
        "people": sum(1 for came, left in facts["stays"] if inside(came, left)),
        "sites": sum(1 for opened in facts["sites"] if opened <= moment),
        "measures": sum(1 for start, end in facts["measures"] if inside(start, end)),
    }
    for level in ("high", "medium"):
        out[f"zones_{level}"] = sum(
            1 for lv, drawn, lifted in facts["zones"] if lv == level and inside(drawn, lifted)
        )
    return out


def test_the_daily_reports_of_past_days_count_quarantine_sites_and_zones_as_they_were(
    lines, personas
):
    command = personas["command"]
    result = run(command, body(lines))
    assert result.written, result.errors
    node = node_for(command)
    seen = set()
    for ago in (5, 4, 3, 2, 1, 0):
        expected = first_principles(lines["facts2"], cut_off(day(ago)))
        total = report_for(command, node, day(ago)).situation.total
        assert {k: total[k] for k in expected} == expected, ago
        seen.add(tuple(expected.values()))
    assert len(seen) >= 4  # the mornings differ, so the reports cannot be right by accident
    # the rounds count from when they started
    assert lab.TestingRound.objects.get().starts_at == at(3, 6)
    # each fact is one event dated when it happened; the import is one more
    actions = Counter(Event.objects.values_list("action", flat=True))
    assert actions["site.registered"] == 2 and actions["measure.started"] == 4
    assert actions["measure.closed"] == 1 and actions["stay.checked_in"] == 5
    assert actions["stay.ended"] == 1 and actions["zone.drawn"] == 2
    assert actions["zone.level_changed"] == 1 and actions["round.started"] == 1
    assert actions["round.closed"] == 1 and actions["situation.imported"] == 1
    checked_in = Event.objects.filter(action="stay.checked_in").order_by("at").first()
    assert checked_in is not None and checked_in.at == at(4, 20)
    # the measures are planned by the policy, through the quarantine service
    k1 = Measure.objects.get(person__id_number=lines["ids"]["K1"])
    assert k1.phases.exists() and k1.tests.exists() and k1.anchor_on == day(4)
    k2 = Measure.objects.get(person__id_number=lines["ids"]["K2"])
    assert k2.status == MeasureStatus.RELEASED and k2.closed_at == at(1, 12)
    assert not k2.tests.filter(status="due").exists()
    started = Event.objects.get(action="measure.started", object_id=str(k2.pk))
    assert started.at == k2.started_at == at(3, 10)  # each row its own time, one bulk start
    # stays belong to the measures; rooms say who is in them (derived once)
    k1_stay = Stay.objects.get(person__id_number=lines["ids"]["K1"])
    assert k1_stay.measure_id == k1.pk and k1_stay.status == "in"
    assert Stay.objects.get(person__id_number=lines["ids"]["lone_kid"]).measure_id is None
    statuses = dict(Room.objects.values_list("number", "status").filter(site__code="GL-01"))
    assert statuses == {
        "101": RoomStatus.OCCUPIED,
        "102": RoomStatus.CLEANING,
        "201": RoomStatus.OCCUPIED,
    }
    lifted = Zone.objects.get(name="幸福小区")
    assert lifted.status == "lifted" and lifted.ended_at == at(1, 7)
    assert ZoneChange.objects.filter(zone=lifted).count() == 2


def test_the_preview_states_counts_defaults_and_the_people_to_decide_about(lines, personas):
    command = personas["command"]
    with translation.override("zh-hans"):
        result = run(command, body(lines), write=False)
        assert result.ok, result.errors
        kinds = {k["kind"]: k for k in result.kinds()}
        defaults = {(d["kind"], d["column"]): d for d in result.defaults()}
        flagged = [(x["kind"], x["row"], x["name"]) for x in result.flagged()]
    assert not Site.objects.exists() and not Stay.objects.exists() and not Zone.objects.exists()
    assert {k: kinds[k]["new"] for k in KINDS[3:]} == {
        "measures": 4,
        "sites": 2,
        "rooms": 4,
        "stays": 5,
        "zones": 2,
        "rounds": 1,
    }
    beds = defaults[("rooms", "床位数/beds")]
    assert beds["rows"] == 2 and "（2 张）" in beds["default"]  # the site's beds per room
    assert defaults[("rooms", "楼层/floor")]["rows"] == 2  # A-201 and B-101
    assert defaults[("sites", "每间床位数/beds_per_room")]["rows"] == 1
    assert defaults[("measures", "起算日期/anchor_on")]["rows"] == 3
    assert defaults[("zones", "区域名称/name")]["rows"] == 1
    assert defaults[("rounds", "混采人数/pool_size")]["rows"] == 1
    assert kinds["stays"]["by_status"] == {"在住": 4, "已解除": 1}
    assert kinds["zones"]["by_status"] == {"高风险区 · 生效中": 1, "中风险区 · 已解除": 1}
    # the child alone, under no measure, is flagged twice (no measure; no adult in the room);
    # the child with the adult of its household is not
    assert ("stays", 5, "独童") in flagged and flagged.count(("stays", 5, "独童")) == 2
    assert not any(name == "小孩" for _kind, _row, name in flagged)


def test_the_upload_page_offers_each_new_kind_with_its_chinese_headers(personas, login):
    from django.urls import reverse

    client = login(personas["command"])
    url = reverse("command:situation_import")
    page = client.get(url).content.decode()
    for header in ("入住时间", "每间床位数", "划定时间", "管控类别", "混采人数"):
        assert header in page
    sample = client.get(url + "?sample=stays").content.decode("utf-8")
    assert sample.startswith("身份证号,隔离点编码,楼栋,房间号,入住时间,离开时间")


def test_the_rooms_take_the_site_beds_per_room_as_the_preview_said(lines, personas):
    run(personas["command"], body(lines))
    beds = dict(Room.objects.filter(site__code="GL-01").values_list("number", "beds"))
    assert beds == {"101": 2, "102": 2, "201": 2}
    assert Room.objects.get(site__code="GL-01", number="201").floor == 2
    assert Site.objects.get(code="GL-01").division.name == "魏都区"  # by its 6-digit code


def test_running_the_same_import_again_writes_nothing(lines, personas):
    command = personas["command"]
    run(command, body(lines))
    counted = [
        m.objects.count() for m in (Measure, Site, Room, Stay, Zone, ZoneChange, lab.TestingRound)
    ]
    events = Event.objects.count()
    again = run(command, body(lines))
    assert again.written and again.found.new.total() == 0 and again.found.changed.total() == 0
    assert [
        m.objects.count() for m in (Measure, Site, Room, Stay, Zone, ZoneChange, lab.TestingRound)
    ] == counted
    assert Event.objects.count() == events + 1  # the import's own event


def test_one_wrong_row_writes_nothing_and_errors_name_sheet_row_and_column(lines, personas):
    lines["stays"][2]["离开时间"] = text(at(3, 12))  # before the check-in
    lines["stays"][3]["房间号"] = "999"  # no such room
    lines["rooms"][3]["床位数"] = "很多"
    lines["sites"][1]["启用时间"] = text(at(0, 0) + dt.timedelta(days=3))  # in the future
    lines["zones"][0]["风险等级"] = "红色"
    lines["zones"][1]["解除时间"] = text(at(4, 7))  # before it was drawn
    lines["measures"][2]["解除时间"] = text(at(3, 9))  # before it started
    lines["rounds"][0]["区域编码"] = "999999"
    with translation.override("zh-hans"):
        result = run(personas["command"], body(lines))
        where = {(e.sheet, e.row, e.column) for e in result.errors}
    assert not result.written
    for model in (Measure, Site, Room, Stay, Zone, lab.TestingRound):
        assert not model.objects.exists(), model
    assert ("stays", 3, "离开时间/checked_out_at") in where
    assert ("stays", 4, "房间号/room") in where
    assert ("rooms", 4, "床位数/beds") in where
    assert ("sites", 2, "启用时间/opened_at") in where
    assert ("zones", 1, "风险等级/level") in where
    assert ("zones", 2, "解除时间/lifted_at") in where
    assert ("measures", 3, "解除时间/closed_at") in where
    assert ("rounds", 1, "区域编码/area_code") in where
    # the stays at the wrong site say their site's row is wrong, not that it does not exist
    assert ("stays", 5, "隔离点编码/site_code") in where


def test_an_outsider_is_refused_per_row(lines, personas, city):
    command = personas["command"]
    run(command, body(lines, ("people", "sites", "rooms")))
    outsider = f.user("jianan_command", "command", city.jianan)
    result = run(outsider, body(lines, ("measures", "stays", "zones", "rounds")))
    assert not result.written
    columns = Counter((e.sheet, e.column) for e in result.errors)
    assert columns[("measures", "身份证号/id_number")] == 4
    assert columns[("stays", "身份证号/id_number")] == 5
    assert columns[("zones", "区域编码/place_codes")] == 2
    assert columns[("rounds", "区域编码/area_code")] == 1
    assert not Measure.objects.exists() and not Stay.objects.exists()
    # the sites registered in 魏都区 cannot be taken by 建安区 either
    again = run(outsider, body(lines, ("sites",)))
    assert {(e.row, e.column) for e in again.errors} == {
        (1, "隔离点编码/code"),
        (2, "隔离点编码/code"),
    }


def test_a_person_with_an_open_stay_or_another_measure_is_refused(lines, personas):
    command = personas["command"]
    run(command, body(lines))
    ids = lines["ids"]
    stays = [{"身份证号": ids["S1"], "隔离点编码": "GL-01", "楼栋": "A", "房间号": "102",
              "入住时间": text(at(0, 1))}]  # fmt: skip
    measures = [{"身份证号": ids["S1"], "管控类别": "密接", "开始时间": text(at(0, 1))}]
    result = run(command, {"stays": stays, "measures": measures})
    assert not result.written
    assert {(e.sheet, e.column) for e in result.errors} == {
        ("stays", "身份证号/id_number"),
        ("measures", "身份证号/id_number"),
    }


def test_the_api_takes_the_new_arrays_and_the_openapi_document_shows_them(lines, personas, client):
    api = bearer_client(personas["command"])
    done = api.post("/api/situation/import", body(lines), content_type=JSON)
    assert done.status_code == 200, done.content
    assert {k["kind"]: k["new"] for k in done.json()["kinds"]}["stays"] == 5
    lines["stays"][0]["入住时间"] = "昨天"
    bad = api.post("/api/situation/preview", body(lines), content_type=JSON)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "stays", 0, "checked_in_at"]
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/situation/import"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body_schema = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(body_schema["properties"]) == set(KINDS)
    assert "checked_in_at" in body_schema["properties"]["stays"]["description"]


def test_a_room_filled_beyond_its_beds_is_flagged_not_refused(lines, personas):
    ids = lines["ids"]
    lines["stays"].append(
        {
            "身份证号": ids["K3"],
            "隔离点编码": "GL-02",
            "楼栋": "B",
            "房间号": "101",  # 1 bed, the lone child already in it
            "入住时间": text(at(1, 9)),
        }
    )
    with translation.override("en"):
        result = run(personas["command"], body(lines), write=False)
        flagged = [(x["row"], x["why"]) for x in result.flagged() if x["kind"] == "stays"]
    assert result.ok
    assert (6, "2 people at once in a room of 1 beds: check the room's beds or the stays") in (
        flagged
    )
    assert not any("at once" in why for row, why in flagged if row != 6)


def test_a_re_import_applies_later_facts_as_dated_events_once(lines, personas):
    """The city's sheets, a day later, now say K1's measure ended and K1 checked out, and the
    round closed: a re-import applies each as an event dated when it happened (the reports of
    the mornings after count them, those before do not); a third run changes nothing; an end
    that conflicts with what is recorded, or comes before the start, is refused naming the
    sheet, row and column, and nothing of that run is written."""
    command = personas["command"]
    ids = lines["ids"]
    del lines["rounds"][0]["结束时间"]
    assert run(command, body(lines)).written
    lines["measures"][0]["解除时间"] = text(at(1, 15))
    lines["stays"][0]["离开时间"] = text(at(1, 15))
    lines["rounds"][0]["结束时间"] = text(at(2, 22))
    lines["zones"][0]["解除时间"] = text(at(1, 18))
    with translation.override("zh-hans"):
        preview = run(command, body(lines), write=False)
        kinds = {k["kind"]: k for k in preview.kinds()}
    assert preview.ok, preview.errors
    assert {k: kinds[k]["changed"] for k in ("measures", "stays", "rounds", "zones")} == {
        "measures": 1,
        "stays": 1,
        "rounds": 1,
        "zones": 1,
    }
    events = Event.objects.count()
    again = run(command, body(lines))
    assert again.written, again.errors
    assert Event.objects.count() == events + 4 + 1  # one per later fact, one for the import
    k1 = Measure.objects.get(person__id_number=ids["K1"])
    assert (k1.status, k1.closed_at) == (MeasureStatus.RELEASED, at(1, 15))
    assert Event.objects.get(action="measure.closed", object_id=str(k1.pk)).at == at(1, 15)
    stay = Stay.objects.get(person__id_number=ids["K1"])
    assert (stay.status, stay.checked_out_at) == ("released", at(1, 15))
    assert Event.objects.get(action="stay.ended", object_id=str(stay.pk)).at == at(1, 15)
    assert Room.objects.get(site__code="GL-01", number="101").status == RoomStatus.OCCUPIED
    testing_round = lab.TestingRound.objects.get()
    assert (testing_round.status, testing_round.closed_at) == ("closed", at(2, 22))
    node = node_for(command)
    facts = lines["facts2"]
    facts["stays"][0] = (at(4, 20), at(1, 15))
    facts["measures"][0] = (at(4, 18), at(1, 15))
    facts["zones"][0] = ("high", at(4, 12), at(1, 18))
    zone = Zone.objects.get(started_at=at(4, 12))
    assert (zone.status, zone.ended_at) == ("lifted", at(1, 18))
    assert ZoneChange.objects.filter(zone=zone).order_by("at").last().at == at(1, 18)
    for ago in (2, 1, 0):
        expected = first_principles(facts, cut_off(day(ago)))
        total = report_for(command, node, day(ago)).situation.total
        assert {k: total[k] for k in expected} == expected, ago
        assert total["rounds_closed"] == (1 if ago < 2 else 0), ago
    # a third run: nothing left to apply
    events = Event.objects.count()
    third = run(command, body(lines))
    assert third.written and third.found.changed.total() == 0 and third.found.new.total() == 0
    assert Event.objects.count() == events + 1
    # ends that conflict with the record, or precede the start: refused, nothing written
    lines["stays"][2]["离开时间"] = text(at(1, 13))  # K2 left at 12:00, as recorded
    lines["measures"][1]["解除时间"] = text(at(5, 12))  # the kid's measure began on day 4
    lines["rounds"][0]["结束时间"] = text(at(2, 23))  # recorded: 22:00
    lines["zones"][1]["解除时间"] = text(at(1, 8))  # recorded: 07:00
    lines["measures"][3]["解除时间"] = text(at(1, 20))  # a good later fact, in the same run
    with translation.override("zh-hans"):
        refused = run(command, body(lines))
        where = {(e.sheet, e.row, e.column): e.params for e in refused.errors}
    assert not refused.written
    assert set(where) == {
        ("stays", 3, "离开时间/checked_out_at"),
        ("measures", 2, "解除时间/closed_at"),
        ("rounds", 1, "结束时间/closed_at"),
        ("zones", 2, "解除时间/lifted_at"),
    }
    assert where[("stays", 3, "离开时间/checked_out_at")] == {"at": text(at(1, 12))}
    assert where[("rounds", 1, "结束时间/closed_at")] == {"at": text(at(2, 22))}
    assert Event.objects.count() == events + 1
    s1 = Measure.objects.get(person__id_number=ids["S1"])
    assert s1.status == MeasureStatus.ACTIVE and s1.closed_at is None
