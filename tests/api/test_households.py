from fangkong.people.idnumber import mask_id_number
from fangkong.people.models import Household
from tests import factories as f

JSON = "application/json"


def test_household_list_and_detail_with_masked_members(as_, people):
    listed = as_("grid").get("/api/households").json()["items"]
    assert [h["code"] for h in listed] == ["HH-W-1"]
    body = as_("grid").get(f"/api/households/{people['home'].pk}").json()
    assert {m["name"] for m in body["members"]} == {"张伟", "李秀英"}
    zhang = next(m for m in body["members"] if m["name"] == "张伟")
    assert zhang["id_number"] == mask_id_number(people["zhang"].id_number)


def test_outsider_sees_no_weidu_household(as_, people):
    assert as_("outsider").get("/api/households").json()["items"] == []
    assert as_("outsider").get(f"/api/households/{people['home'].pk}").status_code == 404


def test_create_household(as_, city):
    unit = city.w[f.Level.UNIT]
    payload = {"code": "HH-W-2", "place": unit.code, "address": "1单元 101"}
    response = as_("street").post("/api/households", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    assert Household.objects.get(code="HH-W-2").division == unit


def test_duplicate_household_code_names_the_field(as_, people, city):
    payload = {"code": "HH-W-1", "place": city.w[f.Level.UNIT].code}
    response = as_("street").post("/api/households", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "code"]


def test_resident_joins_household_only_in_scope(as_, people, city):
    payload = {"household": people["home"].pk}
    response = as_("outsider").patch(
        f"/api/residents/{people['other'].pk}", payload, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "household"]


def test_hotline_may_read_but_not_create_households(as_, people, city):
    assert as_("hotline").get("/api/households").status_code == 200
    payload = {"code": "HH-W-3", "place": city.w[f.Level.UNIT].code}
    assert as_("hotline").post("/api/households", payload, content_type=JSON).status_code == 403
