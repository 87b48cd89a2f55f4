"""The pages: measures list and measure, test days, floor and home checks, alerts, transfers,
release and the certificate; scope and pinned query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangkong.audit.models import Event
from fangkong.quarantine.models import (
    DueTestStatus,
    HealthAlert,
    HealthCheck,
    Measure,
    MeasureStatus,
    ScheduledTest,
    Transfer,
)
from tests import factories as f
from tests.epi.conftest import make_case
from tests.quarantine.conftest import ONE_DAY, place, start, today, tube_with

pytestmark = pytest.mark.usefixtures("english")


def url(name, *args):
    return reverse(f"quarantine:{name}", args=args)


def test_measures_list_and_filters(login, personas, at_site, at_home):
    client = login(personas["street"])
    page = client.get(url("measures"))
    assert page.status_code == 200
    assert sorted(m.person.name for m in page.context["rows"]) == ["张伟", "王芳"]
    assert [
        m.person.name for m in client.get(url("measures"), {"where": "home"}).context["rows"]
    ] == ["王芳"]
    assert login(personas["outsider"]).get(url("measures")).context["rows"] == []
    assert login(personas["lab"]).get(url("measures")).status_code == 403


def test_measure_page_shows_schedule_tests_and_history(login, personas, at_site):
    page = login(personas["street"]).get(url("measure", at_site.pk))
    assert page.status_code == 200
    body = page.content.decode()
    assert "魏都隔离酒店" in body and 'data-state="due"' in body
    assert "The schedule runs until" not in body  # a person in a room: the site releases
    manager = login(personas["quarantine"]).get(url("measure", at_site.pk)).content.decode()
    assert "The schedule runs until" in manager and "The centralised phase runs until" in manager
    assert any(e.action == "measure.started" for e in page.context["events"])
    assert login(personas["outsider"]).get(url("measure", at_site.pk)).status_code == 404


def test_measure_page_names_its_profile_not_its_code(login, personas, at_site):
    body = login(personas["street"]).get(url("measure", at_site.pk)).content.decode()
    assert "Twenty measures to further optimise COVID-19 prevention and control · version 1" in body
    assert "20-measures" not in body


def test_start_a_home_measure_from_the_form(login, twenty, personas, people):
    client = login(personas["grid"])
    assert client.get(url("measure_new")).status_code == 200
    bad = client.post(
        url("measure_new"),
        {"id_number": "123", "category": "close_contact", "anchor_on": today().isoformat()},
    )
    assert "id_number" in bad.context["form"].errors
    response = client.post(
        url("measure_new"),
        {
            "id_number": people["li"].id_number,
            "category": "risk_post_leaver",
            "anchor_on": (today() - ONE_DAY).isoformat(),
        },
    )
    measure = Measure.objects.get(person=people["li"])
    assert response["Location"] == url("measure", measure.pk)
    assert login(personas["hotline"]).get(url("measure_new")).status_code == 403


def test_end_early_from_the_page(login, personas, at_home):
    client = login(personas["street"])
    client.post(url("measure_close", at_home.pk), {"reason": "exempted by the district"})
    at_home.refresh_from_db()
    assert at_home.status == MeasureStatus.ENDED
    outsider = login(personas["outsider"])
    assert outsider.post(url("measure_close", at_home.pk), {"reason": "x"}).status_code == 404


def test_tasks_page_and_marking_sampled(login, personas, people, at_site, at_home):
    client = login(personas["street"])
    page = client.get(url("tasks"))
    assert [(g.kind, g.name) for g in page.context["groups"]] == [
        ("site", "魏都隔离酒店"),
        ("community", "西大社区"),
    ]
    tube_with("T-77", people["wang"])
    test = at_home.tests.get(due_on=today())
    client.post(url("test_sampled", test.pk), {"barcode": "T-77"})
    test.refresh_from_db()
    assert test.status == DueTestStatus.SAMPLED and test.tube.barcode == "T-77"
    outsider = login(personas["outsider"])
    other = at_site.tests.get(due_on=today())
    assert outsider.post(url("test_sampled", other.pk), {}).status_code == 404


def floor_url(site, day=None, floor=1):
    return f"{url('checks')}?site={site.pk}&building=A&floor={floor}" + (
        f"&day={day}" if day else ""
    )


def test_floor_screen_saves_all_rows_or_none(login, personas, people, rooms, at_site):
    place(start(personas["task_force"], people["li"]), rooms["102"])
    site = rooms["101"].site
    client = login(personas["quarantine"])
    page = client.get(url("checks"))  # one site: chosen at once
    assert page.context["site"] == site and page.context["buildings"] == ["A"]
    page = client.get(floor_url(site))
    rows = page.context["rows"]
    assert [r.person.name for r in rows] == ["张伟", "李秀英"]
    keys = [r.key for r in rows]
    bad = client.post(floor_url(site), {f"t-{keys[0]}": "36.5", f"t-{keys[1]}": "99"})
    assert bad.status_code == 400 and not HealthCheck.objects.exists()
    assert bad.context["rows"][1].errors["temperature"]
    assert 'value="99"' in bad.content.decode()  # what was typed stays
    ok = client.post(
        floor_url(site),
        {f"t-{keys[0]}": "36.5", f"t-{keys[1]}": "37.0", f"sym-{keys[1]}": ["cough", "fatigue"]},
    )
    assert ok.status_code == 302 and HealthCheck.objects.count() == 2
    assert HealthAlert.objects.get().reason == "Cough; Fatigue"
    again = client.get(floor_url(site))
    assert again.context["rows"][1].check.symptoms == ["cough", "fatigue"]
    assert 'value="cough" checked' in again.content.decode()


def test_floor_screen_scope(login, personas, rooms, at_site, city):
    site = rooms["101"].site
    stranger = f.user("qs_other", "quarantine", city.weidu)
    assert login(stranger).get(floor_url(site)).status_code == 404
    assert login(personas["outsider"]).get(floor_url(site)).status_code == 404
    assert login(personas["hotline"]).get(floor_url(site)).status_code == 403
    grid = login(personas["grid"])  # jurisdiction is a grid: the site's street is above it
    assert grid.get(floor_url(site)).status_code == 404


def test_home_checks_page(login, personas, at_home, city):
    client = login(personas["grid"])
    page = client.get(url("checks_home"))
    assert page.context["community"] == city.w[f.Level.COMMUNITY].key
    row = page.context["rows"][0]
    response = client.post(
        f"{url('checks_home')}?community={page.context['community']}",
        {f"t-{row.key}": "36.9", f"o-{row.key}": "头晕"},
    )
    assert response.status_code == 302
    assert HealthCheck.objects.get().symptom_other == "头晕"
    assert HealthAlert.objects.get().reason == "头晕"


def test_alerts_page_and_handling(login, personas, at_site):
    client = login(personas["quarantine"])
    row = client.get(floor_url(at_site.stays.get().site)).context["rows"][0]
    client.post(floor_url(at_site.stays.get().site), {f"t-{row.key}": "38.2"})
    alert = HealthAlert.objects.get()
    tf = login(personas["task_force"])
    assert [a.pk for a in tf.get(url("alerts")).context["rows"]] == [alert.pk]
    assert login(personas["outsider"]).get(url("alerts")).context["rows"] == []
    tf = login(personas["task_force"])
    tf.post(url("alert_handle", alert.pk), {"outcome": "退烧, 复测正常"})
    alert.refresh_from_db()
    assert alert.status == "handled"
    assert tf.get(url("alerts")).context["rows"] == []


def test_transfer_from_the_pages(login, personas, people, at_site, rooms):
    make_case(people["zhang"], reported_on=today(), sampled_on=today())
    client = login(personas["task_force"])
    page = client.get(url("transfers"))
    assert [m.pk for m in page.context["candidates"]] == [at_site.pk]
    assert client.get(url("transfer_new", at_site.pk)).status_code == 200
    client.post(
        url("transfer_new", at_site.pk),
        {"destination_kind": "designated_hospital", "destination": "定点医院", "vehicle": "120-3"},
    )
    t = Transfer.objects.get()
    client.post(url("transfer_depart", t.pk), {})
    client.post(url("transfer_hand_over", t.pk), {"received_by": "接收医生"})
    t.refresh_from_db()
    at_site.refresh_from_db()
    assert (t.status, at_site.status) == ("handed_over", MeasureStatus.TRANSFERRED)
    assert login(personas["hotline"]).get(url("transfers")).status_code == 403
    outsider = login(personas["outsider"])
    assert outsider.post(url("transfer_cancel", t.pk), {"reason": "x"}).status_code == 403


def test_release_from_the_page_and_open_the_certificate(login, personas, at_home):
    ScheduledTest.objects.filter(measure=at_home).update(status=DueTestStatus.NEGATIVE)
    Measure.objects.filter(pk=at_home.pk).update(ends_on=today())
    client = login(personas["street"])
    page = client.get(url("measure", at_home.pk))
    assert page.context["release_refusals"] == [] and 'id="release"' in page.content.decode()
    client.post(url("measure_release", at_home.pk))
    at_home.refresh_from_db()
    assert at_home.status == MeasureStatus.RELEASED and at_home.certificate_number
    pdf = client.get(url("certificate", at_home.pk))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert login(personas["outsider"]).get(url("certificate", at_home.pk)).status_code == 404
    assert Event.objects.filter(action="measure.closed", to_value="released").exists()


def _queries(client, address):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(address).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_stay_flat(login, personas, people, rooms, at_site, city):
    client = login(personas["street"])
    site = rooms["101"].site
    pages = [url("measures"), floor_url(site), url("tasks"), url("alerts"), url("transfers")]
    before = [_queries(client, p) for p in pages]
    unit = city.w[f.Level.UNIT]
    for i in range(4):
        person = f.resident(unit, f"隔离{i}")
        place(start(personas["task_force"], person), rooms["102"] if i < 2 else rooms["201"])
    after = [_queries(client, p) for p in pages]
    assert before == after


KEEPERS = {"command", "task_force", "street", "grid", "quarantine"}
PAGE_ROLES = {
    "measures": KEEPERS,
    "measure_new": KEEPERS,
    "tasks": KEEPERS,
    "checks": KEEPERS,
    "checks_home": KEEPERS,
    "alerts": KEEPERS,
    "transfers": KEEPERS | {"hospital"},
}


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_each_role_opens_exactly_its_measure_pages(page, login, personas, twenty):
    for role, user in personas.items():
        if role == "outsider":
            continue
        status = login(user).get(url(page)).status_code
        assert (status == 200) == (role in PAGE_ROLES[page]), (page, role, status)
        if role not in PAGE_ROLES[page]:
            assert status == 403, (page, role)
