"""REST API of the laboratories' registry: shapes, errors by field, audit, scope."""

import pytest

from fangkong.audit.models import Event
from fangkong.lab.models import Lab
from fangkong.places.models import Level
from tests import factories as f
from tests.api.conftest import bearer_client

API = "/api/labs"

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def as_(personas):
    """`as_("street")`: a client with a bearer token of that persona."""
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


def body(at, **kw):
    return {
        "code": "LAB-N",
        "name": "许昌新检测中心",
        "place": at.code,
        "capacity_per_day": 8000,
        "turnaround": "fever_clinic",
        "phone": "0374-2966120",
        "contact_name": "陈技师",
        **kw,
    }


@pytest.fixture
def jianan_lab(city):
    return Lab.objects.create(
        code="LAB-J",
        name="建安检测所",
        division=city.jianan,
        division_key=city.jianan.key,
        contact_name="建安联系人",
    )


def test_register_then_read_change_suspend_and_staff(as_, personas, city):
    street = city.w[Level.STREET]
    created = as_("command").post(
        API, body(street, area=city.city.code), content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    lab = created.json()
    assert (lab["code"], lab["place"]["code"], lab["area"]["code"]) == (
        "LAB-N",
        street.code,
        city.city.code,
    )
    assert (lab["capacity_per_day"], lab["turnaround"], lab["turnaround_hours"]) == (
        8000,
        "fever_clinic",
        6,
    )
    assert (lab["sent_today"], lab["active"], lab["staff"]) == (0, True, [])
    url = f"{API}/{lab['id']}"
    change = body(street, capacity_per_day=12000, reason="扩建")
    del change["code"]
    changed = as_("command").put(url, change, content_type="application/json").json()
    assert changed["capacity_per_day"] == 12000 and changed["code"] == "LAB-N"
    staffed = (
        as_("command")
        .put(f"{url}/staff", {"usernames": ["p_lab"]}, content_type="application/json")
        .json()
    )
    assert staffed["staff"] == ["p_lab"]
    status = as_("command").post(
        f"{url}/status",
        {"active": False, "reason": "室间质评未通过"},
        content_type="application/json",
    )
    assert status.json()["active"] is False
    events = Event.objects.filter(object_type="lab.lab", object_id=str(lab["id"]))
    actions = set(events.values_list("action", flat=True))
    assert actions == {"lab.registered", "lab.updated", "lab.staff_changed", "lab.suspended"}
    assert as_("lab").get(url).json()["code"] == "LAB-N"


def test_errors_name_the_field(as_, city):
    response = as_("command").post(
        API, body(city.weidu, place="999999", code="x y"), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "place"]
    response = as_("command").post(
        API, body(city.weidu, code="x y"), content_type="application/json"
    )
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "code"]]
    response = as_("command").post(
        API, body(city.weidu, capacity_per_day=0), content_type="application/json"
    )
    assert response.json()["detail"][0]["loc"] == ["body", "capacity_per_day"]
    assert not Lab.objects.exists()


def test_the_list_is_scoped_and_staff_see_their_own_labs(as_, personas, city, a_lab, jianan_lab):
    assert [lab["code"] for lab in as_("command").get(API).json()["items"]] == ["LAB-J", "LAB-W"]
    assert [lab["code"] for lab in as_("task_force").get(API).json()["items"]] == ["LAB-W"]
    assert [lab["code"] for lab in as_("lab").get(API).json()["items"]] == ["LAB-W"]
    for role in ("street", "grid", "outsider", "supply"):
        assert as_(role).get(API).status_code == 403


def test_outsiders_get_nothing_and_change_nothing(personas, city, a_lab, jianan_lab):
    district = bearer_client(f.user("cmd_w", "command", city.weidu))
    url = f"{API}/{jianan_lab.pk}"
    assert district.get(url).status_code == 404
    assert "建安联系人" not in district.get(API).content.decode()
    change = body(city.weidu, name="改名")
    del change["code"]
    assert district.put(url, change, content_type="application/json").status_code == 404
    assert (
        district.post(
            f"{url}/status", {"active": False, "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        district.put(f"{url}/staff", {"usernames": []}, content_type="application/json").status_code
        == 404
    )
    response = district.post(API, body(city.jianan), content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "place"]
    jianan_lab.refresh_from_db()
    assert (jianan_lab.name, jianan_lab.active) == ("建安检测所", True)
    assert not Event.objects.filter(object_type="lab.lab").exists()


def test_only_managers_write(as_, a_lab, city):
    url = f"{API}/{a_lab.pk}"
    assert (
        as_("lab").post(API, body(city.weidu), content_type="application/json").status_code == 403
    )
    assert (
        as_("task_force")
        .post(f"{url}/status", {"active": False, "reason": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    assert (
        as_("lab")
        .put(f"{url}/staff", {"usernames": []}, content_type="application/json")
        .status_code
        == 403
    )


@pytest.mark.parametrize("n", [2, 8])
def test_the_list_query_count_stays_flat(as_, city, django_assert_num_queries, n):
    for i in range(n):
        lab = Lab.objects.create(
            code=f"LAB-{i}", name=f"检测所{i}", division=city.weidu, division_key=city.weidu.key
        )
        lab.staff.add(f.user(f"tech{i}", "lab", city.weidu))
    client = as_("command")
    client.get(API)
    # the token with its user and jurisdiction; labs with places and staff counts; tubes sent
    # today; the policy (promised hours)
    with django_assert_num_queries(4):
        assert len(client.get(API).json()["items"]) == n
