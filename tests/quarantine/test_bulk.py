"""Many measures and stays in one request (issue 15): measures ended early, a bus of people
checked in at a site, people leaving a site for the home phase. All or nothing (409 naming each
refused id), idempotent, one audit event per row, derived state told once, a valid time for
the batch, scoped (an outsider's ids are refused, another site is not found); the measures list
and the site's stays page do the same after confirming the number."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import Event
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.core import changes
from fangkong.quarantine.measures import services as measures
from fangkong.quarantine.models import (
    Measure,
    MeasurePhase,
    MeasureStatus,
    PhaseKind,
    Room,
    RoomStatus,
    ScheduledTest,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites import services as sites
from tests import factories as f
from tests.api.conftest import bearer_client

JSON = "application/json"


def day(ago: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=ago)


def at(ago: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour)))


@pytest.fixture
def place(city, personas):
    """A site in 魏都 (the quarantine persona on its staff) with six rooms, and six residents
    under measures started two days ago, the first four allocated rooms yesterday."""
    actor = personas["task_force"]
    street = city.w[f.Level.STREET]
    site = sites.site_register(
        actor=actor, code="QS-1", name="魏都隔离酒店", kind="hotel", division=street,
        opened_at=at(5, 8),
    )  # fmt: skip
    site.staff.add(personas["quarantine"])
    rooms = [
        Room.objects.create(
            site=site, building="A", floor=1, number=f"10{i}", division_key=street.key
        )
        for i in range(6)
    ]
    unit = city.w[f.Level.UNIT]
    people = [f.resident(unit, f"隔离{i}") for i in range(6)]
    started = [
        measures.measure_start(
            actor=actor,
            person=p,
            category="close_contact",
            anchor_on=day(2),
            started_at=at(2, 9),
        )
        for p in people
    ]
    stays = [
        Stay.objects.create(
            person=m.person,
            measure=m,
            room=r,
            site=site,
            allocated_at=at(1, 9),
            division_key=street.key,
        )
        for m, r in zip(started[:4], rooms, strict=False)
    ]
    Room.objects.filter(pk__in=[s.room_id for s in stays]).update(status=RoomStatus.OCCUPIED)
    return {"site": site, "rooms": rooms, "measures": started, "stays": stays}


@pytest.fixture
def told(monkeypatch):
    """The derived-state announcements made (subject, ids), in order."""
    calls: list[tuple[str, list[int]]] = []
    real = changes.changed

    def spy(subject, ids):
        ids = list(ids)
        calls.append((subject, ids))
        return real(subject, ids)

    monkeypatch.setattr(changes, "changed", spy)
    return calls


# Measures ended early --------------------------------------------------------------------------


def test_ending_measures_by_ids_is_columnar_audited_and_idempotent(place, personas, told):
    client = bearer_client(personas["task_force"])
    chosen = [m.pk for m in place["measures"][3:]]  # one at a site, two at home
    body = {"ids": chosen, "reason": "判定有误", "closed_at": at(0, 0).isoformat()}
    r = client.post("/api/quarantine/measures/end", body, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json() == {"changed": 3, "unchanged": 0, "refused": []}
    ended = Measure.objects.filter(pk__in=chosen)
    assert {(m.status, m.closed_at) for m in ended} == {(MeasureStatus.ENDED, at(0, 0))}
    events = Event.objects.filter(action="measure.closed", object_id__in=map(str, chosen))
    assert events.count() == 3 and {e.at for e in events} == {at(0, 0)}
    stay = Stay.objects.get(pk=place["stays"][3].pk)  # allocated, never arrived: cancelled
    assert stay.status == StayStatus.CANCELLED
    assert Room.objects.get(pk=stay.room_id).status == RoomStatus.AVAILABLE
    assert not ScheduledTest.objects.filter(measure_id__in=chosen, status="due").exists()
    people = [subject_ids for subject, subject_ids in told if subject == "person"]
    assert people == [sorted(m.person_id for m in ended)]  # health codes told once
    again = client.post("/api/quarantine/measures/end", body, content_type=JSON)
    assert again.json() == {"changed": 0, "unchanged": 3, "refused": []}
    assert Event.objects.filter(action="measure.closed").count() == 3
    # the running counts follow the rows
    node = node_for(personas["command"])
    rows = situation(personas["command"], node, timezone.now(), source="rows").total
    auto = situation(personas["command"], node, timezone.now(), source="auto").total
    assert rows["measures"] == auto["measures"] == 3


def test_a_person_in_a_room_leaves_it_when_their_measure_ends(place, personas):
    stay = place["stays"][0]
    sites.stays_arrive(actor=personas["task_force"], ids=[stay.pk], at=at(1, 10))
    client = bearer_client(personas["task_force"])
    body = {"ids": [stay.measure_id], "reason": "误判", "closed_at": at(1, 9).isoformat()}
    r = client.post("/api/quarantine/measures/end", body, content_type=JSON)
    assert r.status_code == 409
    assert [x["id"] for x in r.json()["refused"]] == [stay.measure_id]  # before the check-in
    body["closed_at"] = at(0, 0).isoformat()
    assert client.post("/api/quarantine/measures/end", body, content_type=JSON).status_code == 200
    stay.refresh_from_db()
    assert stay.status == StayStatus.RELEASED and stay.checked_out_at == at(0, 0)
    assert Room.objects.get(pk=stay.room_id).status == RoomStatus.CLEANING
    assert Event.objects.get(action="stay.ended", object_id=str(stay.pk)).at == at(0, 0)


def test_all_or_nothing_naming_each_refused_id(place, personas):
    actor = personas["task_force"]
    ms = place["measures"]
    measures.measure_close(actor=actor, measure=ms[5], status="released", reason="期满")
    client = bearer_client(actor)
    body = {"ids": [ms[4].pk, ms[5].pk, ms[0].pk], "reason": "误判"}
    r = client.post("/api/quarantine/measures/end", body, content_type=JSON)
    assert r.status_code == 409
    assert [x["id"] for x in r.json()["refused"]] == [ms[5].pk]
    assert Measure.objects.filter(status=MeasureStatus.ACTIVE).count() == 5  # nothing changed
    r = client.post(
        "/api/quarantine/measures/end",
        {"ids": [ms[4].pk], "reason": "误判", "closed_at": at(3, 9).isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 409 and r.json()["refused"][0]["id"] == ms[4].pk


def test_an_outsiders_ids_are_refused_and_nothing_changes(place, personas):
    outsider = bearer_client(personas["outsider"])
    ids = [m.pk for m in place["measures"]]
    r = outsider.post(
        "/api/quarantine/measures/end", {"ids": ids, "reason": "x"}, content_type=JSON
    )
    assert r.status_code == 409
    assert sorted(x["id"] for x in r.json()["refused"]) == sorted(ids)
    assert not Measure.objects.exclude(status=MeasureStatus.ACTIVE).exists()


def test_a_filter_ends_every_matching_measure_not_only_a_page(place, personas):
    client = bearer_client(personas["task_force"])
    r = client.post(
        "/api/quarantine/measures/end",
        {"filter": {"where": "home"}, "reason": "次密接解除"},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["changed"] == 2  # the two never allocated
    r = client.post(
        "/api/quarantine/measures/end",
        {"ids": [1], "filter": {"where": "home"}, "reason": "x"},
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "ids"]


def test_the_measures_list_ends_all_matching_after_confirming(place, personas, login):
    client = login(personas["task_force"])
    url = reverse("quarantine:measures_end")
    listing = client.get(reverse("quarantine:measures"), {"where": "home"})
    assert listing.context["matching"] == 2 and listing.context["query"] == "where=home"
    closed = at(0, 0).strftime("%Y-%m-%dT%H:%M")
    r = client.post(url, {"query": "where=home", "reason": "次密接解除", "closed_at": closed})
    assert r.status_code == 200 and r.context["count"] == 2
    assert f'name="closed_at" value="{closed}"' in r.content.decode()  # carried to the confirm
    assert Measure.objects.filter(status=MeasureStatus.ACTIVE).count() == 6  # not yet
    r = client.post(
        url, {"query": "where=home", "reason": "次密接解除", "closed_at": closed, "confirm": "1"}
    )
    assert r.status_code == 302
    ended = Measure.objects.filter(status=MeasureStatus.ENDED)
    assert ended.count() == 2 and {m.closed_at for m in ended} == {at(0, 0)}
    ticked = client.post(url, {"ids": [place["measures"][0].pk], "reason": "误判"})
    assert ticked.status_code == 302
    assert Measure.objects.filter(status=MeasureStatus.ENDED).count() == 3


# A bus arrives: many check-ins -----------------------------------------------------------------


def test_a_bus_is_checked_in_at_one_time(place, personas):
    client = bearer_client(personas["quarantine"])
    site = place["site"]
    url = f"/api/quarantine/sites/{site.pk}/stays/check-in"
    arrived = at(0, 0).isoformat()
    r = client.post(url, {"all_expected": True, "checked_in_at": arrived}, content_type=JSON)
    assert r.status_code == 200, r.content
    assert r.json() == {"changed": 4, "unchanged": 0, "refused": []}
    stays = Stay.objects.filter(site=site)
    assert {(s.status, s.checked_in_at) for s in stays} == {(StayStatus.IN, at(0, 0))}
    events = Event.objects.filter(action="stay.checked_in")
    assert events.count() == 4 and {e.at for e in events} == {at(0, 0)}
    ids = [s.pk for s in place["stays"]]
    again = client.post(url, {"ids": ids, "checked_in_at": arrived}, content_type=JSON)
    assert again.json() == {"changed": 0, "unchanged": 4, "refused": []}
    node = node_for(personas["command"])
    rows = situation(personas["command"], node, timezone.now(), source="rows").total
    auto = situation(personas["command"], node, timezone.now(), source="auto").total
    assert rows["people"] == auto["people"] == 4


def test_check_ins_are_refused_whole_naming_each_stay(place, personas, city):
    client = bearer_client(personas["quarantine"])
    site = place["site"]
    url = f"/api/quarantine/sites/{site.pk}/stays/check-in"
    ids = [s.pk for s in place["stays"]]
    r = client.post(url, {"ids": ids, "checked_in_at": at(1, 8).isoformat()}, content_type=JSON)
    assert r.status_code == 409 and sorted(x["id"] for x in r.json()["refused"]) == ids
    future = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    r = client.post(url, {"ids": ids, "checked_in_at": future}, content_type=JSON)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "checked_in_at"]
    assert not Stay.objects.filter(status=StayStatus.IN).exists()
    # another site's stays are not found here
    other = sites.site_register(
        actor=personas["task_force"], code="QS-2", name="另一隔离点", kind="hotel",
        division=city.w[f.Level.STREET],
    )  # fmt: skip
    r = client.post(
        f"/api/quarantine/sites/{other.pk}/stays/check-in", {"ids": ids}, content_type=JSON
    )
    assert r.status_code == 404  # not on its staff
    stranger = f.user("p_other_site", "quarantine", city.weidu)
    r = bearer_client(stranger).post(url, {"ids": ids}, content_type=JSON)
    assert r.status_code == 404


def test_the_stays_page_checks_in_everyone_expected_after_confirming(place, personas, login):
    client = login(personas["quarantine"])
    url = reverse("quarantine:site_stays", args=[place["site"].pk])
    arrived = at(0, 0).strftime("%Y-%m-%dT%H:%M")
    r = client.post(url, {"all_expected": "1", "checked_in_at": arrived})
    assert r.status_code == 200 and r.context["count"] == 4
    assert not Stay.objects.filter(status=StayStatus.IN).exists()
    r = client.post(url, {"all_expected": "1", "checked_in_at": arrived, "confirm": "1"})
    assert r.status_code == 302
    assert Stay.objects.filter(status=StayStatus.IN, checked_in_at=at(0, 0)).count() == 4


# Leaving for the home phase --------------------------------------------------------------------


def _site_phase_over(measure: Measure) -> None:
    """The centralised phase ended today, the home phase starts tomorrow; no tests due."""
    today = timezone.localdate()
    MeasurePhase.objects.filter(measure=measure, kind=PhaseKind.CENTRALISED).update(
        first_day=day(2), last_day=today
    )
    MeasurePhase.objects.filter(measure=measure).exclude(kind=PhaseKind.CENTRALISED).update(
        first_day=today + dt.timedelta(days=1)
    )
    ScheduledTest.objects.filter(measure=measure).delete()


def test_people_leave_for_the_home_phase_all_or_nothing(place, personas, told):
    actor = personas["quarantine"]
    stays = place["stays"][:3]
    sites.stays_arrive(actor=actor, ids=[s.pk for s in stays], at=at(1, 10))
    for s in stays[:2]:
        _site_phase_over(s.measure)
    client = bearer_client(actor)
    url = f"/api/quarantine/sites/{place['site'].pk}/stays/check-out"
    left = at(0, 0).isoformat()
    r = client.post(url, {"ids": [s.pk for s in stays], "checked_out_at": left}, content_type=JSON)
    assert r.status_code == 409
    assert [x["id"] for x in r.json()["refused"]] == [stays[2].pk]  # phase not over
    assert Stay.objects.filter(status=StayStatus.IN).count() == 3
    told.clear()
    ids = [s.pk for s in stays[:2]]
    r = client.post(url, {"all_due": True, "checked_out_at": left}, content_type=JSON)
    assert r.json() == {"changed": 2, "unchanged": 0, "refused": []}  # the third is not due
    gone = Stay.objects.filter(pk__in=ids)
    assert {(s.status, s.checked_out_at) for s in gone} == {(StayStatus.RELEASED, at(0, 0))}
    assert {Room.objects.get(pk=s.room_id).status for s in gone} == {RoomStatus.CLEANING}
    assert Event.objects.filter(action="measure.handed_to_community").count() == 2
    assert Measure.objects.filter(status=MeasureStatus.ACTIVE).count() == 6  # measures go on
    assert [ids for subject, ids in told if subject == "person"] == [
        sorted(s.person_id for s in gone)
    ]
    again = client.post(url, {"ids": ids, "checked_out_at": left}, content_type=JSON)
    assert again.json() == {"changed": 0, "unchanged": 2, "refused": []}
    early = client.post(
        url, {"ids": [stays[2].pk], "checked_out_at": at(1, 9).isoformat()}, content_type=JSON
    )
    assert early.status_code == 409


def test_the_openapi_document_shows_the_real_bodies(db):
    from django.test import Client

    doc = Client().get("/api/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def body(path: str) -> dict:
        ref = doc["paths"][path]["post"]["requestBody"]["content"][JSON]["schema"]["$ref"]
        return schemas[ref.rsplit("/", 1)[1]]

    end = body("/api/quarantine/measures/end")
    assert set(end["properties"]) == {"ids", "filter", "reason", "closed_at"}
    assert end["examples"]
    check_in = body("/api/quarantine/sites/{site_id}/stays/check-in")
    assert set(check_in["properties"]) == {"ids", "all_expected", "checked_in_at"}
    check_out = body("/api/quarantine/sites/{site_id}/stays/check-out")
    assert set(check_out["properties"]) == {"ids", "all_due", "checked_out_at"}
    for path in (
        "/api/quarantine/measures/end",
        "/api/quarantine/sites/{site_id}/stays/check-in",
        "/api/quarantine/sites/{site_id}/stays/check-out",
    ):
        responses = doc["paths"][path]["post"]["responses"]
        assert responses["409"]["content"][JSON]["schema"]["$ref"].endswith("/BatchOut")
    single = doc["paths"]["/api/quarantine/stays/{stay_id}/check-in"]["post"]["parameters"]
    assert [p["name"] for p in single if p["in"] == "query"] == ["checked_in_at"]


def test_the_stays_page_sends_everyone_due_home_after_confirming(place, personas, login):
    actor = personas["quarantine"]
    stays = place["stays"][:2]
    sites.stays_arrive(actor=actor, ids=[s.pk for s in stays], at=at(1, 10))
    _site_phase_over(stays[0].measure)
    client = login(actor)
    url = reverse("quarantine:site_stays_check_out", args=[place["site"].pk])
    left = at(0, 0).strftime("%Y-%m-%dT%H:%M")
    r = client.post(url, {"all_due": "1", "checked_out_at": left})
    assert r.status_code == 200 and r.context["count"] == 1
    r = client.post(url, {"all_due": "1", "checked_out_at": left, "confirm": "1"}, follow=True)
    assert Stay.objects.get(pk=stays[0].pk).checked_out_at == at(0, 0)
    assert Stay.objects.get(pk=stays[1].pk).status == StayStatus.IN
    r = client.post(url, {"ids": [stays[1].pk], "checked_out_at": left}, follow=True)
    assert any(
        "cannot leave yet" in str(m) or "尚不能离开" in str(m) for m in r.context["messages"]
    )
