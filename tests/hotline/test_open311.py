"""Open311 GeoReport v2 at /open311/v2/ (issue 18, item 1): every endpoint in JSON and XML,
field by field as the specification lays them out; API keys; jurisdiction_id; the
specification's errors with their HTTP status, nothing stored."""

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.utils.timezone import localtime

from fangkong.hotline.models import HotlineCategory, HotlineRequest, Open311Client
from fangkong.hotline.requests.services import request_complete

pytestmark = pytest.mark.django_db

REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


@pytest.fixture
def key(db):
    out = io.StringIO()
    call_command("open311_key", "城管通", stdout=out)
    return out.getvalue().strip()


def post(client, key, fmt="json", **extra):
    data = {
        "api_key": key,
        "service_code": "repair",
        "description": "幸福小区1号楼停水两天了",
        "address_string": "幸福小区1号楼",
        "lat": "34.03",
        "long": "113.82",
        **extra,
    }
    return client.post(f"/open311/v2/requests.{fmt}", data)


def test_discovery_and_services_in_json_and_xml(client, city):
    disc = client.get("/open311/v2/discovery.json").json()
    assert set(disc) == {"changeset", "contact", "key_service", "endpoints"}
    endpoint = disc["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["formats"] == ["application/json", "text/xml"]
    xml = ET.fromstring(client.get("/open311/v2/discovery.xml").content)
    assert xml.tag == "discovery"
    assert xml.find("endpoints/endpoint/specification").text.endswith("GeoReport_v2")
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "application/json",
        "text/xml",
    ]
    services = client.get("/open311/v2/services.json").json()
    assert [s["service_code"] for s in services] == HotlineCategory.values
    assert set(services[0]) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert services[0]["type"] == "realtime" and services[0]["metadata"] is True
    xml = ET.fromstring(client.get("/open311/v2/services.xml").content)
    assert xml.tag == "services"
    assert [s.find("service_code").text for s in xml.findall("service")] == HotlineCategory.values
    assert xml.find("service/metadata").text == "true"
    definition = client.get("/open311/v2/services/repair.json").json()
    assert definition["service_code"] == "repair"
    attribute = definition["attributes"][0]
    assert set(attribute) == {
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
    }
    xml = ET.fromstring(client.get("/open311/v2/services/repair.xml").content)
    assert xml.tag == "service_definition"
    assert xml.find("attributes/attribute/code").text == "happened_at"
    # The city's jurisdiction_id is accepted; another is an error.
    assert (
        client.get("/open311/v2/services.json", {"jurisdiction_id": city.city.code}).status_code
        == 200
    )
    wrong = client.get("/open311/v2/services.json", {"jurisdiction_id": "9999"})
    assert wrong.status_code == 404
    assert wrong.json() == [{"code": 404, "description": wrong.json()[0]["description"]}]
    missing = client.get("/open311/v2/services/nope.xml")
    assert missing.status_code == 404
    error = ET.fromstring(missing.content)
    assert error.tag == "errors" and error.find("error/code").text == "404"


def test_post_then_get_requests_and_tokens(client, city, key, personas, departments):
    made = post(client, key)
    assert made.status_code == 200
    body = made.json()
    assert set(body[0]) == {"service_request_id", "token", "service_notice", "account_id"}
    item = HotlineRequest.objects.get()
    assert (item.channel, item.category, item.client.name) == ("open311", "repair", "城管通")
    assert body[0]["service_request_id"] == item.number
    one = client.get(f"/open311/v2/requests/{item.number}.json", {"api_key": key}).json()
    assert list(one[0]) == REQUEST_FIELDS
    row = one[0]
    assert (row["status"], row["service_code"], row["agency_responsible"]) == (
        "open",
        "repair",
        departments["utilities"].name,
    )
    # expected_datetime is the SLA deadline of the rule that dispatched it.
    assert row["expected_datetime"] == localtime(item.due_at).isoformat(timespec="seconds")
    assert row["lat"] == 34.03 and row["long"] == 113.82
    xml = ET.fromstring(
        client.get(f"/open311/v2/requests/{item.number}.xml", {"api_key": key}).content
    )
    assert xml.tag == "service_requests"
    assert [c.tag for c in xml.find("request")] == REQUEST_FIELDS
    token = client.get(f"/open311/v2/tokens/{body[0]['token']}.json", {"api_key": key}).json()
    assert token == [{"service_request_id": item.number, "token": body[0]["token"]}]
    request_complete(actor=departments["staff"], request=item, reply="已修复")
    listed = client.get("/open311/v2/requests.json", {"api_key": key, "status": "open"}).json()
    assert listed[0]["status"] == "open" and listed[0]["status_notes"] == "已修复"
    xml_post = post(client, key, fmt="xml", service_code="prices", description="菜价太贵")
    root = ET.fromstring(xml_post.content)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text
    both = client.get("/open311/v2/requests.json", {"api_key": key}).json()
    assert len(both) == 2
    # Another client's key sees none of them.
    other = io.StringIO()
    call_command("open311_key", "其他系统", stdout=other)
    assert (
        client.get("/open311/v2/requests.json", {"api_key": other.getvalue().strip()}).json() == []
    )


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"api_key": ""}, 403),
        ({"api_key": "wrong"}, 403),
        ({"service_code": ""}, 400),
        ({"service_code": "nope"}, 404),
        ({"jurisdiction_id": "9999"}, 404),
        ({"address_string": "", "lat": "", "long": ""}, 400),
        ({"lat": "north"}, 400),
        ({"description": ""}, 400),
        ({"phone": "12"}, 400),
        ({"attribute[happened_at]": "yesterday"}, 400),
    ],
)
def test_bad_posts_answer_the_specs_errors_and_store_nothing(client, city, key, extra, status):
    for fmt in ("json", "xml"):
        answer = post(client, key, fmt=fmt, **extra)
        assert answer.status_code == status, (extra, answer.content)
        if fmt == "json":
            assert answer.json()[0]["code"] == status and answer.json()[0]["description"]
        else:
            error = ET.fromstring(answer.content).find("error")
            assert error.find("code").text == str(status) and error.find("description").text
    assert not HotlineRequest.objects.exists()


def test_oversize_and_non_utf8_bodies_are_refused(client, city, key):
    big = client.post(
        "/open311/v2/requests.json",
        b"description=" + b"a" * (70 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert big.status_code == 413 and big.json()[0]["code"] == 413
    latin = client.post(
        "/open311/v2/requests.json",
        f"api_key={key}&service_code=repair&address_string=x&description=".encode() + b"\xff\xfe",
        content_type="application/x-www-form-urlencoded",
    )
    assert latin.status_code == 400
    assert not HotlineRequest.objects.exists()
    assert Open311Client.objects.count() == 1
    assert client.get("/open311/v2/requests.json").status_code == 403
    assert client.get("/open311/v2/services.csv").status_code == 404
