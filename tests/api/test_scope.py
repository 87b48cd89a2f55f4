"""The role × jurisdiction matrix: in scope it works, outside it is invisible, without the
capability it is forbidden."""

import pytest

from fangkong.people.models import KeyPerson, Need
from fangkong.places.models import Level

JSON = "application/json"


@pytest.fixture
def weidu_paths(city, people):
    zhang = people["zhang"]
    need = Need.objects.create(
        resident=zhang, kind="food", description="rice", division_key=zhang.division_key
    )
    entry = KeyPerson.objects.get(resident=zhang)
    return {
        "get": [
            f"/api/places/{city.w[Level.GRID].code}",
            f"/api/places/{city.w[Level.GRID].code}/children",
            f"/api/residents/{zhang.pk}",
            f"/api/residents/{zhang.pk}/events",
            f"/api/residents/{zhang.pk}/needs",
            f"/api/households/{people['home'].pk}",
        ],
        "post": [
            (f"/api/residents/{zhang.pk}/needs", {"kind": "food", "description": "x"}),
            (f"/api/needs/{need.pk}/fulfil", {}),
            (f"/api/needs/{need.pk}/cancel", {"reason": "x"}),
        ],
        "patch": [(f"/api/residents/{zhang.pk}", {"name": "X"})],
        "delete": [f"/api/key-persons/{entry.pk}?reason=x"],
    }


LISTS = ["/api/residents", "/api/households", "/api/key-persons", "/api/venues"]


@pytest.mark.parametrize("role", ["command", "street", "grid"])
def test_registry_keepers_reach_every_object_in_scope(as_, weidu_paths, role):
    client = as_(role)
    for path in weidu_paths["get"]:
        assert client.get(path).status_code == 200, path
    for path in LISTS:
        assert client.get(path).status_code == 200, path


def test_outsider_gets_404_on_every_weidu_object(as_, weidu_paths):
    client = as_("outsider")
    for path in weidu_paths["get"]:
        assert client.get(path).status_code == 404, path
    for path, body in weidu_paths["post"]:
        assert client.post(path, body, content_type=JSON).status_code == 404, path
    for path, body in weidu_paths["patch"]:
        assert client.patch(path, body, content_type=JSON).status_code == 404, path
    for path in weidu_paths["delete"]:
        assert client.delete(path).status_code == 404, path


def test_outsider_lists_hold_nothing_of_weidu(as_, weidu_paths, people):
    client = as_("outsider")
    assert [r["name"] for r in client.get("/api/residents").json()["items"]] == ["赵强"]
    for path in LISTS[1:]:
        assert client.get(path).json()["items"] == [], path


@pytest.mark.parametrize("role", ["lab", "quarantine", "supply"])
def test_roles_without_registry_capabilities_are_forbidden(as_, weidu_paths, role):
    client = as_(role)
    for path in [*weidu_paths["get"][2:], *LISTS[:2]]:
        assert client.get(path).status_code == 403, path
    for path, body in weidu_paths["post"]:
        assert client.post(path, body, content_type=JSON).status_code == 403, path
