"""Contacts living outside the requester's jurisdiction (协查): a request that the person's own
district or the city confirms; until then no contact, no code change, nothing revealed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.epi.models import Case, Contact, ContactRequest, RequestStatus
from fangkong.healthcode.models import CodeStatus
from fangkong.people.idnumber import make_id_number
from tests import factories as f
from tests.api.conftest import bearer_client

JSON = "application/json"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def as_(personas, city):
    others = {
        # a district that holds neither the case nor the person
        "yuzhou": lambda: f.user(
            "yz_street", "street", f.division("411081", "禹州市", f.Level.DISTRICT, city.city)
        ),
        # inside the person's district, but below it: not the one who confirms
        "jianan_street": lambda: f.user("ja_street", "street", city.j[f.Level.STREET]),
    }
    clients = {}

    def _as(who):
        if who not in clients:
            user = personas[who] if who in personas else others[who]()
            clients[who] = bearer_client(user)
        return clients[who]

    return _as


def post(client, url, body):
    return client.post(url, body, content_type=JSON)


def today() -> str:
    return timezone.localdate().isoformat()


def colour(person) -> str:
    code = CodeStatus.objects.filter(person=person).first()
    return code.colour if code else "green"


# What the person's file holds; none of it may reach the requester.
def secrets(person) -> list[str]:
    return [
        person.name,
        person.phone,
        person.birth_date.isoformat(),
        "阳光小区",
        "新元",
        "建安区",
    ]


def add_elsewhere(as_, a_case, people, who="grid", **extra):
    body = {
        "id_number": people["other"].id_number,
        "name": "赵某",
        "relation": "meal",
        "last_exposure_on": today(),
        **extra,
    }
    return post(as_(who), f"/api/cases/{a_case.pk}/contacts", body)


def test_a_grid_worker_adding_someone_from_another_district_learns_nothing_and_changes_nothing(
    as_, a_case, people
):
    other = people["other"]
    before = colour(other)
    response = add_elsewhere(as_, a_case, people)
    assert response.status_code == 201, response.content
    text = response.content.decode()
    for secret in secrets(other):
        assert secret not in text, secret
    body = response.json()
    assert body["added"] == [] and body["duplicates"] == []
    [sent] = body["requested"]
    assert sent["index"] == 0 and "confirmation" in sent["message"]
    assert not Contact.objects.exists()
    assert colour(other) == before == "green"
    assert not Event.objects.filter(action="contact.added").exists()
    request = ContactRequest.objects.get(pk=sent["request_id"])
    assert request.status == RequestStatus.PENDING
    assert request.person == other and request.name_given == "赵某"
    assert request.division_key == other.division_key


def test_a_wrong_name_or_no_name_answers_as_for_an_unknown_number(as_, a_case, people):
    """The answers must not tell 'registered elsewhere' from 'not registered at all'."""
    url = f"/api/cases/{a_case.pk}/contacts"
    unknown = make_id_number("330102", dt.date(1990, 1, 1), 7, "M")
    base = {"relation": "meal", "last_exposure_on": today()}
    elsewhere = post(as_("grid"), url, {**base, "id_number": people["other"].id_number})
    nowhere = post(as_("grid"), url, {**base, "id_number": unknown})
    assert elsewhere.status_code == nowhere.status_code == 422
    assert elsewhere.json() == nowhere.json()
    wrong_name = add_elsewhere(as_, a_case, people, name="王五")
    assert wrong_name.status_code == 201
    assert "another name" not in wrong_name.content.decode()
    assert ContactRequest.objects.get().name_given == "王五"


def test_sending_the_same_person_twice_makes_one_request(as_, a_case, people):
    first = add_elsewhere(as_, a_case, people).json()["requested"][0]
    second = add_elsewhere(as_, a_case, people)
    assert second.status_code == 201
    assert second.json()["requested"][0]["request_id"] == first["request_id"]
    assert ContactRequest.objects.count() == 1


def test_the_persons_district_sees_the_request_and_confirms_it(as_, a_case, people):
    other = people["other"]
    request_id = add_elsewhere(as_, a_case, people).json()["requested"][0]["request_id"]
    listed = as_("outsider").get("/api/contact-requests").json()["items"]
    assert [r["id"] for r in listed] == [request_id]
    assert listed[0]["person"]["name"] == "赵强"
    assert listed[0]["case_number"] == a_case.number
    url = f"/api/contact-requests/{request_id}"
    refused = post(as_("outsider"), f"{url}/confirm", {"reason": ""})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "reason"]
    assert not Contact.objects.exists()
    confirmed = post(as_("outsider"), f"{url}/confirm", {"reason": "核实同桌就餐"})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "confirmed"
    contact = Contact.objects.get()
    assert contact.person == other and contact.case == a_case
    assert contact.division_key == other.division_key
    assert colour(other) == "red"
    event = Event.objects.get(action="contact_request.confirmed")
    assert event.person_id == other.pk and event.reason == "核实同桌就餐"
    assert event.division_key == other.division_key
    assert Event.objects.filter(action="contact.added", person_id=other.pk).exists()
    again = post(as_("outsider"), f"{url}/confirm", {"reason": "again"})
    assert again.status_code == 422
    assert Contact.objects.count() == 1


def test_the_city_confirms_too(as_, a_case, people):
    request_id = add_elsewhere(as_, a_case, people).json()["requested"][0]["request_id"]
    response = post(
        as_("command"), f"/api/contact-requests/{request_id}/confirm", {"reason": "市级确认"}
    )
    assert response.status_code == 200
    assert colour(people["other"]) == "red"


def test_a_rejection_needs_a_reason_and_makes_no_contact(as_, a_case, people):
    request_id = add_elsewhere(as_, a_case, people).json()["requested"][0]["request_id"]
    url = f"/api/contact-requests/{request_id}/reject"
    assert post(as_("outsider"), url, {"reason": " "}).status_code == 422
    response = post(as_("outsider"), url, {"reason": "当天不在许昌"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    assert not Contact.objects.exists() and colour(people["other"]) == "green"
    event = Event.objects.get(action="contact_request.rejected")
    assert event.reason == "当天不在许昌" and event.person_id == people["other"].pk
    sent = as_("grid").get("/api/contact-requests/sent").json()["items"]
    assert sent[0]["status"] == "rejected" and sent[0]["decision_reason"] == "当天不在许昌"


def test_the_requester_follows_the_request_without_learning_who_it_is(as_, a_case, people):
    request_id = add_elsewhere(as_, a_case, people).json()["requested"][0]["request_id"]
    url = f"/api/contact-requests/{request_id}"
    for who in ("grid", "task_force"):  # the grid worker, and their district's task force
        client = as_(who)
        sent = client.get("/api/contact-requests/sent").json()["items"]
        assert [r["id"] for r in sent] == [request_id]
        detail = client.get(url)
        assert detail.status_code == 200 and detail.json()["person"] is None
        assert client.get("/api/contact-requests").json()["items"] == []
        for secret in secrets(people["other"]):
            assert secret not in detail.content.decode()
            assert secret not in str(sent)
        assert post(client, f"{url}/confirm", {"reason": "我自己确认"}).status_code == 403
    assert not Contact.objects.exists()


@pytest.mark.parametrize("who", ["yuzhou", "jianan_street"])
def test_an_outsider_cannot_see_or_decide_the_request(as_, a_case, people, who):
    request_id = add_elsewhere(as_, a_case, people).json()["requested"][0]["request_id"]
    client = as_(who)
    assert client.get("/api/contact-requests").json()["items"] == []
    assert client.get("/api/contact-requests/sent").json()["items"] == []
    url = f"/api/contact-requests/{request_id}"
    assert client.get(url).status_code == 404
    assert post(client, f"{url}/confirm", {"reason": "x"}).status_code == 404
    assert post(client, f"{url}/reject", {"reason": "x"}).status_code == 404
    assert not Contact.objects.exists()


def test_roles_without_contacts_cannot_use_requests(as_):
    assert as_("lab").get("/api/contact-requests").status_code == 403
    assert as_("hospital").get("/api/contact-requests/sent").status_code == 403


def test_people_inside_the_jurisdiction_are_still_added_at_once(as_, a_case, people):
    rows = [
        {"id_number": people["li"].id_number, "relation": "household", "last_exposure_on": today()},
        {"id_number": people["other"].id_number, "name": "赵某", "last_exposure_on": today()},
    ]
    body = post(as_("grid"), f"/api/cases/{a_case.pk}/contacts", rows).json()
    assert [c["person"]["name"] for c in body["added"]] == ["李秀英"]
    assert [r["index"] for r in body["requested"]] == [1]
    assert colour(people["li"]) == "red" and colour(people["other"]) == "green"


# Pages -----------------------------------------------------------------------------------


def test_pasted_line_for_someone_elsewhere_is_sent_for_confirmation(
    login, personas, a_case, people
):
    client = login(personas["grid"])
    line = f"{people['other'].id_number}\t赵某\t\t共餐\t\t{today()} 00:00\t密接\t"
    response = client.post(
        reverse("epi:case_contacts_grid", args=[a_case.pk]), {"lines": line}, follow=True
    )
    page = response.content.decode()
    assert "confirmation" in page
    for secret in secrets(people["other"]):
        assert secret not in page, secret
    assert not Contact.objects.exists()
    assert ContactRequest.objects.get().status == RequestStatus.PENDING


def test_imported_row_for_someone_elsewhere_is_sent_for_confirmation(
    login, personas, a_case, people, tmp_path
):
    path = tmp_path / "contacts.csv"
    path.write_text(
        f"身份证号,姓名,接触方式,末次接触日期\n{people['other'].id_number},赵某,共餐,{today()}\n",
        encoding="utf-8",
    )
    client = login(personas["grid"])
    with path.open("rb") as fh:
        response = client.post(reverse("epi:case_contacts_import", args=[a_case.pk]), {"file": fh})
    page = response.content.decode()
    assert response.status_code == 200, page
    assert "confirmation" in page and "赵强" not in page
    assert not Contact.objects.exists()
    assert ContactRequest.objects.count() == 1


def test_the_district_decides_on_the_requests_page(login, personas, a_case, people):
    login(personas["grid"]).post(
        reverse("epi:case_contacts_grid", args=[a_case.pk]),
        {"lines": f"{people['other'].id_number}\t赵某\t\t共餐\t\t{today()} 00:00\t密接\t"},
    )
    request = ContactRequest.objects.get()
    client = login(personas["outsider"])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("epi:contact_requests"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "赵强" in text and a_case.number in text and "待确认" in text
    detail = client.get(reverse("epi:contact_request", args=[request.pk])).content.decode()
    assert "赵某" in detail and "赵强" in detail  # the name given beside the registered one
    client.post(
        reverse("epi:contact_request_decide", args=[request.pk]),
        {"decision": "confirm", "reason": "核实"},
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED and request.contact is not None
    assert colour(people["other"]) == "red"
    # the requester's own page shows the outcome but not the person
    mine = login(personas["grid"]).get(reverse("epi:contact_requests"), {"status": "all"})
    assert "赵强" not in mine.content.decode()
    assert "核实" in mine.content.decode()


def test_requests_pages_are_scoped(login, personas, a_case, people, city):
    add = reverse("epi:case_contacts_grid", args=[a_case.pk])
    login(personas["grid"]).post(
        add, {"lines": f"{people['other'].id_number}\t赵某\t\t共餐\t\t{today()} 00:00\t密接\t"}
    )
    request = ContactRequest.objects.get()
    yuzhou = f.division("411081", "禹州市", f.Level.DISTRICT, city.city)
    client = login(f.user("yz_street", "street", yuzhou))
    assert "赵" not in client.get(reverse("epi:contact_requests")).content.decode()
    assert client.get(reverse("epi:contact_request", args=[request.pk])).status_code == 404
    response = client.post(
        reverse("epi:contact_request_decide", args=[request.pk]),
        {"decision": "confirm", "reason": "x"},
    )
    assert response.status_code == 404
    assert login(personas["lab"]).get(reverse("epi:contact_requests")).status_code == 403
    grid = login(personas["grid"])
    response = grid.post(
        reverse("epi:contact_request_decide", args=[request.pk]),
        {"decision": "confirm", "reason": "x"},
    )
    assert response.status_code == 403
    assert not Contact.objects.exists()


def test_a_via_contact_registered_elsewhere_is_not_named(login, personas, a_case, people):
    """A secondary contact of 魏都区 exposed through a close contact confirmed in 建安区."""
    from tests.epi.conftest import make_contact

    close = make_contact(a_case, people["other"])
    secondary = make_contact(a_case, people["wang"], degree="secondary", via=close)
    client = login(personas["grid"])
    for url in (
        reverse("epi:contact", args=[secondary.pk]),
        reverse("epi:case", args=[a_case.pk]),
    ):
        page = client.get(url).content.decode()
        assert "王芳" in page and "赵强" not in page, url
        assert "Someone outside your jurisdiction" in page


def test_a_contact_confirmed_in_another_district_keeps_the_time_it_was_identified(
    as_, a_case, people
):
    """Like a local contact: the time the requester gave (valid time) is the contact's
    `identified_at` and dates its `contact.added` event, whenever the district confirms."""
    Case.objects.filter(pk=a_case.pk).update(registered_at=timezone.now() - dt.timedelta(days=2))
    when = (timezone.now() - dt.timedelta(hours=20)).replace(microsecond=0)
    url = f"/api/cases/{a_case.pk}/contacts"
    local = {"id_number": people["li"].id_number, "relation": "meal", "last_exposure_on": today()}
    body = [
        {**local, "identified_at": when.isoformat()},
        {
            "id_number": people["other"].id_number,
            "name": "赵某",
            "relation": "meal",
            "last_exposure_on": today(),
            "identified_at": when.isoformat(),
        },
    ]
    sent = post(as_("task_force"), url, body)
    assert sent.status_code == 201, sent.content
    request_id = sent.json()["requested"][0]["request_id"]
    assert ContactRequest.objects.get(pk=request_id).identified_at == when
    listed = as_("outsider").get(f"/api/contact-requests/{request_id}").json()
    assert dt.datetime.fromisoformat(listed["identified_at"]) == when
    confirmed = post(
        as_("outsider"), f"/api/contact-requests/{request_id}/confirm", {"reason": "核实"}
    )
    assert confirmed.status_code == 200, confirmed.content
    here = Contact.objects.get(person=people["li"])
    there = Contact.objects.get(person=people["other"])
    assert here.identified_at == there.identified_at == when
    added = Event.objects.get(action="contact.added", object_id=str(there.pk))
    assert added.at == when and added.recorded_at > when


def test_a_request_dated_ahead_of_the_clock_is_refused_like_a_local_row(as_, a_case, people):
    ahead = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = add_elsewhere(as_, a_case, people, identified_at=ahead)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "identified_at"]
    assert not ContactRequest.objects.exists()
