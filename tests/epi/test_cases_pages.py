"""Case and contact pages: lists, forms, actions, line listing; scope and roles."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from fangkong.audit.models import Event
from fangkong.epi.models import Case, Contact, ContactStatus
from fangkong.people.idnumber import make_id_number
from tests import factories as f
from tests.epi.conftest import make_case, make_contact


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def test_case_list_shows_headline_counts_and_filters(login, personas, people):
    make_case(people["zhang"])
    make_case(people["li"], kind="asymptomatic", found_where="quarantine")
    client = login(personas["street"])
    page = client.get(reverse("epi:cases")).content.decode()
    assert 'data-figure="confirmed">1<' in page and 'data-figure="quarantine">1<' in page
    page = client.get(reverse("epi:cases"), {"kind": "asymptomatic"}).content.decode()
    assert "李秀英" in page and "张伟" not in page
    page = client.get(reverse("epi:cases"), {"reported_from": "2030-01-01"}).content.decode()
    assert "李秀英" not in page


def test_register_a_case_from_the_form(login, personas, people):
    client = login(personas["task_force"])
    response = client.post(
        reverse("epi:case_new"),
        {
            "id_number": people["zhang"].id_number,
            "kind": "confirmed",
            "found_by": "self_report",
            "found_where": "community",
            "sampled_on": "2022-05-01",
            "reported_on": "2022-05-02",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "epi:case", args=[case.pk]
    )


def test_register_unknown_person_without_place_shows_the_field_error(login, personas, city):
    number = make_id_number("330102", dt.date(1991, 2, 3), 5, "F")
    response = login(personas["task_force"]).post(
        reverse("epi:case_new"),
        {
            "id_number": number,
            "name": "游客",
            "kind": "confirmed",
            "found_by": "self_report",
            "found_where": "community",
            "sampled_on": "2022-05-01",
            "reported_on": "2022-05-02",
        },
    )
    assert response.status_code == 200
    assert "give the place" in response.content.decode()
    assert not Case.objects.exists()


def test_case_detail_groups_contacts_and_shows_history(login, personas, a_case, people):
    make_contact(a_case, people["li"])
    client = login(personas["task_force"])
    client.post(
        reverse("epi:case_reclassify", args=[a_case.pk]),
        {"kind": "asymptomatic", "reason": "无症状"},
    )
    page = client.get(reverse("epi:case", args=[a_case.pk])).content.decode()
    assert "李秀英" in page and "Close contacts" in page
    assert 'data-action="case.reclassified"' in page
    a_case.refresh_from_db()
    assert a_case.kind == "asymptomatic"


def test_close_without_reason_is_refused_with_a_message(login, personas, a_case):
    client = login(personas["task_force"])
    response = client.post(
        reverse("epi:case_close", args=[a_case.pk]),
        {"status": "recovered", "outcome_on": "2022-01-20", "reason": ""},
        follow=True,
    )
    assert "required" in response.content.decode()
    a_case.refresh_from_db()
    assert a_case.status == "reported"


def test_line_listing_saves_all_lines_and_reports_duplicates(login, personas, a_case, people):
    make_contact(a_case, people["li"])
    visitor = make_id_number("330102", dt.date(1990, 1, 1), 3, "M")
    lines = "\n".join(
        [
            f"{people['li'].id_number}\t李秀英\t\t同住\t\t2022-01-09 18:00\t密接",
            f"{people['wang'].id_number}\t王芳\t\t共餐\t\t2022-01-08 12:30\t密接",
            f"{visitor}\t游客\t13800000001\t交通\t\t2022-01-07\t密接",
        ]
    )
    client = login(personas["street"])
    response = client.post(
        reverse("epi:case_contacts_grid", args=[a_case.pk]), {"lines": lines}, follow=True
    )
    page = response.content.decode()
    assert "2 contacts added" in page
    assert "Line 1" in page and "already a close contact" in page
    wang = Contact.objects.get(person=people["wang"])
    assert wang.relation == "meal" and wang.last_exposure_on == dt.date(2022, 1, 8)
    assert wang.exposure_start is not None


def test_line_listing_errors_are_shown_per_line_and_column(login, personas, a_case, people):
    lines = (
        f"{people['wang'].id_number}\t王芳\t\t跳舞\t\t2022-01-08\t密接\n"
        "123\t坏\t\t同住\t\t2022-01-08\t密接"
    )
    response = login(personas["street"]).post(
        reverse("epi:case_contacts_grid", args=[a_case.pk]), {"lines": lines}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="grid-errors"' in page and "Unknown exposure relation" in page
    assert 'data-error="3"' in page  # the relation column of line 1
    assert 'data-error="0"' in page  # the ID number column of line 2
    assert not Contact.objects.exists()


def test_contact_list_filters_and_bulk_status_change(login, personas, a_case, people):
    li = make_contact(a_case, people["li"])
    wang = make_contact(a_case, people["wang"], status="released")
    client = login(personas["street"])
    page = client.get(reverse("epi:contacts"), {"status": "released"}).content.decode()
    assert "王芳" in page and "李秀英" not in page
    change = {"ids": [li.pk, wang.pk], "status": "located"}
    for missing in ({}, {"reason": " "}):
        refused = client.post(reverse("epi:contacts_status"), {**change, **missing}, follow=True)
        assert "Give a reason for this change" in refused.content.decode()
        assert "contacts changed" not in refused.content.decode()
    assert not Event.objects.filter(action="contact.status_changed").exists()
    response = client.post(
        reverse("epi:contacts_status"), {**change, "reason": "电话联系上"}, follow=True
    )
    li.refresh_from_db()
    wang.refresh_from_db()
    # all or nothing: 王芳 cannot go back from released, so 李秀英 is not changed either
    assert li.status == ContactStatus.IDENTIFIED and wang.status == ContactStatus.RELEASED
    page = response.content.decode()
    assert "Nothing was changed: 1 contacts cannot make this move." in page
    assert "王芳: A contact who is released cannot become located" in page
    response = client.post(
        reverse("epi:contacts_status"),
        {"ids": [li.pk], "status": "located", "reason": "电话联系上"},
        follow=True,
    )
    li.refresh_from_db()
    assert li.status == ContactStatus.LOCATED
    assert "1 contacts changed, 0 already had this status." in response.content.decode()


def test_contact_detail_status_change_and_convert(login, personas, a_contact):
    client = login(personas["task_force"])
    page = client.get(reverse("epi:contact", args=[a_contact.pk])).content.decode()
    assert a_contact.case.number in page
    url = reverse("epi:contact_status", args=[a_contact.pk])
    assert 'name="reason" maxlength="300" required' in page
    refused = client.post(url, {"status": "under_control", "reason": ""}, follow=True)
    assert "Give a reason for this change" in refused.content.decode()
    a_contact.refresh_from_db()
    assert a_contact.status == ContactStatus.IDENTIFIED
    client.post(url, {"status": "under_control", "reason": "已入住隔离点"})
    a_contact.refresh_from_db()
    assert a_contact.status == ContactStatus.UNDER_CONTROL
    event = Event.objects.get(action="contact.status_changed")
    assert event.reason == "已入住隔离点"
    response = client.post(
        reverse("epi:contact_convert", args=[a_contact.pk]),
        {
            "kind": "confirmed",
            "found_by": "in_quarantine",
            "sampled_on": "2022-01-12",
            "reported_on": "2022-01-12",
        },
    )
    a_contact.refresh_from_db()
    assert a_contact.became_case is not None
    assert response["Location"] == reverse("epi:case", args=[a_contact.became_case.pk])
    assert a_contact.became_case.found_where == "quarantine"
    assert Event.objects.filter(action="contact.converted").exists()


def test_a_transfer_without_a_reason_is_refused_on_the_case_page(login, personas, a_case):
    client = login(personas["task_force"])
    url = reverse("epi:case_transfer", args=[a_case.pk])
    transfer = {
        "destination": "designated_hospital",
        "destination_name": "许昌市中心医院",
        "transferred_at": "2022-01-10T15:00",
    }
    for missing in ({}, {"reason": ""}, {"reason": "   "}):
        page = client.post(url, {**transfer, **missing}, follow=True).content.decode()
        assert "Give a reason for this change" in page and "Saved." not in page
    a_case.refresh_from_db()
    assert a_case.status != "transferred"
    assert not Event.objects.filter(action="case.transferred").exists()
    page = client.post(url, {**transfer, "reason": "闭环转运"}, follow=True).content.decode()
    assert "Saved." in page
    a_case.refresh_from_db()
    assert a_case.status == "transferred"
    assert Event.objects.filter(action="case.transferred", reason="闭环转运").exists()


PAGES = [
    ("get", "epi:case", "case"),
    ("get", "epi:contact", "contact"),
    ("post", "epi:case_reclassify", "case"),
    ("post", "epi:case_transfer", "case"),
    ("post", "epi:case_close", "case"),
    ("post", "epi:case_contacts_grid", "case"),
    ("post", "epi:case_contacts_import", "case"),
    ("post", "epi:contact_status", "contact"),
    ("post", "epi:contact_convert", "contact"),
]


@pytest.mark.parametrize(("method", "name", "arg"), PAGES)
def test_scope_matrix_outsider_404_lab_403(client, personas, city, a_contact, method, name, arg):
    pk = a_contact.case_id if arg == "case" else a_contact.pk
    url = reverse(name, args=[pk])
    f.sign_in(client, f.user("tf_out", "task_force", city.jianan))
    assert getattr(client, method)(url).status_code == 404
    f.sign_in(client, personas["lab"])
    assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize("name", ["epi:cases", "epi:contacts"])
def test_lists_are_empty_for_outsiders_and_forbidden_to_the_lab(login, personas, a_contact, name):
    page = login(personas["outsider"]).get(reverse(name)).content.decode()
    assert "张伟" not in page and "李秀英" not in page
    assert login(personas["lab"]).get(reverse(name)).status_code == 403


def test_forms_are_forbidden_without_the_capability(login, personas):
    assert login(personas["street"]).get(reverse("epi:case_new")).status_code == 403
    assert login(personas["lab"]).post(reverse("epi:contacts_status")).status_code == 403


@pytest.mark.parametrize("n", [3, 30])
def test_list_pages_query_counts_are_flat(
    client, personas, people, city, django_assert_num_queries, n
):
    unit = city.w[f.Level.UNIT]
    case = make_case(people["zhang"])
    for i in range(n):
        person = f.resident(unit, f"接触者{i}")
        make_case(person)
        make_contact(case, person)
    f.sign_in(client, personas["street"])
    client.get(reverse("epi:cases"))
    # session, user (+jurisdiction), figures, one page with people and places
    with django_assert_num_queries(5):
        assert client.get(reverse("epi:cases")).status_code == 200
    # session, user, status figures, one page of contacts with people, cases and venues
    with django_assert_num_queries(5):
        assert client.get(reverse("epi:contacts")).status_code == 200
