"""Citizen requests through the pages (the operator's intake, the list, a request's page, the
public form and the caller's own page) and the API: the same rules, the same scoping."""

import json

import pytest
from django.urls import reverse

from fangkong.hotline.models import HotlineRequest, HotlineStatus, TrainingExample
from fangkong.hotline.requests import services

pytestmark = pytest.mark.django_db

REPAIR = "幸福小区1号楼停水两天了，物业电话打不通"


def test_operator_takes_a_call_on_the_intake_page(login, personas, people, departments):
    client = login(personas["hotline"])
    page = client.get(reverse("hotline:intake"))
    assert page.status_code == 200
    assert "autofocus" in page.content.decode()
    response = client.post(
        reverse("hotline:intake"),
        {
            "caller_phone": people["zhang"].phone,
            "text": REPAIR,
            "category": "",
            "channel": "phone",
        },
    )
    item = HotlineRequest.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"?last={item.pk}")
    assert (item.person, item.category, item.status) == (
        people["zhang"],
        "repair",
        HotlineStatus.DISPATCHED,
    )
    again = client.get(response["Location"]).content.decode()
    assert item.number in again
    detail = client.get(reverse("hotline:request", args=[item.pk])).content.decode()
    assert "Rule" in detail or "规则" in detail
    assert item.department.name in detail


def test_intake_page_names_the_field(login, personas, departments):
    client = login(personas["hotline"])
    response = client.post(
        reverse("hotline:intake"), {"text": REPAIR, "caller_phone": "123", "channel": "phone"}
    )
    assert response.status_code == 200
    assert not HotlineRequest.objects.exists()
    assert "caller_phone" in response.content.decode() or "phone" in response.content.decode()


def test_list_query_count_is_pinned(login, personas, departments, django_assert_max_num_queries):
    for i in range(12):
        services.request_take(actor=personas["hotline"], channel="phone", text=f"{REPAIR} {i}")
    client = login(personas["hotline"])
    with django_assert_max_num_queries(12):
        page = client.get(reverse("hotline:requests"))
    assert page.content.decode().count("data-request=") == 12


def test_department_and_operator_work_a_request_on_its_page(login, personas, departments):
    item = services.request_take(actor=personas["hotline"], channel="phone", text=REPAIR)
    staff = login(departments["staff"])
    url = reverse("hotline:request", args=[item.pk])
    assert staff.post(url, {"action": "accept"}).status_code == 302
    assert staff.post(url, {"action": "complete", "reply": "已修复"}).status_code == 302
    # The department may not record the caller's call back.
    assert (
        staff.post(url, {"action": "callback", "solved": "yes", "satisfaction": "5"}).status_code
        == 404
    )
    operator = login(personas["hotline"])
    operator.post(url, {"action": "callback", "solved": "yes", "satisfaction": "4"})
    item.refresh_from_db()
    assert (item.status, item.satisfaction) == (HotlineStatus.CLOSED, 4)
    history = operator.get(url).content.decode()
    assert ">hotline." not in history  # actions in words, not codes


def test_outsider_gets_404_on_pages_and_api(login, personas, departments):
    item = services.request_take(actor=personas["hotline"], channel="phone", text=REPAIR)
    client = login(personas["outsider"])
    assert client.get(reverse("hotline:request", args=[item.pk])).status_code == 404
    assert (
        client.post(reverse("hotline:request", args=[item.pk]), {"action": "accept"}).status_code
        == 404
    )
    assert client.get(f"/api/hotline/requests/{item.pk}").status_code == 404
    listed = client.get("/api/hotline/requests").json()
    assert listed["items"] == []
    assert client.post(f"/api/hotline/requests/{item.pk}/accept").status_code == 404
    item.refresh_from_db()
    assert item.status == HotlineStatus.DISPATCHED
    lab = login(personas["lab"])
    assert lab.get(reverse("hotline:requests")).status_code == 403
    assert (
        lab.post(
            "/api/hotline/classify", json.dumps({"text": "停水"}), content_type="application/json"
        ).status_code
        == 403
    )


def test_api_take_classify_and_work(login, personas, people, departments):
    client = login(personas["hotline"])
    classified = client.post(
        "/api/hotline/classify",
        json.dumps({"text": "我在幸福小区3号楼2单元，家里老人降压药吃完了，电话13907394521"}),
        content_type="application/json",
    ).json()
    assert classified == {
        "category": "medicine",
        "confidence": classified["confidence"],
        "place": "幸福小区3号楼2单元",
        "phone": "13907394521",
    }
    assert 0 < classified["confidence"] <= 1
    caller = client.get("/api/hotline/callers", {"phone": people["zhang"].phone})
    assert caller.json()["person_id"] == people["zhang"].pk
    assert client.get("/api/hotline/callers", {"phone": people["other"].phone}).status_code == 404
    made = client.post(
        "/api/hotline/requests",
        json.dumps({"text": REPAIR, "category": "other", "caller_phone": "13900000123"}),
        content_type="application/json",
    )
    assert made.status_code == 201
    body = made.json()
    assert (body["category"], body["suggested_category"], body["status"]) == (
        "other",
        "repair",
        "dispatched",
    )
    assert TrainingExample.objects.filter(category="other").count() == 1
    fixed = client.post(
        f"/api/hotline/requests/{body['id']}/category",
        json.dumps({"category": "repair", "reason": "停水属于维修"}),
        content_type="application/json",
    ).json()
    assert fixed["category"] == "repair"
    assert fixed["department"]["code"] == departments["utilities"].code
    bad = client.post(
        "/api/hotline/requests",
        json.dumps({"text": REPAIR, "caller_phone": "1"}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "phone"]
    staff = login(departments["staff"])
    assert staff.post(f"/api/hotline/requests/{body['id']}/accept").json()["status"] == "accepted"
    done = staff.post(
        f"/api/hotline/requests/{body['id']}/complete",
        json.dumps({"reply": "已恢复供水"}),
        content_type="application/json",
    ).json()
    assert done["status"] == "completed" and done["notes"][-1]["text"] == "已恢复供水"


def test_public_form_and_the_callers_own_page(client, personas, departments):
    page = client.get(reverse("hotline_public:form"))
    assert page.status_code == 200
    sent = client.post(
        reverse("hotline_public:form"),
        {"text": REPAIR, "phone": "13900000888", "name": "王先生", "place": ""},
    )
    item = HotlineRequest.objects.get()
    assert sent["Location"] == reverse("hotline_public:mine", args=[item.caller_token])
    assert item.channel == "web" and item.status == HotlineStatus.DISPATCHED
    mine = client.get(sent["Location"]).content.decode()
    assert item.number in mine and 'id="confirm"' not in mine
    services.request_complete(actor=departments["staff"], request=item, reply="已修复")
    assert 'id="confirm"' in client.get(sent["Location"]).content.decode()
    client.post(sent["Location"], {"solved": "yes", "satisfaction": "5"})
    item.refresh_from_db()
    assert (item.status, item.satisfaction) == (HotlineStatus.CLOSED, 5)
    assert client.get(reverse("hotline_public:mine", args=["nope"])).status_code == 404
    # A bot filling the hidden field: answered, nothing written.
    client.post(
        reverse("hotline_public:form"),
        {"text": "广告", "phone": "13900000999", "website": "http://spam"},
    )
    assert HotlineRequest.objects.count() == 1


PASTE = """张三 10:23
幸福小区1号楼停水两天了
有人管吗
李四: 我家老人降压药没了 13900000111
[10:25] 王五：幸福小区1号楼停水两天了，有人管吗

赵六：菜价太贵了，一斤青菜二十块
"""


def test_wechat_paste_split_deduplicated_and_dispatched(login, personas, departments):
    client = login(personas["hotline"])
    assert client.get(reverse("hotline:wechat")).status_code == 200
    response = client.post(reverse("hotline:wechat"), {"text": PASTE})
    assert response.status_code == 302
    made = list(HotlineRequest.objects.order_by("id"))
    assert [r.caller_name for r in made] == ["张三", "李四", "赵六"]  # 王五 repeats 张三
    assert {r.channel for r in made} == {"wechat"}
    assert made[1].caller_phone == "13900000111"
    assert made[0].category == "repair" and made[0].status == HotlineStatus.DISPATCHED
    again = client.post(
        "/api/hotline/wechat", json.dumps({"text": PASTE}), content_type="application/json"
    )
    assert again.status_code == 201
    assert again.json() == {"created": [], "duplicates": 4}
    empty = client.post(
        "/api/hotline/wechat", json.dumps({"text": "  \n "}), content_type="application/json"
    )
    assert empty.status_code == 422 and empty.json()["detail"][0]["loc"] == ["body", "text"]
    assert (
        login(departments["staff"])
        .post("/api/hotline/wechat", json.dumps({"text": PASTE}), content_type="application/json")
        .status_code
        == 403
    )
