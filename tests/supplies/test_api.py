"""REST API of the whitelist and the passes: shapes (OpenAPI), errors by field, scope, the
published key list and the online check (valid, forged, expired, wrong key, revoked)."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.places.models import Level
from fangkong.supplies.models import SigningKey
from fangkong.supplies.passes import hcert, services
from tests.api.conftest import bearer_client

pytestmark = pytest.mark.usefixtures("english")
JSON = "application/json"


@pytest.fixture
def as_(personas):
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


def test_register_grant_and_staff_an_enterprise(as_, city):
    tf = as_("task_force")
    created = tf.post(
        "/api/enterprises",
        {
            "kind": "logistics",
            "name": "许昌顺达物流",
            "credit_code": "91411002MA46E7WM5A",
            "place": city.weidu.code,
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.json()
    e = created.json()
    assert (e["kind"], e["status"], e["place"]["code"]) == (
        "logistics",
        "pending",
        city.weidu.code,
    )
    bad = tf.post(
        f"/api/enterprises/{e['id']}/whitelist",
        {"status": "granted", "reason": "核验通过", "basis": ""},
        content_type=JSON,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "basis"]
    granted = tf.post(
        f"/api/enterprises/{e['id']}/whitelist",
        {"status": "granted", "reason": "核验通过", "basis": "保供白名单通知"},
        content_type=JSON,
    )
    assert granted.json()["status"] == "granted"
    staff = tf.put(
        f"/api/enterprises/{e['id']}/staff", {"usernames": ["p_supply"]}, content_type=JSON
    )
    assert staff.json() == ["p_supply"]
    dup = tf.post(
        "/api/enterprises",
        {"kind": "farm", "name": "x", "credit_code": "91411002MA46E7WM5A", "place": "411002"},
        content_type=JSON,
    )
    assert dup.status_code == 422 and dup.json()["detail"][0]["loc"] == ["body", "credit_code"]


def test_couriers_and_vehicles_by_api(as_, firm, people, city):
    supply = as_("supply")
    v = supply.post(
        f"/api/enterprises/{firm.pk}/vehicles",
        {"plate": "豫K 8888D", "area": city.w[Level.STREET].code},
        content_type=JSON,
    )
    assert v.status_code == 201 and v.json()["plate"] == "豫K8888D"
    bad = supply.post(
        f"/api/enterprises/{firm.pk}/vehicles",
        {"plate": "ABC", "area": "411002"},
        content_type=JSON,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "plate"]
    c = supply.post(
        f"/api/enterprises/{firm.pk}/couriers",
        {
            "id_number": people["li"].id_number,
            "name": "李秀英",
            "phone": "13900000002",
            "area": city.w[Level.STREET].code,
            "home_address": "西大街 1 号",
        },
        content_type=JSON,
    )
    assert c.status_code == 201, c.json()
    assert c.json()["id_number"] != people["li"].id_number and c.json()["status"] == "pending"
    # the enterprise may not grant its own courier
    grant = supply.post(
        f"/api/couriers/{c.json()['id']}/whitelist",
        {"status": "granted", "reason": "x", "basis": "y"},
        content_type=JSON,
    )
    assert grant.status_code == 403
    assert [x["plate"] for x in supply.get(f"/api/enterprises/{firm.pk}/vehicles").json()] == [
        "豫K8888D"
    ]


def test_an_enterprise_gets_nothing_of_another(as_, firm, other_firm, courier):
    outsider = as_("outsider")
    assert outsider.get(f"/api/enterprises/{firm.pk}").status_code == 404
    assert outsider.get(f"/api/couriers/{courier.pk}").status_code == 404
    ids = [e["id"] for e in outsider.get("/api/enterprises").json()["items"]]
    assert ids == [other_firm.pk]  # 建安's street staff: 建安's enterprises only
    supply = as_("supply")
    assert supply.get(f"/api/enterprises/{other_firm.pk}").status_code == 404
    assert [e["id"] for e in supply.get("/api/enterprises").json()["items"]] == [firm.pk]


def test_issue_by_api_refused_with_the_conditions(as_, courier):
    refused = as_("task_force").post(f"/api/couriers/{courier.pk}/passes")
    assert refused.status_code == 422
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["body", "courier"] and "negative test" in detail["msg"]


def test_keys_and_online_check(as_, personas, vehicle, courier, negative):
    tf = as_("task_force")
    issued = tf.post(f"/api/vehicles/{vehicle.pk}/passes")
    assert issued.status_code == 201, issued.json()
    p = issued.json()
    anonymous = Client()
    keys = anonymous.get("/api/pass-keys").json()
    assert [k["kid"] for k in keys["keys"]] == [p["key_id"]]
    assert keys["refresh_hours"] == 12 and keys["keys"][0]["exp"] is None

    def check(code):
        return anonymous.post("/api/pass-check", {"code": code}, content_type=JSON).json()

    ok = check(p["code"])
    assert (ok["valid"], ok["reason"], ok["holder"], ok["enterprise"]) == (
        True,
        "valid",
        "豫K12345",
        "许昌惠民超市",
    )
    forged = hcert.sign(
        private_key=hcert.new_private_key(),
        issuer="CN-FANGKONG",
        issued_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=1),
        claims={"sn": p["serial"]},
    )
    assert check(forged)["reason"] == "unknown_key"
    assert "Wrong key" in check(forged)["message"]
    key = services.private_key_of(SigningKey.objects.get())
    expired = hcert.sign(
        private_key=key,
        issuer="CN-FANGKONG",
        issued_at=timezone.now() - dt.timedelta(hours=30),
        expires_at=timezone.now() - dt.timedelta(hours=6),
        claims={"sn": p["serial"]},
    )
    assert check(expired)["reason"] == "expired"
    tampered = p["code"][:-6] + ("0" if p["code"][-6] != "0" else "1") + p["code"][-5:]
    assert check(tampered)["reason"] in ("malformed", "bad_signature")
    # a pass signed with our key but never issued here is not ours
    unknown = hcert.sign(
        private_key=key,
        issuer="CN-FANGKONG",
        issued_at=timezone.now(),
        expires_at=timezone.now() + dt.timedelta(hours=1),
        claims={"sn": "feedfacefeedface"},
    )
    assert check(unknown)["reason"] == "unknown_key"
    revoked = tf.post(f"/api/passes/{p['id']}/revoke", {"reason": "车辆事故"}, content_type=JSON)
    assert revoked.json()["status"] == "revoked"
    after = check(p["code"])
    assert (after["valid"], after["reason"], after["revoked_reason"]) == (
        False,
        "revoked",
        "车辆事故",
    )
    assert check("")["reason"] == "malformed"


def test_the_openapi_document_names_the_bodies():
    doc = Client().get("/api/openapi.json").json()
    paths = doc["paths"]
    assert "/api/pass-check" in paths and "/api/pass-keys" in paths
    assert "/api/enterprises/{enterprise_id}/couriers" in paths
    check = paths["/api/pass-check"]["post"]
    assert check["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "PassCheckOut"
    )
    assert "security" not in check or check["security"] == [{}] or not check["security"]
