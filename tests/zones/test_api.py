"""The zone API: list, draw, detail, evaluations and their decisions, figures, publication."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.zones.models import Verdict, ZoneStatus
from tests.zones.conftest import evaluate


@pytest.fixture
def zone(draw):
    now = timezone.now()
    return draw(on=timezone.localdate() - dt.timedelta(days=6), now=now)


def test_zones_are_listed_within_jurisdiction(as_, zone):
    body = as_("street").get("/api/zones").json()
    assert [z["id"] for z in body["items"]] == [zone.pk]
    assert body["items"][0]["level_label"] == "high" and body["items"][0]["people"] == 3
    assert as_("outsider").get("/api/zones").json()["items"] == []
    assert as_("outsider").get(f"/api/zones/{zone.pk}").status_code == 404
    assert as_("grid").get("/api/zones").status_code == 403


def test_drawing_through_the_api_names_the_field_of_an_error(as_, building, city):
    client = as_("task_force")
    bad = client.post(
        "/api/zones",
        {"level": "high", "reason": "x", "places": ["999999"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "places"]
    made = client.post(
        "/api/zones",
        {"level": "high", "reason": "病例居住楼栋", "places": [building.code]},
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert body["places"][0]["code"] == building.code and body["places"][0]["people"] == 3
    assert body["obligations"] == "Stay at home; services come to the door"
    assert body["history"][0]["kind"] == "drawn"
    assert (
        as_("street")
        .post("/api/zones", {"level": "high", "reason": "x"}, content_type="application/json")
        .status_code
        == 403
    )


def test_proposals_are_listed_and_approved_through_the_api(as_, zone, building, people, round_on):
    round_on(timezone.localdate() - dt.timedelta(days=1), building, [people["zhang"]])
    evaluate(timezone.localdate())
    client = as_("command")
    [item] = client.get("/api/zone-evaluations?verdict=proposed").json()["items"]
    assert item["zone"] == zone.pk and item["proposed_level"] == "low"
    assert item["notes"] == ["rule_met"] and item["rounds"][0]["sampled"] == 1
    assert as_("outsider").get("/api/zone-evaluations").json()["items"] == []
    assert (
        as_("street")
        .post(f"/api/zone-evaluations/{item['id']}/approve", {}, content_type="application/json")
        .status_code
        == 403
    )

    done = client.post(
        f"/api/zone-evaluations/{item['id']}/approve",
        {"reason": "满足条件"},
        content_type="application/json",
    )

    assert done.status_code == 200 and done.json()["status"] == ZoneStatus.LIFTED
    assert Client().get("/api/public/risk-zones").json() == []
    history = client.get(f"/api/zones/{zone.pk}/evaluations").json()["items"]
    assert history[0]["verdict"] == Verdict.APPROVED and history[0]["decided_by"] == "p_command"


def test_rejecting_through_the_api_needs_a_reason(as_, zone, building, people, round_on):
    round_on(timezone.localdate() - dt.timedelta(days=1), building, [people["zhang"]])
    proposal = evaluate(timezone.localdate())[zone.pk]
    url = f"/api/zone-evaluations/{proposal.pk}/reject"
    client = as_("task_force")
    assert client.post(url, {}, content_type="application/json").status_code == 422
    body = client.post(url, {"reason": "覆盖不足"}, content_type="application/json").json()
    assert body["verdict"] == Verdict.REJECTED and body["decision_reason"] == "覆盖不足"


def test_figures_and_the_public_list(as_, zone):
    figures = as_("street").get("/api/zone-figures").json()
    assert (figures["zones"], figures["people"]) == (1, 3)
    assert figures["levels"] == [{"level": "high", "label": "high", "zones": 1, "people": 3}]
    past = as_("street").get("/api/zone-figures?date=2020-01-01").json()
    assert past["zones"] == 0
    public = Client().get("/api/public/risk-zones")
    assert public.status_code == 200 and public.json()[0]["id"] == zone.pk


def test_a_round_for_the_zone_through_the_api(as_, zone):
    response = as_("command").post(
        f"/api/zones/{zone.pk}/rounds", {"reason": "风险区核酸"}, content_type="application/json"
    )
    assert response.status_code == 201
    [made] = response.json()
    assert made["area"] == zone.areas.get().division.code


def test_drawing_by_a_polygon_through_the_api(as_, building):
    ring = [[113.849, 34.029], [113.851, 34.029], [113.851, 34.031], [113.849, 34.031]]
    response = as_("command").post(
        "/api/zones",
        {"level": "high", "reason": "圈定", "polygon": {"type": "Polygon", "coordinates": [ring]}},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert [p["from_polygon"] for p in body["places"]] == [True]
    assert body["polygons"][0]["coordinates"][0][0] == ring[0]
    bad = as_("command").post(
        "/api/zones",
        {"level": "high", "reason": "x", "polygon": {"type": "Point", "coordinates": [1, 2]}},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "polygon"]
