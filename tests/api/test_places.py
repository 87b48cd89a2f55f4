from fangkong.audit.models import Event
from fangkong.places.models import Division, Venue
from tests import factories as f

JSON = "application/json"


def test_root_is_the_jurisdiction_with_children_and_counts(as_, city, people):
    body = as_("street").get("/api/places").json()
    assert body["root"]["name"] == "魏都区"
    assert body["root"]["parent_code"] == city.city.code
    assert [(c["name"], c["resident_count"]) for c in body["children"]] == [("西大街街道", 3)]


def test_root_with_trailing_slash(as_, city):
    assert as_("street").get("/api/places/").json()["root"]["name"] == "魏都区"


def test_command_root_is_the_city(as_, city, people):
    body = as_("command").get("/api/places").json()
    assert body["root"]["name"] == "许昌市"
    assert {c["name"]: c["resident_count"] for c in body["children"]} == {"魏都区": 3, "建安区": 1}


def test_place_detail_has_visible_parent_chain_and_children(as_, city, people):
    grid = city.w[f.Level.GRID]
    body = as_("street").get(f"/api/places/{grid.code}").json()
    assert body["name"] == "第一网格"
    assert body["level"] == 5
    assert body["parent_code"] == city.w[f.Level.COMMUNITY].code
    assert [a["name"] for a in body["ancestors"]] == ["魏都区", "西大街街道", "西大社区"]
    assert [(c["name"], c["resident_count"]) for c in body["children"]] == [("幸福小区", 3)]


def test_children_endpoint(as_, city, people):
    items = as_("street").get(f"/api/places/{city.weidu.code}/children").json()
    assert [c["code"] for c in items] == [city.w[f.Level.STREET].code]


def test_outsider_gets_404_for_places_outside(as_, city):
    for path in (f"/api/places/{city.weidu.code}", f"/api/places/{city.weidu.code}/children"):
        assert as_("outsider").get(path).status_code == 404
    assert as_("outsider").get("/api/places").json()["root"]["name"] == "建安区"


def test_supply_role_may_not_see_places(as_, city):
    assert as_("supply").get("/api/places").status_code == 403


def test_venues_filtered_by_place_and_kind(as_, city):
    f.venue(city.w[f.Level.COMPOUND], "V-W-1", "幸福超市")
    f.venue(city.j[f.Level.COMPOUND], "V-J-1", "阳光超市")
    body = as_("street").get("/api/venues", {"kind": "supermarket"}).json()
    assert [v["code"] for v in body["items"]] == ["V-W-1"]
    assert body["items"][0]["place"]["name"] == "幸福小区"
    assert as_("street").get("/api/venues", {"kind": "school"}).json()["items"] == []
    assert as_("outsider").get("/api/venues").json()["items"][0]["code"] == "V-J-1"
    response = as_("outsider").get("/api/venues", {"place": city.weidu.code})
    assert response.status_code == 422


def test_unknown_venue_kind_names_the_parameter(as_, city):
    response = as_("street").get("/api/venues", {"kind": "castle"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "kind"]


def test_street_creates_venue_audited(as_, city, personas):
    payload = {
        "code": "V-W-2",
        "name": "西大药店",
        "kind": "pharmacy",
        "place": city.w[f.Level.STREET].code,
    }
    response = as_("street").post("/api/venues", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    venue = Venue.objects.get(code="V-W-2")
    assert venue.division_key == city.w[f.Level.STREET].key
    event = Event.objects.get(action="venue.created")
    assert event.actor == personas["street"]


def test_venue_code_taken_names_the_field(as_, city):
    f.venue(city.w[f.Level.COMPOUND], "V-W-1", "幸福超市")
    payload = {"code": "V-W-1", "name": "又一家", "kind": "other", "place": city.weidu.code}
    response = as_("street").post("/api/venues", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "code"]


def test_grid_may_not_create_venues(as_, city):
    payload = {"code": "V-W-3", "name": "X", "kind": "other", "place": city.w[f.Level.GRID].code}
    assert as_("grid").post("/api/venues", payload, content_type=JSON).status_code == 403


def test_outsider_cannot_create_venue_in_weidu(as_, city):
    payload = {"code": "V-W-4", "name": "X", "kind": "other", "place": city.weidu.code}
    response = as_("outsider").post("/api/venues", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "place"]
    assert not Venue.objects.exists()


def test_street_adds_a_building_whose_code_extends_the_compound(as_, city, personas):
    compound = city.w[f.Level.COMPOUND]
    response = as_("street").post(
        f"/api/places/{compound.code}/children",
        {"name": "5号楼", "number": 5},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["code"], body["level"], body["parent_code"]) == (
        compound.key + "005",
        f.Level.BUILDING,
        compound.code,
    )
    event = Event.objects.get(action="division.created")
    assert (event.actor, event.division_key) == (personas["street"], compound.key + "005")
    again = as_("street").post(
        f"/api/places/{compound.code}/children", {"name": "6号楼"}, content_type="application/json"
    )
    assert again.json()["code"] == compound.key + "002"  # 001 is taken by 1号楼


def test_place_number_already_used_names_the_field(as_, city):
    compound = city.w[f.Level.COMPOUND]
    response = as_("street").post(
        f"/api/places/{compound.code}/children",
        {"name": "新1号楼", "number": 1},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "number"


def test_outsider_and_grid_worker_cannot_add_or_rename_places(as_, city):
    compound = city.w[f.Level.COMPOUND]
    outsider = as_("outsider").post(
        f"/api/places/{compound.code}/children", {"name": "X"}, content_type="application/json"
    )
    assert outsider.status_code == 404
    grid = as_("grid").patch(
        f"/api/places/{compound.code}", {"name": "X"}, content_type="application/json"
    )
    assert grid.status_code == 403
    assert Division.objects.get(pk=compound.pk).name == "幸福小区"


def test_rename_is_audited(as_, city):
    compound = city.w[f.Level.COMPOUND]
    response = as_("street").patch(
        f"/api/places/{compound.code}",
        {"name": "幸福家园", "reason": "小区更名"},
        content_type="application/json",
    )
    assert response.json()["name"] == "幸福家园"
    event = Event.objects.get(action="division.renamed")
    assert (event.from_value, event.to_value, event.reason) == ("幸福小区", "幸福家园", "小区更名")
