"""The risk-posts API: register, list with filters, leave, overdue lists and tallies; scope."""

import datetime as dt

import pytest

from fangkong.audit.models import Event
from fangkong.lab.models import Purpose, RiskPostWorker
from fangkong.people.idnumber import mask_id_number
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import SHANGHAI, make_tube

pytestmark = pytest.mark.usefixtures("english")

JSON = "application/json"
NOW = dt.datetime(2022, 5, 10, 12, 0, tzinfo=SHANGHAI)
ON = "2022-05-10"


@pytest.fixture
def as_(personas):
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


def register(client, person, employer="顺丰快递", post="快递员", group="group_2"):
    body = {"person": person.id_number, "employer": employer, "post": post, "group": group}
    return client.post("/api/risk-posts", body, content_type=JSON)


def test_register_masked_and_audited(as_, people):
    response = register(as_("street"), people["zhang"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id_number"] == mask_id_number(people["zhang"].id_number)
    assert body["employer"] == "顺丰快递" and body["group"] == "group_2" and body["active"]
    assert Event.objects.get(action="risk_post.registered").person_id == people["zhang"].pk
    twice = register(as_("street"), people["zhang"])
    assert twice.status_code == 422 and twice.json()["detail"][0]["loc"] == ["body", "employer"]
    unknown = register(as_("outsider"), people["li"])
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "person"]
    assert register(as_("supply"), people["li"]).status_code == 403


def test_list_filters_by_employer_group_and_community(as_, people, city):
    street = as_("street")
    register(street, people["zhang"], employer="顺丰快递")
    register(street, people["li"], employer="美团外卖", group="group_1")
    register(street, people["wang"], employer="美团外卖")

    def names(**params):
        return {w["name"] for w in street.get("/api/risk-posts", params).json()["items"]}

    assert names() == {"张伟", "李秀英", "王芳"}
    assert names(employer="美团外卖") == {"李秀英", "王芳"}
    assert names(employer="美团外卖", group="group_1") == {"李秀英"}
    assert names(community=city.w[f.Level.COMMUNITY].code) == {"张伟", "李秀英", "王芳"}
    outside = street.get("/api/risk-posts", {"community": city.j[f.Level.COMMUNITY].code})
    assert outside.status_code == 422
    assert outside.json()["detail"][0]["loc"] == ["query", "community"]
    page = street.get("/api/risk-posts", {"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    assert as_("outsider").get("/api/risk-posts").json()["items"] == []
    assert as_("supply").get("/api/risk-posts").status_code == 403


def test_leaving_deactivates_and_is_scoped(as_, people):
    worker = register(as_("street"), people["zhang"]).json()
    url = f"/api/risk-posts/{worker['id']}/leave"
    assert as_("outsider").post(url, {}, content_type=JSON).status_code == 404
    left = as_("street").post(url, {"reason": "辞职"}, content_type=JSON)
    assert left.status_code == 200 and left.json()["active"] is False
    assert Event.objects.get(action="risk_post.left").reason == "辞职"
    again = as_("street").post(url, {}, content_type=JSON)
    assert again.status_code == 422
    assert as_("street").get("/api/risk-posts").json()["items"] == []
    assert not RiskPostWorker.objects.get().active


def test_overdue_list_and_tallies_per_employer_and_community(as_, people, city):
    street = as_("street")
    register(street, people["zhang"], employer="顺丰快递")
    register(street, people["li"], employer="顺丰快递")
    register(street, people["wang"], employer="美团外卖")
    make_tube("RP-A1", [people["zhang"]], purpose=Purpose.RISK_POST, collected_at=NOW)
    make_tube(
        "RP-A2",
        [people["li"]],
        purpose=Purpose.RISK_POST,
        collected_at=NOW - dt.timedelta(days=5),
    )
    overdue = street.get("/api/risk-posts/overdue", {"today": ON}).json()["items"]
    assert [r["worker"]["name"] for r in overdue] == ["王芳", "李秀英"]  # never tested first
    assert overdue[0]["last_sampled"] is None and overdue[1]["days_since"] == 5
    assert overdue[1]["interval_days"] == 3.5
    only = street.get("/api/risk-posts/overdue", {"today": ON, "employer": "美团外卖"}).json()
    assert [r["worker"]["name"] for r in only["items"]] == ["王芳"]
    paged = street.get("/api/risk-posts/overdue", {"today": ON, "limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["next_offset"] == 1
    by_employer = street.get("/api/risk-posts/overdue/by-employer", {"today": ON}).json()
    assert {(t["employer"], t["workers"], t["overdue"]) for t in by_employer} == {
        ("顺丰快递", 2, 1),
        ("美团外卖", 1, 1),
    }
    by_community = street.get("/api/risk-posts/overdue/by-community", {"today": ON}).json()
    assert by_community == [{"community": city.w[f.Level.COMMUNITY].name, "overdue": 2}]
    assert as_("outsider").get("/api/risk-posts/overdue", {"today": ON}).json()["items"] == []
    assert as_("outsider").get("/api/risk-posts/overdue/by-community").json() == []


@pytest.mark.parametrize("role", ["lab", "quarantine"])
def test_labs_and_sites_cannot_register_workers_or_learn_who_they_are(as_, people, role):
    """Registering workers is the registry keepers' job; sampling staff test them."""
    response = register(as_(role), people["li"])
    assert response.status_code == 403
    assert "李秀英" not in response.content.decode()
    assert not RiskPostWorker.objects.exists()
