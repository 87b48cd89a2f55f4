"""The demo city's response to its outbreak, written through the modules' own services.

On the as-of day the command centre has quarantine sites with rooms (two in 魏都区, one in each
other district), has allocated the close contacts waiting for a room and the sites have checked
most of them in; a high-risk zone covers the buildings where the latest cases live; and a few
travellers from a high-risk area arrived at 许昌东站 and were handed to their communities. A
few hundred people at most, so each step goes through its service and leaves its audit events,
exactly as the pages would.
"""

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from fangkong.demo.clock import Clock
from fangkong.epi.models import Case, CaseStatus
from fangkong.people.models import Resident
from fangkong.places.models import KEY_LENGTH, Division, Level
from fangkong.policy.accessor import current
from fangkong.quarantine.allocation import selectors as allocation_selectors
from fangkong.quarantine.allocation import services as allocation_services
from fangkong.quarantine.models import MeasureStatus, SiteKind, Stay, StayStatus
from fangkong.quarantine.sites import services as site_services
from fangkong.travel.models import OriginKind, Transport
from fangkong.travel.services import arrival_record, trip_report
from fangkong.zones.services import zone_draw

SITE_NAMES = ["锦江之星", "格林豪泰", "如家", "汉庭", "维也纳", "城市便捷", "尚客优", "七天"]
TRAVELLERS = 4


@dataclass
class ResponseStats:
    sites: int = 0
    rooms: int = 0
    allocated: int = 0
    checked_in: int = 0
    zones: int = 0
    travellers: int = 0


def _sites(actor: Any, manager: Any, rng: random.Random, clock: Clock) -> tuple[int, int]:
    made = rooms = 0
    districts = Division.objects.filter(level=Level.DISTRICT).order_by("key")
    for d, district in enumerate(districts):
        streets = list(
            Division.objects.filter(level=Level.STREET, key__startswith=district.key).order_by(
                "key"
            )[:2]
        )
        if not streets:
            continue
        # The first district has two sites (the `quarantine` account manages both), in its
        # first two streets or, where it has one street, both in it; the others have one.
        for s in range(2 if d == 0 else 1):
            street = streets[s % len(streets)]
            name = SITE_NAMES[made % len(SITE_NAMES)]
            site = site_services.site_register(
                actor=actor,
                code=f"QS-{district.code[:6]}-{s + 1}",
                name=f"{district.name}{name}酒店（集中隔离点）",
                kind=SiteKind.HOTEL,
                division=street,
                address=f"{street.name}{rng.randint(1, 300)}号",
                phone=f"0374-{rng.randint(2000000, 8999999)}",
                opened_at=clock.by(clock.days_ago(3), 8),  # opened before the story's week
            )
            floors = (2, 7) if d == 0 else (2, 4)
            added = site_services.rooms_add(
                actor=actor,
                site=site,
                rooms=site_services.rooms_generate(
                    building="A", floors=floors, positions=(1, 12), accessible=(1,)
                ),
            )
            rooms += added.created
            if d == 0:
                site_services.site_staff_set(actor=actor, site=site, usernames=[manager.username])
            made += 1
    return made, rooms


def _allocate(actor: Any, clock: Clock) -> tuple[int, int]:
    people = allocation_selectors.people_from_contacts(actor, category="close_contact")
    if not people:
        return 0, 0
    batch = allocation_services.allocation_propose(
        actor=actor, category="close_contact", people=people, today=clock.as_of, source="demo"
    )
    if not batch.plan:
        return 0, 0
    # Rooms allocated at 07:00 (valid time), before the arrivals at 08:00.
    allocation_services.allocation_confirm(
        actor=actor, batch=batch, today=clock.as_of, allocated_at=clock.by(clock.as_of, 7)
    )
    planned = list(Stay.objects.filter(batch=batch, status=StayStatus.PLANNED).order_by("id"))
    arrived = planned[: max(1, len(planned) * 4 // 5)]  # the rest are on the way
    # They arrived by the demo's stamp (08:00 on the as-of day), never later than now: a
    # check-in after the moment the city is seen on would leave the dashboard's count at 0
    # while the site's board shows them in their rooms.
    at = clock.by(clock.as_of, 8)
    checked = site_services.stays_check_in(actor=actor, stays=arrived, at=at)
    return len(planned), checked


def _zone(actor: Any, clock: Clock) -> int:
    since = clock.as_of - dt.timedelta(days=3)
    cases = list(
        Case.objects.filter(reported_on__gte=since)
        .exclude(status__in=(CaseStatus.RECOVERED, CaseStatus.DIED))
        .order_by("reported_on", "id")[:8]
    )
    keys = sorted({c.division_key[: KEY_LENGTH[Level.BUILDING]] for c in cases})
    buildings = list(Division.objects.filter(level=Level.BUILDING, key__in=keys))
    if not buildings:
        return 0
    levels = current().rules.zones.levels
    zone_draw(
        actor=actor,
        level=levels[0],
        reason=_("Buildings where the latest cases live"),
        divisions=buildings,
        cases=cases,
        started_at=clock.at(since, 9),
        now=clock.at(clock.as_of, 8),
    )
    return 1


def _travellers(actor: Any, clock: Clock, rng: random.Random) -> int:
    """A few adults of 魏都区 back from a high-risk area, tested at the station, handed over."""
    busy = Q(measures__status=MeasureStatus.ACTIVE) | Q(cases__isnull=False)
    pool = list(
        Resident.objects.filter(division_key__startswith="411002")
        .exclude(busy)
        .exclude(contact_records__isnull=False)
        .order_by("id")
        .values_list("id", flat=True)[:2000]
    )
    chosen = rng.sample(pool, min(TRAVELLERS, len(pool)))
    done = 0
    for pid in chosen:
        person = Resident.objects.select_related("household").get(pk=pid)
        community = Division.objects.get(key=person.division_key[: KEY_LENGTH[Level.COMMUNITY]])
        reported = trip_report(
            actor=actor,
            id_number=person.id_number,
            name=person.name,
            phone=person.phone or f"139{rng.randint(10000000, 99999999)}",
            origin="上海市浦东新区（高风险区）",
            origin_kind=OriginKind.HIGH_RISK_AREA,
            departed_on=clock.as_of - dt.timedelta(days=1),
            arriving_at=clock.by(clock.as_of, 7),
            transport=Transport.TRAIN,
            transport_number=f"G{rng.randint(100, 999)}",
            destination=community,
            address=person.household.address if person.household else "",  # leads to the grid
            today=clock.as_of,
        )
        arrival_record(
            actor=actor,
            trip=reported.trip,
            checkpoint="许昌东站",
            arrived_at=clock.by(clock.as_of, 7),
            today=clock.as_of,
        )
        done += 1
    return done


def response_write(*, clock: Clock, seed: int, actor: Any, manager: Any) -> ResponseStats:
    rng = random.Random(f"fangkong-demo-response-{seed}")
    stats = ResponseStats()
    stats.sites, stats.rooms = _sites(actor, manager, rng, clock)
    stats.allocated, stats.checked_in = _allocate(actor, clock)
    stats.zones = _zone(actor, clock)
    stats.travellers = _travellers(actor, clock, rng)
    return stats
