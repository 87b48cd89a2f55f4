"""Two operators confirming at the same moment never book one room twice (PostgreSQL).

Each confirmation runs in its own thread with its own database connection. The first to lock
the rooms holds them while its measures are written (slowed down here, so the second really
waits on the row locks); the second then finds a room taken and books nothing.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.utils import translation

from fangkong.quarantine.allocation import services as allocation_services
from fangkong.quarantine.models import AllocationBatch, Measure, Room, RoomStatus, Stay
from tests import factories as f
from tests.quarantine.sites_factory import EXPOSED, TODAY, adult, make_rooms, make_site, use_profile

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT … FOR UPDATE) are a PostgreSQL matter")


@pytest.fixture
def slow_measures(monkeypatch):
    """Hold the room locks a while after taking them, as a large batch would."""
    original = allocation_services.measures_start_bulk

    def slow(**kwargs):
        time.sleep(0.5)
        return original(**kwargs)

    monkeypatch.setattr(allocation_services, "measures_start_bulk", slow)


def confirm_together(pairs):
    """Confirm each (actor, batch) in its own thread, all released at once; the outcomes."""
    barrier = threading.Barrier(len(pairs))
    outcomes: list[object] = [None] * len(pairs)

    def work(i, actor, batch):
        try:
            barrier.wait()
            with translation.override("en"):  # a thread starts in the default language
                allocation_services.allocation_confirm(actor=actor, batch=batch, today=TODAY)
            outcomes[i] = "confirmed"
        except ValidationError as exc:
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=work, args=(i, actor, batch))
        for i, (actor, batch) in enumerate(pairs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_two_operators_confirming_the_same_rooms_at_once(personas, city, slow_measures):
    use_profile("20-measures")
    site = make_site(city.w[f.Level.COMMUNITY], "QW1")
    make_rooms(site, floors=(2, 2), per_floor=6)
    unit = city.w[f.Level.UNIT]
    rooms = list(Room.objects.filter(site=site).order_by("pk"))
    first = [adult(unit, f"甲{i}") for i in range(4)]
    second = [adult(unit, f"乙{i}") for i in range(4)]
    command, other = personas["command"], f.user("cmd2", "command", city.city)
    a = allocation_services.allocation_propose(
        actor=command, category="close_contact", people={p.pk: EXPOSED for p in first}, today=TODAY
    )
    # the second operator's proposal overlaps the first on two rooms
    Room.objects.filter(pk__in=[rooms[0].pk, rooms[1].pk]).update(status=RoomStatus.CLOSED)
    b = allocation_services.allocation_propose(
        actor=other, category="close_contact", people={p.pk: EXPOSED for p in second}, today=TODAY
    )
    Room.objects.filter(pk__in=[rooms[0].pk, rooms[1].pk]).update(status=RoomStatus.AVAILABLE)
    overlap = {line["room"] for line in a.plan} & {line["room"] for line in b.plan}
    assert overlap == {rooms[2].pk, rooms[3].pk}

    outcomes = confirm_together([(command, a), (other, b)])

    assert sorted(o == "confirmed" for o in outcomes) == [False, True], outcomes
    refused = next(o for o in outcomes if isinstance(o, ValidationError))
    assert "taken or closed meanwhile" in " ".join(refused.messages)
    booked = list(Stay.objects.values_list("room_id", flat=True))
    assert len(booked) == 4 == len(set(booked))  # nobody shares a room, nobody is lost
    assert Measure.objects.count() == 4
    assert Room.objects.filter(status=RoomStatus.OCCUPIED).count() == 4
    statuses = sorted(AllocationBatch.objects.values_list("status", flat=True))
    assert statuses == ["confirmed", "draft"]


def test_the_refused_operator_proposes_again_and_is_placed_elsewhere(personas, city, slow_measures):
    use_profile("20-measures")
    site = make_site(city.w[f.Level.COMMUNITY], "QW1")
    make_rooms(site, floors=(2, 3), per_floor=4)
    unit = city.w[f.Level.UNIT]
    command, other = personas["command"], f.user("cmd2", "command", city.city)
    batches = [
        allocation_services.allocation_propose(
            actor=actor,
            category="close_contact",
            people={adult(unit, f"{tag}{i}").pk: EXPOSED for i in range(3)},
            today=TODAY,
        )
        for actor, tag in ((command, "甲"), (other, "乙"))
    ]
    outcomes = confirm_together([(command, batches[0]), (other, batches[1])])
    loser = batches[[o == "confirmed" for o in outcomes].index(False)]
    actor = other if loser.created_by_id == other.pk else command
    again = allocation_services.allocation_repropose(actor=actor, batch=loser, today=TODAY)
    allocation_services.allocation_confirm(actor=actor, batch=again, today=TODAY)
    booked = list(Stay.objects.values_list("room_id", flat=True))
    assert len(booked) == 6 == len(set(booked))
