"""The trips API: report (idempotent), arrival with hand-over, hand-overs for the community,
who has not complied; masking, field-named errors, roles and scope."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.people.idnumber import mask_id_number
from fangkong.quarantine.models import DueTestStatus, ScheduledTest
from fangkong.travel.models import Trip
from tests import factories as f
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.usefixtures("english")

JSON = "application/json"


@pytest.fixture
def as_(personas, far_checkpoint):
    clients = {}
    users = {**personas, "far_checkpoint": far_checkpoint}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(users[role])
        return clients[role]

    return _as


def post(client, url, body=None):
    return client.post(url, body or {}, content_type=JSON)


def trip_body(city, id_number, **kw):
    body = {
        "id_number": id_number,
        "name": "张伟",
        "phone": "13900000001",
        "origin": "郑州市金水区",
        "origin_kind": "high_risk_area",
        "departed_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
        "arriving_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "transport": "flight",
        "transport_number": "CZ3456",
        "destination": city.w[f.Level.COMMUNITY].code,
        "address": "幸福小区 1号楼",
    }
    body.update(kw)
    return body


def test_report_a_trip_masked_and_idempotent(as_, people, city):
    zhang = people["zhang"]
    first = post(as_("task_force"), "/api/trips", trip_body(city, zhang.id_number))
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["status"] == "reported" and body["person_id"] == zhang.pk
    assert body["id_number"] == mask_id_number(zhang.id_number)
    assert zhang.id_number not in first.content.decode()
    assert body["destination"]["key"] == city.w[f.Level.BUILDING].key  # "幸福小区 1号楼"
    again = post(as_("task_force"), "/api/trips", trip_body(city, zhang.id_number))
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Trip.objects.count() == 1


def test_errors_name_the_field(as_, people, city):
    tf = as_("task_force")
    unknown = post(tf, "/api/trips", trip_body(city, people["zhang"].id_number, destination="9"))
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "destination"]
    future = post(
        tf, "/api/trips", trip_body(city, people["zhang"].id_number, departed_on="2999-01-01")
    )
    assert future.status_code == 422
    assert future.json()["detail"][0]["loc"] == ["body", "departed_on"]
    far = post(as_("far_checkpoint"), "/api/trips", trip_body(city, people["zhang"].id_number))
    assert far.status_code == 422 and "outside your jurisdiction" in far.content.decode()
    assert post(as_("street"), "/api/trips", trip_body(city, "x")).status_code == 403


def test_arrival_hands_over_and_the_community_acknowledges(as_, people, city):
    trip = post(as_("task_force"), "/api/trips", trip_body(city, people["zhang"].id_number)).json()
    arrival = post(
        as_("task_force"),
        f"/api/trips/{trip['id']}/arrival",
        {"checkpoint": "新郑机场", "barcode": "A-1"},
    )
    assert arrival.status_code == 200, arrival.content
    body = arrival.json()
    assert body["status"] == "handed_over" and body["category"] == "high_risk_area_leaver"
    assert body["arrival"]["checkpoint"] == "新郑机场" and body["arrival"]["result"] is None
    left = timezone.localdate() - dt.timedelta(days=2)
    first, last = left + dt.timedelta(days=1), left + dt.timedelta(days=7)
    assert body["handover"]["obligations"][1] == f"Home quarantine from {first} to {last}."
    again = post(as_("task_force"), f"/api/trips/{trip['id']}/arrival", {"checkpoint": "x"})
    assert again.status_code == 422 and "already recorded" in again.content.decode()
    listed = as_("street").get("/api/handovers", {"acknowledged": False}).json()["items"]
    assert [h["trip_code"] for h in listed] == [trip["code"]]
    handover_id = listed[0]["id"]
    assert as_("outsider").get("/api/handovers").json()["items"] == []
    outsider = post(as_("outsider"), f"/api/handovers/{handover_id}/acknowledge")
    assert outsider.status_code == 404
    ack = post(as_("street"), f"/api/handovers/{handover_id}/acknowledge")
    assert ack.status_code == 200 and ack.json()["acknowledged_at"]
    twice = post(as_("street"), f"/api/handovers/{handover_id}/acknowledge")
    assert twice.status_code == 422


def test_not_complied_and_filters(as_, people, city):
    tf = as_("task_force")
    trip = post(tf, "/api/trips", trip_body(city, people["zhang"].id_number)).json()
    post(tf, f"/api/trips/{trip['id']}/arrival", {"checkpoint": "东站"})
    ScheduledTest.objects.filter(person=people["zhang"]).update(status=DueTestStatus.MISSED)
    late = as_("street").get("/api/handovers/not-complied").json()["items"]
    assert {(r["name"], r["status"]) for r in late} == {("张伟", "missed")}
    assert all(r["trip_code"] == trip["code"] for r in late) and "****" in late[0]["phone"]
    assert as_("outsider").get("/api/handovers/not-complied").json()["items"] == []
    street = as_("street")
    community = city.w[f.Level.COMMUNITY].code
    assert len(street.get("/api/trips", {"community": community}).json()["items"]) == 1
    assert street.get("/api/trips", {"origin_kind": "abroad"}).json()["items"] == []
    assert len(street.get("/api/trips", {"q": trip["code"]}).json()["items"]) == 1
    wrong = street.get("/api/trips", {"community": city.j[f.Level.COMMUNITY].code})
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["query", "community"]
    assert as_("outsider").get("/api/trips").json()["items"] == []
    assert as_("outsider").get(f"/api/trips/{trip['id']}").status_code == 404
    assert as_("lab").get("/api/trips").status_code == 403


def test_a_role_without_trips_gets_403_before_its_filters_are_read(as_, city):
    other = city.j[f.Level.COMMUNITY].code
    for path in ("/api/trips", "/api/handovers", "/api/handovers/not-complied"):
        assert as_("lab").get(path, {"community": other}).status_code == 403, path
