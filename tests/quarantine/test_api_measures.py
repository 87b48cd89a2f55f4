"""The quarantine measures API: measures, test days, floor checks, alerts, transfers, release."""

import pytest

from fangkong.quarantine.models import DueTestStatus, HealthCheck, Measure, ScheduledTest
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case
from tests.quarantine.conftest import ONE_DAY, place, start, today, tube_with

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


def post(client, address, body=None):
    return client.post(address, body or {}, content_type=JSON)


def test_measures_list_detail_and_scope(as_, at_site, at_home):
    page = as_("street").get("/api/quarantine/measures").json()
    assert sorted(m["person"]["name"] for m in page["items"]) == ["张伟", "王芳"]
    zhang = next(m for m in page["items"] if m["person"]["name"] == "张伟")
    assert zhang["where"]["site"] == "魏都隔离酒店" and zhang["where"]["room"] == "A-101"
    assert zhang["person"]["id_number"].count("*") > 0 and zhang["certificate_url"] is None
    home = as_("street").get("/api/quarantine/measures", {"where": "home"}).json()["items"]
    assert [m["person"]["name"] for m in home] == ["王芳"]
    mine = as_("quarantine").get("/api/quarantine/measures").json()["items"]
    assert [m["person"]["name"] for m in mine] == ["张伟"]
    assert as_("outsider").get("/api/quarantine/measures").json()["items"] == []
    assert as_("outsider").get(f"/api/quarantine/measures/{at_site.pk}").status_code == 404
    assert as_("lab").get("/api/quarantine/measures").status_code == 403
    detail = as_("street").get(f"/api/quarantine/measures/{at_site.pk}").json()
    assert detail["phase_today"] == "centralised"
    assert [p["kind"] for p in detail["phases"]] == ["centralised", "home_quarantine"]
    assert detail["tests"][0] == {
        "id": detail["tests"][0]["id"],
        "due_on": today().isoformat(),
        "phase_kind": "centralised",
        "day_number": 1,
        "status": "due",
        "tube": "",
        "sampled_at": None,
    }


def test_start_close_and_check_in(as_, twenty, people):
    body = {
        "id_number": people["li"].id_number,
        "category": "risk_post_leaver",
        "anchor_on": (today() - ONE_DAY).isoformat(),
    }
    created = post(as_("grid"), "/api/quarantine/measures", body)
    assert created.status_code == 201
    measure_id = created.json()["id"]
    again = post(as_("grid"), "/api/quarantine/measures", body)
    assert again.status_code == 422 and again.json()["detail"][0]["loc"] == ["body", "id_number"]
    bad = post(
        as_("grid"),
        f"/api/quarantine/measures/{measure_id}/checkins",
        {"day": today().isoformat(), "temperature": "50"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "temperature"]
    ok = post(
        as_("grid"),
        f"/api/quarantine/measures/{measure_id}/checkins",
        {"day": today().isoformat(), "temperature": "37.6", "symptoms": ["cough"]},
    )
    assert ok.status_code == 201 and ok.json()["abnormal"] is True
    assert ok.json()["symptom_labels"] == ["Cough"]
    alerts = as_("task_force").get("/api/quarantine/alerts").json()["items"]
    assert [a["reason"] for a in alerts] == ["Temperature 37.6 °C; Cough"]
    handled = post(
        as_("task_force"),
        f"/api/quarantine/alerts/{alerts[0]['id']}/handle",
        {"outcome": "fever clinic"},
    )
    assert handled.json()["status"] == "handled"
    closed = post(as_("grid"), f"/api/quarantine/measures/{measure_id}/close", {"reason": "x"})
    assert closed.json()["status"] == "ended"


def test_test_days_and_sampling(as_, people, at_site, at_home):
    tasks = as_("street").get("/api/quarantine/tests").json()
    assert [(t["person"]["name"], t["place"]["kind"], t["place"]["name"]) for t in tasks] == [
        ("张伟", "site", "魏都隔离酒店"),
        ("王芳", "community", "西大社区"),
    ]
    tube_with("T-API", people["zhang"])
    sampled = post(
        as_("quarantine"), f"/api/quarantine/tests/{tasks[0]['id']}/sampled", {"barcode": "T-API"}
    )
    assert sampled.json()["status"] == "sampled" and sampled.json()["tube"] == "T-API"
    wrong = post(as_("quarantine"), f"/api/quarantine/tests/{tasks[1]['id']}/sampled")
    assert wrong.status_code == 404  # not at the manager's site


def test_floor_checks_all_or_nothing(as_, personas, people, rooms, at_site):
    place(start(personas["task_force"], people["li"]), rooms["102"])
    site = rooms["101"].site
    rows = (
        as_("quarantine")
        .get("/api/quarantine/checks/floor", {"site": site.pk, "building": "A", "floor": 1})
        .json()
    )
    assert [r["person"]["name"] for r in rows] == ["张伟", "李秀英"]
    body = {
        "site": site.pk,
        "building": "A",
        "floor": 1,
        "day": today().isoformat(),
        "rows": [
            {"stay": rows[0]["stay"], "temperature": "36.5"},
            {"stay": rows[1]["stay"], "temperature": "ab"},
            {"stay": 999999, "temperature": "36.5"},
        ],
    }
    bad = post(as_("quarantine"), "/api/quarantine/checks/floor", body)
    assert bad.status_code == 422
    assert [d["loc"] for d in bad.json()["detail"]] == [["body", "rows", 2, "stay"]]
    body["rows"] = body["rows"][:2]
    bad = post(as_("quarantine"), "/api/quarantine/checks/floor", body)
    assert [d["loc"] for d in bad.json()["detail"]] == [["body", "rows", 1, "temperature"]]
    assert not HealthCheck.objects.exists()
    body["rows"][1]["temperature"] = "38.0"
    saved = post(as_("quarantine"), "/api/quarantine/checks/floor", body).json()
    assert saved == {"saved": 2, "alerts": 1}
    assert post(as_("outsider"), "/api/quarantine/checks/floor", body).status_code == 422


def test_transfer_and_release_with_certificate(as_, people, at_site, at_home):
    make_case(people["zhang"], reported_on=today(), sampled_on=today())
    created = post(
        as_("task_force"),
        "/api/quarantine/transfers",
        {
            "measure": at_site.pk,
            "destination_kind": "designated_hospital",
            "destination": "定点医院",
            "vehicle": "120-1",
        },
    )
    assert created.status_code == 201 and created.json()["site"] == "魏都隔离酒店"
    transfer_id = created.json()["id"]
    departed = post(as_("task_force"), f"/api/quarantine/transfers/{transfer_id}/depart")
    assert departed.json()["status"] == "departed"
    handed = post(
        as_("hospital"),
        f"/api/quarantine/transfers/{transfer_id}/hand-over",
        {"received_by": "值班医生"},
    )
    assert handed.json()["status"] == "handed_over"
    assert as_("task_force").get("/api/quarantine/transfers").json()["items"] == []

    refused = post(as_("street"), f"/api/quarantine/measures/{at_home.pk}/release")
    assert refused.status_code == 422 and "runs until" in refused.json()["detail"][0]["msg"]
    ScheduledTest.objects.filter(measure=at_home).update(status=DueTestStatus.NEGATIVE)
    Measure.objects.filter(pk=at_home.pk).update(ends_on=today())
    released = post(as_("street"), f"/api/quarantine/measures/{at_home.pk}/release").json()
    assert released["status"] == "released" and released["certificate_number"]
    pdf = as_("street").get(released["certificate_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert as_("outsider").get(released["certificate_url"]).status_code == 404
