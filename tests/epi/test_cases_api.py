"""The cases and contacts API: shapes, masking, field-named 422s, scoping and roles."""

import datetime as dt

import pytest
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.epi.models import Case, Contact
from fangkong.people.idnumber import make_id_number, mask_id_number
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.epi.conftest import make_case, make_contact

JSON = "application/json"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def as_(personas):
    clients = {}

    def _as(role):
        if role not in clients:
            clients[role] = bearer_client(personas[role])
        return clients[role]

    return _as


def post(client, url, body):
    return client.post(url, body, content_type=JSON)


CASE = {
    "kind": "confirmed",
    "found_by": "fever_clinic",
    "found_where": "community",
    "sampled_on": "2022-05-01",
    "reported_on": "2022-05-02",
}


def test_register_a_case_and_read_it_back_masked(as_, people):
    response = post(
        as_("task_force"), "/api/cases", {**CASE, "id_number": people["zhang"].id_number}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "4110-2022-0001"
    assert body["person"]["id_number"] == mask_id_number(people["zhang"].id_number)
    assert people["zhang"].id_number not in response.content.decode()
    detail = as_("street").get(f"/api/cases/{body['id']}").json()
    assert detail["kind"] == "confirmed" and detail["found_where"] == "community"


def test_unknown_person_without_place_is_a_field_error(as_, city):
    number = make_id_number("330102", dt.date(1991, 2, 3), 5, "F")
    response = post(as_("task_force"), "/api/cases", {**CASE, "id_number": number, "name": "游客"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "place"]
    response = post(
        as_("task_force"),
        "/api/cases",
        {**CASE, "id_number": number, "name": "游客", "place": city.w[f.Level.UNIT].code},
    )
    assert response.status_code == 201


def test_case_list_filters_and_figures(as_, people):
    make_case(people["zhang"])
    make_case(people["li"], kind="asymptomatic", found_where="quarantine")
    items = as_("street").get("/api/cases", {"kind": "asymptomatic"}).json()["items"]
    assert [i["person"]["name"] for i in items] == ["李秀英"]
    figures = as_("street").get("/api/cases/figures").json()
    assert figures == {
        "total": 2,
        "confirmed": 1,
        "asymptomatic": 1,
        "community": 1,
        "quarantine": 1,
    }


def test_reclassify_transfer_close(as_, a_case):
    client = as_("task_force")
    url = f"/api/cases/{a_case.pk}"
    r = post(client, f"{url}/reclassify", {"kind": "asymptomatic", "reason": "复核"})
    assert r.status_code == 200 and r.json()["kind"] == "asymptomatic"
    transfer = {
        "destination": "designated_hospital",
        "destination_name": "许昌市中心医院",
        "transferred_at": "2022-01-10T15:00:00+08:00",
    }
    for missing in ({}, {"reason": "  "}):
        r = post(client, f"{url}/transfer", {**transfer, **missing})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
        assert r.json()["detail"][0]["msg"] == "请填写变更原因"  # the user's language
    assert not Event.objects.filter(action="case.transferred").exists()
    r = post(client, f"{url}/transfer", {**transfer, "reason": "闭环转运"})
    assert r.status_code == 200 and r.json()["status"] == "transferred"
    r = post(
        client, f"{url}/close", {"status": "recovered", "outcome_on": "2022-01-20", "reason": ""}
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    r = post(
        client,
        f"{url}/close",
        {"status": "recovered", "outcome_on": "2022-01-20", "reason": "出院"},
    )
    assert r.json()["status"] == "recovered"
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"case.reclassified", "case.transferred", "case.closed"} <= actions


def test_add_one_contact_and_a_list_with_duplicates(as_, a_case, people):
    url = f"/api/cases/{a_case.pk}/contacts"
    one = {
        "id_number": people["li"].id_number,
        "relation": "household",
        "last_exposure_on": "2022-01-09",
    }
    r = post(as_("street"), url, one)
    assert r.status_code == 201, r.content
    assert [c["person"]["name"] for c in r.json()["added"]] == ["李秀英"]
    rows = [
        one,
        {"id_number": people["wang"].id_number, "exposure_start": "2022-01-08T12:00:00+08:00"},
    ]
    r = post(as_("street"), url, rows)
    assert r.status_code == 201
    body = r.json()
    assert [c["person"]["name"] for c in body["added"]] == ["王芳"]
    assert body["added"][0]["last_exposure_on"] == "2022-01-08"
    assert [d["index"] for d in body["duplicates"]] == [0]
    listed = as_("grid").get(url).json()
    assert {c["person"]["name"] for c in listed} == {"李秀英", "王芳"}


def test_bad_row_in_a_list_names_row_and_field(as_, a_case, people):
    rows = [
        {"id_number": people["li"].id_number, "last_exposure_on": "2022-01-09"},
        {"id_number": "12345", "last_exposure_on": "2022-01-09"},
    ]
    r = post(as_("street"), f"/api/cases/{a_case.pk}/contacts", rows)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", 1, "id_number"]
    assert not Contact.objects.exists()


def test_contact_list_status_and_convert(as_, a_case, people):
    contact = make_contact(a_case, people["li"])
    make_contact(a_case, people["wang"], status="located")
    items = as_("street").get("/api/contacts", {"status": "located"}).json()["items"]
    assert [i["person"]["name"] for i in items] == ["王芳"]
    status_url = f"/api/contacts/{contact.pk}/status"
    r = post(as_("street"), status_url, {"status": "released", "reason": "核实"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "status"]
    for missing in ({}, {"reason": ""}):
        r = post(as_("street"), status_url, {"status": "under_control", **missing})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
        assert r.json()["detail"][0]["msg"] == "请填写变更原因"  # the user's language
    contact.refresh_from_db()
    assert contact.status == "identified"
    r = post(as_("street"), status_url, {"status": "under_control", "reason": "已入住隔离点"})
    assert r.json()["status"] == "under_control"
    r = post(
        as_("task_force"),
        f"/api/contacts/{contact.pk}/convert",
        {
            "kind": "confirmed",
            "found_by": "in_quarantine",
            "sampled_on": "2022-01-11",
            "reported_on": "2022-01-11",
        },
    )
    assert r.status_code == 201 and r.json()["found_where"] == "quarantine"
    assert (
        as_("street").get(f"/api/contacts/{contact.pk}").json()["became_case_id"] == r.json()["id"]
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/cases/{case}",
        "/api/cases/{case}/contacts",
        "/api/contacts/{contact}",
    ],
)
def test_reads_are_404_for_outsiders_and_403_for_the_lab(as_, a_contact, path):
    url = path.format(case=a_contact.case_id, contact=a_contact.pk)
    assert as_("outsider").get(url).status_code == 404
    assert as_("lab").get(url).status_code == 403
    assert as_("grid").get(url).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/cases/{case}/reclassify", {"kind": "asymptomatic", "reason": "x"}),
        (
            "post",
            "/api/cases/{case}/close",
            {"status": "died", "outcome_on": "2022-01-20", "reason": "x"},
        ),
        ("post", "/api/contacts/{contact}/status", {"status": "located", "reason": "x"}),
        ("post", "/api/cases/{case}/contacts", {"id_number": "x"}),
        (
            "post",
            "/api/cases/{case}/transfer",
            {
                "destination": "shelter_hospital",
                "destination_name": "方舱",
                "transferred_at": "2022-01-10T10:00:00+08:00",
                "reason": "x",
            },
        ),
        (
            "post",
            "/api/contacts/{contact}/convert",
            {
                "kind": "confirmed",
                "found_by": "in_quarantine",
                "sampled_on": "2022-01-11",
                "reported_on": "2022-01-11",
            },
        ),
    ],
)
def test_valid_writes_are_404_for_outsiders_and_403_for_the_lab(
    as_, a_contact, city, method, path, body
):
    url = path.format(case=a_contact.case_id, contact=a_contact.pk)
    outsider = bearer_client(f.user("tf_out", "task_force", city.jianan))
    assert outsider.post(url, body, content_type=JSON).status_code == 404
    assert as_("lab").post(url, body, content_type=JSON).status_code == 403


def test_lists_are_empty_for_outsiders_and_forbidden_to_the_lab(as_, a_contact):
    assert as_("outsider").get("/api/cases").json()["items"] == []
    assert as_("outsider").get("/api/contacts").json()["items"] == []
    assert as_("outsider").get("/api/cases/figures").json()["total"] == 0
    assert as_("lab").get("/api/cases").status_code == 403
    assert as_("lab").get("/api/contacts").status_code == 403
    assert as_("hospital").get("/api/cases").status_code == 200
    assert as_("hospital").get("/api/contacts").status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_counts_are_flat(as_, people, city, django_assert_num_queries, n):
    unit = city.w[f.Level.UNIT]
    case = make_case(people["zhang"])
    for i in range(n):
        person = f.resident(unit, f"接触者{i}")
        make_case(person, reported_on=dt.date(2022, 1, 9))
        make_contact(case, person)
    client = as_("street")
    client.get("/api/me")
    with django_assert_num_queries(2):
        assert len(client.get("/api/cases", {"limit": 100}).json()["items"]) == n + 1
    with django_assert_num_queries(2):
        assert len(client.get("/api/contacts", {"limit": 100}).json()["items"]) == n
    assert Case.objects.count() == n + 1
