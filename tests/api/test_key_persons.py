import datetime as dt

from fangkong.audit.models import Event
from fangkong.people.models import KeyPerson, Need

JSON = "application/json"


def test_ledger_lists_key_persons_in_scope(as_, people):
    items = as_("grid").get("/api/key-persons").json()["items"]
    assert [(k["resident"]["name"], k["category"]) for k in items] == [("张伟", "elderly_alone")]
    assert "*" in items[0]["resident"]["id_number"]
    assert as_("grid").get("/api/key-persons", {"category": "pregnant"}).json()["items"] == []
    assert as_("outsider").get("/api/key-persons").json()["items"] == []


def test_hospital_reads_ledger_but_lab_may_not(as_, people):
    assert as_("hospital").get("/api/key-persons").status_code == 200
    assert as_("lab").get("/api/key-persons").status_code == 403


def test_add_and_remove_key_person_with_reason(as_, people):
    payload = {"resident": people["wang"].pk, "category": "pregnant", "note": "28 weeks"}
    response = as_("grid").post("/api/key-persons", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    entry_id = response.json()["id"]
    missing = as_("grid").delete(f"/api/key-persons/{entry_id}")
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    gone = as_("grid").delete(f"/api/key-persons/{entry_id}", {"reason": "gave birth"}, JSON)
    assert gone.status_code == 204
    assert not KeyPerson.objects.filter(pk=entry_id).exists()
    assert Event.objects.get(action="key_person.removed").reason == "gave birth"


def test_remove_with_reason_in_query(as_, people):
    entry = KeyPerson.objects.get()
    response = as_("street").delete(f"/api/key-persons/{entry.pk}?reason=moved+away")
    assert response.status_code == 204
    assert Event.objects.get(action="key_person.removed").reason == "moved away"


def test_duplicate_category_names_the_field(as_, people):
    payload = {"resident": people["zhang"].pk, "category": "elderly_alone"}
    response = as_("grid").post("/api/key-persons", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "category"]


def test_outsider_cannot_list_weidu_resident(as_, people):
    payload = {"resident": people["wang"].pk, "category": "pregnant"}
    response = as_("outsider").post("/api/key-persons", payload, content_type=JSON)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "resident"]
    entry = KeyPerson.objects.get()
    response = as_("outsider").delete(f"/api/key-persons/{entry.pk}?reason=x")
    assert response.status_code == 404


def test_needs_add_fulfil_recurring_and_cancel(as_, people):
    zhang = people["zhang"]
    payload = {"kind": "medicine", "description": "insulin", "recurrence_days": 7}
    response = as_("grid").post(f"/api/residents/{zhang.pk}/needs", payload, content_type=JSON)
    assert response.status_code == 201, response.content
    need_id = response.json()["id"]
    done = as_("grid").post(f"/api/needs/{need_id}/fulfil", {"on": "2022-11-20"}, JSON).json()
    assert done["status"] == "open" and done["next_due"] == "2022-11-27"
    listed = as_("grid").get(f"/api/residents/{zhang.pk}/needs").json()
    assert [n["description"] for n in listed] == ["insulin"]
    no_reason = as_("grid").post(f"/api/needs/{need_id}/cancel", {}, JSON)
    assert no_reason.json()["detail"][0]["loc"] == ["body", "reason"]
    cancelled = as_("grid").post(f"/api/needs/{need_id}/cancel", {"reason": "moved"}, JSON)
    assert cancelled.json()["status"] == "cancelled"


def test_one_off_need_is_met_when_fulfilled(as_, people):
    wang = people["wang"]
    need = Need.objects.create(
        resident=wang, kind="food", description="rice", division_key=wang.division_key
    )
    body = as_("street").post(f"/api/needs/{need.pk}/fulfil", {}, JSON).json()
    assert body["status"] == "met"
    again = as_("street").post(f"/api/needs/{need.pk}/fulfil", {}, JSON)
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "status"]


def test_need_validation_names_the_field(as_, people):
    response = as_("grid").post(
        f"/api/residents/{people['zhang'].pk}/needs",
        {"kind": "medicine", "description": "  "},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "description"]
    bad_kind = as_("grid").post(
        f"/api/residents/{people['zhang'].pk}/needs",
        {"kind": "gold", "description": "x"},
        content_type=JSON,
    )
    assert bad_kind.json()["detail"][0]["loc"] == ["body", "kind"]


def test_outsider_cannot_touch_weidu_needs(as_, people):
    need = Need.objects.create(
        resident=people["zhang"],
        kind="food",
        description="rice",
        division_key=people["zhang"].division_key,
        next_due=dt.date(2022, 11, 20),
    )
    zhang = people["zhang"].pk
    assert as_("outsider").get(f"/api/residents/{zhang}/needs").status_code == 404
    payload = {"kind": "food", "description": "x"}
    response = as_("outsider").post(f"/api/residents/{zhang}/needs", payload, content_type=JSON)
    assert response.status_code == 404
    assert as_("outsider").post(f"/api/needs/{need.pk}/fulfil", {}, JSON).status_code == 404
    cancel = as_("outsider").post(f"/api/needs/{need.pk}/cancel", {"reason": "x"}, JSON)
    assert cancel.status_code == 404
    need.refresh_from_db()
    assert need.status == "open"


def test_task_force_may_not_write_needs(as_, people):
    payload = {"kind": "food", "description": "x"}
    response = as_("task_force").post(
        f"/api/residents/{people['zhang'].pk}/needs", payload, content_type=JSON
    )
    assert response.status_code == 403
