"""REST API of quarantine sites, rooms, stays and allocation: shapes, errors, scope."""

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.quarantine.models import AllocationBatch, Room, RoomStatus, Site, Stay
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.quarantine.sites_factory import adult, make_rooms, make_site, use_profile

API = "/api/quarantine"


@pytest.fixture(autouse=True)
def _setup(settings, db):
    settings.LANGUAGE_CODE = "en"
    use_profile("20-measures")


@pytest.fixture
def as_(personas):
    """`as_("street")`: a client with a bearer token of that persona."""
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


@pytest.fixture
def site(city, personas):
    s = make_site(city.w[f.Level.COMMUNITY], "QW1", staff=[personas["quarantine"]])
    make_rooms(s)
    return s


@pytest.fixture
def other_site(city):
    s = make_site(city.j[f.Level.COMMUNITY], "QJ1")
    make_rooms(s)
    return s


def test_sites_list_with_occupancy_and_totals(as_, site, other_site):
    body = as_("command").get(f"{API}/sites").json()
    assert [s["code"] for s in body["items"]] == ["QW1", "QJ1"] or [
        s["code"] for s in body["items"]
    ] == ["QJ1", "QW1"]
    first = body["items"][0]
    assert first["occupancy"]["rooms"] == 8 and first["occupancy"]["available"] == 8
    assert body["next_offset"] is None
    totals = as_("command").get(f"{API}/sites/figures").json()
    assert (totals["sites"], totals["rooms"], totals["beds"]) == (2, 16, 16)
    assert [s["code"] for s in as_("quarantine").get(f"{API}/sites").json()["items"]] == ["QW1"]
    assert [s["code"] for s in as_("outsider").get(f"{API}/sites").json()["items"]] == ["QJ1"]
    assert as_("lab").get(f"{API}/sites").status_code == 403


def test_register_a_site_and_errors_name_the_field(as_, city):
    payload = {
        "code": "qn-1",
        "name": "新宾馆",
        "kind": "hotel",
        "place": city.w[f.Level.STREET].code,
    }
    response = as_("task_force").post(f"{API}/sites", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["place"], body["staff"]) == ("QN-1", city.w[f.Level.STREET].code, [])
    again = as_("task_force").post(f"{API}/sites", payload, content_type="application/json")
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "code"]
    outside = {**payload, "code": "qn-2", "place": city.jianan.code}
    response = as_("task_force").post(f"{API}/sites", outside, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "place"]
    assert (
        as_("street").post(f"{API}/sites", payload, content_type="application/json").status_code
        == 403
    )


def test_site_detail_and_staff(as_, site, city):
    f.user("mgr7", "quarantine", city.weidu)
    body = as_("task_force").get(f"{API}/sites/{site.pk}").json()
    assert body["staff"] == ["p_quarantine"] and body["occupancy"]["rooms"] == 8
    response = as_("task_force").put(
        f"{API}/sites/{site.pk}/staff",
        {"usernames": ["p_quarantine", "mgr7"]},
        content_type="application/json",
    )
    assert response.json()["staff"] == ["mgr7", "p_quarantine"]
    assert as_("outsider").get(f"{API}/sites/{site.pk}").status_code == 404


def test_rooms_bulk_list_and_status(as_, site):
    payload = {
        "rooms": [{"building": "B", "floor": 1, "number": "101", "beds": 2}],
        "generate": {"building": "C", "floor_from": 2, "floor_to": 3, "room_from": 1, "room_to": 5},
    }
    url = f"{API}/sites/{site.pk}/rooms"
    added = as_("quarantine").post(url, payload, content_type="application/json").json()
    assert added == {"created": 11, "updated": 0, "unchanged": 0}
    again = as_("quarantine").post(url, payload, content_type="application/json").json()
    assert again == {"created": 0, "updated": 0, "unchanged": 11}
    body = as_("quarantine").get(url, {"building": "C", "floor": 3}).json()
    assert [r["label"] for r in body["items"]] == [f"C-30{i}" for i in range(1, 6)]
    room = Room.objects.get(site=site, building="B")
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.CLEANING)
    response = as_("quarantine").post(
        f"{API}/rooms/{room.pk}/status",
        {"status": "available", "reason": "消杀完成"},
        content_type="application/json",
    )
    assert response.json()["status"] == "available"
    occupied = as_("quarantine").post(
        f"{API}/rooms/{room.pk}/status", {"status": "occupied"}, content_type="application/json"
    )
    assert occupied.status_code == 422
    bad = as_("quarantine").post(
        url, {"rooms": [{"floor": 1, "number": "", "beds": 99}]}, content_type="application/json"
    )
    assert bad.status_code == 422


def test_rooms_of_other_sites_are_not_found(as_, site, other_site):
    room = other_site.rooms.first()
    assert as_("quarantine").get(f"{API}/sites/{other_site.pk}/rooms").status_code == 404
    response = as_("quarantine").post(
        f"{API}/rooms/{room.pk}/status", {"status": "closed"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Room.objects.get(pk=room.pk).status == RoomStatus.AVAILABLE


def propose(client, people, anchor=None, **extra):
    anchor = anchor or timezone.localdate() - dt.timedelta(days=1)
    payload = {
        "category": "close_contact",
        "source": "id_numbers",
        "id_numbers": [p.id_number for p in people],
        "anchor_on": anchor.isoformat(),
        **extra,
    }
    return client.post(f"{API}/allocations", payload, content_type="application/json")


def test_propose_confirm_check_in_and_move(as_, site, city):
    unit = city.w[f.Level.UNIT]
    people = [adult(unit, f"甲{i}") for i in range(2)]
    response = propose(as_("task_force"), people)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and len(body["plan"]) == 2 and body["unplaced"] == []
    assert {line["site_code"] for line in body["plan"]} == {"QW1"}
    assert body["plan"][0]["room_label"].startswith("A-")
    confirmed = as_("task_force").post(f"{API}/allocations/{body['id']}/confirm").json()
    assert confirmed["status"] == "confirmed"
    again = as_("task_force").post(f"{API}/allocations/{body['id']}/confirm")
    assert again.status_code == 422
    stays = as_("quarantine").get(f"{API}/sites/{site.pk}/stays").json()["items"]
    assert {s["status"] for s in stays} == {"planned"} and len(stays) == 2
    stay = stays[0]
    checked = as_("quarantine").post(f"{API}/stays/{stay['id']}/check-in").json()
    assert checked["status"] == "in" and checked["checked_in_at"]
    free = Room.objects.filter(site=site, status="available").first()
    moved = as_("quarantine").post(
        f"{API}/stays/{stay['id']}/move",
        {"room": free.pk, "reason": "换房"},
        content_type="application/json",
    )
    assert moved.status_code == 200 and moved.json()["room"] == free.pk
    assert moved.json()["id"] != stay["id"]
    missing = as_("quarantine").post(
        f"{API}/stays/{moved.json()['id']}/move",
        {"room": 999999, "reason": "换房"},
        content_type="application/json",
    )
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "room"]


def test_proposal_errors_and_unplaced_reasons(as_, site, people):
    no_category = as_("task_force").post(
        f"{API}/allocations",
        {"source": "id_numbers", "id_numbers": [people["li"].id_number], "anchor_on": "2022-11-13"},
        content_type="application/json",
    )
    assert no_category.status_code == 422
    no_anchor = as_("task_force").post(
        f"{API}/allocations",
        {
            "category": "close_contact",
            "source": "id_numbers",
            "id_numbers": [people["li"].id_number],
        },
        content_type="application/json",
    )
    assert no_anchor.json()["detail"][0]["loc"] == ["body", "anchor_on"]
    body = propose(as_("task_force"), [people["li"], people["other"]]).json()
    assert len(body["plan"]) == 1
    (unplaced,) = body["unplaced"]
    assert unplaced["person"] is None and "jurisdiction" in unplaced["reason"]
    assert people["other"].id_number not in unplaced["label"]


def test_cancel_and_remove(as_, site, city):
    unit = city.w[f.Level.UNIT]
    people = [adult(unit, f"乙{i}") for i in range(2)]
    body = propose(as_("task_force"), people).json()
    removed = (
        as_("task_force")
        .post(
            f"{API}/allocations/{body['id']}/remove",
            {"people": [people[0].pk]},
            content_type="application/json",
        )
        .json()
    )
    assert [line["person"] for line in removed["plan"]] == [people[1].pk]
    cancelled = (
        as_("task_force")
        .post(
            f"{API}/allocations/{body['id']}/cancel",
            {"reason": "重复"},
            content_type="application/json",
        )
        .json()
    )
    assert cancelled["status"] == "cancelled"
    assert not Stay.objects.exists()


def test_allocations_are_scoped(as_, site, city, personas):
    body = propose(as_("task_force"), [adult(city.w[f.Level.UNIT], "丙")]).json()
    assert as_("command").get(f"{API}/allocations/{body['id']}").status_code == 200
    elsewhere = bearer_client(f.user("tf_j", "task_force", city.jianan))
    assert elsewhere.get(f"{API}/allocations/{body['id']}").status_code == 404
    assert as_("quarantine").get(f"{API}/allocations/{body['id']}").status_code == 404
    assert as_("outsider").get(f"{API}/allocations/{body['id']}").status_code == 403
    assert AllocationBatch.objects.count() == 1 and Site.objects.count() == 1
