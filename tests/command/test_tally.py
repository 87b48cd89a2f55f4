"""The running counts (`fangkong.tally`) give exactly the figures the rows give, at any moment.

The reference is `situation(..., source="rows")`: the plain queries over the rows and their
audit events. Scenarios are driven through the real services with a clock the test moves
(cases registered, reclassified, transferred with a backdated time, closed; contacts added
one by one and in bulk, moved along their statuses, turned into cases; home measures started
and closed, a new policy profile re-planning them; rooms allocated, people checked in at a
backdated time, moved, released and transferred out), then both ways of counting are
compared for the city, a district and a street at many moments: when things happened, a
second before and after, on the hour, in the middle of an hour, a day later, before
anything existed. The tally kept by the services must also equal a rebuild from scratch.
"""

import datetime as dt
import io
import random
import zoneinfo
from collections import Counter
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from fangkong.command.figures import Situation, situation
from fangkong.command.places import node_for
from fangkong.epi.cases import services as case_services
from fangkong.epi.cases.services import OPEN_CASE
from fangkong.epi.contacts import services as contact_services
from fangkong.epi.contacts.services import CONTACT_NEXT
from fangkong.epi.models import Case, CaseStatus, Contact, ContactStatus, Degree
from fangkong.places.models import Level
from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate
from fangkong.quarantine.allocation import services as allocation_services
from fangkong.quarantine.measures.services import measure_close, measure_start, stay_end
from fangkong.quarantine.models import (
    STAY_OPEN,
    Measure,
    MeasureStatus,
    Room,
    RoomStatus,
    Site,
    Stay,
    StayStatus,
)
from fangkong.quarantine.sites import services as site_services
from fangkong.tally.models import Tally
from fangkong.tally.services import rebuild
from tests import factories as f
from tests.command.conftest import SINCE, T
from tests.command.test_figures import later_changes

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
REAL_NOW = timezone.now
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class Clock:
    """The services' "now", moved by the test (UTC, with seconds and microseconds)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(dt.UTC)
        self.log: list[dt.datetime] = [self.now]

    def __call__(self) -> dt.datetime:
        return self.now

    def move(self, rng: random.Random) -> None:
        u = rng.random()
        if u < 0.2:  # to the next hour sharp
            self.now = self.now.replace(minute=0, second=0, microsecond=0) + HOUR
        elif u < 0.3:  # a day or so later
            self.now += dt.timedelta(hours=rng.randint(20, 26), minutes=rng.randint(0, 59))
        elif u < 0.35:  # at once (two changes at one moment)
            pass
        else:
            self.now += dt.timedelta(
                minutes=rng.randint(1, 200),
                seconds=rng.randint(0, 59),
                microseconds=rng.randint(0, 999_999),
            )
        self.log.append(self.now)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock(dt.datetime(2022, 5, 4, 21, 7, 13, 250_000, tzinfo=TZ))
    monkeypatch.setattr(timezone, "now", c)
    for model in apps.get_models():
        for fld in model._meta.concrete_fields:
            if getattr(fld, "default", None) is REAL_NOW:
                monkeypatch.setattr(fld, "_get_default", c)
    return c


# Comparing ------------------------------------------------------------------------------------


def shown(s: Situation) -> dict[str, Any]:
    """What a page shows: figures in total and per place (zeros left out), map, curve."""
    return {
        "total": +s.total,
        "areas": {a.key: +a.figures for a in s.rows if +a.figures},
        "places": s.places,
        "curve": s.curve,
    }


# The sections whose figures the tally keeps; the others are counted the same way from either
# source, so comparing them compares a computation with itself.
TALLIED = {"cases", "contacts", "quarantine"}


def assert_same(user, place: str, moments) -> int:
    node = node_for(user, place)
    compared = 0
    for at in moments:
        rows = shown(situation(user, node, at, source="rows", only=TALLIED))
        tally = shown(situation(user, node, at, source="tally", only=TALLIED))
        assert tally == rows, (node.name, at.isoformat())
        compared += 1
    return compared


def moments_around(times, rng: random.Random, count: int) -> list[dt.datetime]:
    second = dt.timedelta(seconds=1)
    found: set[dt.datetime] = set()
    for t in times:
        hour = t.replace(minute=0, second=0, microsecond=0)
        for m in (t, t - second, t + second, t + DAY, t + DAY - second, hour, hour + HOUR / 2):
            found.add(m)
    first, last = min(times), max(times)
    picked = rng.sample(sorted(found), min(count, len(found)))
    return [first - DAY, last + 2 * DAY, *sorted(picked)]


def cells() -> Counter:
    out: Counter = Counter()
    for row in Tally.objects.values_list(
        "depth", "parent", "span", "upto", "width", "subject", "figure", "area", "n"
    ):
        out[row[:-1]] += row[-1]
    return +out


# A scenario through the services --------------------------------------------------------------


class Scenario:
    def __init__(self, city, personas, clock: Clock, seed: int) -> None:
        self.city, self.clock = city, clock
        self.rng = random.Random(seed)
        self.actor = personas["command"]
        self.done: Counter[str] = Counter()
        wb = f.branch(
            city.weidu,
            "002001010100101",
            ["东大街街道", "东大社区", "第一网格", "和平小区", "3号楼", "1单元"],
        )
        self.units = [city.w[Level.UNIT], wb[Level.UNIT], city.j[Level.UNIT]]
        self.people = [
            f.resident(unit, f"人{u}{i}") for u, unit in enumerate(self.units) for i in range(9)
        ]
        for place, code in ((city.w[Level.STREET], "QA"), (city.j[Level.COMMUNITY], "QB")):
            site = Site.objects.create(
                code=code, name=code, kind="hotel", division=place, division_key=place.key
            )
            for n, beds in (("101", 1), ("102", 2), ("103", 1), ("104", 1)):
                Room.objects.create(site=site, floor=1, number=n, beds=beds, division_key=place.key)
        profile_activate(
            profile=PolicyProfile.objects.get(code="xuchang-2022-05"),
            actor=self.actor,
            reason="本轮疫情",
        )

    @property
    def today(self) -> dt.date:
        return timezone.localdate()

    def pick(self, qs):
        items = list(qs)
        return self.rng.choice(items) if items else None

    # operations: each may be refused by the service (then nothing changed)

    def case(self) -> None:
        busy = Case.objects.filter(status__in=OPEN_CASE).values("person_id")
        person = self.pick([p for p in self.people if p.pk not in {b["person_id"] for b in busy}])
        if person is None:
            return
        case_services.case_register(
            actor=self.actor,
            id_number=person.id_number,
            kind=self.rng.choice(["confirmed", "asymptomatic"]),
            found_by="community_screening",
            found_where=self.rng.choice(["community", "quarantine"]),
            sampled_on=self.today - dt.timedelta(days=1),
            onset_on=self.rng.choice([None, self.today - dt.timedelta(days=2)]),
            reported_on=self.today,
        )

    def contact(self) -> None:
        case = self.pick(Case.objects.all())
        person = self.pick(self.people)
        if case is None or person is None:
            return
        via = None
        degree = Degree.CLOSE
        if self.rng.random() < 0.3:
            via = self.pick(Contact.objects.filter(case=case, degree=Degree.CLOSE))
            degree = Degree.SECONDARY if via is not None else Degree.CLOSE
        contact_services.contact_add(
            actor=self.actor,
            case=case,
            person=person,
            degree=degree,
            via=via,
            relation="household",
            last_exposure_on=self.today,
        )

    def contacts(self) -> None:
        case = self.pick(Case.objects.all())
        if case is None:
            return
        people = self.rng.sample(self.people, 3)
        rows = [
            {"id_number": p.id_number, "relation": "meal", "last_exposure_on": self.today}
            for p in people
            if p.pk != case.person_id
        ]
        contact_services.contacts_add_bulk(actor=self.actor, case=case, rows=rows)

    def status(self) -> None:
        contact = self.pick(Contact.objects.exclude(status=ContactStatus.RELEASED))
        if contact is None:
            return
        status = self.rng.choice(sorted(CONTACT_NEXT[contact.status]))
        contact_services.contact_set_status(
            actor=self.actor, contact=contact, status=status, reason="核实"
        )

    def reclassify(self) -> None:
        case = self.pick(Case.objects.filter(status__in=OPEN_CASE))
        if case is not None:
            kind = "asymptomatic" if case.kind == "confirmed" else "confirmed"
            case_services.case_reclassify(actor=self.actor, case=case, kind=kind, reason="订正")

    def transfer(self) -> None:
        case = self.pick(Case.objects.filter(status__in=OPEN_CASE))
        if case is not None:
            back = dt.timedelta(minutes=self.rng.choice([0, 5, 70, 600, 1500]))
            case_services.case_transfer(
                actor=self.actor,
                case=case,
                destination="designated_hospital",
                destination_name="定点医院",
                transferred_at=timezone.now() - back,  # backdated
                reason="闭环转运",
            )

    def close(self) -> None:
        case = self.pick(Case.objects.filter(status__in=OPEN_CASE))
        if case is not None:
            case_services.case_close(
                actor=self.actor,
                case=case,
                status=self.rng.choice([CaseStatus.RECOVERED, CaseStatus.DIED]),
                outcome_on=self.today,
                reason="出院",
            )

    def convert(self) -> None:
        contact = self.pick(Contact.objects.filter(became_case__isnull=True))
        if contact is not None:
            contact_services.contact_convert_to_case(
                actor=self.actor,
                contact=contact,
                kind="asymptomatic",
                found_by="in_quarantine",
                sampled_on=self.today,
                reported_on=self.today,
            )

    def measure(self) -> None:
        person = self.pick(self.people)
        measure_start(
            actor=self.actor,
            person=person,
            category=self.rng.choice(["close_contact", "high_risk_area_leaver"]),
            anchor_on=self.today - dt.timedelta(days=self.rng.randint(0, 3)),
        )

    def end_measure(self) -> None:
        measure = self.pick(Measure.objects.filter(status=MeasureStatus.ACTIVE))
        if measure is not None:
            measure_close(
                actor=self.actor, measure=measure, status=MeasureStatus.ENDED, reason="豁免"
            )

    def allocate(self) -> None:
        busy = set(
            Measure.objects.filter(status=MeasureStatus.ACTIVE).values_list("person_id", flat=True)
        )
        free = [p for p in self.people if p.pk not in busy]
        people = self.rng.sample(free, min(2, len(free)))
        if not people:
            return
        batch = allocation_services.allocation_propose(
            actor=self.actor,
            category="close_contact",
            people={p.pk: self.today for p in people},
            today=self.today,
        )
        if batch.plan:
            allocation_services.allocation_confirm(actor=self.actor, batch=batch, today=self.today)

    def check_in(self) -> None:
        stay = self.pick(Stay.objects.filter(status=StayStatus.PLANNED))
        if stay is not None:
            back = dt.timedelta(minutes=self.rng.choice([0, 30, 90, 1500]))
            at = max(timezone.now() - back, stay.allocated_at)  # not before the allocation
            site_services.stays_check_in(actor=self.actor, stays=[stay], at=at)

    def move(self) -> None:
        stay = self.pick(Stay.objects.filter(status__in=STAY_OPEN))
        room = self.pick(Room.objects.filter(status=RoomStatus.AVAILABLE))
        if stay is not None and room is not None:
            site_services.stay_move(actor=self.actor, stay=stay, room=room, reason="调房")

    def leave(self) -> None:
        stay = self.pick(Stay.objects.filter(status=StayStatus.IN))
        if stay is not None:
            back = dt.timedelta(minutes=self.rng.choice([0, 10, 200]))
            status = self.rng.choice([StayStatus.RELEASED, StayStatus.TRANSFERRED])
            stay_end(
                actor=self.actor,
                stay=stay,
                status=status,
                reason="离开",
                at=max(timezone.now() - back, stay.checked_in_at),  # not before the check-in
            )

    def replan(self) -> None:
        """A new profile: every active measure is re-planned (first and last days change)."""
        active = PolicyProfile.objects.get(is_active=True)
        other = "9th-edition" if active.code != "9th-edition" else "xuchang-2022-05"
        profile_activate(
            profile=PolicyProfile.objects.get(code=other), actor=self.actor, reason="新版方案"
        )

    OPERATIONS = {
        "case": 6,
        "contact": 8,
        "contacts": 3,
        "status": 12,
        "reclassify": 3,
        "transfer": 4,
        "close": 2,
        "convert": 1,
        "measure": 3,
        "end_measure": 2,
        "allocate": 3,
        "check_in": 5,
        "move": 2,
        "leave": 4,
        "replan": 1,
    }

    def run(self, steps: int) -> None:
        names = list(self.OPERATIONS)
        weights = [self.OPERATIONS[n] for n in names]
        for _ in range(steps):
            self.clock.move(self.rng)
            name = self.rng.choices(names, weights)[0]
            try:
                getattr(self, name)()
            except ValidationError:
                continue
            self.done[name] += 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_tally_equals_the_rows_at_every_moment_of_a_scenario(city, personas, clock, seed):
    scenario = Scenario(city, personas, clock, seed)
    scenario.run(steps=90)
    assert sum(scenario.done.values()) > 50, scenario.done
    assert Case.objects.count() and Contact.objects.count() and Stay.objects.count()
    user = personas["command"]
    rng = random.Random(seed)
    compared = 0
    for place in ("", city.weidu.key, city.w[Level.STREET].key):
        compared += assert_same(user, place, moments_around(clock.log, rng, 25))
    assert compared > 60


@pytest.mark.parametrize("seed", [4, 5])
def test_the_tally_kept_by_the_services_equals_a_rebuild(city, personas, clock, seed):
    scenario = Scenario(city, personas, clock, seed)
    scenario.run(steps=60)
    kept = cells()
    assert kept
    rebuild()
    assert cells() == kept
    rebuild(["contact", "stay"])  # some subjects only: the others' rows stay as they were
    assert cells() == kept
    out = io.StringIO()
    call_command("tally_rebuild", stdout=out)  # idempotent
    assert "contact=" in out.getvalue()
    assert cells() == kept


def test_the_outbreak_after_later_changes_equals_the_rows(outbreak, personas):
    """The bulk-loaded outbreak (rebuilt), then changes through the services at now."""
    user = personas["command"]
    now = timezone.now()
    later_changes(outbreak, user)
    moments = [T, SINCE, T - DAY, T + DAY, T + HOUR / 2, T - dt.timedelta(minutes=1)]
    moments += [SINCE + dt.timedelta(hours=h, minutes=m) for h in range(0, 48, 5) for m in (0, 7)]
    moments += [now - HOUR, now, timezone.now() + dt.timedelta(seconds=1), now + DAY]
    for place in ("", "411002", "411002002", "411003"):
        assert_same(user, place, moments)


def test_below_a_street_the_rows_count(outbreak, personas):
    """The tally holds the city, districts and streets; a community is counted from its rows
    (small there), and asking the tally for it is an error, not a wrong answer."""
    user = personas["command"]
    community = node_for(user, outbreak.city.w[Level.COMMUNITY].key)
    s = situation(user, community, T)
    assert s.total["cases"] == 4 and s.total["close"] == 4
    with pytest.raises(ValueError):
        situation(user, community, T, source="tally")
