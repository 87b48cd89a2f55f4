"""Requests through the pages (staff, the resident's phone page) and the API: raised, routed,
said in words; refused for a person outside the jurisdiction with nothing written."""

import pytest
from django.urls import reverse

from fangkong.care.models import CareRequest
from fangkong.care.requests import services
from fangkong.places.models import Level
from tests import factories as f
from tests.care.conftest import in_state

pytestmark = pytest.mark.usefixtures("english")


def test_a_grid_worker_raises_a_request_on_the_page(login, personas, city, facilities):
    person = in_state(city, "quarantine")
    client = login(personas["grid"])
    assert client.get(reverse("care:request_new")).status_code == 200
    response = client.post(
        reverse("care:request_new"), {"id_number": person.id_number, "type": "emergency"}
    )
    item = CareRequest.objects.get()
    assert response.status_code == 302 and item.channel == "grid"
    page = client.get(reverse("care:request", args=[item.pk])).content.decode()
    assert "Under a quarantine measure" in page and "quarantine measure no." in page
    assert "Designated hospital campus" in page and "by 120" in page
    listed = client.get(reverse("care:requests")).content.decode()
    assert f'data-request="{item.pk}"' in listed


def test_the_page_refuses_a_person_outside_the_jurisdiction_at_the_field(
    login, personas, city, facilities
):
    stranger = f.resident(city.j[Level.UNIT], "外区人")
    client = login(personas["grid"])
    response = client.post(
        reverse("care:request_new"), {"id_number": stranger.id_number, "type": "fever"}
    )
    assert response.status_code == 200
    assert "No person with this ID number in your jurisdiction" in response.content.decode()
    assert not CareRequest.objects.exists()


def test_the_resident_asks_from_the_phone_page(client, city, facilities):
    person = in_state(city, "yellow_code")
    assert client.get(reverse("care_public:my_request")).status_code == 200
    wrong = client.post(
        reverse("care_public:my_request"), {"id_number": person.id_number, "phone": "1"}
    )
    assert "No person matches" in wrong.content.decode()
    client.post(
        reverse("care_public:my_request"),
        {"id_number": person.id_number, "phone": person.phone},
    )
    sent = client.post(reverse("care_public:my_request"), {"type": "fever"}, follow=True)
    item = CareRequest.objects.get()
    assert (item.channel, item.control_state, item.facility) == (
        "resident",
        "yellow_code",
        facilities["designated"],
    )
    page = sent.content.decode()
    assert "Your request was received" in page and facilities["designated"].name in page
    assert 'name="viewport"' in page  # the phone page


def test_the_api_raises_routes_and_moves_a_request(login, personas, city, facilities):
    person = in_state(city, "controlled_zone")
    client = login(personas["hotline"])
    created = client.post(
        "/api/care/requests",
        {"id_number": person.id_number, "type": "delivery"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["control_state"] == "controlled_zone" and body["channel"] == "hotline"
    assert body["destination"] == "designated" and body["facility"]["code"] == "W-DESIGNATED"
    assert body["rule_number"] == 1 and "Rule 1" in body["why"]
    task_force = login(personas["task_force"])
    routed = task_force.post(
        "/api/care/requests/route", {"ids": [body["id"]]}, content_type="application/json"
    )
    assert routed.json() == {"routed": 1}
    accepted = task_force.post(
        f"/api/care/requests/{body['id']}/status",
        {"status": "accepted"},
        content_type="application/json",
    )
    assert accepted.json()["status"] == "accepted"
    table = task_force.get("/api/care/routing").json()
    assert len(table["routes"]) == 9 and table["routes"][0]["words"].startswith("Rule 1")


def test_the_api_refuses_an_outsiders_person_and_writes_nothing(login, personas, city, facilities):
    stranger = f.resident(city.j[Level.UNIT], "外区人")
    client = login(personas["hotline"])
    refused = client.post(
        "/api/care/requests",
        {"id_number": stranger.id_number, "type": "fever"},
        content_type="application/json",
    )
    assert refused.status_code == 422 and "id_number" in refused.content.decode()
    assert not CareRequest.objects.exists()


def test_the_routing_page_shows_the_table_in_force(login, personas, city):
    page = login(personas["grid"]).get(reverse("care:routing")).content.decode()
    assert 'data-rule="9"' in page and "Internet hospital" in page


def test_the_requests_list_reads_a_page_in_a_fixed_number_of_queries(
    login, personas, city, facilities, django_assert_max_num_queries
):
    for i in range(3):
        services.request_raise(
            actor=personas["grid"],
            person=in_state(city, "none", f"人{i}"),
            type="fever",
            channel="grid",
        )
    client = login(personas["grid"])
    client.get(reverse("care:requests"))  # warm the session and the policy
    with django_assert_max_num_queries(12):
        page = client.get(reverse("care:requests")).content.decode()
    assert page.count("data-request=") == 3
    with django_assert_max_num_queries(12):
        assert len(client.get("/api/care/requests").json()["items"]) == 3
