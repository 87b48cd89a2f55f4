"""Shared fixtures for quarantine measures tests: a site with rooms and people placed in them, made
directly (no allocation service, no audit).

- `english`: messages and pages in English (opt in with `pytestmark = usefixtures("english")`).
- `twenty`: the 20 measures profile active (close contact: 5 days centralised with tests on
  days 1, 2, 3, 5, then 3 days home quarantine with tests on home days 1, 3).
- `site`: 魏都隔离酒店 (QS-W1) at the 魏都 street, the quarantine persona on its staff;
  `rooms`: building A, rooms 101, 102 (2 beds) on floor 1 and 201 on floor 2.
- `at_site`: 张伟, a close contact last exposed yesterday, in room A-101 (stay "in").
- `at_home`: 王芳, left a high-risk area yesterday: home quarantine, no stay.
"""

import datetime as dt

import pytest
from django.utils import timezone, translation

from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.measures.services import measure_start
from fangkong.quarantine.models import (
    Measure,
    Room,
    RoomStatus,
    Site,
    SiteKind,
    Stay,
    StayStatus,
)
from tests import factories as f

ONE_DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def twenty(personas):
    profile = PolicyProfile.objects.get(code="20-measures")
    profile_activate(profile=profile, actor=personas["command"], reason="test")
    return profile


@pytest.fixture
def site(city, personas) -> Site:
    street = city.w[f.Level.STREET]
    s = Site.objects.create(
        code="QS-W1",
        name="魏都隔离酒店",
        kind=SiteKind.HOTEL,
        division=street,
        division_key=street.key,
    )
    s.staff.add(personas["quarantine"])
    return s


@pytest.fixture
def rooms(site) -> dict[str, Room]:
    def room(number: str, floor: int, beds: int = 1) -> Room:
        return Room.objects.create(
            site=site,
            building="A",
            floor=floor,
            number=number,
            beds=beds,
            division_key=site.division_key,
        )

    return {"101": room("101", 1), "102": room("102", 1, beds=2), "201": room("201", 2)}


def start(actor, person, category="close_contact", anchor=None, **kw) -> Measure:
    return measure_start(
        actor=actor,
        person=person,
        category=category,
        anchor_on=anchor or today() - ONE_DAY,
        today=kw.pop("on", today()),
        **kw,
    )


def place(measure: Measure, room: Room, status: str = StayStatus.IN) -> Stay:
    stay = Stay.objects.create(
        person_id=measure.person_id,
        measure=measure,
        room=room,
        site=room.site,
        status=status,
        checked_in_at=timezone.now() if status == StayStatus.IN else None,
        division_key=room.site.division_key,
    )
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    return stay


@pytest.fixture
def at_site(twenty, personas, people, rooms) -> Measure:
    m = start(personas["task_force"], people["zhang"])
    place(m, rooms["101"])
    return m


@pytest.fixture
def at_home(twenty, personas, people) -> Measure:
    return start(personas["street"], people["wang"], category="high_risk_area_leaver")


def tube_with(barcode: str, *people, capacity: int = 1):
    """A collected tube holding `people` (lab rows made directly)."""
    from fangkong.lab.models import Purpose, Tube, TubeMember

    now = timezone.now()
    tube = Tube.objects.create(
        barcode=barcode,
        capacity=capacity,
        purpose=Purpose.VOLUNTARY,
        collected_at=now,
        division_key=people[0].division_key,
    )
    for p in people:
        TubeMember.objects.create(tube=tube, person=p, sampled_at=now, division_key=p.division_key)
    return tube


def give_result(tube, outcome: str) -> None:
    """The lab's result for `tube` (the one place that knows how the lab stores results)."""
    from fangkong.lab.models import Result

    Result.objects.create(tube=tube, upload_id=0, outcome=outcome, tested_at=timezone.now())
