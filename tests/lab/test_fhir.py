"""POST /api/fhir/Bundle: FHIR R4 results in, an OperationOutcome out."""

import copy
import datetime as dt
import json

import pytest
from django.utils import translation

from fangkong.lab.models import Lab, Outcome, Result, RetestStatus, Tube
from fangkong.lab.results.fhir import read_bundle
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.lab.conftest import give_result, result_of

URL = "/api/fhir/Bundle"
FHIR = "application/fhir+json"


def observation(specimen_ref, snomed="260415000", **extra):
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]},
        "specimen": {"reference": specimen_ref},
        "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": snomed}]},
        "effectiveDateTime": "2022-05-07T20:15:00+08:00",
    }
    resource.update(extra)
    return {"fullUrl": f"urn:uuid:obs-{specimen_ref}", "resource": resource}


def specimen(uuid, barcode):
    return {
        "fullUrl": f"urn:uuid:{uuid}",
        "resource": {
            "resourceType": "Specimen",
            "id": uuid,
            "identifier": [{"system": "urn:fangkong:tube", "value": barcode}],
        },
    }


@pytest.fixture
def bundle():
    """A pool tube positive (Ct as a component), a single tube negative (contained Specimen)."""
    ct = {
        "code": {"text": "Ct value"},
        "valueQuantity": {"value": 29.5, "unit": "{Ct}"},
    }
    contained = observation(
        "#s2",
        contained=[{"resourceType": "Specimen", "id": "s2", "identifier": [{"value": "S-001"}]}],
    )
    return {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            specimen("s1", "P-001"),
            observation("urn:uuid:s1", "260373001", component=[ct]),
            contained,
        ],
    }


@pytest.fixture
def tubes(a_round, a_site, people, tube_factory):
    return {
        "pool": tube_factory("P-001", [people["zhang"], people["li"]], round=a_round, site=a_site),
        "single": tube_factory("S-001", [people["wang"]], round=a_round, site=a_site),
    }


@pytest.fixture
def lab_client(personas, a_lab):
    return bearer_client(personas["lab"])


def post(client, body, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(f"{URL}?{query}" if query else URL, json.dumps(body), content_type=FHIR)


def test_bundle_is_applied_and_answered_with_information(lab_client, bundle, tubes, people):
    response = post(lab_client, bundle)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith(FHIR)
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert [i["severity"] for i in body["issue"]] == ["information"]
    figures = {c["code"]: c["display"] for c in body["issue"][0]["details"]["coding"]}
    assert figures["applied"] == "2" and figures["positives"] == "1"
    assert figures["retests_created"] == "2"
    pool = Tube.objects.get(barcode="P-001")
    assert (pool.result.outcome, pool.result.ct_value) == (Outcome.POSITIVE, 29.5)
    assert result_of("S-001").outcome == Outcome.NEGATIVE
    assert {r.status for r in pool.retests.all()} == {RetestStatus.PENDING}


def test_the_same_bundle_again_changes_nothing(lab_client, bundle, tubes):
    post(lab_client, bundle)
    again = post(lab_client, bundle)
    assert again.status_code == 200
    assert Tube.objects.get(barcode="P-001").retests.count() == 2


def test_specimen_referenced_by_resource_id(lab_client, bundle, tubes):
    bundle["entry"][1]["resource"]["specimen"]["reference"] = "Specimen/s1"
    assert post(lab_client, bundle).status_code == 200


def issues(response):
    return [(i["code"], i.get("expression", [""])[0]) for i in response.json()["issue"]]


def test_malformed_bundle_is_refused_with_each_problem_located(lab_client, bundle, tubes):
    bad = copy.deepcopy(bundle)
    bad["entry"][1]["resource"]["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    del bad["entry"][2]["resource"]["specimen"]
    bad["entry"].append(observation("urn:uuid:nowhere", "12345"))
    bad["entry"].append(specimen("s9", "NO-SUCH-TUBE"))
    bad["entry"].append(observation("urn:uuid:s9"))
    with translation.override("en"):
        response = post(lab_client, bad)
    assert response.status_code == 422
    assert issues(response) == [
        ("code-invalid", "Bundle.entry[1].resource.code"),
        ("required", "Bundle.entry[2].resource.specimen"),
        ("code-invalid", "Bundle.entry[3].resource.valueCodeableConcept"),
        ("not-found", "Bundle.entry[3].resource.specimen.reference"),
    ]
    diagnostics = [i["diagnostics"] for i in response.json()["issue"]]
    assert "94500-6" in diagnostics[0]
    assert "260373001" in diagnostics[2]
    assert not Result.objects.exists()


def test_unknown_tube_is_located_at_the_specimen_identifier(lab_client, bundle, tubes):
    bundle["entry"][0]["resource"]["identifier"][0]["value"] = "NO-SUCH-TUBE"
    response = post(lab_client, bundle)
    assert response.status_code == 422
    assert issues(response) == [("not-found", "Bundle.entry[0].resource.identifier[0].value")]
    assert not Result.objects.exists()


def test_a_different_result_for_a_resulted_tube_is_a_conflict(lab_client, bundle, tubes, a_lab):
    give_result(
        Tube.objects.get(barcode="S-001"),
        Outcome.POSITIVE,
        lab=a_lab,
        tested_at=dt.datetime(2022, 5, 7, 12, tzinfo=dt.UTC),
    )
    response = post(lab_client, bundle)
    assert issues(response) == [("conflict", "Bundle.entry[2].resource.valueCodeableConcept")]


def test_not_a_bundle_and_not_json(lab_client):
    assert issues(post(lab_client, {"resourceType": "Patient"})) == [("structure", "Bundle")]
    response = lab_client.post(URL, b"{not json", content_type=FHIR)
    assert response.status_code == 422
    assert issues(response) == [("structure", "Bundle")]


def test_structure_errors_name_the_element(bundle):
    bundle["type"] = "document"
    bundle["entry"][1]["resource"]["code"] = "94500-6"
    read = read_bundle(bundle)
    assert [e.column for e in read.errors] == ["Bundle.type", "Bundle.entry[1].resource.code"]


def test_ct_as_value_quantity_and_issued_time(bundle):
    resource = bundle["entry"][1]["resource"]
    del resource["component"]
    resource["valueQuantity"] = {"value": 31.0}
    resource["issued"] = "2022-05-07T13:00:00Z"
    (row, _other) = read_bundle(bundle).rows
    assert row.ct == 31.0
    assert row.tested.isoformat() == "2022-05-07T13:00:00+00:00"
    assert row.paths["tested_at"] == "Bundle.entry[1].resource.issued"


def test_wrong_content_type_is_refused(lab_client, bundle):
    response = lab_client.post(URL, json.dumps(bundle), content_type="text/plain")
    assert response.status_code == 415


def test_roles_and_jurisdiction(personas, bundle, tubes, city, a_lab):
    assert post(bearer_client(personas["supply"]), bundle).status_code == 403
    assert post(bearer_client(personas["outsider"]), bundle).status_code == 403
    jianan_lab_user = f.user("lab_j", "lab", city.jianan)
    response = post(bearer_client(jianan_lab_user), bundle, lab=a_lab.code)
    assert response.status_code == 422
    assert response.json()["issue"][0]["code"] == "not-found"
    assert not Result.objects.exists()
    lab_j = Lab.objects.create(
        code="LAB-J", name="建安", division=city.jianan, division_key=city.jianan.key
    )
    response = post(bearer_client(jianan_lab_user), bundle)
    assert response.status_code == 422  # a lab account works for the labs it staffs: none yet
    lab_j.staff.add(jianan_lab_user)
    assert post(bearer_client(jianan_lab_user), bundle).status_code == 200  # its only lab
