"""The figures for other systems: /api/command/situation and /api/command/report."""

import pytest

from tests.api.conftest import bearer_client
from tests.command.conftest import T
from tests.command.test_figures import CITY_AT_T


@pytest.fixture
def as_(personas):
    return lambda role: bearer_client(personas[role])


def test_situation_as_of_a_moment(outbreak, as_):
    response = as_("command").get(
        "/api/command/situation", {"as_of": T.isoformat(), "coverage": "true"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["place"]["name"] == "许昌市"
    assert {k: body["figures"].get(k, 0) for k in CITY_AT_T} == CITY_AT_T
    assert [a["name"] for a in body["areas"]] == ["魏都区", "建安区"]
    assert body["areas"][1]["figures"]["confirmed"] == 1
    assert body["curve"]["days"][0] == "2022-05-03"
    assert body["zones"] == [{"code": "high", "label": "高风险区", "zones": 2, "people": 150}]
    r2 = next(r for r in body["rounds"] if r["name"] == "第二轮")
    assert (r2["sampled"], r2["target"]) == (3, 14)


def test_round_coverage_only_when_asked(outbreak, as_):
    body = as_("command").get("/api/command/situation", {"as_of": T.isoformat()}).json()
    r2 = next(r for r in body["rounds"] if r["name"] == "第二轮")
    assert (r2["sampled"], r2["target"], r2["percent"]) == (None, None, None)


def test_situation_of_a_place_within_the_jurisdiction(outbreak, as_):
    response = as_("command").get(
        "/api/command/situation", {"as_of": T.isoformat(), "place": "411002000000"}
    )
    assert response.json()["figures"]["cases"] == 5


def test_report_with_text_and_changes(outbreak, as_, settings):
    settings.LANGUAGE_CODE = "en"
    response = as_("command").get("/api/command/report", {"day": "2022-05-07", "hour": 8})
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"] == "2022-05-07T08:00:00+08:00"
    assert "4 confirmed cases and 2 asymptomatic infections" in body["paragraphs"][0]
    assert "transferred in a closed loop to 许昌市中心医院;" in body["paragraphs"][0]
    lines = {line["label"]: (line["value"], line["change"]) for line in body["lines"]}
    assert lines["Close contacts under control"] == (5, 2)


def test_outsider_gets_nothing_of_another_district(outbreak, as_):
    response = as_("outsider").get("/api/command/situation", {"place": "411002"})
    assert response.status_code == 404
    own = as_("outsider").get("/api/command/situation", {"as_of": T.isoformat()}).json()
    assert own["figures"]["cases"] == 1


def test_roles_without_case_figures_are_refused(outbreak, as_):
    assert as_("lab").get("/api/command/situation").status_code == 403
    assert as_("supply").get("/api/command/report").status_code == 403
