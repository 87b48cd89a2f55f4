"""Hole 6: inputs that crashed the API (HTTP 500) are refused with 4xx, and the OpenAPI document
names every schema once."""

import collections
import datetime as dt
import typing

import pytest
from django.test import Client
from django.utils import timezone, translation
from pydantic import BaseModel

from fangkong.api import api
from fangkong.core.apikit import MAX_OFFSET
from fangkong.epi.models import FindingJob
from fangkong.lab.models import Lab
from fangkong.quarantine.measures.services import measure_start
from fangkong.quarantine.models import HealthCheck
from tests.api.conftest import bearer_client

JSON = "application/json"
HUGE = 2**63  # one past the largest bigint


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def openapi(db):
    return Client().get("/api/openapi.json").json()


def _list_operations(doc):
    """Every GET operation with an `offset` parameter, with its path filled in."""
    out = []
    for path, operations in doc["paths"].items():
        operation = operations.get("get")
        if not operation or not any(p["name"] == "offset" for p in operation["parameters"]):
            continue
        for p in operation["parameters"]:
            if p["in"] == "path":
                filler = "1" if p["schema"].get("type") == "integer" else "NOPE"
                path = path.replace("{" + p["name"] + "}", filler)
        out.append(path)
    return out


# Offsets and limits -------------------------------------------------------------------------


def test_every_list_endpoint_answers_a_huge_offset_with_422_or_an_empty_page(
    openapi, personas, people
):
    client = bearer_client(personas["command"])
    lists = _list_operations(openapi)
    assert len(lists) >= 30
    for url in lists:
        for offset in (HUGE, 10**30):
            response = client.get(url, {"offset": offset})
            assert response.status_code == 422, (url, offset, response.content[:200])
            assert response.json()["detail"][0]["loc"] == ["query", "offset"]
        response = client.get(url, {"offset": MAX_OFFSET, "limit": 500})
        assert response.status_code in (200, 404), (url, response.content[:200])
        if response.status_code == 200:
            body = response.json()
            assert (body["items"], body["next_offset"]) == ([], None), url
        response = client.get(url, {"limit": 10**20})
        assert response.status_code == 422, (url, response.content[:200])


# Ids beyond the bigint range ------------------------------------------------------------------


def test_ids_beyond_the_bigint_range_are_refused_not_crashed(personas, people, city):
    client = bearer_client(personas["command"])
    for url in (f"/api/residents/{HUGE}", f"/api/cases/{10**30}", f"/api/zones/{HUGE}"):
        response = client.get(url)
        assert response.status_code in (404, 422), (url, response.content[:200])
    job = FindingJob.objects.create(created_by=personas["task_force"], division_key=city.city.key)
    tracer = bearer_client(personas["task_force"])
    response = tracer.post(
        f"/api/finding-jobs/{job.pk}/confirm", {"candidates": [HUGE]}, content_type=JSON
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][:2] == ["body", "candidates"]
    response = bearer_client(personas["street"]).post(
        "/api/key-persons", {"resident": HUGE, "category": "elderly_alone"}, content_type=JSON
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "resident"]


def test_a_floor_beyond_the_column_type_is_refused(personas):
    client = bearer_client(personas["command"])
    response = client.get("/api/quarantine/measures", {"site": HUGE})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "site"]


# A home check-in without a temperature ---------------------------------------------------------


def test_an_empty_temperature_is_a_field_error(personas, people):
    from fangkong.policy.services import profiles_install_shipped

    profiles_install_shipped()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    measure = measure_start(
        actor=personas["street"],
        person=people["wang"],
        category="high_risk_area_leaver",
        anchor_on=yesterday,
    )
    client = bearer_client(personas["street"])
    url = f"/api/quarantine/measures/{measure.pk}/checkins"
    day = timezone.localdate().isoformat()
    response = client.post(url, {"day": day, "temperature": ""}, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body", "temperature"]
    assert not HealthCheck.objects.exists()
    response = client.post(url, {"day": day, "temperature": "36.6"}, content_type=JSON)
    assert response.status_code == 201, response.content


# Deeply nested JSON ---------------------------------------------------------------------------


def _nested(depth):
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [200, 100_000])
def test_a_deeply_nested_fhir_body_is_refused_not_crashed(personas, city, depth):
    Lab.objects.create(
        code="LAB-W", name="检测中心", division=city.weidu, division_key=city.weidu.key
    ).staff.add(personas["lab"])
    client = bearer_client(personas["lab"])
    response = client.post("/api/fhir/Bundle", _nested(depth), content_type="application/fhir+json")
    assert response.status_code in (400, 422), response.content[:300]
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_deeply_nested_json_body_is_a_400(personas, people):
    client = bearer_client(personas["street"])
    response = client.post("/api/key-persons", _nested(100_000), content_type=JSON)
    assert response.status_code == 400
    assert response.json()["detail"]


# The OpenAPI document ------------------------------------------------------------------------


def _schema_classes():
    """Every pydantic model reachable from an operation, grouped by the name it gets in the
    OpenAPI document (django-ninja keeps only one of the classes that share a name)."""
    by_name = collections.defaultdict(set)
    todo = [
        model
        for _prefix, router in api._routers
        for path_view in router.path_operations.values()
        for operation in path_view.operations
        for model in [*operation.models, *operation.response_models.values()]
        if isinstance(model, type) and issubclass(model, BaseModel)
    ]
    seen = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
        for field in model.model_fields.values():
            stack = [field.annotation]
            while stack:
                t = stack.pop()
                if isinstance(t, type) and issubclass(t, BaseModel):
                    todo.append(t)
                stack.extend(typing.get_args(t))
    return by_name


def test_no_two_schemas_share_a_component_name():
    names = _schema_classes()
    assert len(names) > 100
    shared = {name: sorted(classes) for name, classes in names.items() if len(classes) > 1}
    assert shared == {}


def test_the_case_transfer_documents_its_own_body(openapi):
    post = openapi["paths"]["/api/cases/{case_id}/transfer"]["post"]
    ref = post["requestBody"]["content"][JSON]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = openapi["components"]["schemas"][ref]["properties"]
    assert {"destination", "destination_name", "transferred_at"} <= set(fields)


def test_path_ids_are_bounded_in_the_document(openapi):
    for path, operations in openapi["paths"].items():
        for operation in operations.values():
            for p in operation.get("parameters", []):
                if p["in"] == "path" and p["schema"].get("type") == "integer":
                    assert p["schema"].get("minimum") == 1, (path, p["name"])
                    assert p["schema"].get("maximum") == HUGE - 1, (path, p["name"])


# Uploads ---------------------------------------------------------------------------------------


def test_a_file_cut_in_a_character_is_a_field_error_in_the_api(personas, people):
    from django.core.files.uploadedfile import SimpleUploadedFile

    cut = "身份证号,场所码,进入时间,离开时间\n".encode()[:-2] + "身".encode()[:2]
    upload = SimpleUploadedFile("checkins.csv", cut, content_type="text/csv")
    response = bearer_client(personas["task_force"]).post("/api/checkins/import", {"file": upload})
    assert response.status_code == 422, response.content[:300]
    body = response.json()
    assert body.get("errors") or body["detail"][0]["loc"] == ["body", "file"]


def test_a_huge_page_number_on_a_page_is_an_empty_page(login, personas, people):
    client = login(personas["street"])
    for page in (10**30, 2**63):
        response = client.get("/people/residents/", {"page": page})
        assert response.status_code == 200
        assert "李秀英" not in response.content.decode()


def test_a_nul_character_is_refused_before_it_reaches_a_query(personas, people):
    """PostgreSQL can neither store nor compare text holding NUL (it answered 500 on both)."""
    client = bearer_client(personas["street"])
    resident = people["zhang"]
    response = client.patch(
        f"/api/residents/{resident.pk}", {"name": "张\x00伟"}, content_type=JSON
    )
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"] == ["body"]
    resident.refresh_from_db()
    assert resident.name == "张伟"
    assert client.get("/api/residents", {"q": "张\x00"}).status_code == 400
    assert client.get("/api/places/4110\x00").status_code == 400
    page = Client()
    page.force_login(personas["lab"])
    assert page.get("/people/residents/", {"q": "\x00"}).status_code == 400
