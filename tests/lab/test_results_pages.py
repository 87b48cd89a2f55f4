"""The results upload page and POST /api/results/import."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangkong.lab.models import Lab, Outcome, Result
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import result_of

URL = reverse("lab:results")
HEADER = "试管编码,检测结果,Ct值,检测时间\n"


@pytest.fixture
def tubes(a_round, a_site, people, tube_factory):
    return [
        tube_factory("P-001", [people["zhang"], people["li"]], round=a_round, site=a_site),
        tube_factory("S-001", [people["wang"]], round=a_round, site=a_site),
    ]


def csv_file(text, name="results.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_lab_uploads_a_file_and_sees_the_counts(login, personas, a_lab, tubes):
    client = login(personas["lab"])
    page = client.get(URL)
    assert page.status_code == 200
    assert a_lab.name in page.content.decode()
    text = HEADER + "P-001,阳性,30,2022-05-07 20:15\nS-001,阴性,,2022-05-07 20:15\n"
    response = client.post(URL, {"lab": a_lab.pk, "file": csv_file(text)})
    html = response.content.decode()
    assert 'data-outcome="written"' in html
    assert 'data-count="applied">2<' in html
    assert 'data-count="positives">1<' in html
    assert 'data-count="retests_created">2<' in html
    assert result_of("P-001").outcome == Outcome.POSITIVE
    again = client.post(URL, {"lab": a_lab.pk, "file": csv_file(text)})
    assert 'data-outcome="unchanged"' in again.content.decode()


def test_page_lists_each_error_and_applies_nothing(login, personas, a_lab, tubes):
    client = login(personas["lab"])
    text = HEADER + "P-001,阴性,,2022-05-07 20:15\nNOPE,阴性,,2022-05-07 20:15\n"
    html = client.post(URL, {"lab": a_lab.pk, "file": csv_file(text)}).content.decode()
    assert 'data-outcome="rejected"' in html
    assert "NOPE" in html and "试管编码" in html
    assert not Result.objects.exists()


def test_fhir_json_file_can_be_uploaded_on_the_page(login, personas, a_lab, tubes):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:s1",
                "resource": {"resourceType": "Specimen", "identifier": [{"value": "S-001"}]},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
                    "specimen": {"reference": "urn:uuid:s1"},
                    "valueCodeableConcept": {
                        "coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]
                    },
                    "issued": "2022-05-07T20:15:00+08:00",
                }
            },
        ],
    }
    upload = SimpleUploadedFile("bundle.json", json.dumps(bundle).encode(), "application/json")
    html = login(personas["lab"]).post(URL, {"lab": a_lab.pk, "file": upload}).content.decode()
    assert 'data-outcome="written"' in html
    assert result_of("S-001").outcome == Outcome.NEGATIVE


def test_lab_outside_scope_cannot_be_chosen(login, city, a_lab, tubes):
    other = f.user("lab_j", "lab", city.jianan)
    client = login(other)
    page = client.get(URL).content.decode()
    assert a_lab.name not in page
    text = HEADER + "P-001,阴性,,2022-05-07 20:15\n"
    response = client.post(URL, {"lab": a_lab.pk, "file": csv_file(text)})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Result.objects.exists()


@pytest.mark.parametrize("role", ["supply", "outsider", "grid", "hospital"])
def test_roles_without_result_upload_get_403(login, personas, role):
    assert login(personas[role]).get(URL).status_code == 403


def test_sample_file_lists_the_columns(login, personas):
    response = login(personas["lab"]).get(URL + "?sample=csv")
    assert response.content.decode().startswith("试管编码,检测结果,Ct值,检测时间")


# API --------------------------------------------------------------------------------------


def test_api_import_applies_and_reports(personas, a_lab, tubes):
    client = bearer_client(personas["lab"])
    text = HEADER + "S-001,阳性,25,2022-05-07 20:15\n"
    response = client.post("/api/results/import", {"lab": "LAB-W", "file": csv_file(text)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["applied"], body["positives"], body["cases_opened"]) == (1, 1, 1)


def test_api_import_lists_errors_with_422(personas, a_lab, tubes):
    client = bearer_client(personas["lab"])
    text = HEADER + "S-001,maybe,,2022-05-07 20:15\n"
    response = client.post("/api/results/import", {"lab": "LAB-W", "file": csv_file(text)})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["row"], error["column"], error["value"]) == (2, "检测结果", "maybe")


def test_api_import_scope_and_roles(personas, city, a_lab, tubes):
    text = HEADER + "S-001,阴性,,2022-05-07 20:15\n"
    data = {"lab": "LAB-W", "file": csv_file(text)}
    assert bearer_client(personas["supply"]).post("/api/results/import", data).status_code == 403
    lab_j = f.user("lab_j", "lab", city.jianan)
    other = bearer_client(lab_j)
    response = other.post("/api/results/import", {"lab": "LAB-W", "file": csv_file(text)})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "lab"]
    Lab.objects.create(
        code="LAB-J", name="建安", division=city.jianan, division_key=city.jianan.key
    ).staff.add(lab_j)
    response = other.post("/api/results/import", {"lab": "LAB-J", "file": csv_file(text)})
    assert response.status_code == 200
