"""Trip pages: roles, the public report (no login, throttled), the checkpoint on a phone, the
destination's hand-overs with who has not complied, scope and pinned query counts."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fangkong.core.roles import Role
from fangkong.quarantine.models import DueTestStatus, ScheduledTest
from fangkong.travel import services, views
from fangkong.travel.models import Handover, Trip, TripStatus
from tests import factories as f
from tests.api.conftest import bearer_client
from tests.travel.conftest import new_id

PAGE_ROLES = {
    "travel:trips": {"command", "task_force", "street", "grid"},
    "travel:checkpoint": {"command", "task_force"},
    "travel:handovers": {"command", "task_force", "street", "grid"},
}


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def now_trip(actor, id_number, city, **kw):
    """A trip arriving an hour ago, from a high-risk area left two days ago (real dates)."""
    fields = {
        "name": "陈静",
        "phone": "13800000001",
        "origin": "郑州市金水区",
        "origin_kind": "high_risk_area",
        "departed_on": timezone.localdate() - dt.timedelta(days=2),
        "arriving_at": timezone.now() - dt.timedelta(hours=1),
        "transport": "train",
        "destination": city.w[f.Level.COMMUNITY],
        "address": "幸福小区 1号楼",
    }
    fields.update(kw)
    return services.trip_report(actor=actor, id_number=id_number, **fields).trip


def public_form(city, id_number, **kw):
    local = timezone.localtime()
    data = {
        "name": "陈静",
        "id_number": id_number,
        "phone": "13800000001",
        "origin_kind": "high_risk_area",
        "origin": "郑州市金水区",
        "departed_on": (local.date() - dt.timedelta(days=2)).isoformat(),
        "arriving_at": (local + dt.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "transport": "train",
        "transport_number": "G1234",
        "destination": city.w[f.Level.COMMUNITY].key,
        "address": "幸福小区 1号楼 1单元 101",
    }
    data.update(kw)
    return data


@pytest.mark.parametrize("page", sorted(PAGE_ROLES))
def test_each_role_opens_exactly_its_trip_pages(page, login, personas):
    for role in Role:
        response = login(personas[role.value]).get(reverse(page))
        allowed = role.value in PAGE_ROLES[page]
        assert response.status_code == (200 if allowed else 403), (page, role.value)


def test_public_report_opens_without_login_in_chinese_by_default(db, city):
    response = Client().get(reverse("travel:report"))
    assert response.status_code == 200 and response["Content-Language"] == "zh-hans"
    street = city.w[f.Level.STREET]
    narrowed = Client().get(reverse("travel:report"), {"street": street.key}).content.decode()
    assert f'value="{city.w[f.Level.COMMUNITY].key}"' in narrowed
    assert city.j[f.Level.COMMUNITY].name not in narrowed.split('id="trip-form"')[1]
    found = Client().get(reverse("travel:report"), {"q": "新元"}).content.decode()
    assert f'value="{city.j[f.Level.COMMUNITY].key}"' in found


@pytest.mark.usefixtures("english")
def test_traveller_reports_a_trip_and_is_told_what_to_do(db, city):
    client = Client()
    number = new_id()
    url = reverse("travel:report") + f"?street={city.w[f.Level.STREET].key}"
    response = client.post(url, public_form(city, number))
    assert response.status_code == 302 and response["Location"] == reverse("travel:report_done")
    trip = Trip.objects.get(id_number=number)
    assert trip.reported_by == "self" and trip.person is None
    page = client.get(reverse("travel:report_done")).content.decode()
    assert trip.code in page and "陈*" in page and "陈静" not in page
    assert "Home quarantine from" in page and "Nucleic-acid tests on" in page
    assert "101号" in page
    again = client.post(url, public_form(city, number))
    assert again.status_code == 302 and Trip.objects.count() == 1
    assert "already reported" in client.get(reverse("travel:report_done")).content.decode()


@pytest.mark.usefixtures("english")
def test_public_report_errors_name_the_field(db, city):
    client = Client()
    bad = public_form(city, new_id(), departed_on="2999-01-01", destination=city.w[3].key)
    response = client.post(reverse("travel:report"), bad)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "destination" in errors
    good_place = public_form(city, new_id(), departed_on="2999-01-01")
    errors = client.post(reverse("travel:report"), good_place).context["form"].errors
    assert "in the future" in errors["departed_on"][0]
    assert not Trip.objects.exists()


@pytest.mark.usefixtures("english")
def test_public_report_is_throttled_per_network(db, city, monkeypatch):
    monkeypatch.setattr(views, "TRIP_REPORTS_PER_HOUR", 2)
    client = Client()
    for _ in range(2):
        assert client.post(reverse("travel:report"), public_form(city, new_id())).status_code == 302
    blocked = client.post(reverse("travel:report"), public_form(city, new_id()))
    assert blocked.status_code == 429 and "Too many reports" in blocked.content.decode()
    assert Trip.objects.count() == 2


@pytest.mark.usefixtures("english")
def test_checkpoint_finds_a_trip_by_code_and_records_the_arrival(
    login, personas, people, city, a_site
):
    trip = now_trip(personas["task_force"], people["zhang"].id_number, city)
    client = login(personas["task_force"])
    page = client.get(reverse("travel:checkpoint"), {"q": trip.code.lower()})
    body = page.content.decode()
    assert page.context["trip"] == trip and 'name="barcode"' in body
    assert "Home quarantine" in body  # what the traveller must do, before recording
    response = client.post(
        reverse("travel:checkpoint"),
        {
            "action": "arrive",
            "trip": trip.pk,
            "checkpoint": "许昌东站",
            "site": a_site.pk,
            "barcode": "ARR-P-1",
        },
    )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.status == TripStatus.HANDED_OVER
    after = client.get(reverse("travel:checkpoint")).content.decode()
    assert 'id="last"' in after and trip.code in after and "Home quarantine" in after
    next_one = now_trip(personas["task_force"], people["li"].id_number, city)
    form = client.get(reverse("travel:checkpoint"), {"trip": next_one.pk}).context["arrival"]
    assert form["checkpoint"].value() == "许昌东站"  # remembered for the next traveller


@pytest.mark.usefixtures("english")
def test_checkpoint_registers_an_unreported_traveller_on_the_spot(login, personas, city):
    client = login(personas["task_force"])
    number = new_id()
    page = client.get(reverse("travel:checkpoint"), {"q": number})
    assert page.context["register"] is not None
    assert "No trip was reported" in page.content.decode()
    data = public_form(city, number, origin_kind="domestic", action="register")
    data["arriving_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(reverse("travel:checkpoint"), data)
    trip = Trip.objects.get(id_number=number)
    assert response.status_code == 302 and response["Location"].endswith(f"?trip={trip.pk}")
    assert trip.person is not None and trip.reported_by == "staff"
    arrive = client.post(
        reverse("travel:checkpoint"), {"action": "arrive", "trip": trip.pk, "checkpoint": "高速口"}
    )
    assert arrive.status_code == 302
    trip.refresh_from_db()
    assert trip.status == TripStatus.NO_OBLIGATIONS


@pytest.mark.usefixtures("english")
def test_checkpoint_shows_refusals_on_the_form(login, personas, people, city):
    trip = now_trip(personas["task_force"], people["zhang"].id_number, city)
    client = login(personas["task_force"])
    response = client.post(
        reverse("travel:checkpoint"),
        {"action": "arrive", "trip": trip.pk, "checkpoint": "东站", "barcode": "坏 码"},
    )
    assert response.status_code == 400
    assert "barcode" in response.context["arrival"].errors
    trip.refresh_from_db()
    assert trip.status == TripStatus.REPORTED


def _handed_over(personas, people, city):
    tf = personas["task_force"]
    out = []
    for key in ("zhang", "li"):
        trip = now_trip(tf, people[key].id_number, city)
        services.arrival_record(actor=tf, trip=trip, checkpoint="许昌东站")
        out.append(Handover.objects.get(trip=trip))
    return out


@pytest.mark.usefixtures("english")
def test_community_sees_arrivals_acknowledges_and_who_has_not_complied(
    login, personas, people, city
):
    zhang, li = _handed_over(personas, people, city)
    first = ScheduledTest.objects.filter(measure=zhang.measure).order_by("due_on").first()
    ScheduledTest.objects.filter(pk=first.pk).update(status=DueTestStatus.MISSED)
    client = login(personas["street"])
    page = client.get(reverse("travel:handovers"))
    body = page.content.decode()
    late = body.split('id="not-complied"')[1].split("</table>")[0]
    assert "张伟" in late and "李秀英" not in late
    arrivals = body.split('id="handovers"')[1]
    assert "张伟" in arrivals and "李秀英" in arrivals and "Home quarantine" in arrivals
    response = client.post(reverse("travel:handover_acknowledge", args=[zhang.pk]))
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.acknowledged_by == personas["street"]
    pending = client.get(reverse("travel:handovers"), {"acknowledged": "no"}).context["rows"]
    assert [h.pk for h in pending] == [li.pk]
    detail = client.get(reverse("travel:trip", args=[zhang.trip_id])).content.decode()
    assert "Home quarantine" in detail and zhang.trip.code in detail


def test_outsider_gets_nothing(login, personas, people, city):
    zhang, _li = _handed_over(personas, people, city)
    client = login(personas["outsider"])
    assert client.get(reverse("travel:trips")).context["rows"] == []
    assert client.get(reverse("travel:handovers")).context["rows"] == []
    assert client.get(reverse("travel:handovers")).context["late"] == []
    assert client.get(reverse("travel:trip", args=[zhang.trip_id])).status_code == 404
    post = client.post(reverse("travel:handover_acknowledge", args=[zhang.pk]))
    assert post.status_code == 404
    zhang.refresh_from_db()
    assert zhang.acknowledged_at is None


def test_trip_list_filters(login, personas, people, city):
    tf = personas["task_force"]
    high = now_trip(tf, people["zhang"].id_number, city)
    domestic = now_trip(tf, people["li"].id_number, city, origin_kind="domestic")
    client = login(personas["street"])

    def codes(**params):
        return {t.code for t in client.get(reverse("travel:trips"), params).context["rows"]}

    assert codes() == {high.code, domestic.code}
    assert codes(origin_kind="domestic") == {domestic.code}
    assert codes(status="reported", community=city.w[f.Level.COMMUNITY].key) == {
        high.code,
        domestic.code,
    }
    assert codes(arriving_on=(timezone.localdate() + dt.timedelta(days=3)).isoformat()) == set()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# session, user, user's jurisdiction; then the page's own queries
PINNED = {
    "travel:trips": 3 + 3,  # communities for the filter, rows, their places' names
    "travel:handovers": 3 + 4,  # communities for the filter, rows, places' names, not complied
}


def test_list_query_counts_are_pinned_and_flat(login, personas, people, city, settings):
    settings.PAGE_SIZE = 50
    _handed_over(personas, people, city)
    client = login(personas["street"])
    small = {name: _count(client, reverse(name)) for name in PINNED}
    unit = city.w[f.Level.UNIT]
    tf = personas["task_force"]
    for i in range(6):
        person = f.resident(unit, f"旅客{i}")
        trip = now_trip(tf, person.id_number, city)
        services.arrival_record(actor=tf, trip=trip, checkpoint="许昌东站")
        ScheduledTest.objects.filter(person=person).update(status=DueTestStatus.MISSED)
    large = {name: _count(client, reverse(name)) for name in PINNED}
    assert small == large == PINNED


def test_a_public_report_to_an_address_in_a_grid_reaches_its_worker_and_everyone_above(
    db, login, personas, city
):
    """The traveller chooses the community and writes the address: the hand-over goes to the
    address's grid, which its worker sees, as do the community and street above, and not the
    worker of the grid next door."""
    community = city.w[f.Level.COMMUNITY]
    next_door = f.division(community.key + "02", "第二网格", f.Level.GRID, community)
    users = {
        "grid": personas["grid"],
        "community": f.user("p_community", Role.STREET, community),
        "street": f.user("p_street_w", Role.STREET, city.w[f.Level.STREET]),
        "next_door": f.user("p_grid_2", Role.GRID, next_door),
    }
    number = new_id()
    form = public_form(city, number, address="幸福小区 1号楼 1单元 101")
    assert Client().post(reverse("travel:report"), form).status_code == 302
    trip = Trip.objects.get(id_number=number)
    services.arrival_record(actor=personas["task_force"], trip=trip, checkpoint="许昌东站")
    handover = Handover.objects.get(trip=trip)
    assert handover.division_key.startswith(city.w[f.Level.GRID].key)
    for who, user in users.items():
        seen = who != "next_door"
        page = login(user).get(reverse("travel:handovers"))
        assert [h.pk for h in page.context["rows"]] == ([handover.pk] if seen else []), who
        if seen:
            assert "第一网格" in page.content.decode()
        api = bearer_client(user).get("/api/handovers").json()
        assert [h["id"] for h in api["items"]] == ([handover.pk] if seen else []), who
        if seen:
            assert api["items"][0]["place"]["key"] == city.w[f.Level.UNIT].key
        detail = login(user).get(reverse("travel:trip", args=[trip.pk]))
        assert detail.status_code == (200 if seen else 404), who
