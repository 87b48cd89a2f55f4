"""The policy API: versions, drafts, checking, comparison, activation from a date, files."""

import datetime as dt
import json

import pytest
import yaml
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from fangkong.api import api
from fangkong.audit.models import Event
from fangkong.core.roles import Role
from fangkong.policy.models import PolicyActivation, PolicyProfile
from tests import factories as f
from tests.api.conftest import bearer_client

TWENTY = "20-measures"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def as_(personas):
    """`as_("lab")`: a client with a bearer token of that persona."""
    return lambda role: bearer_client(personas[role])


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def twenty(db) -> PolicyProfile:
    return PolicyProfile.objects.get(code=TWENTY)


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_copy_change_check_and_read_a_draft(as_, twenty):
    chief = as_("command")
    copied = post(chief, f"/api/policy/profiles/{twenty.pk}/copy")
    assert copied.status_code == 201
    draft = copied.json()
    assert (draft["version"], draft["status"], draft["is_draft"], draft["based_on"]) == (
        2,
        "draft",
        True,
        twenty.pk,
    )
    url = f"/api/policy/profiles/{draft['id']}"

    rules = draft["rules"]
    rules["categories"]["close_contact"]["phases"][0]["days"] = 7
    rules["categories"]["close_contact"]["phases"][0]["test_days"] = [1, 3, 9]
    rules["testing"]["pool_sizes"] = []
    refused = put(chief, url, {"rules": rules, "name_en": "20 measures, revised"})
    assert refused.status_code == 422
    assert sorted(e["loc"] for e in refused.json()["detail"]) == [
        ["body", "rules", "categories", "close_contact", "phases", 0, "test_days"],
        ["body", "rules", "testing", "pool_sizes"],
    ]

    checked = post(chief, "/api/policy/validate", {"rules": rules})
    assert checked.status_code == 200 and checked.json()["valid"] is False
    assert ["rules", "testing", "pool_sizes"] in [p["loc"] for p in checked.json()["problems"]]

    rules["categories"]["close_contact"]["phases"][0]["test_days"] = [1, 3, 7]
    rules["testing"]["pool_sizes"] = [5, 10, 20]
    saved = put(chief, url, {"rules": rules, "name_en": "20 measures, revised"})
    assert saved.status_code == 200
    assert saved.json()["name_en"] == "20 measures, revised"
    assert chief.get(url).json()["rules"]["categories"]["close_contact"]["phases"][0]["days"] == 7


def test_compare_two_versions_field_by_field(as_, twenty):
    chief = in_english(as_("command"))
    draft = post(chief, f"/api/policy/profiles/{twenty.pk}/copy").json()
    rules = draft["rules"]
    rules["quarantine"]["fever_celsius"] = 37.5
    put(chief, f"/api/policy/profiles/{draft['id']}", {"rules": rules})

    compared = chief.get("/api/policy/compare", {"a": twenty.pk, "b": draft["id"]}).json()

    assert compared["differences"] == [
        {
            "path": "quarantine.fever_celsius",
            "label": "Quarantine sites and release › Fever threshold (°C)",
            "a": "37.3",
            "b": "37.5",
        }
    ]
    assert [r["label"] for r in compared["summary"] if r["differs"]] == ["Fever threshold"]


def test_activate_from_a_day_list_and_withdraw(as_, twenty):
    chief = in_english(as_("command"))
    draft = post(chief, f"/api/policy/profiles/{twenty.pk}/copy").json()
    day = timezone.localdate() + dt.timedelta(days=2)
    url = f"/api/policy/profiles/{draft['id']}/activate"

    assert post(chief, url, {"reason": "x", "effective_on": "2000-01-01"}).status_code == 422
    scheduled = post(chief, url, {"reason": "市指挥部通知", "effective_on": day.isoformat()})

    assert scheduled.status_code == 200
    body = scheduled.json()
    assert (body["status"], body["version"], body["reason"]) == ("scheduled", 2, "市指挥部通知")
    assert timezone.localtime(dt.datetime.fromisoformat(body["effective_from"])).date() == day
    locked = put(chief, f"/api/policy/profiles/{draft['id']}", {"name_en": "again"})
    assert locked.status_code == 422 and "no longer a draft" in locked.json()["detail"][0]["msg"]
    assert [a["id"] for a in chief.get("/api/policy/activations").json()] == [body["id"]]

    withdrawn = post(chief, f"/api/policy/activations/{body['id']}/withdraw", {"reason": "暂缓"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


def test_activating_now_switches_and_the_version_in_force_again_is_204(as_, twenty):
    chief = as_("command")
    ninth = PolicyProfile.objects.get(code="9th-edition")
    now = post(chief, f"/api/policy/profiles/{ninth.pk}/activate", {"reason": "回退"})
    assert now.status_code == 200 and now.json()["status"] == "applied"
    assert chief.get("/api/policy/active").json()["code"] == "9th-edition"
    again = post(chief, f"/api/policy/profiles/{ninth.pk}/activate", {"reason": "again"})
    assert again.status_code == 204
    assert Event.objects.filter(action="policy.activated").count() == 1


def test_download_and_upload(as_, twenty):
    chief = in_english(as_("command"))
    doc = chief.get(f"/api/policy/profiles/{twenty.pk}/document.json").json()
    assert (doc["code"], doc["version"], doc["rules"]) == (TWENTY, 1, twenty.rules)
    text = chief.get(f"/api/policy/profiles/{twenty.pk}/document.yaml")
    assert text["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(text.content) == doc

    doc["rules"]["testing"]["round_deadline_hours"] = 12
    upload = SimpleUploadedFile("v.json", json.dumps(doc).encode())
    created = chief.post("/api/policy/profiles/upload", {"file": upload})
    assert created.status_code == 201
    assert created.json()["rules"]["testing"]["round_deadline_hours"] == 12

    doc["rules"]["testing"]["round_deadline_hours"] = 0
    bad = SimpleUploadedFile("v.json", json.dumps(doc).encode())
    refused = chief.post("/api/policy/profiles/upload", {"file": bad})
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {"loc": ["body", "file", "rules", "testing", "round_deadline_hours"], "msg": "At least 1"}
    ]


def test_a_nul_character_in_a_file_or_a_form_field_is_a_422_not_a_500(as_, twenty):
    """PostgreSQL stores no NUL: schemathesis found a file with one answering 500."""
    chief = in_english(as_("command"))
    doc = chief.get(f"/api/policy/profiles/{twenty.pk}/document.json").json()
    doc["name_en"] = "Twenty\x00measures"
    upload = SimpleUploadedFile("v.json", json.dumps(doc).encode())  # "\u0000" in the JSON
    refused = chief.post("/api/policy/profiles/upload", {"file": upload})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == "Text may not contain the NUL character"
    clean = SimpleUploadedFile("v.json", b"{}")
    field = chief.post("/api/policy/profiles/upload", {"file": clean, "note": "a\x00b"})
    assert field.status_code == 422 and field.json()["detail"][0]["loc"] == ["body"]
    assert PolicyProfile.objects.filter(code=TWENTY).count() == 1


def test_drafts_are_for_authors_and_writes_for_a_city_wide_command_centre(
    as_, personas, city, twenty
):
    draft = post(as_("command"), f"/api/policy/profiles/{twenty.pk}/copy").json()
    lab = as_("lab")
    assert lab.get(f"/api/policy/profiles/{twenty.pk}").status_code == 200
    assert lab.get(f"/api/policy/profiles/{draft['id']}").status_code == 404
    assert draft["id"] not in [p["id"] for p in lab.get("/api/policy/profiles").json()]
    assert post(lab, "/api/policy/validate", {"rules": twenty.rules}).status_code == 403

    district = bearer_client(f.user("cmd_weidu", Role.COMMAND, city.weidu))
    for client in (as_("street"), lab, as_("outsider"), district):
        assert post(client, f"/api/policy/profiles/{twenty.pk}/copy").status_code in (403, 404)
        assert put(client, f"/api/policy/profiles/{draft['id']}", {"name_en": "x"}).status_code in (
            403,
            404,
        )
        url = f"/api/policy/profiles/{twenty.pk}/activate"
        assert post(client, url, {"reason": "x"}).status_code == 403
        assert client.delete(f"/api/policy/profiles/{draft['id']}").status_code in (403, 404)
    assert PolicyProfile.objects.count() == 4 and not PolicyActivation.objects.exists()
    assert as_("supply").get("/api/policy/profiles").status_code == 403


def test_the_openapi_document_describes_the_rules_in_the_bodies(db):
    schema = api.get_openapi_schema(path_prefix="/api")
    put_op = schema["paths"]["/api/policy/profiles/{profile_id}"]["put"]
    body = put_op["requestBody"]["content"]["application/json"]["schema"]
    draft_in = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    rules = next(o for o in draft_in["properties"]["rules"]["anyOf"] if o.get("type") == "object")
    phase = rules["properties"]["categories"]["additionalProperties"]["properties"]["phases"][
        "items"
    ]
    assert phase["properties"]["days"] == {
        "description": "How long the phase lasts",
        "minimum": 1,
        "title": "Days",
        "type": "integer",
    }
    for path in (
        "/api/policy/profiles/{profile_id}/copy",
        "/api/policy/profiles/{profile_id}/activate",
        "/api/policy/validate",
        "/api/policy/compare",
        "/api/policy/profiles/{profile_id}/document.yaml",
        "/api/policy/profiles/upload",
        "/api/policy/activations/{activation_id}/withdraw",
    ):
        assert path in schema["paths"], path
