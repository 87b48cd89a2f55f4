"""Two times on every fact, for quarantine (issue 15): a measure's start and end, a stay's
check-in and check-out, a room's status and a site's opening and closing carry the time they
happened, apart from the time they were recorded. Figures as of past moments count what had
happened by then (a scenario entered today, all of it after the fact); a time ahead of the
clock or out of order is refused naming the field (service, page, API); late entries show as
late; the migration backfills existing rows."""

import datetime as dt
import importlib
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.audit.models import Event
from fangkong.command import tallied
from fangkong.command.figures import situation
from fangkong.command.places import node_for
from fangkong.policy.templatetags import records
from fangkong.quarantine.allocation import services as allocation
from fangkong.quarantine.measures import services as measures
from fangkong.quarantine.models import (
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    Site,
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
    """`hour` o'clock `ago` days before today, in the user's time zone."""
    return timezone.make_aware(dt.datetime.combine(day(ago), dt.time(hour)))


def refused(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


def open_site(actor, city, code: str, opened: dt.datetime) -> Site:
    street = city.w[f.Level.STREET]
    site = sites.site_register(
        actor=actor, code=code, name=f"隔离酒店{code}", kind="hotel", division=street,
        opened_at=opened,
    )  # fmt: skip
    return site


def room(site: Site, number: str, beds: int = 1) -> Room:
    return Room.objects.create(
        site=site, building="A", floor=1, number=number, beds=beds, division_key=site.division_key
    )


def start(actor, person, anchor: dt.date, started: dt.datetime) -> Measure:
    return measures.measure_start(
        actor=actor, person=person, category="close_contact", anchor_on=anchor, started_at=started
    )


def allocate(measure: Measure, where: Room, allocated: dt.datetime) -> Stay:
    return Stay.objects.create(
        person=measure.person,
        measure=measure,
        room=where,
        site=where.site,
        allocated_at=allocated,
        division_key=where.division_key,
    )


@pytest.fixture
def scenario(personas, people, city):
    """Entered today, all of it after the fact: two sites (one closed since), three rooms (one
    closed for two days), three measures (one ended early, its person leaving the room)."""
    actor = personas["task_force"]
    s1 = open_site(actor, city, "QS-1", at(6, 8))
    s2 = open_site(actor, city, "QS-2", at(6, 8))
    r1, r2, r3 = room(s1, "101"), room(s1, "102", beds=2), room(s1, "103")
    room(s2, "201")
    sites.site_set_in_use(actor=actor, site=s2, active=False, reason="撤点", at=at(3, 12))
    sites.rooms_set_status(
        actor=actor, rooms=[r3], status=RoomStatus.CLOSED, reason="漏水", changed_at=at(3, 9)
    )
    sites.rooms_set_status(
        actor=actor, rooms=[r3], status=RoomStatus.AVAILABLE, reason="修好", changed_at=at(1, 9)
    )
    a = start(actor, people["zhang"], day(6), at(5, 10))
    b = start(actor, people["li"], day(5), at(4, 10))
    c = start(actor, people["wang"], day(3), at(3, 10))
    stay_a = allocate(a, r1, at(5, 11))
    stay_b = allocate(b, r2, at(4, 11))
    Room.objects.filter(pk__in=[r1.pk, r2.pk]).update(status=RoomStatus.OCCUPIED)
    sites.stays_arrive(actor=actor, ids=[stay_a.pk], at=at(5, 14))
    sites.stays_arrive(actor=actor, ids=[stay_b.pk], at=at(4, 14))
    measures.measure_end_early(actor=actor, measure=b, reason="判定有误", closed_at=at(2, 15))
    # What happened, written down plainly: the reference the figures are held to.
    return {
        "sites": [(at(6, 8), None), (at(6, 8), at(3, 12))],  # (opened, closed)
        "rooms": [  # (site's index, beds, closed from, closed until)
            (0, 1, None, None),
            (0, 2, None, None),
            (0, 1, at(3, 9), at(1, 9)),
            (1, 1, None, None),
        ],
        "stays": [(at(5, 14), None), (at(4, 14), at(2, 15))],  # (in, out)
        "measures": [  # (started, closed, first day, last day)
            (at(5, 10), None, a.starts_on, a.ends_on),
            (at(4, 10), at(2, 15), b.starts_on, b.ends_on),
            (at(3, 10), None, c.starts_on, c.ends_on),
        ],
    }


def first_principles(facts, moment: dt.datetime) -> dict[str, int]:
    def during(since, until):
        return since is not None and since <= moment and (until is None or moment < until)

    open_sites = [during(opened, closed) for opened, closed in facts["sites"]]
    rooms = [
        (beds, s)
        for s, beds, since, until in facts["rooms"]
        if open_sites[s] and not during(since, until)
    ]
    today = timezone.localtime(moment).date()
    return {
        "sites": sum(open_sites),
        "rooms": len(rooms),
        "beds": sum(beds for beds, _s in rooms),
        "people": sum(during(came, left) for came, left in facts["stays"]),
        "measures": sum(
            during(started, closed) and first <= today <= last
            for started, closed, first, last in facts["measures"]
        ),
    }


MOMENTS = [(7, 12), (6, 9), (5, 12), (5, 15), (4, 15), (3, 10), (3, 13), (2, 16), (1, 12)]


def test_figures_as_of_past_moments_count_what_had_happened_by_then(scenario, personas):
    command = personas["command"]
    node = node_for(command)
    assert tallied.covers(node)  # "auto" reads the running counts, kept as things were entered
    seen = []
    for ago, hour in [*MOMENTS, (0, None)]:
        moment = at(ago, hour) if hour is not None else timezone.now()
        expected = first_principles(scenario, moment)
        for source in ("rows", "auto"):
            total = situation(command, node, moment, source=source).total
            assert {k: total[k] for k in expected} == expected, (ago, hour, source)
        seen.append(expected)
    # the moments differ, so the figures cannot be right by accident
    assert seen[0] == {"sites": 0, "rooms": 0, "beds": 0, "people": 0, "measures": 0}
    assert {s["sites"] for s in seen} == {0, 1, 2}
    assert {s["people"] for s in seen} == {0, 1, 2}
    assert {s["rooms"] for s in seen} >= {2, 3, 4}
    assert len({s["measures"] for s in seen}) >= 3


def test_the_command_lists_read_the_valid_times(scenario, personas, login):
    client = login(personas["command"])
    for ago, hour, rooms, sites_in_use in ((3, 13, 2, ["QS-1"]), (4, 12, 4, ["QS-1", "QS-2"])):
        common = {"as_of": at(ago, hour).strftime("%Y-%m-%dT%H:%M")}
        r = client.get(reverse("command:list", args=["rooms"]), common)
        assert len(r.context["table"]) == rooms, (ago, hour)
        page = client.get(reverse("command:list", args=["sites"]), common).content.decode()
        assert [c for c in ("QS-1", "QS-2") if c in page] == sites_in_use, (ago, hour)


def test_a_late_entry_shows_as_late_in_the_history(scenario, personas, login):
    b = Measure.objects.get(person__name="李秀英")
    event = Event.objects.get(action="measure.closed", object_id=str(b.pk))
    assert event.at == at(2, 15) and event.recorded_at > timezone.now() - dt.timedelta(minutes=5)
    assert b.closed_at == at(2, 15) and b.status == MeasureStatus.ENDED
    stay = Stay.objects.get(measure=b)
    assert stay.checked_out_at == at(2, 15) and stay.status == StayStatus.RELEASED
    client = login(personas["task_force"])
    for language in ("en", "zh-hans"):
        with translation.override(language):
            late_text = records.late_text(event.recorded_at - event.at, "p_task_force")
        assert ("补录" in late_text) == (language == "zh-hans")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(reverse("quarantine:measure", args=[b.pk])).content.decode()
        assert late_text in page, language
        room_page = client.get(reverse("quarantine:room", args=[stay.room_id])).content.decode()
        assert late_text in room_page, language


# Refused, naming the field ---------------------------------------------------------------------


def test_times_ahead_of_the_clock_or_out_of_order_are_refused_naming_the_field(
    personas, people, city
):
    actor = personas["task_force"]
    ahead = timezone.now() + dt.timedelta(hours=1)
    with translation.override("en"):
        assert refused(lambda: open_site(actor, city, "QS-9", ahead))["opened_at"] == [
            "This time is in the future"
        ]
        site = open_site(actor, city, "QS-1", at(3, 8))
        r = room(site, "101")
        errors = refused(lambda: start(actor, people["zhang"], day(2), at(3, 10)))
        assert errors["started_at"] == ["A measure starts on or after the day it is counted from"]
        m = start(actor, people["zhang"], day(3), at(3, 10))
        stay = allocate(m, r, at(2, 9))
        with pytest.raises(ValidationError) as exc:
            sites.stays_arrive(actor=actor, ids=[stay.pk], at=ahead)
        assert exc.value.message_dict["checked_in_at"] == ["This time is in the future"]
        batch = sites.stays_arrive(actor=actor, ids=[stay.pk], at=at(2, 8))
        assert (
            batch.refused == {stay.pk: "The person cannot arrive before the room was allocated"}
            and not batch.changed
        )
        errors = refused(lambda: sites.stay_check_in(actor=actor, stay=stay, at=at(2, 8)))
        assert errors["checked_in_at"] == ["The person cannot arrive before the room was allocated"]
        sites.stays_arrive(actor=actor, ids=[stay.pk], at=at(2, 10))
        errors = refused(
            lambda: measures.measure_end_early(
                actor=actor, measure=m, reason="误判", closed_at=at(3, 9)
            )
        )
        assert errors["closed_at"] == ["The measure had not started yet"]
        errors = refused(
            lambda: measures.measure_end_early(
                actor=actor,
                measure=m,
                reason="误判",
                closed_at=at(2, 9),
            )
        )
        assert errors["closed_at"] == ["The person cannot leave before they checked in"]
        stay.refresh_from_db()
        errors = refused(
            lambda: measures.stay_end(
                actor=actor, stay=stay, status=StayStatus.RELEASED, reason="x", at=at(2, 9)
            )
        )
        assert errors["checked_out_at"] == ["The person cannot leave before they checked in"]
        sites.rooms_set_status(
            actor=actor, rooms=[room(site, "102")], status="closed", changed_at=at(1, 9)
        )
        errors = refused(
            lambda: sites.rooms_set_status(
                actor=actor,
                rooms=list(Room.objects.filter(number="102")),
                status="available",
                changed_at=at(1, 8),
            )
        )
        assert errors["changed_at"] == ["This is before the room's last recorded status change"]
        errors = refused(
            lambda: sites.site_set_in_use(
                actor=actor, site=site, active=False, reason="撤点", at=at(4, 8)
            )
        )
        assert errors["at"] == ["The site had not opened yet"]
        errors = refused(
            lambda: sites.site_set_in_use(actor=actor, site=site, active=False, reason="撤点")
        )
        assert "active" in errors  # someone is still staying there
    assert Measure.objects.get(pk=m.pk).status == MeasureStatus.ACTIVE


def test_a_phone_a_minute_fast_is_within_the_policys_tolerance(personas, people, city):
    actor = personas["task_force"]
    site = open_site(actor, city, "QS-1", timezone.now() + dt.timedelta(minutes=1))
    assert site.opened_at > timezone.now()


def test_pages_refuse_at_the_field(personas, people, city, login):
    actor = personas["task_force"]
    site = open_site(actor, city, "QS-1", at(3, 8))
    m = start(actor, people["zhang"], day(3), at(3, 10))
    stay = allocate(m, room(site, "101"), at(2, 9))
    client = login(actor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        reverse("quarantine:site_stays", args=[site.pk]),
        {"stays": [stay.pk], "checked_in_at": future},
        follow=True,
    )
    assert "Arrived at: This time is in the future" in r.content.decode()
    r = client.post(
        reverse("quarantine:site_stays", args=[site.pk]),
        {"stays": [stay.pk], "checked_in_at": at(2, 8).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "The person cannot arrive before the room was allocated" in r.content.decode()
    assert Stay.objects.get(pk=stay.pk).status == StayStatus.PLANNED
    r = client.post(
        reverse("quarantine:measure_close", args=[m.pk]),
        {"reason": "误判", "closed_at": at(3, 9).strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    )
    assert "Ended at: The measure had not started yet" in r.content.decode()
    r = client.post(
        reverse("quarantine:measure_new"),
        {
            "id_number": people["li"].id_number,
            "category": "close_contact",
            "anchor_on": day(1).isoformat(),
            "started_at": future,
        },
    )
    assert r.status_code == 200
    assert r.context["form"].errors["started_at"] == ["This time is in the future"]
    r = client.post(
        reverse("quarantine:site_stays", args=[site.pk]),
        {"stays": [stay.pk], "checked_in_at": at(2, 10).strftime("%Y-%m-%dT%H:%M")},
    )
    stay.refresh_from_db()
    assert stay.status == StayStatus.IN and stay.checked_in_at == at(2, 10)


def test_the_api_takes_valid_times_and_refuses_them_at_their_field(personas, people, city):
    actor = personas["task_force"]
    client = bearer_client(actor)
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = client.post(
        "/api/quarantine/measures",
        {
            "id_number": people["zhang"].id_number,
            "category": "close_contact",
            "anchor_on": day(3).isoformat(),
            "started_at": future,
        },
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "started_at"]
    r = client.post(
        "/api/quarantine/measures",
        {
            "id_number": people["zhang"].id_number,
            "category": "close_contact",
            "anchor_on": day(3).isoformat(),
            "started_at": at(3, 10).isoformat(),
        },
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert dt.datetime.fromisoformat(body["started_at"]) == at(3, 10)
    r = client.post(
        f"/api/quarantine/measures/{body['id']}/close",
        {"reason": "误判", "closed_at": at(3, 9).isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "closed_at"]
    r = client.post(
        "/api/quarantine/sites",
        {"code": "QS-1", "name": "隔离点", "kind": "hotel", "place": city.w[f.Level.STREET].code,
         "opened_at": at(3, 8).isoformat()},
        content_type=JSON,
    )  # fmt: skip
    assert r.status_code == 201, r.content
    site_id = r.json()["id"]
    assert dt.datetime.fromisoformat(r.json()["opened_at"]) == at(3, 8)
    r = client.post(
        f"/api/quarantine/sites/{site_id}/in-use",
        {"active": False, "reason": "撤点", "at": at(4, 8).isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "at"]
    r = client.post(
        f"/api/quarantine/sites/{site_id}/in-use",
        {"active": False, "reason": "撤点", "at": at(1, 8).isoformat()},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert dt.datetime.fromisoformat(r.json()["closed_at"]) == at(1, 8)


def test_the_migration_backfills_existing_rows(personas, people, city):
    written = dt.datetime(2022, 5, 3, 9, 30, tzinfo=dt.UTC)
    actor = personas["task_force"]
    m = start(actor, people["zhang"], day(1), timezone.now())
    s1 = open_site(actor, city, "QS-1", timezone.now())
    s2 = open_site(actor, city, "QS-2", timezone.now())
    Measure.objects.filter(pk=m.pk).update(created_at=written)
    Site.objects.filter(pk__in=[s1.pk, s2.pk]).update(created_at=written)
    Site.objects.filter(pk=s2.pk).update(active=False)
    importlib.import_module("fangkong.quarantine.migrations.0003_valid_times").backfill(apps, None)
    assert Measure.objects.get(pk=m.pk).started_at == written
    one, two = Site.objects.get(pk=s1.pk), Site.objects.get(pk=s2.pk)
    assert one.opened_at == written and one.closed_at is None
    assert two.opened_at == written and two.closed_at == written  # out of use, as it counted


def test_an_allocation_confirmed_late_dates_its_stays_and_measures(personas, people, city):

    actor = personas["task_force"]
    site = open_site(actor, city, "QS-1", at(3, 8))
    room(site, "101")
    batch = allocation.allocation_propose(
        actor=actor, category="close_contact", people={people["wang"].pk: day(1)}
    )
    assert batch.plan, batch.unplaced
    client = bearer_client(actor)
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    url = f"/api/quarantine/allocations/{batch.pk}/confirm"
    r = client.post(f"{url}?{urlencode({'allocated_at': future})}")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "allocated_at"
    r = client.post(f"{url}?{urlencode({'allocated_at': at(1, 9).isoformat()})}")
    assert r.status_code == 200, r.content
    stay = Stay.objects.get(person=people["wang"])
    assert stay.allocated_at == at(1, 9) and stay.measure.started_at == at(1, 9)
    assert Event.objects.get(action="stay.allocated").at == at(1, 9)
    with translation.override("en"):
        batch_ = sites.stays_arrive(actor=actor, ids=[stay.pk], at=at(1, 8))
    assert list(batch_.refused.values()) == [
        "The person cannot arrive before the room was allocated"
    ]
