"""The command figures equal the registry's, as of a moment, after later changes, in scope."""

import datetime as dt
from collections import Counter

import pytest
from django.http import Http404
from django.utils import timezone

from fangkong.command import lists
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.epi.cases import services
from fangkong.epi.contacts import services as contact_services
from fangkong.quarantine.measures.services import stay_end
from tests.command.conftest import SINCE, T

CITY_AT_T = {
    "cases": 6,
    "confirmed": 4,
    "asymptomatic": 2,
    "confirmed_community": 2,
    "confirmed_quarantine": 2,
    "asymptomatic_community": 2,
    "asymptomatic_quarantine": 0,
    "cases_new": 2,
    "confirmed_new": 1,
    "confirmed_new_community": 0,
    "confirmed_new_quarantine": 1,
    "asymptomatic_new": 1,
    "asymptomatic_new_community": 1,
    "asymptomatic_new_quarantine": 0,
    "reclassified_new": 1,
    "transferred": 4,
    "transferred_new": 2,
    "case_reported": 2,
    "case_transferred": 4,
    "case_recovered": 0,
    "close": 6,
    "secondary": 1,
    "close_under_control": 5,
    "close_located": 1,
    "close_identified": 0,
    "close_released": 0,
    "close_not_controlled": 1,
    "secondary_identified": 1,
    "secondary_not_controlled": 1,
    "secondary_under_control": 0,
    "close_new": 2,
    "secondary_new": 1,
    "close_under_control_before": 3,
    "close_identified_before": 1,
    "sites": 1,
    "rooms": 2,
    "beds": 3,
    "rooms_occupied": 2,
    "people": 2,
    "people_before": 1,
    "admitted_new": 1,
    "released_new": 1,
    "released": 2,
    "transferred_out_new": 0,
    "measures": 1,
    "measure_close_contact": 1,
    "rounds": 2,
    "rounds_closed": 1,
    "rounds_open": 1,
    "zones_high": 2,
    "zone_people_high": 150,
}


def figures(user, place="", moment=T):
    return situation(user, node_for(user, place), moment)


def picked(counter: Counter, names) -> dict[str, int]:
    return {name: counter[name] for name in names}


def test_city_figures_as_of_the_cut_off_equal_the_registry(outbreak, personas):
    s = figures(personas["command"])
    assert picked(s.total, CITY_AT_T) == CITY_AT_T
    assert s.at == T and s.since == SINCE
    sections = {"care", "cases", "contacts", "quarantine", "testing", "zones", "supplies"}
    assert s.sections == sections | {"assistance"}


def test_city_figures_by_district(outbreak, personas):
    s = figures(personas["command"])
    by = {a.name: a.figures for a in s.rows}
    assert list(by) == ["魏都区", "建安区"]
    assert picked(by["建安区"], ["cases", "confirmed", "transferred", "close", "sites"]) == {
        "cases": 1,
        "confirmed": 1,
        "transferred": 1,
        "close": 1,
        "sites": 0,
    }
    weidu = picked(by["魏都区"], ["cases", "confirmed", "asymptomatic", "close", "people"])
    assert weidu == {"cases": 5, "confirmed": 3, "asymptomatic": 2, "close": 5, "people": 2}
    for name in ("cases", "close", "secondary", "people", "sites", "rooms", "measures"):
        assert sum(a.figures[name] for a in s.rows) == s.total[name], name


def test_every_figure_of_a_district_row(outbreak, personas):
    """建安区 at T: one confirmed case found in the community and transferred two days
    before, its close contact under control; nothing else."""
    s = figures(personas["command"])
    jianan = next(a for a in s.rows if a.name == "建安区")
    city_wide = {"rounds", "rounds_closed", "rounds_open", "zones_high", "zone_people_high"}
    expected = {name: 0 for name in CITY_AT_T if name not in city_wide}
    expected.update(
        cases=1,
        confirmed=1,
        confirmed_community=1,
        transferred=1,
        case_transferred=1,
        close=1,
        close_under_control=1,
        close_under_control_before=1,
    )
    assert picked(jianan.figures, expected) == expected


def test_district_sees_its_streets_and_only_its_own_figures(outbreak, personas):
    user = personas["street"]
    s = situation(user, node_for(user), T, coverage=True)  # 魏都区
    assert s.node.name == "魏都区"
    assert [a.name for a in s.rows] == ["西大街街道", "东大街街道"]
    assert picked(s.total, ["cases", "confirmed", "asymptomatic", "close", "secondary"]) == {
        "cases": 5,
        "confirmed": 3,
        "asymptomatic": 2,
        "close": 5,
        "secondary": 1,
    }
    east = s.rows[1].figures
    assert picked(east, ["cases", "asymptomatic", "close", "close_under_control"]) == {
        "cases": 1,
        "asymptomatic": 1,
        "close": 1,
        "close_under_control": 1,
    }
    r2 = next(r for r in s.rounds if r.round.name == "第二轮")
    assert (r2.sampled, r2.target, r2.closed) == (3, 14, False)


def test_outsider_sees_nothing_of_another_district(outbreak, personas):
    s = figures(personas["outsider"])  # 建安区
    assert picked(s.total, ["cases", "confirmed", "close", "sites", "people", "rounds"]) == {
        "cases": 1,
        "confirmed": 1,
        "close": 1,
        "sites": 0,
        "people": 0,
        "rounds": 1,  # the city-wide round covers 建安区 too
    }
    assert s.total["zones_high"] == 0  # 建安区's zone is drawn on 8 May
    with pytest.raises(Http404):
        node_for(personas["outsider"], outbreak.city.weidu.key)
    with pytest.raises(Http404):
        node_for(personas["outsider"], outbreak.city.w[5].code)


def test_a_user_without_a_jurisdiction_gets_no_figures(outbreak, personas):
    nobody = personas["task_force"]
    nobody.jurisdiction = None
    with pytest.raises(Http404):
        node_for(nobody)


def later_changes(outbreak, actor):
    """Reclassify, transfer, close and release through the services, years after T."""
    c, k = outbreak.cases, outbreak.contacts
    services.case_reclassify(actor=actor, case=c["c6"], kind="confirmed", reason="CT")
    services.case_close(
        actor=actor,
        case=c["c1"],
        status="recovered",
        outcome_on=timezone.localdate(),
        reason="出院",
    )
    services.case_transfer(
        actor=actor,
        case=c["c4"],
        destination="designated_hospital",
        destination_name="许昌市中心医院",
        transferred_at=timezone.now(),
        reason="闭环转运",
    )
    for name, status in (("k5", "released"), ("k8", "released"), ("k3", "under_control")):
        contact_services.contact_set_status(
            actor=actor, contact=k[name], status=status, reason="核实"
        )
    stay_end(actor=actor, stay=outbreak.stays["st1"], status="released", reason="期满")


def test_figures_as_of_a_past_moment_stay_after_later_changes(outbreak, personas):
    later_changes(outbreak, personas["command"])
    s = figures(personas["command"])
    assert picked(s.total, CITY_AT_T) == CITY_AT_T


def test_figures_now_follow_the_later_changes(outbreak, personas):
    later_changes(outbreak, personas["command"])
    s = figures(personas["command"], moment=timezone.now() + dt.timedelta(seconds=1))
    assert picked(
        s.total,
        ["cases", "confirmed", "asymptomatic", "case_recovered", "transferred", "close_released"],
    ) == {
        "cases": 7,  # c5 is known now
        "confirmed": 6,
        "asymptomatic": 1,
        "case_recovered": 1,
        "transferred": 5,
        "close_released": 2,
    }
    assert s.total["close_under_control"] == 4  # k1, k2, k7, k3 (k5, k8 released)
    assert s.total["people"] == 1  # st1 left


def test_a_moment_between_two_changes_sees_the_state_in_between(outbreak, personas):
    """k2: identified, located at 09:00 on 6 May (English label), under control at 20:00
    (Chinese label); k7 under control at 07:00 on 7 May (codes)."""
    user = personas["command"]
    noon = figures(user, moment=SINCE + dt.timedelta(hours=4))
    assert noon.total["close_located"] == 1  # k2 only: k3 is added at 14:00
    evening = figures(user, moment=SINCE + dt.timedelta(hours=13))
    assert evening.total["close_under_control"] == 4  # k1, k2, k5, k8
    assert evening.total["close_identified"] == 1  # k7, added at 19:00
    assert evening.total["close_located"] == 1


@pytest.mark.parametrize("place", ["", "411002", "411002002", "411003"])
def test_every_figure_opens_a_list_of_exactly_that_many_rows(outbreak, personas, place):
    user = personas["command"]
    node = node_for(user, place)
    s = situation(user, node, T)
    checked = 0
    for figure, (name, params) in lists.FIGURE_LINKS.items():
        fl = lists.LISTS[name]
        qs = fl.rows(node, T, SINCE, params)
        assert qs.count() == s.total[figure], figure
        checked += 1
    assert checked >= 50


def test_lists_follow_the_moment_after_later_changes(outbreak, personas):
    later_changes(outbreak, personas["command"])
    user = personas["command"]
    node = node_for(user)
    q = {"degree": "close", "status": "under_control"}
    rows = lists.LISTS["contacts"].rows(node, T, SINCE, q)
    assert {r.person.name for r in rows} == {"甲六", "甲七", "甲十", "乙二", "丙二"}


def test_epidemic_curve_by_onset_and_report_date(outbreak, personas):
    s = figures(personas["command"])
    curve = s.curve
    assert curve["days"][0] == "2022-05-03" and curve["days"][-1] == "2022-05-06"
    days = curve["days"]
    reported = {
        d: (curve["reported"]["confirmed"][i], curve["reported"]["asymptomatic"][i])
        for i, d in enumerate(days)
    }
    assert reported == {
        "2022-05-03": (0, 0),
        "2022-05-04": (1, 0),  # c7
        "2022-05-05": (2, 1),  # c1, c3 (reclassified), c2
        "2022-05-06": (1, 1),  # c4, c6
    }
    onset = {d: curve["onset"]["confirmed"][i] for i, d in enumerate(days)}
    assert onset == {"2022-05-03": 1, "2022-05-04": 0, "2022-05-05": 1, "2022-05-06": 0}


def test_case_map_counts_cases_per_community(outbreak, personas):
    s = figures(personas["command"])
    by = {p["name"]: (p["cases"], p["new"]) for p in s.places}
    assert by == {"西大社区": (4, 1), "东大社区": (1, 1), "新元社区": (1, 0)}


def test_an_administrator_sees_the_whole_city(outbreak, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    s = figures(admin)
    assert s.node.name == "许昌市"
    assert picked(s.total, CITY_AT_T) == CITY_AT_T
