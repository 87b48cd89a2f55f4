import pytest

from fangkong.audit.models import Event
from fangkong.people.idnumber import make_id_number, mask_id_number, mask_phone
from fangkong.people.models import Resident
from tests import factories as f

JSON = "application/json"


def new_id(seq: int = 7) -> str:
    import datetime as dt

    return make_id_number("411002", dt.date(1990, 3, 4), seq, "F")


def test_list_shows_residents_in_jurisdiction_masked(as_, people):
    response = as_("street").get("/api/residents")
    assert response.status_code == 200
    body = response.json()
    assert {r["name"] for r in body["items"]} == {"张伟", "李秀英", "王芳"}
    assert body["next_offset"] is None
    zhang = next(r for r in body["items"] if r["name"] == "张伟")
    assert zhang["id_number"] == mask_id_number(people["zhang"].id_number)
    assert zhang["phone"] == mask_phone("13900000001")
    assert people["zhang"].id_number not in response.content.decode()
    assert "13900000001" not in response.content.decode()


@pytest.mark.parametrize(
    ("q", "expected"),
    [("张", {"张伟"}), ("zw", {"张伟"}), ("wangfang", {"王芳"}), ("13900000001", {"张伟"})],
)
def test_search_by_name_initials_pinyin_and_phone(as_, people, q, expected):
    items = as_("street").get("/api/residents", {"q": q}).json()["items"]
    assert {r["name"] for r in items} == expected


def test_search_by_id_number(as_, people):
    items = as_("grid").get("/api/residents", {"q": people["li"].id_number}).json()["items"]
    assert [r["name"] for r in items] == ["李秀英"]


def test_outsider_sees_none_of_weidu(as_, people):
    items = as_("outsider").get("/api/residents", {"q": "张"}).json()["items"]
    assert items == []
    names = {r["name"] for r in as_("outsider").get("/api/residents").json()["items"]}
    assert names == {"赵强"}


def test_pagination_walks_with_next_offset(as_, people):
    first = as_("street").get("/api/residents", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next_offset"] == 2
    second = as_("street").get("/api/residents", {"limit": 2, "offset": 2}).json()
    assert len(second["items"]) == 1 and second["next_offset"] is None


def test_limit_is_capped(as_, people):
    response = as_("street").get("/api/residents", {"limit": 501})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_place_filter_outside_jurisdiction_names_the_parameter(as_, city, people):
    response = as_("street").get("/api/residents", {"place": city.jianan.code})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "place"]


def test_place_filter_narrows_the_list(as_, city, people):
    other_unit = f.division(city.w[f.Level.BUILDING].key + "02", "2单元", f.Level.UNIT, None)
    f.resident(other_unit, "周杰")
    unit = city.w[f.Level.UNIT]
    items = as_("street").get("/api/residents", {"place": unit.code}).json()["items"]
    assert "周杰" not in {r["name"] for r in items}
    assert len(items) == 3


def test_lab_may_not_read_residents(as_, people):
    assert as_("lab").get("/api/residents").status_code == 403
    assert as_("lab").get(f"/api/residents/{people['zhang'].pk}").status_code == 403


def test_detail_and_outsider_gets_404(as_, people):
    pk = people["zhang"].pk
    body = as_("grid").get(f"/api/residents/{pk}").json()
    assert body["name"] == "张伟"
    assert body["household_id"] == people["home"].pk
    assert body["place"]["name"] == "1单元"
    assert body["revealed"] == []
    assert as_("outsider").get(f"/api/residents/{pk}").status_code == 404


def test_reveal_shows_identifiers_and_logs_each(as_, people, personas):
    zhang = people["zhang"]
    response = as_("street").get(
        f"/api/residents/{zhang.pk}", {"reveal": "id_number,phone", "reason": "call back"}
    )
    body = response.json()
    assert body["id_number"] == zhang.id_number
    assert body["phone"] == "13900000001"
    assert body["revealed"] == ["id_number", "phone"]
    events = Event.objects.filter(action="pii.revealed", person_id=zhang.pk)
    assert {e.field for e in events} == {"id_number", "phone"}
    assert {e.actor_id for e in events} == {personas["street"].pk}
    assert {e.reason for e in events} == {"call back"}


def test_reveal_without_capability_is_forbidden_and_not_logged(as_, people):
    response = as_("hotline").get(f"/api/residents/{people['zhang'].pk}", {"reveal": "phone"})
    assert response.status_code == 403
    assert not Event.objects.filter(action="pii.revealed").exists()


def test_reveal_of_unknown_field_names_the_parameter(as_, people):
    response = as_("street").get(f"/api/residents/{people['zhang'].pk}", {"reveal": "name"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "reveal"]


def test_create_resident(as_, city, personas):
    unit = city.w[f.Level.UNIT]
    payload = {"id_number": new_id(), "name": "陈静", "place": unit.code, "phone": "13700000000"}
    response = as_("grid").post("/api/residents", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sex"] == "F" and body["birth_date"] == "1990-03-04"
    assert body["id_number"] == mask_id_number(payload["id_number"])
    created = Resident.objects.get(pk=body["id"])
    assert created.division_key == unit.key
    assert Event.objects.filter(action="resident.created", person_id=created.pk).exists()


def test_create_with_bad_id_number_names_the_field(as_, city):
    good = new_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    payload = {"id_number": bad, "name": "陈静", "place": city.w[f.Level.UNIT].code}
    response = as_("grid").post("/api/residents", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "id_number"


def test_create_with_missing_field_names_the_field(as_, city):
    payload = {"id_number": new_id(), "place": city.w[f.Level.UNIT].code}
    response = as_("grid").post("/api/residents", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_create_at_a_street_names_the_place_field(as_, city):
    payload = {"id_number": new_id(), "name": "陈静", "place": city.w[f.Level.STREET].code}
    response = as_("street").post("/api/residents", payload, content_type=JSON)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "place"]
    assert error["msg"]


def test_outsider_cannot_create_in_weidu(as_, city):
    payload = {"id_number": new_id(), "name": "陈静", "place": city.w[f.Level.UNIT].code}
    response = as_("outsider").post("/api/residents", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "place"]
    assert not Resident.objects.filter(name="陈静").exists()


def test_task_force_may_read_but_not_create(as_, city, people):
    assert as_("task_force").get("/api/residents").status_code == 200
    payload = {"id_number": new_id(), "name": "陈静", "place": city.w[f.Level.UNIT].code}
    assert as_("task_force").post("/api/residents", payload, content_type=JSON).status_code == 403


def test_patch_changes_sent_fields_and_audits(as_, people):
    zhang = people["zhang"]
    response = as_("street").patch(
        f"/api/residents/{zhang.pk}", {"phone": "13611112222", "reason": "moved"}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    zhang.refresh_from_db()
    assert zhang.phone == "13611112222" and zhang.name == "张伟"
    event = Event.objects.get(action="resident.updated", person_id=zhang.pk)
    assert event.field == "phone" and event.reason == "moved"
    assert "13611112222" not in event.to_value


def test_patch_with_bad_phone_names_the_field(as_, people):
    response = as_("street").patch(
        f"/api/residents/{people['zhang'].pk}", {"phone": "12", "reason": "核实"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "phone"]


def test_outsider_cannot_patch(as_, people):
    response = as_("outsider").patch(
        f"/api/residents/{people['zhang'].pk}", {"name": "X"}, content_type=JSON
    )
    assert response.status_code == 404
    people["zhang"].refresh_from_db()
    assert people["zhang"].name == "张伟"


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_edit_without_a_reason_is_refused_and_changes_nothing(as_, people, reason):
    zhang = people["zhang"]
    body = {"name": "张伟伟", "phone": "13611112222"}
    if reason is not None:
        body["reason"] = reason
    response = as_("street").patch(f"/api/residents/{zhang.pk}", body, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"] == [{"loc": ["body", "reason"], "msg": "请填写变更原因"}]
    zhang.refresh_from_db()
    assert (zhang.name, zhang.phone) == ("张伟", "13900000001")
    assert not Event.objects.filter(action="resident.updated").exists()


def test_events_show_history(as_, people):
    zhang = people["zhang"]
    url = f"/api/residents/{zhang.pk}"
    as_("street").patch(url, {"name": "张伟伟", "reason": "更正"}, content_type=JSON)
    body = as_("street").get(f"/api/residents/{zhang.pk}/events").json()
    assert [e["action"] for e in body["items"]] == ["resident.updated"]
    assert body["items"][0]["to_value"] == "张伟伟"
    assert body["items"][0]["actor"] == "p_street"
    assert as_("outsider").get(f"/api/residents/{zhang.pk}/events").status_code == 404


def test_events_carry_labels_in_the_requests_language(as_, people):
    zhang = people["zhang"]
    as_("street").patch(
        f"/api/residents/{zhang.pk}",
        {"relation": "spouse", "reason": "户主申报"},
        content_type=JSON,
    )
    [event] = as_("street").get(f"/api/residents/{zhang.pk}/events").json()["items"]
    assert (event["field"], event["to_value"]) == ("relation", "spouse")
    assert (event["field_label"], event["to_label"]) == ("与户主关系", "配偶")
    assert event["action_label"] == "修改居民信息"


def _residents(city, n: int) -> None:
    unit = city.w[f.Level.UNIT]
    for i in range(n):
        f.resident(unit, f"居民{i}")


@pytest.mark.parametrize("n", [5, 50])
def test_list_query_count_is_flat(as_, city, django_assert_num_queries, n):
    _residents(city, n)
    client = as_("street")
    client.get("/api/me")  # token last-used stamp is written at most every few minutes
    # token lookup (with user and jurisdiction), one page of residents with their places
    with django_assert_num_queries(2):
        response = client.get("/api/residents", {"limit": 100})
    assert len(response.json()["items"]) == n


def test_reveal_without_a_reason_is_refused_and_not_logged(as_, people):
    url = f"/api/residents/{people['zhang'].pk}"
    for reason in ("", "   "):
        response = as_("street").get(url, {"reveal": "phone", "reason": reason})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["query", "reason"]
        assert people["zhang"].phone not in response.content.decode()
    assert not Event.objects.filter(action="pii.revealed").exists()
